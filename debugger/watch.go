package debugger

import (
	"fmt"
	"sort"

	"hwdbg/arch"
)

// Watchpoint is a data watchpoint or a hardware breakpoint.
type Watchpoint struct {
	ID      int
	Expr    string      // as the user wrote it
	Access  arch.Access // what the user asked for: Write, Read, ReadWrite, or Exec
	Addr    uint64
	Len     int
	Type    *Type
	Enabled bool
	Thread  int // 0: every thread; otherwise only this LWP
	Hits    int
	Size    int // the -s size the user gave, 0 if none

	pieces []arch.Piece
	slots  []int  // slot index of each piece
	old    []byte // the value at the last report (or when set)
}

// IsBreak tells a hardware breakpoint from a data watchpoint.
func (w *Watchpoint) IsBreak() bool { return w.Access == arch.Exec }

// Pieces is the hardware's coverage: one piece a slot.
func (w *Watchpoint) Pieces() []arch.Piece { return w.pieces }

// SlotIndexes are the slots that hold the pieces.
func (w *Watchpoint) SlotIndexes() []int { return w.slots }

// WatchSpec is a watch command's request.
type WatchSpec struct {
	Expr   string
	Access arch.Access
	Size   int // -s N; 0 = from the expression
	Thread int
}

func (d *Debugger) byID(id int) *Watchpoint {
	for _, w := range d.bps {
		if w.ID == id {
			return w
		}
	}
	return nil
}

// Watchpoints lists watch- and breakpoints by id.
func (d *Debugger) Watchpoints() []*Watchpoint { return d.bps }

// Watch sets a data watchpoint. It is refused here, not at continue, when
// the hardware cannot do it.
func (d *Debugger) Watch(spec WatchSpec) (*Watchpoint, error) {
	if d.proc.exited {
		return nil, ErrExited
	}
	if spec.Thread != 0 && !d.HasThread(spec.Thread) {
		return nil, fmt.Errorf("no thread %d (see info threads)", spec.Thread)
	}
	e, err := ParseExpr(spec.Expr)
	if err != nil {
		return nil, err
	}
	w := &Watchpoint{Expr: spec.Expr, Access: spec.Access, Thread: spec.Thread, Size: spec.Size, Enabled: true}
	d.tr.do(func() {
		var r Region
		r, err = d.regionOf(e, spec.Size)
		if err != nil {
			return
		}
		w.Addr, w.Len, w.Type = r.Addr, r.Len, r.Type
		err = d.install(w)
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// install plans w into slots, reads its current value and programs the
// threads. It runs on the tracer thread; on error nothing changed.
func (d *Debugger) install(w *Watchpoint) error {
	pieces, err := d.arch.Split(w.Addr, w.Len, w.Access)
	if err != nil {
		return err
	}
	if !w.IsBreak() {
		old := make([]byte, w.Len)
		if err := readMemory(d.proc.Pid, w.Addr, old); err != nil {
			return fmt.Errorf("cannot watch %#x: %d bytes there are not mapped in the program", w.Addr, w.Len)
		}
		w.old = old
	}
	w.pieces = pieces
	if w.ID == 0 {
		w.ID = d.nextID
		defer func() {
			if w.slots != nil {
				d.nextID++
			}
		}()
	}
	slots, err := d.allocate(w)
	if err != nil {
		return err
	}
	w.slots = slots
	if !d.containsWP(w) {
		d.bps = append(d.bps, w)
	}
	if err := d.syncSlots(); err != nil {
		d.release(w)
		d.removeWP(w)
		d.syncSlots()
		return err
	}
	return nil
}

func (d *Debugger) containsWP(w *Watchpoint) bool {
	for _, x := range d.bps {
		if x == w {
			return true
		}
	}
	return false
}

func (d *Debugger) removeWP(w *Watchpoint) {
	for i, x := range d.bps {
		if x == w {
			d.bps = append(d.bps[:i], d.bps[i+1:]...)
			return
		}
	}
}

// HBreak sets a hardware execution breakpoint at a location: a symbol or
// *ADDR.
func (d *Debugger) HBreak(loc string) (*Watchpoint, error) {
	if d.proc.exited {
		return nil, ErrExited
	}
	addr, err := d.ResolveLocation(loc)
	if err != nil {
		return nil, err
	}
	w := &Watchpoint{Expr: loc, Access: arch.Exec, Addr: addr, Len: 1, Enabled: true}
	d.tr.do(func() { err = d.install(w) })
	if err != nil {
		return nil, err
	}
	return w, nil
}

// ResolveLocation turns a code location (function name or *ADDR) into an
// address.
func (d *Debugger) ResolveLocation(loc string) (uint64, error) {
	if loc == "" {
		return 0, fmt.Errorf("missing location: give a function name or *ADDRESS")
	}
	if loc[0] == '*' {
		e, err := ParseExpr(loc[1:])
		if err != nil {
			return 0, err
		}
		var n int64
		d.tr.do(func() {
			var v Value
			if v, err = d.eval(e); err == nil {
				n, err = d.toInt(v)
			}
		})
		return uint64(n), err
	}
	if s, ok := d.lookup(loc); ok {
		return s.Addr, nil
	}
	return 0, d.noSymbol(loc)
}

// Delete removes watch/breakpoints; no ids removes all of them.
func (d *Debugger) Delete(ids ...int) error {
	if len(ids) == 0 {
		for _, w := range d.bps {
			ids = append(ids, w.ID)
		}
	}
	for _, id := range ids {
		if d.byID(id) == nil {
			return fmt.Errorf("no watchpoint or breakpoint %d (see info watchpoints)", id)
		}
	}
	var err error
	d.run(func() {
		for _, id := range ids {
			w := d.byID(id)
			d.release(w)
			d.removeWP(w)
		}
		err = d.syncSlots()
	})
	return err
}

// SetEnabled enables or disables a watch/breakpoint. Enabling re-plans it
// into slots and can fail when they are taken.
func (d *Debugger) SetEnabled(id int, on bool) error {
	w := d.byID(id)
	if w == nil {
		return fmt.Errorf("no watchpoint or breakpoint %d (see info watchpoints)", id)
	}
	if w.Enabled == on {
		return nil
	}
	var err error
	d.run(func() {
		if on {
			if _, err = d.reallocate(w); err != nil {
				return
			}
			w.Enabled = true
			if !w.IsBreak() && !d.proc.exited {
				b := make([]byte, w.Len)
				if readMemory(d.proc.Pid, w.Addr, b) == nil {
					w.old = b
				}
			}
		} else {
			w.Enabled = false
			d.release(w)
		}
		err = d.syncSlots()
	})
	return err
}

func (d *Debugger) reallocate(w *Watchpoint) ([]int, error) {
	slots, err := d.allocate(w)
	if err != nil {
		return nil, err
	}
	w.slots = slots
	return slots, nil
}

// run runs f on the tracer thread while a process exists, directly
// otherwise (bookkeeping after exit needs no ptrace).
func (d *Debugger) run(f func()) {
	if d.proc.exited {
		f()
		return
	}
	d.tr.do(f)
}

// SortedWatchpoints returns the watchpoints in id order.
func (d *Debugger) SortedWatchpoints() []*Watchpoint {
	out := append([]*Watchpoint(nil), d.bps...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// SlotName names slot i.
func (d *Debugger) SlotName(i int) string {
	if i >= 0 && i < len(d.slots) {
		return d.slots[i].Name
	}
	return fmt.Sprintf("slot%d", i)
}
