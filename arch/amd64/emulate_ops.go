package amd64

import (
	"errors"
	"fmt"

	"golang.org/x/arch/x86/x86asm"

	"hwdbg/arch"
)

// The instructions Emulate knows, one method each: data moves, the stack,
// arithmetic with its flags, and branches.

func (e *emulator) mov() error {
	dst, src := e.inst.Args[0], e.inst.Args[1]
	size := e.destSize(dst)
	if size == 0 {
		return notEmulated("%s", e.text())
	}
	if _, ok := src.(x86asm.Mem); ok {
		if _, ok := dst.(x86asm.Reg); !ok {
			return notEmulated("%s", e.text())
		}
	}
	v, err := e.source(src, size)
	if err != nil {
		return err
	}
	if m, ok := dst.(x86asm.Mem); ok {
		return e.store(m, v)
	}
	return e.setReg(dst.(x86asm.Reg), v)
}

// extend is movzx, movsx and movsxd: a register loaded from a smaller
// register or memory, zero- or sign-extended.
func (e *emulator) extend() error {
	dst, ok := e.inst.Args[0].(x86asm.Reg)
	size := regSize(dst)
	if !ok || size == 0 {
		return notEmulated("%s", e.text())
	}
	srcSize := e.destSize(e.inst.Args[1])
	if srcSize == 0 || srcSize > size {
		return notEmulated("%s", e.text())
	}
	v, err := e.source(e.inst.Args[1], srcSize)
	if err != nil {
		return err
	}
	if e.inst.Op != x86asm.MOVZX {
		v = signExtend(v, srcSize)
	}
	return e.setReg(dst, v&mask(size))
}

func (e *emulator) lea() error {
	dst, ok := e.inst.Args[0].(x86asm.Reg)
	m, mok := e.inst.Args[1].(x86asm.Mem)
	if !ok || !mok || regSize(dst) < 2 {
		return notEmulated("%s", e.text())
	}
	a, _, err := e.addr(m, false)
	if err != nil {
		return err
	}
	return e.setReg(dst, a&mask(regSize(dst)))
}

// stackSize is the size of a push or pop of an immediate or a segment
// register: 8 bytes, or 2 with an operand-size prefix.
func (e *emulator) stackSize() int {
	if e.inst.DataSize == 16 {
		return 2
	}
	return 8
}

func (e *emulator) push() error {
	var v uint64
	var size int
	switch a := e.inst.Args[0].(type) {
	case x86asm.Reg:
		size = regSize(a)
		if size != 8 && size != 2 {
			return notEmulated("%s", e.text())
		}
		v, _ = e.getReg(a)
	case x86asm.Imm:
		size = e.stackSize()
		v = uint64(a) & mask(size)
	default:
		return notEmulated("%s", e.text()) // push m: two accesses
	}
	sp := e.r.Rsp - uint64(size)
	if _, err := e.access(arch.MemAccess{Addr: sp, Len: size, Write: true, Via: arch.ViaStack}, v); err != nil {
		return err
	}
	e.r.Rsp = sp
	return nil
}

func (e *emulator) pop() error {
	dst, ok := e.inst.Args[0].(x86asm.Reg)
	size := regSize(dst)
	if !ok || (size != 8 && size != 2) {
		return notEmulated("%s", e.text())
	}
	v, err := e.access(arch.MemAccess{Addr: e.r.Rsp, Len: size, Via: arch.ViaStack}, 0)
	if err != nil {
		return err
	}
	// pop rsp loads rsp after the increment.
	e.r.Rsp += uint64(size)
	return e.setReg(dst, v)
}

// alu is add, sub, cmp, and, or, xor and test.
func (e *emulator) alu() error {
	op := e.inst.Op
	dst, src := e.inst.Args[0], e.inst.Args[1]
	size := e.destSize(dst)
	_, memDst := dst.(x86asm.Mem)
	readOnly := op == x86asm.CMP || op == x86asm.TEST
	if size == 0 || (memDst && !readOnly) {
		return notEmulated("%s", e.text())
	}
	a, err := e.source(dst, size)
	if err != nil {
		return err
	}
	b, err := e.source(src, size)
	if err != nil {
		return err
	}
	res, flags := arith(op, a, b, size)
	e.r.Eflags = e.r.Eflags&^arithFlags | flags
	if readOnly {
		return nil
	}
	return e.setReg(dst.(x86asm.Reg), res)
}

// incDec is inc and dec of a register, which leave CF alone.
func (e *emulator) incDec() error {
	dst, ok := e.inst.Args[0].(x86asm.Reg)
	size := regSize(dst)
	if !ok || size == 0 {
		return notEmulated("%s", e.text())
	}
	a, _ := e.getReg(dst)
	op := x86asm.ADD
	if e.inst.Op == x86asm.DEC {
		op = x86asm.SUB
	}
	res, flags := arith(op, a, 1, size)
	e.r.Eflags = e.r.Eflags&^(arithFlags&^flagCF) | flags&^flagCF
	return e.setReg(dst, res)
}

// arith computes a op b on size-byte operands and the arithmetic flags
// it sets. The logical operations clear CF and OF, and AF, which the
// manuals leave undefined, as the CPUs do.
func arith(op x86asm.Op, a, b uint64, size int) (res, flags uint64) {
	m := mask(size)
	a, b = a&m, b&m
	top := uint(8*size - 1)
	switch op {
	case x86asm.ADD:
		res = (a + b) & m
		if res < a {
			flags |= flagCF
		}
		flags |= ((a ^ res) & (b ^ res) >> top & 1) * flagOF
		flags |= (a ^ b ^ res) & flagAF
	case x86asm.SUB, x86asm.CMP:
		res = (a - b) & m
		if a < b {
			flags |= flagCF
		}
		flags |= ((a ^ b) & (a ^ res) >> top & 1) * flagOF
		flags |= (a ^ b ^ res) & flagAF
	case x86asm.AND, x86asm.TEST:
		res = a & b
	case x86asm.OR:
		res = a | b
	case x86asm.XOR:
		res = a ^ b
	}
	if res == 0 {
		flags |= flagZF
	}
	flags |= (res >> top & 1) * flagSF
	if parityEven(uint8(res)) {
		flags |= flagPF
	}
	return res, flags
}

// parityEven is x86's PF: an even number of set bits in the low byte.
func parityEven(b uint8) bool {
	b ^= b >> 4
	b ^= b >> 2
	b ^= b >> 1
	return b&1 == 0
}

// hasPrefix says whether inst has the legacy prefix p, not ignored.
func hasPrefix(inst *x86asm.Inst, p x86asm.Prefix) bool {
	for _, q := range inst.Prefix {
		if q == 0 {
			break
		}
		if q&0xff == p && q&x86asm.PrefixIgnored == 0 {
			return true
		}
	}
	return false
}

// target is a jump's destination: relative to the end of the
// instruction, or a register's or memory's value.
func (e *emulator) target() (uint64, error) {
	if hasPrefix(&e.inst, x86asm.PrefixDataSize) {
		return 0, notEmulated("%s: a branch with an operand-size prefix", e.text())
	}
	var t uint64
	switch a := e.inst.Args[0].(type) {
	case x86asm.Rel:
		t = e.next + uint64(int64(a))
	case x86asm.Reg:
		if regSize(a) != 8 {
			return 0, notEmulated("%s", e.text())
		}
		t, _ = e.getReg(a)
	case x86asm.Mem:
		if e.inst.MemBytes != 8 {
			return 0, notEmulated("%s", e.text())
		}
		v, err := e.load(a)
		if err != nil {
			return 0, err
		}
		t = v
	default:
		return 0, notEmulated("%s", e.text())
	}
	return t, canonical(t, e)
}

// errFault is the refusal of an instruction the CPU would fault on, from
// these registers and memory.
var errFault = errors.New("the CPU would fault")

// canonical refuses a branch to a non-canonical address: the CPU faults
// on the branch itself.
func canonical(t uint64, e *emulator) error {
	if uint64(int64(t<<16)>>16) != t {
		return fmt.Errorf("%w: %s: a branch to the non-canonical address %#x", errFault, e.text(), t)
	}
	return nil
}

func (e *emulator) jump() error {
	t, err := e.target()
	if err != nil {
		return err
	}
	e.next = t
	return nil
}

// jcc is a conditional jump: taken when its condition holds on the flags.
func (e *emulator) jcc() error {
	if _, ok := e.inst.Args[0].(x86asm.Rel); !ok {
		return notEmulated("%s", e.text())
	}
	t, err := e.target()
	if err != nil {
		return err
	}
	if taken(e.inst.Op, e.r.Eflags) {
		e.next = t
	}
	return nil
}

// taken says whether the conditional jump op is taken with the flags f.
func taken(op x86asm.Op, f uint64) bool {
	cf, zf, sf, of, pf := f&flagCF != 0, f&flagZF != 0, f&flagSF != 0, f&flagOF != 0, f&flagPF != 0
	switch op {
	case x86asm.JO, x86asm.JNO:
		return of == (op == x86asm.JO)
	case x86asm.JB, x86asm.JAE:
		return cf == (op == x86asm.JB)
	case x86asm.JE, x86asm.JNE:
		return zf == (op == x86asm.JE)
	case x86asm.JBE, x86asm.JA:
		return (cf || zf) == (op == x86asm.JBE)
	case x86asm.JS, x86asm.JNS:
		return sf == (op == x86asm.JS)
	case x86asm.JP, x86asm.JNP:
		return pf == (op == x86asm.JP)
	case x86asm.JL, x86asm.JGE:
		return (sf != of) == (op == x86asm.JL)
	case x86asm.JLE, x86asm.JG:
		return (zf || sf != of) == (op == x86asm.JLE)
	}
	return false
}
