package arm64

import (
	"encoding/binary"
	"fmt"
	"strings"

	"golang.org/x/arch/arm64/arm64asm"

	"hwdbg/arch"
)

// Decode decodes the A64 instruction at pc (the first 4 bytes of code) and
// says how it touches data memory: load or store, address and width. This
// is what Linux keeps from the ESR (WnR, access size) and does not give a
// tracer, recovered from the instruction itself. On arm64 a watchpoint
// traps before the access, so the registers a debugger has at the trap are
// the ones the instruction will use: MemAddr is exact (for pre- and
// post-indexed forms too), unlike on amd64.
//
// The text comes from golang.org/x/arch/arm64/arm64asm in GNU syntax (what
// objdump prints). arm64asm stops at ARMv8.0: the LSE atomics (ldadd, swp,
// cas, ...) and RCpc loads it cannot decode are named here; anything else
// is shown as ".inst 0x...". Classification does not depend on arm64asm: it
// reads the load/store encoding class bit by bit, so every load, store,
// pair, exclusive, atomic and SIMD structure access is classified.
//
// An instruction of the load/store class that the classifier does not know
// (memory tagging, memory copy/set) is reported as Mem with MemReads and
// MemWrites both true and MemLen 0: unknown width, either direction.
func (*Backend) Decode(code []byte, pc uint64, regs arch.Regs) (insn arch.Insn, err error) {
	defer func() {
		if p := recover(); p != nil {
			insn, err = arch.Insn{}, fmt.Errorf("decode at %#x: arm64asm failed on % x: %v", pc, code[:min(len(code), 4)], p)
		}
	}()
	if len(code) < 4 {
		return arch.Insn{}, fmt.Errorf("decode at %#x: %d code bytes, an arm64 instruction is 4", pc, len(code))
	}
	w := binary.LittleEndian.Uint32(code)
	m := Classify(w)
	insn = arch.Insn{PC: pc, Len: 4, Text: disasm(w, m)}
	if t, ok := BranchTarget(w, pc); ok {
		insn.Target = t
		insn.Text = pcRelText.ReplaceAllString(insn.Text, fmt.Sprintf("%#x", t))
	}
	if m.Kind == NoMem {
		return insn, nil
	}
	insn.Mem = true
	insn.MemReads = m.Kind&Load != 0
	insn.MemWrites = m.Kind&Store != 0
	insn.MemLen = m.Size
	if regs != nil {
		insn.MemAddr, _ = m.Addr(pc, regs)
	}
	return insn, nil
}

// MaxInsnLen is 4: every A64 instruction is one 32-bit word.
func (*Backend) MaxInsnLen() int { return 4 }

// BreakInsn is BRK #0 (0xd4200000), little endian.
func (*Backend) BreakInsn() []byte { return []byte{0x00, 0x00, 0x20, 0xd4} }

// MemKind says in which direction an instruction accesses memory.
type MemKind uint8

const (
	NoMem MemKind = 0
	Load  MemKind = 1 << 0
	Store MemKind = 1 << 1
	Both          = Load | Store
)

func (k MemKind) String() string {
	return [...]string{"none", "load", "store", "load+store"}[k&3]
}

// AddrMode is how a memory operand's address is formed.
type AddrMode uint8

const (
	ModeNone    AddrMode = iota
	ModeBase             // [Xn] (exclusives, atomics, structures, post-index)
	ModeOffset           // [Xn, #imm] (also pre-index: the address is Xn+imm)
	ModeRegOff           // [Xn, Xm{, extend #shift}]
	ModeLiteral          // pc + imm
	ModeZVA              // DC ZVA: Xt aligned down to the block size
)

// MemOp is the classification of one instruction word.
type MemOp struct {
	Kind MemKind
	Size int // bytes accessed in all (a pair: both registers); 0 unknown
	Mode AddrMode
	Base int   // Xn (31 = SP; for DC ZVA, Xt where 31 = XZR)
	Imm  int64 // the byte offset (ModeOffset, ModeLiteral)
	// ModeRegOff: the index register, its extend (option field) and shift.
	Index  int
	Option uint8
	Shift  uint8
	Name   string // a mnemonic for encodings arm64asm does not know
}

// ZVABlockSize is the DC ZVA block size in bytes (DCZID_EL0); set from the
// CPU at start on arm64, 64 elsewhere.
var ZVABlockSize = 64

func sext(v uint32, bits uint) int64 {
	s := 32 - bits
	return int64(int32(v<<s) >> s)
}

// Classify decodes the memory access of the A64 instruction word w. It
// covers the whole "Loads and Stores" encoding group and DC ZVA.
func Classify(w uint32) MemOp {
	if w&0xffffffe0 == 0xd50b7420 { // DC ZVA, Xt (SYS #3, C7, C4, #1)
		return MemOp{Kind: Store, Size: ZVABlockSize, Mode: ModeZVA, Base: int(w & 31), Name: "dc zva"}
	}
	if w&0xffffffe0 == 0xd50b7480 { // DC GZVA, Xt (zeroes data and tags)
		return MemOp{Kind: Store, Size: ZVABlockSize, Mode: ModeZVA, Base: int(w & 31), Name: "dc gzva"}
	}
	if (w>>25)&0b0101 != 0b0100 { // op0 bits 27,25 = 1,0: loads and stores
		return MemOp{}
	}
	rn := int(w>>5) & 31
	size := w >> 30
	v := (w >> 26) & 1
	switch (w >> 27) & 7 {
	case 0b001: // bits 29:28 = 00, bit 27 = 1
		if v == 1 {
			return simdStructure(w, rn)
		}
		if (w>>24)&7 == 0b000 { // bits 29:24 = 001000
			return exclusive(w, rn, size)
		}
	case 0b011: // bits 29:27 = 011
		if (w>>24)&1 == 0 { // load register (literal)
			op := MemOp{Kind: Load, Mode: ModeLiteral, Imm: sext((w>>5)&0x7ffff, 19) * 4}
			opc := w >> 30
			switch {
			case v == 0 && opc == 0b11:
				return MemOp{Name: "prfm"} // a prefetch hint: no access
			case v == 0 && opc == 0b10:
				op.Size = 4 // ldrsw
			case v == 0:
				op.Size = 4 << opc
			case opc == 0b11:
				return unknownMem()
			default:
				op.Size = 4 << opc
			}
			return op
		}
		if v == 0 && (w>>21)&1 == 0 && (w>>10)&3 == 0 && (w>>24)&3 == 0b01 {
			// bits 29:24 = 011001: LDAPUR/STLUR (RCpc, unscaled)
			op := regAccess(size, (w>>22)&3, 0)
			op.Mode, op.Base, op.Imm = ModeOffset, rn, sext((w>>12)&0x1ff, 9)
			return op
		}
		return unknownMem() // memory tagging and the like
	case 0b101: // bits 29:27 = 101: register pairs
		return pair(w, rn, v)
	case 0b111: // bits 29:27 = 111: single registers
		return register(w, rn, size, v)
	}
	return unknownMem()
}

func unknownMem() MemOp { return MemOp{Kind: Both} }

// regAccess classifies a single-register load/store by size, V and opc
// (bits 23:22): direction and width.
func regAccess(size, opc, v uint32) MemOp {
	if v == 1 {
		switch {
		case opc == 0b00:
			return MemOp{Kind: Store, Size: 1 << size}
		case opc == 0b01:
			return MemOp{Kind: Load, Size: 1 << size}
		case size == 0 && opc == 0b10:
			return MemOp{Kind: Store, Size: 16}
		case size == 0 && opc == 0b11:
			return MemOp{Kind: Load, Size: 16}
		}
		return unknownMem()
	}
	switch opc {
	case 0b00:
		return MemOp{Kind: Store, Size: 1 << size}
	case 0b01:
		return MemOp{Kind: Load, Size: 1 << size}
	case 0b10:
		if size == 3 {
			return MemOp{Name: "prfm"} // prefetch: no access
		}
		return MemOp{Kind: Load, Size: 1 << size} // sign-extending load
	default:
		if size >= 2 {
			return unknownMem()
		}
		return MemOp{Kind: Load, Size: 1 << size}
	}
}

// register classifies bits 29:27 = 111: unsigned offset, unscaled, pre-
// and post-indexed, unprivileged, register offset, atomics and PAC loads.
func register(w uint32, rn int, size, v uint32) MemOp {
	opc := (w >> 22) & 3
	if (w>>24)&1 == 1 { // unsigned immediate, scaled
		op := regAccess(size, opc, v)
		if op.Size > 0 {
			op.Mode, op.Base, op.Imm = ModeOffset, rn, int64((w>>10)&0xfff)*int64(op.Size)
		} else if op.Name == "prfm" {
			return op
		}
		return op
	}
	op4 := (w >> 10) & 3
	if (w>>21)&1 == 0 {
		op := regAccess(size, opc, v)
		if op.Size == 0 {
			return op
		}
		imm := sext((w>>12)&0x1ff, 9)
		if op4 == 0b01 { // post-index: the access is at Xn
			op.Mode, op.Base = ModeBase, rn
		} else { // unscaled, unprivileged, pre-index: Xn + imm9
			op.Mode, op.Base, op.Imm = ModeOffset, rn, imm
		}
		return op
	}
	switch op4 {
	case 0b00:
		if v == 1 {
			return unknownMem()
		}
		return atomic(w, rn, size)
	case 0b10: // register offset
		op := regAccess(size, opc, v)
		if op.Size == 0 {
			return op
		}
		op.Mode, op.Base, op.Index, op.Option = ModeRegOff, rn, int(w>>16)&31, uint8((w>>13)&7)
		if (w>>12)&1 == 1 {
			switch op.Size {
			case 2:
				op.Shift = 1
			case 4:
				op.Shift = 2
			case 8:
				op.Shift = 3
			case 16:
				op.Shift = 4
			}
		}
		return op
	default: // LDRAA/LDRAB: 8-byte load, offset S:imm9 scaled by 8
		if size != 3 || v != 0 {
			return unknownMem()
		}
		off := sext(((w>>22)&1)<<9|(w>>12)&0x1ff, 10) * 8
		name := "ldraa"
		if (w>>23)&1 == 1 {
			name = "ldrab"
		}
		return MemOp{Kind: Load, Size: 8, Mode: ModeOffset, Base: rn, Imm: off, Name: name}
	}
}

// atomic classifies the LSE atomic memory operations (ARMv8.1): ldadd,
// ldclr, ldeor, ldset, ld{s,u}{max,min}, swp, and ldapr (ARMv8.3), and the
// 64-byte single-copy loads/stores (ARMv8.7). They access [Xn].
func atomic(w uint32, rn int, size uint32) MemOp {
	o3 := (w >> 15) & 1
	opc := (w >> 12) & 7
	a, r := (w>>23)&1, (w>>22)&1
	rs := (w >> 16) & 31
	n := 1 << size
	suffix := ""
	if a == 1 {
		suffix += "a"
	}
	if r == 1 {
		suffix += "l"
	}
	switch size {
	case 0:
		suffix += "b"
	case 1:
		suffix += "h"
	}
	if o3 == 0 {
		names := [...]string{"ldadd", "ldclr", "ldeor", "ldset", "ldsmax", "ldsmin", "ldumax", "ldumin"}
		return MemOp{Kind: Both, Size: n, Mode: ModeBase, Base: rn, Name: names[opc] + suffix}
	}
	switch opc {
	case 0b000:
		return MemOp{Kind: Both, Size: n, Mode: ModeBase, Base: rn, Name: "swp" + suffix}
	case 0b100:
		if a == 1 && r == 0 && rs == 31 {
			name := "ldapr"
			if size < 2 {
				name += suffix[1:]
			}
			return MemOp{Kind: Load, Size: n, Mode: ModeBase, Base: rn, Name: name}
		}
	case 0b001, 0b010, 0b011:
		if size == 3 && a == 0 && r == 0 {
			return MemOp{Kind: Store, Size: 64, Mode: ModeBase, Base: rn, Name: [...]string{"", "st64b", "st64bv", "st64bv0"}[opc]}
		}
	case 0b101:
		if size == 3 && a == 0 && r == 0 && rs == 31 {
			return MemOp{Kind: Load, Size: 64, Mode: ModeBase, Base: rn, Name: "ld64b"}
		}
	}
	return unknownMem()
}

// exclusive classifies bits 29:24 = 001000: load/store exclusive
// (ldxr/stxr and pairs), load-acquire/store-release (ldar/stlr, ldlar/
// stllr) and compare-and-swap (cas, casp; ARMv8.1).
func exclusive(w uint32, rn int, size uint32) MemOp {
	o2, l, o1 := (w>>23)&1, (w>>22)&1, (w>>21)&1
	rt2 := (w >> 10) & 31
	kind := Store
	if l == 1 {
		kind = Load
	}
	switch {
	case o2 == 0 && o1 == 0: // ldxr, ldaxr, stxr, stlxr
		return MemOp{Kind: kind, Size: 1 << size, Mode: ModeBase, Base: rn}
	case o2 == 0 && o1 == 1:
		if size>>1 == 1 { // ldxp, ldaxp, stxp, stlxp: two 4- or 8-byte registers
			return MemOp{Kind: kind, Size: 2 * (4 << (size & 1)), Mode: ModeBase, Base: rn}
		}
		if rt2 == 31 { // casp: two 4- or 8-byte registers, read and written
			return MemOp{Kind: Both, Size: 2 * (4 << (size & 1)), Mode: ModeBase, Base: rn, Name: "casp" + casSuffix(w, 3)}
		}
	case o2 == 1 && o1 == 0: // ldar, ldlar, stlr, stllr
		return MemOp{Kind: kind, Size: 1 << size, Mode: ModeBase, Base: rn}
	default: // o2 == 1 && o1 == 1: cas
		if rt2 == 31 {
			return MemOp{Kind: Both, Size: 1 << size, Mode: ModeBase, Base: rn, Name: "cas" + casSuffix(w, size)}
		}
	}
	return unknownMem()
}

// casSuffix is cas's ordering (L bit 22: acquire, o0 bit 15: release) and
// size suffix.
func casSuffix(w uint32, size uint32) string {
	s := ""
	if (w>>22)&1 == 1 {
		s += "a"
	}
	if (w>>15)&1 == 1 {
		s += "l"
	}
	switch size {
	case 0:
		s += "b"
	case 1:
		s += "h"
	}
	return s
}

// pair classifies bits 29:27 = 101: ldp/stp, ldnp/stnp, ldpsw, stgp, for
// general and SIMD registers, in offset, pre- and post-index forms.
func pair(w uint32, rn int, v uint32) MemOp {
	opc := w >> 30
	l := (w >> 22) & 1
	mode := (w >> 23) & 3
	kind := Store
	if l == 1 {
		kind = Load
	}
	var elem, scale int
	switch {
	case v == 1 && opc <= 2:
		elem = 4 << opc
		scale = elem
	case v == 0 && opc == 0b00:
		elem, scale = 4, 4
	case v == 0 && opc == 0b10:
		elem, scale = 8, 8
	case v == 0 && opc == 0b01 && l == 1: // ldpsw
		elem, scale = 4, 4
	case v == 0 && opc == 0b01 && l == 0 && mode != 0: // stgp (MTE): two 8-byte registers
		elem, scale = 8, 16
	default:
		return unknownMem()
	}
	op := MemOp{Kind: kind, Size: 2 * elem, Base: rn}
	if mode == 0b01 { // post-index
		op.Mode = ModeBase
	} else {
		op.Mode, op.Imm = ModeOffset, sext((w>>15)&0x7f, 7)*int64(scale)
	}
	return op
}

// simdStructure classifies the Advanced SIMD structure loads and stores
// (ld1-ld4, st1-st4, ld1r-ld4r, single lanes). They access [Xn].
func simdStructure(w uint32, rn int) MemOp {
	if w>>31 != 0 || (w>>25)&1 != 0 {
		return unknownMem()
	}
	q := (w >> 30) & 1
	l := (w >> 22) & 1
	kind := Store
	if l == 1 {
		kind = Load
	}
	opcode := (w >> 12) & 15
	if (w>>24)&1 == 0 { // multiple structures
		regs := map[uint32]int{0b0000: 4, 0b0010: 4, 0b0100: 3, 0b0110: 3, 0b0111: 1, 0b1000: 2, 0b1010: 2}[opcode]
		if regs == 0 {
			return unknownMem()
		}
		return MemOp{Kind: kind, Size: regs * (8 << q), Mode: ModeBase, Base: rn}
	}
	// single structure: selem = opcode<0>:R + 1 elements of esize bytes
	r := (w >> 21) & 1
	size := (w >> 10) & 3
	op3 := (w >> 13) & 7 // the single-structure opcode is bits 15:13
	selem := int((op3&1)<<1|r) + 1
	var esize int
	switch op3 >> 1 {
	case 0b00:
		esize = 1
	case 0b01:
		esize = 2
	case 0b10:
		if size&1 == 0 {
			esize = 4
		} else {
			esize = 8
		}
	default: // ldNr: replicate; load only
		esize = 1 << size
	}
	return MemOp{Kind: kind, Size: selem * esize, Mode: ModeBase, Base: rn}
}

// Addr computes the operand's address from the registers before the
// instruction; false if it cannot (no base register value).
func (m MemOp) Addr(pc uint64, regs arch.Regs) (uint64, bool) {
	switch m.Mode {
	case ModeLiteral:
		return pc + uint64(m.Imm), true
	case ModeZVA:
		if m.Base == 31 {
			return 0, true
		}
		v, ok := regs.Get(fmt.Sprintf("x%d", m.Base))
		return v &^ uint64(ZVABlockSize-1), ok
	case ModeBase, ModeOffset, ModeRegOff:
	default:
		return 0, false
	}
	base, ok := baseReg(m.Base, regs)
	if !ok {
		return 0, false
	}
	switch m.Mode {
	case ModeOffset:
		return base + uint64(m.Imm), true
	case ModeRegOff:
		var idx uint64
		if m.Index != 31 { // register 31 is XZR as an index
			if idx, ok = regs.Get(fmt.Sprintf("x%d", m.Index)); !ok {
				return 0, false
			}
		}
		switch m.Option {
		case 0b010: // uxtw
			idx = uint64(uint32(idx))
		case 0b110: // sxtw
			idx = uint64(int64(int32(idx)))
		}
		return base + idx<<m.Shift, true
	}
	return base, true
}

func baseReg(n int, regs arch.Regs) (uint64, bool) {
	if n == 31 {
		return regs.SP(), true
	}
	return regs.Get(fmt.Sprintf("x%d", n))
}

// disasm renders w: arm64asm's GNU syntax, or our own for what it does
// not know.
func disasm(w uint32, m MemOp) string {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], w)
	if m.Name == "" || m.Name == "prfm" {
		if inst, err := arm64asm.Decode(b[:]); err == nil {
			return arm64asm.GNUSyntax(inst)
		}
		return fmt.Sprintf(".inst 0x%08x", w)
	}
	if inst, err := arm64asm.Decode(b[:]); err == nil {
		return arm64asm.GNUSyntax(inst)
	}
	rt, rn := int(w&31), int(w>>5)&31
	rs := int(w>>16) & 31
	wide := w>>30 == 3
	name := m.Name
	switch {
	case m.Mode == ModeZVA:
		return fmt.Sprintf("%s, %s", name, xreg(rt, true, false))
	case strings.HasPrefix(name, "casp"):
		w64 := (w>>30)&1 == 1
		return fmt.Sprintf("%s %s, %s, %s, %s, [%s]", name, xreg(rs, w64, false), xreg(rs+1, w64, false), xreg(rt, w64, false), xreg(rt+1, w64, false), xreg(rn, true, true))
	case strings.HasPrefix(name, "ldra"):
		if m.Imm == 0 {
			return fmt.Sprintf("%s %s, [%s]", name, xreg(rt, true, false), xreg(rn, true, true))
		}
		return fmt.Sprintf("%s %s, [%s, #%d]!"[:len("%s %s, [%s, #%d]")+int((w>>11)&1)], name, xreg(rt, true, false), xreg(rn, true, true), m.Imm)
	case strings.HasPrefix(name, "ldapr"), name == "ld64b", name == "st64b":
		return fmt.Sprintf("%s %s, [%s]", name, xreg(rt, wide, false), xreg(rn, true, true))
	default: // cas, swp, ld<op>, st64bv: Rs, Rt, [Xn]
		return fmt.Sprintf("%s %s, %s, [%s]", name, xreg(rs, wide, false), xreg(rt, wide, false), xreg(rn, true, true))
	}
}

// xreg names general register n: x/w, with 31 as sp (a base) or xzr/wzr.
func xreg(n int, x64, isBase bool) string {
	switch {
	case n == 31 && isBase:
		return "sp"
	case n == 31 && x64:
		return "xzr"
	case n == 31:
		return "wzr"
	case x64:
		return fmt.Sprintf("x%d", n)
	}
	return fmt.Sprintf("w%d", n)
}
