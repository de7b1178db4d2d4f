package amd64

import (
	"encoding/binary"
	"fmt"

	"hwdbg/arch"
)

var _ arch.Calls = (*Backend)(nil)

// CallReturn: a call pushed the address of the instruction after it, so
// the stack pointer went down by a word holding an address just past the
// pc before, and the pc went elsewhere than the next instruction (where a
// push leaves it: an instruction is at most 15 bytes).
func (b *Backend) CallReturn(before, after arch.Regs, mem func(uint64, []byte) error) (uint64, bool) {
	word := uint64(8)
	if b.Bits() == 32 {
		word = 4
	}
	if after.SP() != before.SP()-word || after.PC() > before.PC() && after.PC() <= before.PC()+15 {
		return 0, false
	}
	buf := make([]byte, word)
	if mem(after.SP(), buf) != nil {
		return 0, false
	}
	ret := uint64(binary.LittleEndian.Uint32(buf))
	if word == 8 {
		ret = binary.LittleEndian.Uint64(buf)
	}
	if ret <= before.PC() || ret > before.PC()+15 || after.PC() == ret {
		return 0, false
	}
	return ret, true
}

// GoRegister is r14, which the Go register ABI keeps the goroutine in; a
// 32-bit Go program has none.
func (b *Backend) GoRegister() string {
	if b.Bits() == 32 {
		return ""
	}
	return "r14"
}

// eightbyte classes of the System V x86-64 ABI.
const (
	classInteger = iota
	classSSE
)

// ReturnValue follows the System V ABI: a value of up to 16 bytes comes
// back in registers, each eightbyte by its class (INTEGER: rax then rdx;
// SSE, all of it floating point: xmm0 then xmm1); a bigger one in memory,
// whose address comes back in rax. An i386 program (cdecl) returns up to 8
// bytes in eax:edx, floating point in st(0), anything bigger in memory at
// eax.
func (b *Backend) ReturnValue(tid int, regs arch.Regs, v arch.ValueLayout, mem func(uint64, []byte) error) ([]byte, error) {
	r, ok := regs.(*Regs)
	if !ok {
		return nil, fmt.Errorf("not x86 registers")
	}
	if b.Bits() == 32 {
		return returnValue32(r, v, mem)
	}
	for _, s := range v.Scalars {
		if s.Float && s.Size > 8 {
			return nil, fmt.Errorf("a long double is returned in the x87 register st(0), which hwdbg does not read")
		}
	}
	if v.Size > 16 || !aligned(v) {
		out := make([]byte, v.Size)
		if err := mem(r.Rax, out); err != nil {
			return nil, fmt.Errorf("the value returned in memory at %#x (rax): %w", r.Rax, err)
		}
		return out, nil
	}
	classes := eightbyteClasses(v)
	needSSE := false
	for _, c := range classes {
		needSSE = needSSE || c == classSSE
	}
	var xmm [2][]byte
	if needSSE {
		var err error
		if xmm, err = readXMM01(tid); err != nil {
			return nil, fmt.Errorf("read xmm0 and xmm1 of thread %d: %w", tid, err)
		}
	}
	out := make([]byte, 16)
	ints := []uint64{r.Rax, r.Rdx}
	ni, ns := 0, 0
	for i, c := range classes {
		if c == classSSE {
			copy(out[8*i:], xmm[ns][:8])
			ns++
			continue
		}
		binary.LittleEndian.PutUint64(out[8*i:], ints[ni])
		ni++
	}
	return out[:v.Size], nil
}

// aligned tells whether every member sits at a multiple of its size (a
// packed struct with an unaligned member is returned in memory).
func aligned(v arch.ValueLayout) bool {
	for _, s := range v.Scalars {
		if s.Size > 0 && s.Size <= 8 && s.Offset%s.Size != 0 {
			return false
		}
	}
	return true
}

// eightbyteClasses gives the class of each eightbyte of a value of at most 16
// bytes: SSE when every member in it is floating point, INTEGER otherwise
// (and for padding alone).
func eightbyteClasses(v arch.ValueLayout) []int {
	n := (v.Size + 7) / 8
	classes := make([]int, n)
	for i := range classes {
		lo, hi := 8*i, 8*i+8
		some, allFloat := false, true
		for _, s := range v.Scalars {
			if s.Offset < hi && s.Offset+s.Size > lo {
				some = true
				allFloat = allFloat && s.Float
			}
		}
		if some && allFloat {
			classes[i] = classSSE
		}
	}
	return classes
}

func returnValue32(r *Regs, v arch.ValueLayout, mem func(uint64, []byte) error) ([]byte, error) {
	if len(v.Scalars) == 1 && v.Scalars[0].Float && v.Scalars[0].Size == v.Size {
		return nil, fmt.Errorf("an i386 program returns floating point in the x87 register st(0), which hwdbg does not read")
	}
	scalar := len(v.Scalars) == 1 && v.Scalars[0].Size == v.Size
	if scalar && v.Size <= 8 {
		out := make([]byte, 8)
		binary.LittleEndian.PutUint32(out, uint32(r.Rax))
		binary.LittleEndian.PutUint32(out[4:], uint32(r.Rdx))
		return out[:v.Size], nil
	}
	out := make([]byte, v.Size)
	addr := uint64(uint32(r.Rax))
	if err := mem(addr, out); err != nil {
		return nil, fmt.Errorf("the value returned in memory at %#x (eax): %w", addr, err)
	}
	return out, nil
}
