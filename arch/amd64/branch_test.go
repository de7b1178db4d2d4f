package amd64

import (
	"encoding/hex"
	"testing"
)

// A direct call or jump gives its target; an indirect one none.
func TestBranchTargets(t *testing.T) {
	cases := []struct {
		code   string
		pc     uint64
		target uint64
	}{
		{"e810000000", 0x1000, 0x1015},       // call rel32
		{"e8f0ffffff", 0x1000, 0xff5},        // call backwards
		{"ebfe", 0x2000, 0x2000},             // jmp .
		{"7e10", 0x3000, 0x3012},             // jle rel8
		{"0f8400010000", 0x4000, 0x4106},     // je rel32
		{"ff10", 0x1000, 0},                  // call [rax]
		{"ff2500100000", 0x1000, 0},          // jmp [rip+0x1000]: a PLT stub's, not direct
		{"4889e5", 0x1000, 0},                // mov rbp, rsp
		{"f2e9fbffffff", 0x5000, 0x5000 + 1}, // bnd jmp rel32
	}
	for _, c := range cases {
		code, _ := hex.DecodeString(c.code)
		in, err := New().Decode(code, c.pc, nil)
		if err != nil || in.Target != c.target {
			t.Errorf("%s at %#x: target %#x (%v), want %#x", c.code, c.pc, in.Target, err, c.target)
		}
	}
}
