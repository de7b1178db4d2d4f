package arm64

import (
	"encoding/binary"
	"fmt"

	"hwdbg/arch"
)

var _ arch.Calls = (*Backend)(nil)

// CallReturn: bl and blr leave the address of the next instruction in the
// link register (x30) and branch elsewhere.
func (*Backend) CallReturn(before, after arch.Regs, _ func(uint64, []byte) error) (uint64, bool) {
	lr, ok := after.Get("x30")
	if !ok {
		return 0, false
	}
	ret := before.PC() + 4
	if lr != ret || after.PC() == ret {
		return 0, false
	}
	if was, ok := before.Get("x30"); ok && was == lr {
		return 0, false
	}
	return ret, true
}

// GoRegister is x28, where Go code keeps the goroutine.
func (*Backend) GoRegister() string { return "x28" }

// ReturnValue follows the AAPCS64: a homogeneous floating-point aggregate
// (one to four members of one floating-point type, or a lone float or
// double) comes back one member per register from v0; anything else of up
// to 16 bytes in x0 and x1. A bigger value is written to memory at the
// address the caller passed in x8, which the callee need not keep: it
// cannot be found after the return.
func (*Backend) ReturnValue(tid int, regs arch.Regs, v arch.ValueLayout, _ func(uint64, []byte) error) ([]byte, error) {
	r, ok := regs.(*Regs)
	if !ok {
		return nil, fmt.Errorf("not arm64 registers")
	}
	if hfa(v) {
		vregs, err := readV(tid)
		if err != nil {
			return nil, fmt.Errorf("read the vector registers of thread %d: %w", tid, err)
		}
		out := make([]byte, v.Size)
		for i, s := range v.Scalars {
			copy(out[s.Offset:s.Offset+s.Size], vregs[i][:s.Size])
		}
		return out, nil
	}
	if v.Size > 16 {
		return nil, fmt.Errorf("a value of %d bytes is returned in memory at the address the caller gave in x8, which the function need not keep", v.Size)
	}
	out := make([]byte, 16)
	binary.LittleEndian.PutUint64(out, r.X[0])
	binary.LittleEndian.PutUint64(out[8:], r.X[1])
	return out[:v.Size], nil
}

// hfa tells whether v is returned in the floating-point registers: one to
// four floating-point members of one size, and nothing else.
func hfa(v arch.ValueLayout) bool {
	if len(v.Scalars) == 0 || len(v.Scalars) > 4 {
		return false
	}
	size := v.Scalars[0].Size
	for _, s := range v.Scalars {
		if !s.Float || s.Size != size || s.Size > 16 {
			return false
		}
	}
	return size*len(v.Scalars) == v.Size
}
