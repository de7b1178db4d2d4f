package debugger

import (
	"errors"
	"fmt"
	"strings"

	"hwdbg/debuginfo"
	"hwdbg/expr"
)

// The variables of a frame as a user sees them: info locals, info args,
// the arguments of each frame of a backtrace, and the variables that live
// in registers.

// Var is one variable of a frame, its value rendered.
type Var struct {
	Name  string
	Type  string
	Value string
	Param bool
}

// FrameVars lists the selected frame's parameters (args) or its local
// variables, innermost scope first, each with its value; a variable that
// cannot be read shows why in place of its value.
func (d *Debugger) FrameVars(args bool) ([]Var, error) {
	if d.proc.Exited() {
		return nil, ErrExited
	}
	if d.dwarf == nil {
		return nil, fmt.Errorf("no symbol table info available: the program has no debug information (DWARF)")
	}
	var out []Var
	var err error
	d.proc.Do(func() {
		var f debuginfo.UnwoundFrame
		if f, err = d.selectedUnwound(); err != nil {
			return
		}
		if _, _, ok := d.dwarf.FuncAt(f.LookupPC()); !ok {
			loc := d.location(f.LookupPC())
			err = fmt.Errorf("no symbol table info available at %#x (%s): no debug information there", f.PC, strings.TrimPrefix(loc.Describe(), "in "))
			return
		}
		for _, lv := range d.localsAt(f.LookupPC()) {
			if lv.Param == args {
				out = append(out, Var{Name: lv.Name, Type: lv.Type.String(), Value: d.varValue(f, lv, false), Param: lv.Param})
			}
		}
	})
	return out, err
}

// selectedUnwound is the selected frame of the selected thread.
func (d *Debugger) selectedUnwound() (debuginfo.UnwoundFrame, error) {
	fs, err := d.frames(d.Current, d.frame+1)
	if err != nil {
		return debuginfo.UnwoundFrame{}, err
	}
	if d.frame >= len(fs) {
		return debuginfo.UnwoundFrame{}, fmt.Errorf("frame %d is gone: the stack has %d frames", d.frame, len(fs))
	}
	return fs[d.frame], nil
}

// Arg is a parameter of a frame and its value, as a backtrace shows it.
type Arg struct {
	Name, Value string
}

// frameArgs are the parameters of frame f and their values, as gdb's
// backtrace shows them: scalars and pointers by value, anything bigger
// as "...".
func (d *Debugger) frameArgs(f debuginfo.UnwoundFrame) []Arg {
	if d.dwarf == nil {
		return nil
	}
	var out []Arg
	for _, lv := range d.localsAt(f.LookupPC()) {
		if lv.Param {
			out = append(out, Arg{Name: lv.Name, Value: d.varValue(f, lv, true)})
		}
	}
	return out
}

// varValue renders variable lv of frame f; brief renders it as a
// backtrace's argument. What cannot be read says why, in brackets.
func (d *Debugger) varValue(f debuginfo.UnwoundFrame, lv debuginfo.Variable, brief bool) string {
	if lv.Const {
		return "<constant, no storage>"
	}
	if brief && lv.Type != nil {
		switch lv.Type.Kind {
		case debuginfo.Struct, debuginfo.Union, debuginfo.Array, debuginfo.GoSlice, debuginfo.GoInterface:
			return "..."
		}
	}
	l, err := d.varStorage(f, lv)
	if err != nil {
		if errors.Is(err, debuginfo.ErrOptimizedOut) {
			return "<optimized out>"
		}
		return "<error: " + err.Error() + ">"
	}
	b := l.Bytes
	if l.Reg == "" {
		if lv.Type == nil || lv.Type.Size <= 0 || lv.Type.Size > 1<<20 {
			return "<unknown size>"
		}
		b = make([]byte, lv.Type.Size)
		if err := d.proc.ReadMemory(l.Addr, b); err != nil {
			return fmt.Sprintf("<error: cannot read %s at %#x>", lv.Name, l.Addr)
		}
	}
	if brief {
		return d.formatNested(lv.Type, b)
	}
	return d.formatValue(lv.Type, b)
}

// varStorage is where variable lv of frame f lives: memory, or a register
// and its value there.
func (d *Debugger) varStorage(f debuginfo.UnwoundFrame, lv debuginfo.Variable) (expr.Local, error) {
	addr, err := d.dwarf.VarAddress(lv, f.Frame(), d.mem())
	var re *debuginfo.RegisterError
	if errors.As(err, &re) {
		return d.registerLocal(f, lv, re)
	}
	if err != nil {
		return expr.Local{}, err
	}
	return expr.Local{Type: lv.Type, Addr: addr}, nil
}

// registerLocal is variable lv of frame f that lives in register re: its
// value is the register's in that frame (the unwound value in a caller).
func (d *Debugger) registerLocal(f debuginfo.UnwoundFrame, lv debuginfo.Variable, re *debuginfo.RegisterError) (expr.Local, error) {
	v, ok := f.Regs[re.Reg]
	if !ok {
		return expr.Local{}, fmt.Errorf("%s lives in register %s, whose value in this frame is not known", lv.Name, re.Name)
	}
	if lv.Type == nil || lv.Type.Size <= 0 || lv.Type.Size > 8 {
		return expr.Local{}, fmt.Errorf("%s lives in register %s, but its type is not a register's size", lv.Name, re.Name)
	}
	b := make([]byte, 8)
	for i := range b {
		b[i] = byte(v >> (8 * i))
	}
	return expr.Local{Type: lv.Type, Reg: re.Name, Bytes: b[:lv.Type.Size]}, nil
}

// formatNested renders a value as it shows inside another (a backtrace's
// argument): a pointer without its type, with the symbol it points into.
func (d *Debugger) formatNested(t *Type, b []byte) string {
	if d.dwarf == nil || t == nil || t.Kind == expr.KindBytes {
		return expr.FormatValue(t, b, d.mem())
	}
	return d.dwarf.FormatNested(t, b, d.mem()) + d.pointsInto(t, b)
}
