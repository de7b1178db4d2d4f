package debugger

import (
	"fmt"

	"hwdbg/arch"
	"hwdbg/debuginfo"
)

// finish: run until the selected frame returns, then show the value its
// function returned, read from the registers the machine's C ABI returns
// it in (arch.Calls).

// Returned is the value a finished function returned.
type Returned struct {
	Func  string
	Type  string
	Value string // "" when Err says why it cannot be shown
	Err   string
}

// ErrOutermost refuses finish in the outermost frame.
var ErrOutermost = fmt.Errorf(`"finish" not meaningful in the outermost frame`)

// Finish runs the selected thread until its selected frame returns. ret is
// the value the frame's function returned, nil for a function that returns
// nothing, or when something else stopped the program first (evs say
// what).
func (d *Debugger) Finish() (evs []Event, ret *Returned, err error) {
	if d.proc.Exited() {
		return nil, nil, ErrExited
	}
	d.proc.Do(func() {
		evs, ret, err = d.finish(d.frame)
		evs = append(evs, d.park()...)
	})
	return evs, ret, err
}

func (d *Debugger) finish(frame int) ([]Event, *Returned, error) {
	th := d.thread(d.Current)
	if th == nil {
		return nil, nil, fmt.Errorf("no thread %d", d.Current)
	}
	regs, err := d.arch.GetRegs(th.Tid)
	if err != nil {
		return nil, nil, err
	}
	fs, err := d.unwind(regs, frame+2)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot unwind thread %d: %w", th.Tid, err)
	}
	if frame+1 >= len(fs) {
		return nil, nil, ErrOutermost
	}
	fi, hasFunc := d.funcInfo(fs[frame].LookupPC())
	goCode := hasFunc && fi.Go
	t := &stepTarget{kind: targetReturn, pc: fs[frame+1].PC, frame: d.stackPosOf(regs, fs[frame].CFA, goCode)}
	arrived, evs, err := d.runTo([]*stepTarget{t})
	if err != nil || arrived == nil {
		return evs, nil, err
	}
	th = d.thread(d.Current)
	evs = append(evs, d.stepped(th, true, true))
	if !hasFunc || fi.Result == nil || fi.Result.Kind == debuginfo.Void {
		return evs, nil, nil
	}
	return evs, d.returned(th, fi), nil
}

// returned reads the value fi's function has just returned to th.
func (d *Debugger) returned(th *thread, fi debuginfo.FuncInfo) *Returned {
	r := &Returned{Func: fi.Name, Type: fi.Result.String()}
	calls, ok := d.arch.(arch.Calls)
	if !ok {
		r.Err = fmt.Sprintf("hwdbg does not know how %s returns values", d.arch.Name())
		return r
	}
	layout, err := valueLayout(fi.Result)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	regs, err := d.arch.GetRegs(th.Tid)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	b, err := calls.ReturnValue(th.Tid, regs, layout, func(addr uint64, b []byte) error { return d.proc.ReadMemory(addr, b) })
	if err != nil {
		r.Err = err.Error()
		return r
	}
	r.Value = d.formatValue(fi.Result, b)
	return r
}

// valueLayout flattens a C type into the scalars an ABI classifies it by.
func valueLayout(t *Type) (arch.ValueLayout, error) {
	v := arch.ValueLayout{Size: int(t.Size)}
	if t.Size <= 0 {
		return v, fmt.Errorf("%s has no size", t)
	}
	if err := addScalars(&v, t, 0, 0); err != nil {
		return v, err
	}
	return v, nil
}

// addScalars adds the scalar members of t, at offset off, to v.
func addScalars(v *arch.ValueLayout, t *Type, off int, depth int) error {
	if depth > 16 || len(v.Scalars) > 64 {
		return fmt.Errorf("%s is nested too deep to tell how it is returned", t)
	}
	switch t.Kind {
	case debuginfo.Int, debuginfo.Uint, debuginfo.Bool, debuginfo.Char, debuginfo.Enum, debuginfo.Pointer:
		v.Scalars = append(v.Scalars, arch.Scalar{Offset: off, Size: int(t.Size)})
	case debuginfo.Float:
		v.Scalars = append(v.Scalars, arch.Scalar{Offset: off, Size: int(t.Size), Float: true})
	case debuginfo.Complex:
		half := int(t.Size) / 2
		v.Scalars = append(v.Scalars, arch.Scalar{Offset: off, Size: half, Float: true}, arch.Scalar{Offset: off + half, Size: half, Float: true})
	case debuginfo.Struct, debuginfo.Union:
		for _, f := range t.Fields {
			if f.Type == nil {
				continue
			}
			if f.BitSize != 0 {
				v.Scalars = append(v.Scalars, arch.Scalar{Offset: off + int(f.Offset), Size: int(f.StorageSize())})
				continue
			}
			if err := addScalars(v, f.Type, off+int(f.Offset), depth+1); err != nil {
				return err
			}
		}
	case debuginfo.Array:
		if t.Elem == nil || t.Elem.Size <= 0 {
			return fmt.Errorf("%s: an array of unknown elements", t)
		}
		for i := int64(0); i < t.Len && len(v.Scalars) <= 64; i++ {
			if err := addScalars(v, t.Elem, off+int(i*t.Elem.Size), depth+1); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("hwdbg cannot tell how a %s (%s) is returned", t, t.Kind)
	}
	return nil
}
