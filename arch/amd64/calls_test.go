package amd64

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"hwdbg/arch"
)

// stackMem is a little stack: 8-byte words from base.
func stackMem(base uint64, words ...uint64) func(uint64, []byte) error {
	buf := make([]byte, 8*len(words))
	for i, w := range words {
		binary.LittleEndian.PutUint64(buf[8*i:], w)
	}
	return func(addr uint64, b []byte) error {
		if addr < base || addr+uint64(len(b)) > base+uint64(len(buf)) {
			return errors.New("unmapped")
		}
		copy(b, buf[addr-base:])
		return nil
	}
}

func TestCallReturn(t *testing.T) {
	b := New()
	before := &Regs{Rip: 0x1000, Rsp: 0x7f08}
	mem := stackMem(0x7f00, 0x1005)
	for _, c := range []struct {
		name  string
		after *Regs
		ok    bool
	}{
		{"call rel32", &Regs{Rip: 0x2000, Rsp: 0x7f00}, true},
		{"push of a value", &Regs{Rip: 0x1001, Rsp: 0x7f00}, false},
		{"push of the next pc", &Regs{Rip: 0x1005, Rsp: 0x7f00}, false},
		{"no push", &Regs{Rip: 0x2000, Rsp: 0x7f08}, false},
		{"ret", &Regs{Rip: 0x3000, Rsp: 0x7f10}, false},
	} {
		ret, ok := b.CallReturn(before, c.after, mem)
		if ok != c.ok || ok && ret != 0x1005 {
			t.Errorf("%s: %#x, %v; want %v", c.name, ret, ok, c.ok)
		}
	}
	if _, ok := b.CallReturn(before, &Regs{Rip: 0x2000, Rsp: 0x7f00}, stackMem(0x7f00, 0x9999)); ok {
		t.Errorf("a pushed word far from the pc is no return address")
	}
	b32 := New32()
	mem32 := func(addr uint64, p []byte) error {
		if addr != 0x7f04 {
			return errors.New("unmapped")
		}
		binary.LittleEndian.PutUint32(p, 0x1005)
		return nil
	}
	if ret, ok := b32.CallReturn(before, &Regs{Rip: 0x2000, Rsp: 0x7f04}, mem32); !ok || ret != 0x1005 {
		t.Errorf("i386 call: %#x, %v", ret, ok)
	}
	if b.GoRegister() != "r14" || b32.GoRegister() != "" {
		t.Errorf("GoRegister: %q, %q", b.GoRegister(), b32.GoRegister())
	}
}

func TestEightbyteClasses(t *testing.T) {
	s := func(off, size int, float bool) arch.Scalar { return arch.Scalar{Offset: off, Size: size, Float: float} }
	for _, c := range []struct {
		name string
		v    arch.ValueLayout
		want []int
	}{
		{"int", arch.ValueLayout{Size: 4, Scalars: []arch.Scalar{s(0, 4, false)}}, []int{classInteger}},
		{"double", arch.ValueLayout{Size: 8, Scalars: []arch.Scalar{s(0, 8, true)}}, []int{classSSE}},
		{"two floats", arch.ValueLayout{Size: 8, Scalars: []arch.Scalar{s(0, 4, true), s(4, 4, true)}}, []int{classSSE}},
		{"float and int", arch.ValueLayout{Size: 8, Scalars: []arch.Scalar{s(0, 4, true), s(4, 4, false)}}, []int{classInteger}},
		{"long, double", arch.ValueLayout{Size: 16, Scalars: []arch.Scalar{s(0, 8, false), s(8, 8, true)}}, []int{classInteger, classSSE}},
		{"char, padding", arch.ValueLayout{Size: 16, Scalars: []arch.Scalar{s(0, 1, false)}}, []int{classInteger, classInteger}},
	} {
		got := eightbyteClasses(c.v)
		if len(got) != len(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: %v, want %v", c.name, got, c.want)
			}
		}
	}
}

func TestReturnValueIntegerAndMemory(t *testing.T) {
	b := New()
	regs := &Regs{Rax: 0x2b, Rdx: 0x4}
	int32v := arch.ValueLayout{Size: 4, Scalars: []arch.Scalar{{Size: 4}}}
	got, err := b.ReturnValue(1, regs, int32v, nil)
	if err != nil || !bytes.Equal(got, []byte{0x2b, 0, 0, 0}) {
		t.Errorf("int: %x, %v", got, err)
	}
	pair := arch.ValueLayout{Size: 16, Scalars: []arch.Scalar{{Size: 8}, {Offset: 8, Size: 8}}}
	got, err = b.ReturnValue(1, regs, pair, nil)
	if err != nil || binary.LittleEndian.Uint64(got) != 0x2b || binary.LittleEndian.Uint64(got[8:]) != 4 {
		t.Errorf("struct of two longs: %x, %v", got, err)
	}
	big := arch.ValueLayout{Size: 24, Scalars: []arch.Scalar{{Size: 8}, {Offset: 8, Size: 8}, {Offset: 16, Size: 8}}}
	mem := stackMem(0x2b, 1, 2, 3)
	got, err = b.ReturnValue(1, regs, big, mem)
	if err != nil || binary.LittleEndian.Uint64(got[16:]) != 3 {
		t.Errorf("a 24-byte struct, in memory at rax: %x, %v", got, err)
	}
	ld := arch.ValueLayout{Size: 16, Scalars: []arch.Scalar{{Size: 16, Float: true}}}
	if _, err := b.ReturnValue(1, regs, ld, nil); err == nil || !strings.Contains(err.Error(), "st(0)") {
		t.Errorf("long double: %v", err)
	}
	b32 := New32()
	ll := arch.ValueLayout{Size: 8, Scalars: []arch.Scalar{{Size: 8}}}
	if got, err := b32.ReturnValue(1, &Regs{Rax: 0x11223344, Rdx: 0x55}, ll, nil); err != nil || binary.LittleEndian.Uint64(got) != 0x5511223344 {
		t.Errorf("i386 long long in edx:eax: %x, %v", got, err)
	}
	dbl := arch.ValueLayout{Size: 8, Scalars: []arch.Scalar{{Size: 8, Float: true}}}
	if _, err := b32.ReturnValue(1, regs, dbl, nil); err == nil {
		t.Errorf("i386 double: no error")
	}
}
