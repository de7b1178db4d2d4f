package debugger

import (
	"fmt"

	"hwdbg/arch"
	"hwdbg/expr"
)

// regSetter is a register file that can change a register by name (every
// backend's Regs is one).
type regSetter interface {
	Set(name string, v uint64) bool
}

// Assign runs `set var LHS = RHS` (and `print LHS = RHS`) in the selected
// frame: it writes the value through the program's memory, or sets the
// register a variable lives in, and returns the variable's new value and
// type as print shows them.
func (d *Debugger) Assign(src string) (string, *Type, error) {
	if d.proc.Exited() {
		return "", nil, ErrExited
	}
	a, err := expr.ParseAssignment(src)
	if err != nil {
		return "", nil, err
	}
	d.proc.Do(func() {
		var st expr.Store
		if st, err = expr.Assign(a, d.selected()); err != nil {
			return
		}
		err = d.store(a, st)
	})
	if err != nil {
		return "", nil, err
	}
	return d.Evaluate(a.LHS.String())
}

// store writes what an assignment computed.
func (d *Debugger) store(a expr.Assignment, st expr.Store) error {
	if st.Reg == "" {
		if err := d.proc.WriteData(st.Addr, st.Bytes); err != nil {
			return fmt.Errorf("cannot assign to %s: its memory (%d bytes at %#x) cannot be written: %w", a.LHS, len(st.Bytes), st.Addr, err)
		}
		return nil
	}
	if d.frame != 0 {
		return fmt.Errorf("cannot assign to %s: it lives in register %s of frame #%d, and hwdbg sets the registers of the innermost frame only (frame 0)", a.LHS, st.Reg, d.frame)
	}
	regs, err := d.arch.GetRegs(d.Current)
	if err != nil {
		return fmt.Errorf("cannot assign to %s: read registers of thread %d: %w", a.LHS, d.Current, err)
	}
	set, ok := regs.(regSetter)
	if !ok || !set.Set(st.Reg, d.registerValue(regs, st)) {
		return fmt.Errorf("cannot assign to %s: it lives in register %s, which hwdbg cannot set", a.LHS, st.Reg)
	}
	if err := d.arch.SetRegs(d.Current, regs); err != nil {
		return fmt.Errorf("cannot assign to %s: set register %s of thread %d: %w", a.LHS, st.Reg, d.Current, err)
	}
	return nil
}

// registerValue is the register's new value: the assigned bytes, the
// register's other bytes as they were (a 4-byte int in a 64-bit
// register).
func (d *Debugger) registerValue(regs arch.Regs, st expr.Store) uint64 {
	size := st.Target.Type.Size
	if size >= 8 {
		return st.RegValue
	}
	old, _ := regs.Get(st.Reg)
	mask := uint64(1)<<(8*uint(size)) - 1
	return old&^mask | st.RegValue&mask
}
