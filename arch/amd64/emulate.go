package amd64

import (
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/arch/x86/x86asm"

	"hwdbg/arch"
)

// Emulate executes one x86-64 instruction as the CPU would, on a copy of
// regs, with its memory access made through mem, and returns the
// registers after it. A debugger steps a thread over a software
// breakpoint this way: the breakpoint byte stays in place and no other
// thread has to stop while the instruction runs.
//
// It emulates the instructions found where a breakpoint goes, at a
// function's entry or after its prologue:
//   - nop in every form, endbr64 and endbr32;
//   - mov between registers, memory and immediates, of every size (a
//     32-bit register write zero-extends, 8- and 16-bit ones merge),
//     movzx, movsx, movsxd, lea;
//   - push of a register or an immediate, pop of a register;
//   - add, sub, and, or, xor of a register with a register, an
//     immediate or memory; cmp and test, also of memory; inc and dec of a
//     register; each with the flags the CPU sets;
//   - jmp (relative, through a register or memory) and the conditional
//     jumps.
//
// Anything else is refused, with the reason: 32-bit code, a thread that
// single-steps itself (TF set), lock and rep prefixes, segment, control
// and vector registers, a memory destination that would be read and
// written back (add [m], r: another thread could write between the two),
// a branch with an operand-size prefix (Intel and AMD CPUs differ) or to
// a non-canonical address (the CPU faults on the branch), and call and ret:
// a CPU with control-flow enforcement keeps return addresses on a shadow
// stack too, which the emulation could not.
// An instruction makes at most one memory access, the last thing it does
// that can fail: a refused access leaves memory as it was.
func (b *Backend) Emulate(code []byte, regs arch.Regs, mem arch.Memory) (out arch.Regs, err error) {
	// x86asm is third-party table code fed bytes from a traced process.
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("emulate % x: x86asm failed: %v", code[:min(len(code), 15)], p)
		}
	}()
	r, ok := regs.(*Regs)
	switch {
	case !ok || r == nil:
		return nil, fmt.Errorf("emulate: %T is not amd64 registers", regs)
	case b.Bits() != 64:
		return nil, fmt.Errorf("32-bit programs: %w", arch.ErrNoEmulation)
	case r.Compat():
		return nil, notEmulated("32-bit code")
	case r.Eflags&flagTF != 0:
		return nil, notEmulated("the thread single-steps itself (TF is set)")
	}
	e := emulator{r: *r, mem: mem}
	if err := e.run(code); err != nil {
		return nil, err
	}
	return &e.r, nil
}

// ErrNotEmulated is wrapped by Emulate's refusals of an instruction it
// does not emulate (not of an access the memory refused).
var ErrNotEmulated = errors.New("not emulated")

func notEmulated(why string, args ...any) error {
	return fmt.Errorf("%w: "+why, append([]any{ErrNotEmulated}, args...)...)
}

// The arithmetic flags in RFLAGS, and the trap flag.
const (
	flagCF = 1 << 0
	flagPF = 1 << 2
	flagAF = 1 << 4
	flagZF = 1 << 6
	flagSF = 1 << 7
	flagTF = 1 << 8
	flagOF = 1 << 11

	arithFlags = flagCF | flagPF | flagAF | flagZF | flagSF | flagOF
)

// emulator runs one instruction on its own copy of the registers.
type emulator struct {
	r    Regs
	mem  arch.Memory
	inst x86asm.Inst
	next uint64 // the pc after the instruction
}

// endbr is endbr64 (f3 0f 1e fa) and endbr32 (f3 0f 1e fb), which x86asm
// does not know: nops to a CPU without control-flow enforcement, and to
// one with it, at a target of an indirect branch; a step over a
// breakpoint is not one.
func endbr(code []byte) bool {
	return len(code) >= 4 && code[0] == 0xf3 && code[1] == 0x0f && code[2] == 0x1e && (code[3] == 0xfa || code[3] == 0xfb)
}

func (e *emulator) run(code []byte) error {
	if endbr(code) {
		e.r.Rip += 4
		return nil
	}
	inst, err := x86asm.Decode(code, 64)
	if err != nil {
		return notEmulated("% x: %v", code[:min(len(code), 15)], err)
	}
	if inst.Op == 0 || inst.Len <= 0 || inst.Len > len(code) {
		return notEmulated("% x: truncated or unknown instruction", code[:min(len(code), 15)])
	}
	e.inst = inst
	e.next = e.r.Rip + uint64(inst.Len)
	if err := checkPrefixes(&inst); err != nil {
		return err
	}
	switch inst.Op {
	case x86asm.NOP:
		// Its memory operand, if any, is not accessed.
	case x86asm.MOV:
		err = e.mov()
	case x86asm.MOVZX, x86asm.MOVSX, x86asm.MOVSXD:
		err = e.extend()
	case x86asm.LEA:
		err = e.lea()
	case x86asm.PUSH:
		err = e.push()
	case x86asm.POP:
		err = e.pop()
	case x86asm.ADD, x86asm.SUB, x86asm.CMP, x86asm.AND, x86asm.OR, x86asm.XOR, x86asm.TEST:
		err = e.alu()
	case x86asm.INC, x86asm.DEC:
		err = e.incDec()
	case x86asm.JMP:
		err = e.jump()
	case x86asm.JO, x86asm.JNO, x86asm.JB, x86asm.JAE, x86asm.JE, x86asm.JNE, x86asm.JBE, x86asm.JA,
		x86asm.JS, x86asm.JNS, x86asm.JP, x86asm.JNP, x86asm.JL, x86asm.JGE, x86asm.JLE, x86asm.JG:
		err = e.jcc()
	default:
		return notEmulated("%s", e.text())
	}
	if err != nil {
		return err
	}
	e.r.Rip = e.next
	return nil
}

// text is the instruction in Intel syntax, for refusals.
func (e *emulator) text() string { return x86asm.IntelSyntax(e.inst, e.r.Rip, nil) }

// checkPrefixes refuses lock, rep and repne (string, pause, bnd and TSX
// forms), VEX and EVEX, and prefixes x86asm found invalid. Operand- and
// address-size overrides, REX and segment overrides are what the
// emulated instructions use.
func checkPrefixes(inst *x86asm.Inst) error {
	for _, p := range inst.Prefix {
		if p == 0 {
			break
		}
		if p&x86asm.PrefixInvalid != 0 {
			return notEmulated("invalid prefix %v", p)
		}
		switch b := p & 0xff; {
		case b >= x86asm.PrefixREX && b < x86asm.PrefixREX+0x10 && !p.IsVEX() && !p.IsEVEX():
		case b == x86asm.PrefixDataSize, b == x86asm.PrefixAddrSize:
		case b == x86asm.PrefixES, b == x86asm.PrefixCS, b == x86asm.PrefixSS, b == x86asm.PrefixDS,
			b == x86asm.PrefixFS, b == x86asm.PrefixGS:
		default:
			return notEmulated("prefix %v", p)
		}
	}
	return nil
}

// regRef places a general register: the index of its 64-bit register
// (x86asm's order: rax rcx rdx rbx rsp rbp rsi rdi r8-r15), the shift of
// its lowest bit (8 for ah, ch, dh, bh) and its size in bytes. ok is false
// for any other register (segment, control, vector, rip).
func regRef(reg x86asm.Reg) (i int, shift uint, size int, ok bool) {
	switch {
	case reg >= x86asm.AL && reg <= x86asm.BL:
		return int(reg - x86asm.AL), 0, 1, true
	case reg >= x86asm.AH && reg <= x86asm.BH:
		return int(reg - x86asm.AH), 8, 1, true
	case reg >= x86asm.SPB && reg <= x86asm.R15B:
		return int(reg-x86asm.SPB) + 4, 0, 1, true
	case reg >= x86asm.AX && reg <= x86asm.R15W:
		return int(reg - x86asm.AX), 0, 2, true
	case reg >= x86asm.EAX && reg <= x86asm.R15L:
		return int(reg - x86asm.EAX), 0, 4, true
	case reg >= x86asm.RAX && reg <= x86asm.R15:
		return int(reg - x86asm.RAX), 0, 8, true
	}
	return 0, 0, 0, false
}

// gpr is the 64-bit general register with x86asm's index i.
func (r *Regs) gpr(i int) *uint64 {
	return [16]*uint64{&r.Rax, &r.Rcx, &r.Rdx, &r.Rbx, &r.Rsp, &r.Rbp, &r.Rsi, &r.Rdi,
		&r.R8, &r.R9, &r.R10, &r.R11, &r.R12, &r.R13, &r.R14, &r.R15}[i]
}

func mask(size int) uint64 {
	if size >= 8 {
		return ^uint64(0)
	}
	return 1<<(8*uint(size)) - 1
}

// signExtend extends the size-byte value v to 64 bits.
func signExtend(v uint64, size int) uint64 {
	s := 64 - 8*uint(size)
	return uint64(int64(v<<s) >> s)
}

// regSize is the size in bytes of a general register, 0 for any other.
func regSize(reg x86asm.Reg) int {
	_, _, size, _ := regRef(reg)
	return size
}

func (e *emulator) getReg(reg x86asm.Reg) (uint64, error) {
	i, shift, size, ok := regRef(reg)
	if !ok {
		return 0, notEmulated("register %v in %s", reg, e.text())
	}
	return *e.r.gpr(i) >> shift & mask(size), nil
}

// setReg writes a general register as an instruction does: a 32-bit
// write zero-extends into the 64-bit register, 8- and 16-bit writes leave
// the other bits alone.
func (e *emulator) setReg(reg x86asm.Reg, v uint64) error {
	i, shift, size, ok := regRef(reg)
	if !ok {
		return notEmulated("register %v in %s", reg, e.text())
	}
	p := e.r.gpr(i)
	switch size {
	case 8:
		*p = v
	case 4:
		*p = v & 0xffffffff
	default:
		m := mask(size) << shift
		*p = *p&^m | v<<shift&m
	}
	return nil
}

// addr computes a memory operand's address as the instruction sees it
// (registers before it, rip-relative from its end), and says how it was
// addressed. lea takes no segment base (seg false).
func (e *emulator) addr(m x86asm.Mem, seg bool) (uint64, arch.Via, error) {
	var a uint64
	via := arch.ViaOther
	switch {
	case m.Base == x86asm.RIP:
		a, via = e.next, arch.ViaStatic
	case m.Base == 0:
		via = arch.ViaStatic
	default:
		i, _, size, ok := regRef(m.Base)
		if !ok || size < 4 {
			return 0, 0, notEmulated("address register %v in %s", m.Base, e.text())
		}
		a = *e.r.gpr(i) & mask(size)
		if i == 4 || i == 5 { // rsp, rbp
			via = arch.ViaStack
		}
	}
	if m.Index != 0 {
		i, _, size, ok := regRef(m.Index)
		if !ok || size < 4 {
			return 0, 0, notEmulated("index register %v in %s", m.Index, e.text())
		}
		a += (*e.r.gpr(i) & mask(size)) * uint64(m.Scale)
		if via == arch.ViaStatic {
			via = arch.ViaOther // a table indexed by a register
		}
	}
	a += displacement(&e.inst, m)
	if e.inst.AddrSize == 32 {
		a &= 0xffffffff
	}
	if !seg {
		return a, via, nil
	}
	// In 64-bit mode only fs and gs have a base.
	switch m.Segment {
	case 0, x86asm.ES, x86asm.CS, x86asm.SS, x86asm.DS:
	case x86asm.FS:
		a, via = a+e.r.FsBase, arch.ViaThread
	case x86asm.GS:
		a, via = a+e.r.GsBase, arch.ViaThread
	default:
		return 0, 0, notEmulated("segment %v in %s", m.Segment, e.text())
	}
	return a, via, nil
}

// access makes the instruction's memory access of size bytes at a.
func (e *emulator) access(a arch.MemAccess, v uint64) (uint64, error) {
	var buf [8]byte
	if a.Len <= 0 || a.Len > len(buf) {
		return 0, notEmulated("a %d-byte access in %s", a.Len, e.text())
	}
	if a.Write {
		binary.LittleEndian.PutUint64(buf[:], v)
	}
	if err := e.mem.Access(a, buf[:a.Len]); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(buf[:]), nil
}

func (e *emulator) load(m x86asm.Mem) (uint64, error) {
	a, via, err := e.addr(m, true)
	if err != nil {
		return 0, err
	}
	return e.access(arch.MemAccess{Addr: a, Len: e.inst.MemBytes, Via: via}, 0)
}

func (e *emulator) store(m x86asm.Mem, v uint64) error {
	a, via, err := e.addr(m, true)
	if err != nil {
		return err
	}
	_, err = e.access(arch.MemAccess{Addr: a, Len: e.inst.MemBytes, Write: true, Via: via}, v)
	return err
}

// source reads an operand of size bytes that the instruction only reads:
// a general register, memory, or an immediate (which x86asm gives sign
// extended, cut to size).
func (e *emulator) source(arg x86asm.Arg, size int) (uint64, error) {
	switch a := arg.(type) {
	case x86asm.Reg:
		return e.getReg(a)
	case x86asm.Mem:
		return e.load(a)
	case x86asm.Imm:
		return uint64(a) & mask(size), nil
	}
	return 0, notEmulated("operand %v in %s", arg, e.text())
}

// destSize is the size of a register or memory destination, 0 for any
// other operand.
func (e *emulator) destSize(arg x86asm.Arg) int {
	switch a := arg.(type) {
	case x86asm.Reg:
		return regSize(a)
	case x86asm.Mem:
		return e.inst.MemBytes
	}
	return 0
}
