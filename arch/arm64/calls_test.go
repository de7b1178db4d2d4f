package arm64

import (
	"encoding/binary"
	"strings"
	"testing"

	"hwdbg/arch"
)

func TestCallReturn(t *testing.T) {
	b := New()
	before := &Regs{Pc: 0x1000}
	before.X[30] = 0x500
	after := func(pc, lr uint64) *Regs {
		r := &Regs{Pc: pc}
		r.X[30] = lr
		return r
	}
	for _, c := range []struct {
		name string
		a    *Regs
		ok   bool
	}{
		{"bl", after(0x2000, 0x1004), true},
		{"plain instruction", after(0x1004, 0x500), false},
		{"mov x30 of the next pc", after(0x1004, 0x1004), false},
		{"ret", after(0x500, 0x500), false},
	} {
		ret, ok := b.CallReturn(before, c.a, nil)
		if ok != c.ok || ok && ret != 0x1004 {
			t.Errorf("%s: %#x, %v; want %v", c.name, ret, ok, c.ok)
		}
	}
	if b.GoRegister() != "x28" {
		t.Errorf("GoRegister %q", b.GoRegister())
	}
}

func TestHFA(t *testing.T) {
	f := func(off, size int) arch.Scalar { return arch.Scalar{Offset: off, Size: size, Float: true} }
	for _, c := range []struct {
		name string
		v    arch.ValueLayout
		want bool
	}{
		{"double", arch.ValueLayout{Size: 8, Scalars: []arch.Scalar{f(0, 8)}}, true},
		{"four floats", arch.ValueLayout{Size: 16, Scalars: []arch.Scalar{f(0, 4), f(4, 4), f(8, 4), f(12, 4)}}, true},
		{"five floats", arch.ValueLayout{Size: 20, Scalars: []arch.Scalar{f(0, 4), f(4, 4), f(8, 4), f(12, 4), f(16, 4)}}, false},
		{"float and double", arch.ValueLayout{Size: 16, Scalars: []arch.Scalar{f(0, 4), f(8, 8)}}, false},
		{"int", arch.ValueLayout{Size: 4, Scalars: []arch.Scalar{{Size: 4}}}, false},
	} {
		if got := hfa(c.v); got != c.want {
			t.Errorf("%s: hfa %v, want %v", c.name, got, c.want)
		}
	}
}

func TestReturnValueInX0X1(t *testing.T) {
	b := New()
	r := &Regs{}
	r.X[0], r.X[1] = 3, 4
	pair := arch.ValueLayout{Size: 16, Scalars: []arch.Scalar{{Size: 8}, {Offset: 8, Size: 8}}}
	got, err := b.ReturnValue(1, r, pair, nil)
	if err != nil || binary.LittleEndian.Uint64(got) != 3 || binary.LittleEndian.Uint64(got[8:]) != 4 {
		t.Errorf("struct of two longs: %x, %v", got, err)
	}
	big := arch.ValueLayout{Size: 24, Scalars: []arch.Scalar{{Size: 8}, {Offset: 8, Size: 8}, {Offset: 16, Size: 8}}}
	if _, err := b.ReturnValue(1, r, big, nil); err == nil || !strings.Contains(err.Error(), "x8") {
		t.Errorf("a 24-byte struct: %v", err)
	}
}
