// Package dwtest holds the stand-ins for a traced process that the tests
// of debuginfo and its subpackages share: a memory and a frame.
package dwtest

import "errors"

// PatternMemory is a deterministic address space: every byte is a
// function of its address. Addresses below 0x1000 are unmapped.
type PatternMemory struct{}

func (PatternMemory) ReadMemory(addr uint64, b []byte) error {
	if addr < 0x1000 {
		return errors.New("unmapped")
	}
	for i := range b {
		b[i] = byte((addr + uint64(i)) * 7)
	}
	return nil
}

// RegFrame is a frame with the given registers (by DWARF number), CFA
// (0: unknown) and pc.
type RegFrame struct {
	Regs     map[int]uint64
	CFAValue uint64
	PCValue  uint64
}

func (f RegFrame) Reg(r int) (uint64, bool) { v, ok := f.Regs[r]; return v, ok }
func (f RegFrame) CFA() (uint64, bool)      { return f.CFAValue, f.CFAValue != 0 }
func (f RegFrame) PC() uint64               { return f.PCValue }
