package arm64

import (
	"encoding/binary"
	"testing"
)

// Encodings and targets as objdump decodes them.
func TestBranchTarget(t *testing.T) {
	cases := []struct {
		w      uint32
		pc     uint64
		target uint64
		ok     bool
	}{
		{0x97ffffa4, 0x810, 0x6a0, true}, // bl 6a0 <strcpy@plt>
		{0x94000030, 0x634, 0x6f4, true}, // bl 6f4
		{0x17ffffe0, 0x700, 0x680, true}, // b 680
		{0x540000c0, 0x724, 0x73c, true}, // b.eq 73c
		{0xb4000040, 0x6fc, 0x704, true}, // cbz x0, 704
		{0x35000140, 0x794, 0x7bc, true}, // cbnz w0, 7bc
		{0x36180040, 0x10, 0x18, true},   // tbz w0, #3, 18
		{0xd10303ff, 0x85c, 0, false},    // sub sp, sp, #0xc0
		{0xd63f0020, 0x100, 0, false},    // blr x1
	}
	for _, c := range cases {
		target, ok := BranchTarget(c.w, c.pc)
		if ok != c.ok || target != c.target {
			t.Errorf("%#08x at %#x: %#x %v, want %#x %v", c.w, c.pc, target, ok, c.target, c.ok)
		}
	}
	var code [4]byte
	binary.LittleEndian.PutUint32(code[:], 0x97ffffa4)
	in, err := (&Backend{}).Decode(code[:], 0x810, nil)
	if err != nil || in.Target != 0x6a0 || in.Text != "bl 0x6a0" {
		t.Errorf("decode bl: %+v, %v", in, err)
	}
}
