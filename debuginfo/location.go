package debuginfo

import (
	"encoding/binary"
	"errors"
	"fmt"

	"hwdbg/debuginfo/dwarfexpr"
)

// location is what VarAddress needs to find a local.
type location struct {
	expr  []byte // a single location expression
	list  bool   // listOff/listClass name a location list
	lOff  int64
	lx    bool // DW_FORM_loclistx: lOff is an index
	unit  int32
	fbase *location // the enclosing function's DW_AT_frame_base
	none  bool      // no location attribute: optimized out
}

// evalLoc runs the location's expression, or the one its location list
// gives at the frame's pc, in frame f. regValue: see dwarfexpr.Context.
func (in *Info) evalLoc(l *location, f Frame, mem Memory, regValue bool) (uint64, error) {
	if int(l.unit) >= len(in.units) {
		return 0, errors.New("bad unit")
	}
	u := in.units[l.unit]
	expr := l.expr
	if l.list {
		var err error
		expr, err = in.locListExpr(u, l.lOff, l.lx, f.PC()-in.bias)
		if err != nil {
			return 0, err
		}
	}
	if len(expr) == 0 {
		return 0, ErrOptimizedOut
	}
	ctx := &dwarfexpr.Context{
		Frame: f, Mem: mem, Order: in.order, PtrSize: in.ptrSize, Regs: in.regs, Bias: in.bias, RegValue: regValue,
		Addrx: func(i uint64) (uint64, error) { return in.debugAddr(u, i) },
	}
	if l.fbase != nil {
		fb := l.fbase
		ctx.FrameBase = func() (uint64, error) {
			a, err := in.evalLoc(fb, f, mem, true)
			if err != nil {
				return 0, fmt.Errorf("frame base: %w", err)
			}
			return a, nil
		}
	}
	return ctx.Eval(expr)
}

// staticAddr recognises the expression of a variable at a fixed address
// (DW_OP_addr or DW_OP_addrx alone) and gives the address, unbiased.
func (in *Info) staticAddr(expr []byte, u *unit) (uint64, bool) {
	v, indexed, ok := dwarfexpr.StaticAddr(expr, in.ptrSize, in.order)
	if !ok || !indexed {
		return v, ok
	}
	a, err := in.debugAddr(u, v)
	return a, err == nil
}

// debugAddr reads entry idx of the unit's .debug_addr table (unbiased).
func (in *Info) debugAddr(u *unit, idx uint64) (uint64, error) {
	base := u.addrBase
	if base == 0 && u.version >= 5 {
		base = 8 // the header of the only table
	}
	return tableEntry(in.small[".debug_addr"], ".debug_addr", base, idx, in.ptrSize, in.order)
}

// tableEntry reads entry idx of a table of size-byte entries (4 or 8) at
// base in sec, the section name: .debug_addr, or the offsets that start
// a .debug_loclists table.
func tableEntry(sec []byte, name string, base, idx uint64, size int, order binary.ByteOrder) (uint64, error) {
	n := uint64(size)
	if base > uint64(len(sec)) || idx >= (uint64(len(sec))-base)/n {
		return 0, &DecodeError{Section: name, Offset: base, Err: fmt.Errorf("index %d past the end of the table", idx)}
	}
	off := base + idx*n
	if size == 4 {
		return uint64(order.Uint32(sec[off:])), nil
	}
	return order.Uint64(sec[off:]), nil
}

// locListExpr finds the expression of a location list that applies at
// the unbiased pc. An empty result means optimized out at pc.
func (in *Info) locListExpr(u *unit, off int64, index bool, pc uint64) ([]byte, error) {
	if u.version < 5 {
		sec, err := in.section(".debug_loc")
		if err != nil {
			return nil, err
		}
		return parseLoc(sec, uint64(off), u.base, pc, in.ptrSize, in.order)
	}
	sec, err := in.section(".debug_loclists")
	if err != nil {
		return nil, err
	}
	start := uint64(off)
	if index {
		base := u.llBase
		if base == 0 {
			base = 12 // header of a 32-bit DWARF table
		}
		rel, err := tableEntry(sec, ".debug_loclists", base, uint64(off), 4, in.order)
		if err != nil {
			return nil, err
		}
		start = base + rel
	}
	return parseLocLists(sec, start, u.base, pc, in.ptrSize, in.order,
		func(i uint64) (uint64, error) { return in.debugAddr(u, i) })
}
