package arm64

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"golang.org/x/arch/arm64/arm64asm"

	"hwdbg/arch"
)

func word(w uint32) []byte {
	b := make([]byte, 4)
	binary.LittleEndian.PutUint32(b, w)
	return b
}

// testRegs has distinct values so an address names its registers.
func testRegs() *Regs {
	r := &Regs{Sp: 0x7f00, Pc: 0x400000}
	r.X[0], r.X[1], r.X[2], r.X[3], r.X[5] = 0x1000, 0x2000, 0x3000, 0x10, 0x5043
	return r
}

// The words are what GNU as (-march=armv8.5-a) assembles the text to.
func TestDecodeClassify(t *testing.T) {
	const pc = 0x400000
	b := New()
	tests := []struct {
		w    uint32
		text string // prefix of the disassembly
		kind MemKind
		size int
		addr uint64
	}{
		{0xf9000001, "str x1, [x0]", Store, 8, 0x1000},
		{0xf9400801, "ldr x1, [x0,#16]", Load, 8, 0x1010},
		{0x39400462, "ldrb w2", Load, 1, 0x11},
		{0x781fefe2, "strh w2", Store, 2, 0x7efe},
		{0xb84084a4, "ldr w4", Load, 4, 0x5043},
		{0xb8a37841, "ldrsw x1", Load, 4, 0x3040},
		{0x3dc00820, "ldr q0", Load, 16, 0x2020},
		{0xfc22d821, "str d1", Store, 8, 0x2000 + 0x3000*8},
		{0xf85f8041, "ldur x1", Load, 8, 0x2ff8},
		{0xa8c27bfd, "ldp x29, x30", Load, 16, 0x7f00},
		{0xa9be7bfd, "stp x29, x30", Store, 16, 0x7ee0},
		{0xa9008801, "stp x1, x2", Store, 16, 0x1008},
		{0xad400400, "ldp q0, q1", Load, 32, 0x1000},
		{0x28410801, "ldnp w1, w2", Load, 8, 0x1008},
		{0x697f0801, "ldpsw x1, x2", Load, 8, 0xff8},
		{0xc85f7c01, "ldxr x1", Load, 8, 0x1000},
		{0xc8037c01, "stxr w3, x1", Store, 8, 0x1000},
		{0xc87f8801, "ldaxp x1, x2", Load, 16, 0x1000},
		{0x88238801, "stlxp w3, w1, w2", Store, 8, 0x1000},
		{0x88dffc01, "ldar w1", Load, 4, 0x1000},
		{0x089ffc01, "stlrb w1", Store, 1, 0x1000},
		{0xf8210002, "ldadd x1, x2, [x0]", Both, 8, 0x1000},
		{0xb8e10002, "ldaddal w1, w2, [x0]", Both, 4, 0x1000},
		{0x38211002, "ldclrb w1, w2, [x0]", Both, 1, 0x1000},
		{0xf82183e2, "swp x1, x2, [sp]", Both, 8, 0x7f00},
		{0xb8e18002, "swpal w1, w2, [x0]", Both, 4, 0x1000},
		{0xc8a17c02, "cas x1, x2, [x0]", Both, 8, 0x1000},
		{0x08e1fc02, "casalb w1, w2, [x0]", Both, 1, 0x1000},
		{0x48227c04, "casp x2, x3, x4, x5, [x0]", Both, 16, 0x1000},
		{0xf8bfc001, "ldapr x1, [x0]", Load, 8, 0x1000},
		{0xb821001f, "ldadd w1, wzr, [x0]", Both, 4, 0x1000}, // stadd
		{0xd50b7425, "dc zva, x5", Store, ZVABlockSize, 0x5043 &^ uint64(ZVABlockSize-1)},
		{0x58000081, "ldr x1", Load, 8, pc + 16},
		{0x4c40a000, "ld1", Load, 32, 0x1000},
		{0x0d009020, "st1", Store, 4, 0x2000},
		{0x4d40c840, "ld1r", Load, 4, 0x3000},
		{0x39800001, "ldrsb x1", Load, 1, 0x1000},
		{0xf8408801, "ldtr x1", Load, 8, 0x1008},
		{0xd50b7e25, "dc civac, x5", NoMem, 0, 0},
		{0xf9800000, "prfm", NoMem, 0, 0},
		{0x8b020020, "add x0, x1, x2", NoMem, 0, 0},
		{0x14000002, "b ", NoMem, 0, 0},
	}
	for _, tc := range tests {
		in, err := b.Decode(word(tc.w), pc, testRegs())
		if err != nil {
			t.Errorf("%#08x: %v", tc.w, err)
			continue
		}
		if !strings.HasPrefix(in.Text, tc.text) {
			t.Errorf("%#08x: text %q, want it to start with %q", tc.w, in.Text, tc.text)
		}
		if in.Len != 4 || in.PC != pc {
			t.Errorf("%#08x: len %d pc %#x", tc.w, in.Len, in.PC)
		}
		got := NoMem
		if in.MemReads {
			got |= Load
		}
		if in.MemWrites {
			got |= Store
		}
		if in.Mem != (tc.kind != NoMem) || got != tc.kind || in.MemLen != tc.size || in.MemAddr != tc.addr {
			t.Errorf("%#08x %s: mem=%v %v %d bytes at %#x, want %v %d bytes at %#x",
				tc.w, in.Text, in.Mem, got, in.MemLen, in.MemAddr, tc.kind, tc.size, tc.addr)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	if _, err := New().Decode([]byte{1, 2}, 0x1000, nil); err == nil {
		t.Error("2 bytes decoded")
	}
	// Without registers the address is unknown, the rest is not.
	in, err := New().Decode(word(0xf9000001), 0x1000, nil)
	if err != nil || !in.MemWrites || in.MemLen != 8 || in.MemAddr != 0 {
		t.Errorf("str without regs: %+v %v", in, err)
	}
	// An encoding nobody knows still has a text.
	if in, _ := New().Decode(word(0x00000000), 0, nil); in.Text == "" || in.Mem {
		t.Errorf("udf: %+v", in)
	}
}

// FuzzDecode: any word decodes without panicking, and whenever arm64asm
// knows it as a load (LD*) or store (ST*) our classifier agrees on the
// direction.
func FuzzDecode(f *testing.F) {
	for _, w := range []uint32{0xf9000001, 0xa9be7bfd, 0xf8210002, 0xc8a17c02, 0xd50b7425, 0x4c40a000, 0x58000081, 0} {
		f.Add(w)
	}
	b := New()
	f.Fuzz(func(t *testing.T, w uint32) {
		in, err := b.Decode(word(w), 0x400000, testRegs())
		if err != nil {
			t.Fatalf("%#08x: %v", w, err)
		}
		if in.Text == "" || in.Len != 4 {
			t.Fatalf("%#08x: %+v", w, in)
		}
		if in.Mem && !in.MemReads && !in.MemWrites {
			t.Fatalf("%#08x %s: memory access in no direction", w, in.Text)
		}
		if in.MemLen < 0 || in.MemLen > 64 {
			t.Fatalf("%#08x %s: %d bytes", w, in.Text, in.MemLen)
		}
		inst, err := arm64asm.Decode(word(w))
		if err != nil {
			return
		}
		op := inst.Op.String()
		switch {
		case strings.HasPrefix(op, "PRFM") || strings.HasPrefix(op, "PRFUM"):
			if in.Mem && in.MemLen > 0 {
				t.Fatalf("%#08x %s: a prefetch accesses no data", w, in.Text)
			}
		case strings.HasPrefix(op, "LD"):
			if !in.MemReads {
				t.Fatalf("%#08x %s: arm64asm says load, we say %+v", w, in.Text, in)
			}
		case strings.HasPrefix(op, "ST"):
			if !in.MemWrites {
				t.Fatalf("%#08x %s: arm64asm says store, we say %+v", w, in.Text, in)
			}
		}
	})
}

func TestRegs(t *testing.T) {
	r := testRegs()
	r.X[29], r.X[30] = 0x29, 0x30
	for name, want := range map[string]uint64{"x0": 0x1000, "X2": 0x3000, "fp": 0x29, "lr": 0x30, "x30": 0x30, "sp": 0x7f00, "pc": 0x400000} {
		if v, ok := r.Get(name); !ok || v != want {
			t.Errorf("Get(%q) = %#x %v, want %#x", name, v, ok, want)
		}
	}
	for _, bad := range []string{"x31", "x", "x01", "rax", "w0"} {
		if _, ok := r.Get(bad); ok {
			t.Errorf("Get(%q) found a register", bad)
		}
	}
	if !r.Set("x7", 7) || r.X[7] != 7 {
		t.Error("Set x7")
	}
	if l := r.List(); len(l) != 34 || l[0].Name != "x0" || l[31].Name != "sp" || l[32].Name != "pc" {
		t.Errorf("List: %v", l)
	}
	r.SetPC(0x10)
	if r.PC() != 0x10 || r.SP() != 0x7f00 || r.FP() != 0x29 {
		t.Error("PC/SP/FP")
	}
}

// TestEmulatesNothing: a step over a breakpoint on arm64 is a real
// single step; Emulate says so, whatever it is given.
func TestEmulatesNothing(t *testing.T) {
	for _, code := range [][]byte{nil, word(0xd503201f)} { // nop
		if _, err := New().Emulate(code, testRegs(), nil); !errors.Is(err, arch.ErrNoEmulation) {
			t.Errorf("Emulate(% x): %v, want arch.ErrNoEmulation", code, err)
		}
	}
}
