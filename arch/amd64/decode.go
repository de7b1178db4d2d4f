package amd64

import (
	"fmt"

	"golang.org/x/arch/x86/x86asm"

	"hwdbg/arch"
)

// Decode decodes the instruction at pc from code and says how it touches
// data memory. This is what makes a read watchpoint exact on amd64: the
// slot is programmed read-or-write (RW=11), so it also fires on stores, and
// the debugger reports a read only when the instruction reads memory.
//
// If regs is not nil, MemAddr is the operand's effective address computed
// from regs as if they were the registers before the instruction ran
// (base + index*scale + disp, RIP-relative from the next instruction,
// plus the fs/gs base for an fs:/gs: override). On amd64 a data watchpoint
// traps after the access, so the registers a debugger has are the ones
// after it: if the instruction changed a register it addresses through
// (pop, push, "mov rax, [rax]", a string op), MemAddr is wrong. Treat it as
// a hint. MemAddr is zero when it cannot be computed (no regs, a vector
// index register, an unknown register).
//
// An instruction with two memory operands (movs, cmps) reports the first
// in Intel order (movs: the destination [rdi]) in MemAddr/MemLen, and
// MemReads/MemWrites cover both.
//
// The backend's mode decides how bytes decode: the same bytes are other
// instructions in 32-bit code (0x48 is "dec eax" there, a REX prefix in
// 64-bit code). In 32-bit mode the registers are the low halves of the
// 64-bit ones the kernel reports, addresses wrap at 4 GiB and the stack
// moves by 4 bytes.
func (b *Backend) Decode(code []byte, pc uint64, regs arch.Regs) (insn arch.Insn, err error) {
	// x86asm is third-party table code fed arbitrary bytes from a traced
	// process: never let a decoder bug take the debugger down.
	defer func() {
		if p := recover(); p != nil {
			insn, err = arch.Insn{}, fmt.Errorf("decode at %#x: x86asm failed on % x: %v", pc, code[:min(len(code), 15)], p)
		}
	}()
	if len(code) == 0 {
		return arch.Insn{}, fmt.Errorf("decode at %#x: no code bytes", pc)
	}
	mode := b.Bits()
	inst, err := x86asm.Decode(code, mode)
	if err != nil {
		return arch.Insn{}, fmt.Errorf("decode at %#x (% x, %d-bit code): %w", pc, code[:min(len(code), 15)], mode, err)
	}
	if inst.Op == 0 || inst.Len <= 0 || inst.Len > len(code) {
		// x86asm returns a bare prefix, not an error, for some truncated
		// or unknown encodings.
		return arch.Insn{}, fmt.Errorf("decode at %#x (% x): truncated or unknown instruction", pc, code[:min(len(code), 15)])
	}
	if inst.Mode == 0 {
		inst.Mode = mode // x86asm leaves it unset for VEX and EVEX instructions
	}
	insn = arch.Insn{PC: pc, Len: inst.Len, Text: x86asm.IntelSyntax(inst, pc, nil), Target: branchTarget(&inst, pc)}
	acc := classify(&inst)
	if !acc.mem {
		return insn, nil
	}
	insn.Mem, insn.MemReads, insn.MemWrites = true, acc.reads, acc.writes
	insn.MemLen = memLen(&inst, acc)
	if regs != nil {
		insn.MemAddr = memAddr(&inst, acc, pc, regs)
	}
	return insn, nil
}

// memAccess is the classifier's verdict.
type memAccess struct {
	mem           bool
	reads, writes bool
	operand       x86asm.Mem // the reported operand, when stack is false
	stack         stackUse   // an implicit stack access instead
}

// stackUse says where an implicit stack access goes, relative to the
// registers before the instruction.
type stackUse uint8

const (
	noStack   stackUse = iota
	stackPush          // writes [rsp - size]
	stackPop           // reads [rsp]
	stackRbp           // leave: reads [rbp]
)

// Classification tables. They matter only when the memory operand is the
// first (destination) operand in Intel order: a memory operand anywhere
// else is a source and is read. A legacy instruction with a memory
// destination that is in no table is taken to be read-modify-write (the
// common case: add, or, shl, ...), which errs towards reporting a read.

// destWrite: the memory destination is written and not read.
var destWrite = opSet(
	x86asm.MOV, x86asm.MOVBE,
	x86asm.MOVAPS, x86asm.MOVAPD, x86asm.MOVUPS, x86asm.MOVUPD, x86asm.MOVDQA, x86asm.MOVDQU,
	x86asm.MOVQ, x86asm.MOVD, x86asm.MOVSS, x86asm.MOVSD_XMM,
	x86asm.MOVNTI, x86asm.MOVNTDQ, x86asm.MOVNTPS, x86asm.MOVNTPD, x86asm.MOVNTQ, x86asm.MOVNTSD, x86asm.MOVNTSS,
	x86asm.MOVLPS, x86asm.MOVHPS, x86asm.MOVLPD, x86asm.MOVHPD,
	x86asm.PEXTRB, x86asm.PEXTRW, x86asm.PEXTRD, x86asm.PEXTRQ, x86asm.EXTRACTPS,
	x86asm.SETA, x86asm.SETAE, x86asm.SETB, x86asm.SETBE, x86asm.SETE, x86asm.SETG, x86asm.SETGE,
	x86asm.SETL, x86asm.SETLE, x86asm.SETNE, x86asm.SETNO, x86asm.SETNP, x86asm.SETNS,
	x86asm.SETO, x86asm.SETP, x86asm.SETS,
	x86asm.STOSB, x86asm.STOSW, x86asm.STOSD, x86asm.STOSQ,
	x86asm.POP, // pop m: reads the stack, writes m; we report m
	x86asm.FST, x86asm.FSTP, x86asm.FIST, x86asm.FISTP, x86asm.FISTTP, x86asm.FBSTP,
	x86asm.FNSTCW, x86asm.FNSTSW, x86asm.FNSTENV, x86asm.FNSAVE,
	x86asm.FXSAVE, x86asm.FXSAVE64, x86asm.XSAVE, x86asm.XSAVE64, x86asm.XSAVEOPT, x86asm.XSAVEOPT64,
	x86asm.XSAVEC, x86asm.XSAVES,
	x86asm.STMXCSR, x86asm.VSTMXCSR,
	x86asm.SGDT, x86asm.SIDT, x86asm.SLDT, x86asm.STR, x86asm.SMSW,
)

// destRead: the memory "destination" is only read (compares, tests, pushes
// and jumps through memory, one-operand multiply and divide, x87 loads and
// arithmetic whose real destination is st0, state loads).
var destRead = opSet(
	x86asm.CMP, x86asm.TEST, x86asm.BT,
	x86asm.PUSH, // push m: reads m, writes the stack; we report m
	x86asm.CALL, x86asm.JMP, x86asm.LCALL, x86asm.LJMP,
	x86asm.MUL, x86asm.IMUL, x86asm.DIV, x86asm.IDIV,
	x86asm.FLD, x86asm.FILD, x86asm.FBLD,
	x86asm.FADD, x86asm.FSUB, x86asm.FSUBR, x86asm.FMUL, x86asm.FDIV, x86asm.FDIVR,
	x86asm.FIADD, x86asm.FISUB, x86asm.FISUBR, x86asm.FIMUL, x86asm.FIDIV, x86asm.FIDIVR,
	x86asm.FCOM, x86asm.FCOMP, x86asm.FICOM, x86asm.FICOMP,
	x86asm.FLDCW, x86asm.FLDENV, x86asm.FRSTOR,
	x86asm.FXRSTOR, x86asm.FXRSTOR64, x86asm.XRSTOR, x86asm.XRSTOR64, x86asm.XRSTORS,
	x86asm.LDMXCSR, x86asm.VLDMXCSR,
	x86asm.LGDT, x86asm.LIDT, x86asm.LLDT, x86asm.LTR, x86asm.LMSW, x86asm.VERR, x86asm.VERW,
	x86asm.LODSB, x86asm.LODSW, x86asm.LODSD, x86asm.LODSQ,
	x86asm.SCASB, x86asm.SCASW, x86asm.SCASD, x86asm.SCASQ,
	x86asm.CMPSB, x86asm.CMPSW, x86asm.CMPSD, x86asm.CMPSQ,
	x86asm.XLATB,
)

// destReadWrite: the memory destination is read, modified and written
// back (with or without LOCK). This is also the default for a legacy
// instruction with a memory destination that no table names.
var destReadWrite = opSet(
	x86asm.ADD, x86asm.ADC, x86asm.SUB, x86asm.SBB, x86asm.AND, x86asm.OR, x86asm.XOR,
	x86asm.INC, x86asm.DEC, x86asm.NEG, x86asm.NOT,
	x86asm.SHL, x86asm.SHR, x86asm.SAR, x86asm.ROL, x86asm.ROR, x86asm.RCL, x86asm.RCR,
	x86asm.SHLD, x86asm.SHRD,
	x86asm.BTS, x86asm.BTR, x86asm.BTC,
)

// anyReadWrite: memory is read and written wherever the operand stands
// (xchg accepts memory on either side; movs reads [rsi] and writes [rdi]).
var anyReadWrite = opSet(
	x86asm.XCHG, x86asm.CMPXCHG, x86asm.CMPXCHG8B, x86asm.CMPXCHG16B, x86asm.XADD,
	x86asm.MOVSB, x86asm.MOVSW, x86asm.MOVSD, x86asm.MOVSQ,
)

// noAccess: a memory operand that is only an address (lea), a hint
// (prefetch, multi-byte nop) or a cache operation: no data watchpoint fires.
var noAccess = opSet(
	x86asm.LEA, x86asm.NOP,
	x86asm.PREFETCHNTA, x86asm.PREFETCHT0, x86asm.PREFETCHT1, x86asm.PREFETCHT2, x86asm.PREFETCHW,
	x86asm.CLFLUSH, x86asm.INVLPG,
	x86asm.VGATHERPF0DPS, x86asm.VGATHERPF1DPS, x86asm.VSCATTERPF0DPS, x86asm.VSCATTERPF1DPS,
	x86asm.VGATHERPF0QPS, x86asm.VGATHERPF1QPS, x86asm.VSCATTERPF0QPS, x86asm.VSCATTERPF1QPS,
	x86asm.VGATHERPF0DPD, x86asm.VGATHERPF1DPD, x86asm.VSCATTERPF0DPD, x86asm.VSCATTERPF1DPD,
	x86asm.VGATHERPF0QPD, x86asm.VGATHERPF1QPD, x86asm.VSCATTERPF0QPD, x86asm.VSCATTERPF1QPD,
)

// implicitStack: instructions without a memory operand that use the stack.
var implicitStack = map[x86asm.Op]stackUse{
	x86asm.PUSH: stackPush, x86asm.PUSHF: stackPush, x86asm.PUSHFD: stackPush, x86asm.PUSHFQ: stackPush,
	x86asm.PUSHA: stackPush, x86asm.PUSHAD: stackPush, x86asm.CALL: stackPush,
	x86asm.POP: stackPop, x86asm.POPF: stackPop, x86asm.POPFD: stackPop, x86asm.POPFQ: stackPop,
	x86asm.POPA: stackPop, x86asm.POPAD: stackPop,
	x86asm.RET: stackPop, x86asm.LRET: stackPop, x86asm.IRET: stackPop, x86asm.IRETD: stackPop, x86asm.IRETQ: stackPop,
	x86asm.LEAVE: stackRbp, x86asm.ENTER: stackPush,
}

func opSet(ops ...x86asm.Op) map[x86asm.Op]bool {
	m := make(map[x86asm.Op]bool, len(ops))
	for _, op := range ops {
		m[op] = true
	}
	return m
}

// isVEX reports a VEX or EVEX encoded (AVX) instruction.
func isVEX(inst *x86asm.Inst) bool {
	for _, p := range inst.Prefix {
		if p == 0 {
			break
		}
		if p.IsVEX() || p.IsEVEX() {
			return true
		}
	}
	return false
}

// classify decides whether and how inst accesses data memory.
func classify(inst *x86asm.Inst) memAccess {
	if noAccess[inst.Op] {
		return memAccess{}
	}
	idx := -1 // the first memory operand, in Intel order
	for i, a := range inst.Args {
		if a == nil {
			break
		}
		if _, ok := a.(x86asm.Mem); ok {
			idx = i
			break
		}
	}
	if idx < 0 {
		if s, ok := implicitStack[inst.Op]; ok {
			r := memAccess{mem: true, stack: s}
			if s == stackPush {
				r.writes = true
			} else {
				r.reads = true
			}
			return r
		}
		return memAccess{}
	}
	r := memAccess{mem: true, operand: inst.Args[idx].(x86asm.Mem)}
	switch {
	case anyReadWrite[inst.Op]:
		r.reads, r.writes = true, true
	case idx > 0:
		r.reads = true // a source operand
	case destWrite[inst.Op]:
		r.writes = true
	case destRead[inst.Op]:
		r.reads = true
	case destReadWrite[inst.Op]:
		r.reads, r.writes = true, true
	case isVEX(inst):
		// AVX never reads and writes one memory operand: a memory first
		// operand is a store (vmov*, vextract*, vpmov* down-converts,
		// vmaskmov, scatters, vcompress*).
		r.writes = true
	default:
		r.reads, r.writes = true, true
	}
	return r
}

// memLen is the size of the reported access in bytes, 0 if unknown.
func memLen(inst *x86asm.Inst, acc memAccess) int {
	if acc.stack != noStack {
		word := 8 // a stack slot: 8 bytes in 64-bit code, 4 in 32-bit code
		if inst.Mode == 32 {
			word = 4
		}
		switch inst.Op {
		case x86asm.ENTER, x86asm.IRET, x86asm.IRETD, x86asm.IRETQ:
			return word // the first word of a larger access
		case x86asm.PUSHA, x86asm.POPA:
			return 16 // eight 2-byte registers
		case x86asm.PUSHAD, x86asm.POPAD:
			return 32 // eight 4-byte registers
		}
		for _, p := range inst.Prefix {
			if p == 0 {
				break
			}
			if p&0xff == x86asm.PrefixDataSize && p&x86asm.PrefixIgnored == 0 {
				return 2
			}
		}
		return word
	}
	if inst.MemBytes > 0 {
		return inst.MemBytes
	}
	switch inst.Op {
	case x86asm.MOVSB, x86asm.STOSB, x86asm.LODSB, x86asm.SCASB, x86asm.CMPSB, x86asm.XLATB:
		return 1
	case x86asm.MOVSW, x86asm.STOSW, x86asm.LODSW, x86asm.SCASW, x86asm.CMPSW:
		return 2
	case x86asm.MOVSD, x86asm.STOSD, x86asm.LODSD, x86asm.SCASD, x86asm.CMPSD:
		return 4
	case x86asm.MOVSQ, x86asm.STOSQ, x86asm.LODSQ, x86asm.SCASQ, x86asm.CMPSQ:
		return 8
	case x86asm.SGDT, x86asm.SIDT, x86asm.LGDT, x86asm.LIDT:
		return 10 // 2-byte limit, 8-byte base
	case x86asm.FNSTENV, x86asm.FLDENV:
		return 28
	case x86asm.FNSAVE, x86asm.FRSTOR:
		return 108
	case x86asm.FXSAVE, x86asm.FXSAVE64, x86asm.FXRSTOR, x86asm.FXRSTOR64:
		return 512
	}
	return 0
}

// memAddr computes the reported operand's address from regs, 0 if it
// cannot. See Decode for the caveat about post-access registers.
func memAddr(inst *x86asm.Inst, acc memAccess, pc uint64, regs arch.Regs) uint64 {
	wrap := func(a uint64) uint64 { return a } // 32-bit code: addresses wrap at 4 GiB
	if inst.Mode == 32 {
		wrap = func(a uint64) uint64 { return a & 0xffffffff }
	}
	switch acc.stack {
	case stackPush:
		return wrap(regs.SP() - uint64(memLen(inst, acc)))
	case stackPop:
		return wrap(regs.SP())
	case stackRbp:
		return wrap(regs.FP())
	}
	m := acc.operand
	var a uint64
	if m.Base != 0 {
		v, ok := regValue(m.Base, inst, pc, regs)
		if !ok {
			return 0
		}
		a += v
	}
	if m.Index != 0 {
		v, ok := regValue(m.Index, inst, pc, regs)
		if !ok {
			return 0
		}
		a += v * uint64(m.Scale)
	}
	a += displacement(inst, m)
	switch inst.AddrSize {
	case 32:
		a &= 0xffffffff
	case 16:
		a &= 0xffff
	}
	// In 64-bit mode only fs and gs have a base; es, cs, ss and ds are
	// flat. Linux gives 32-bit code flat es, cs, ss and ds too; fs and gs
	// (the i386 thread pointer) are based, and the kernel reports their
	// bases as fs_base and gs_base.
	switch m.Segment {
	case x86asm.FS:
		b, ok := regs.Get("fs_base")
		if !ok {
			return 0
		}
		a += b
	case x86asm.GS:
		b, ok := regs.Get("gs_base")
		if !ok {
			return 0
		}
		a += b
	}
	return wrap(a)
}

// displacement is m's displacement as the CPU adds it. x86asm gives a
// 32-bit displacement zero-extended; the CPU sign-extends it ([rip-0x100]
// is below the instruction). An absolute address of mov's moffs forms
// (a0-a3) is taken whole.
func displacement(inst *x86asm.Inst, m x86asm.Mem) uint64 {
	if op := inst.Opcode >> 24; op >= 0xa0 && op <= 0xa3 {
		return uint64(m.Disp)
	}
	return uint64(int64(int32(m.Disp)))
}

// gpr64 names the 64-bit register behind each 64- and 32-bit x86asm
// register, in x86asm's order (RAX RCX RDX RBX RSP RBP RSI RDI R8-R15).
var gpr64 = [16]string{"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"}

// regValue reads an address register. RIP-relative addressing is relative
// to the end of the instruction.
func regValue(r x86asm.Reg, inst *x86asm.Inst, pc uint64, regs arch.Regs) (uint64, bool) {
	next := pc + uint64(inst.Len)
	switch {
	case r == x86asm.RIP:
		return next, true
	case r == x86asm.EIP:
		return next & 0xffffffff, true
	case r >= x86asm.RAX && r <= x86asm.R15:
		return regs.Get(gpr64[r-x86asm.RAX])
	case r >= x86asm.EAX && r <= x86asm.R15L:
		v, ok := regs.Get(gpr64[r-x86asm.EAX])
		return v & 0xffffffff, ok
	case r >= x86asm.AX && r <= x86asm.R15W:
		v, ok := regs.Get(gpr64[r-x86asm.AX])
		return v & 0xffff, ok
	}
	return 0, false // vector index (VSIB) or something unexpected
}

// branchTarget is where a call, jump or loop with a pc-relative operand
// goes, 0 for other instructions. 32-bit code wraps at 4 GiB.
func branchTarget(inst *x86asm.Inst, pc uint64) uint64 {
	rel, ok := inst.Args[0].(x86asm.Rel)
	if !ok {
		return 0
	}
	t := pc + uint64(inst.Len) + uint64(int64(rel))
	if inst.Mode == 32 {
		t &= 0xffffffff
	}
	return t
}
