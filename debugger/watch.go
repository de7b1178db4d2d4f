package debugger

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"hwdbg/arch"
	"hwdbg/expr"
	"hwdbg/symbols"
)

// Watchpoint is an entry of the one table of watch- and breakpoints (one
// id space, as in gdb): a data watchpoint, a hardware breakpoint, or a
// software (int3) breakpoint.
type Watchpoint struct {
	ID      int
	Expr    string      // as the user wrote it
	Access  arch.Access // what the user asked for: Write, Read, ReadWrite, or Exec
	Addr    uint64
	Len     int
	Type    *Type
	Enabled bool
	Thread  int // 0: every thread; otherwise only this LWP
	Size    int // the -s size the user gave, 0 if none

	Soft   bool // a software breakpoint (no slot)
	Temp   bool // deleted when it first stops the program (tbreak)
	Modify bool // a watchpoint that stops only when the value changed

	// Note is what the user should know about what w watches, said when
	// it is set ("" for nothing).
	Note string

	Cond string // condition, "" for none
	cond *condition
	// HitCond is the hit-count condition (condition -hitcount), as the
	// condition on $hits it means ("$hits > 100"), "" for none; both it
	// and Cond must hold.
	HitCond string
	hitCond *condition
	Ignore  int // crossings (conditions true) still to ignore

	// Hits counts every access to a data watchpoint's range (of the
	// access it watches), every crossing of a breakpoint's location,
	// whether or not the conditions held, ignored ones included;
	// ThreadHits per thread. Stops counts the stops of the program it
	// made.
	Hits       int
	ThreadHits map[int]int
	Stops      int

	// AutoContinue: the user's commands for it are exactly silent and
	// continue, so a crossing is counted and the program resumed right in
	// the tracer, with no stop of the other threads.
	AutoContinue bool

	pieces []arch.Piece
	slots  []int  // slot index of each piece
	old    []byte // the value at the last report (or when set)
	// oldStale: count-only hits did not read the value (see countOnly).
	oldStale bool

	// A bitfield: BitSize bits from BitOffset of the watched bytes.
	bitOffset, bitSize int64
	// scope is set for a watch on a local variable: the watch goes when
	// its frame returns (unless the user asked for -l).
	scope *expr.Frame
	// Internal breakpoints (a watched local's return address) are not
	// listed; scopeOf is the watchpoint they serve.
	Internal bool
	scopeOf  int
	// step is set for the internal breakpoint of a line step: the place
	// it stands for and the frame it waits for (steptargets.go).
	step *stepTarget
}

// IsBreak tells a (hardware or software) breakpoint from a data watchpoint.
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
	Modify bool   // stop only when the value changed
	Cond   string // stop only when this holds
	// Location keeps a watch on a local variable after its frame returns
	// (gdb's watch -l): the address, not the variable, is watched.
	Location bool
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
	if d.proc.Exited() {
		return nil, ErrExited
	}
	if spec.Thread != 0 && !d.HasThread(spec.Thread) {
		return nil, fmt.Errorf("no thread %d (see info threads)", spec.Thread)
	}
	e, err := expr.Parse(spec.Expr)
	if err != nil {
		return nil, err
	}
	w := &Watchpoint{Expr: spec.Expr, Access: spec.Access, Thread: spec.Thread, Size: spec.Size, Enabled: true, Modify: spec.Modify}
	d.proc.Do(func() {
		if spec.Cond != "" {
			// Bound in the selected frame (cond.go).
			if w.cond, err = d.bindCond(spec.Cond, "the watch was set"); err != nil {
				return
			}
			w.Cond = spec.Cond
		}
		var r expr.Region
		r, err = expr.RegionOf(e, spec.Size, d.selected())
		if err != nil {
			return
		}
		if err = refuseNonData(spec.Expr, r); err != nil {
			return
		}
		w.Addr, w.Len, w.Type = r.Addr, r.Len, r.Type
		w.bitOffset, w.bitSize = r.BitOffset, r.BitSize
		w.Note = pointerNote(r)
		if r.Frame != nil && !spec.Location {
			w.scope = r.Frame
		}
		if err = d.install(w); err != nil {
			return
		}
		if w.scope != nil {
			if e := d.watchScope(w); e != nil {
				d.release(w)
				d.removeWP(w)
				d.syncSlots()
				err = e
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// refuseNonData refuses a watch on what is not data a watchpoint can
// follow: a function's code, and a Go stack variable, even with -l (the
// runtime moves a goroutine's stack when it grows, and the variable with
// it, while the slot stays on the old address).
func refuseNonData(src string, r expr.Region) error {
	if r.Func != "" {
		return fmt.Errorf("%s is a function (code, not data): to stop when it runs, hbreak %s; to watch its bytes, watch -s N *(char*)%#x", r.Func, r.Func, r.Addr)
	}
	if r.Frame != nil && r.Frame.Go {
		return fmt.Errorf("%s lives on a goroutine stack, which the Go runtime moves when it grows (runtime.copystack), so a watch on its address would miss its writes after a move; watch a global or heap object instead (watch -s N 0xADDR watches raw memory, wherever the variable goes)", src)
	}
	return nil
}

// pointerNote says, of a watch reached through pointers, that its address
// was fixed when it was set: the watch does not follow the expression
// when a pointer on the way changes (gdb's does, with more slots).
func pointerNote(r expr.Region) string {
	var ptrs, watches []string
	for _, p := range r.Ptrs {
		if !slices.Contains(ptrs, p) {
			ptrs = append(ptrs, p)
			watches = append(watches, "watch -w &"+p)
		}
	}
	if len(ptrs) == 0 {
		return ""
	}
	return fmt.Sprintf("the address is fixed at %#x: if %s changes, this still watches the old object; %s as well to see it change",
		r.Addr, strings.Join(ptrs, " or "), strings.Join(watches, " and "))
}

// watchScope puts a breakpoint where the frame owning w's local returns
// to; when that frame has gone, the watch is deleted (gdb does the same).
func (d *Debugger) watchScope(w *Watchpoint) error {
	if w.scope.RetPC == 0 {
		return fmt.Errorf("cannot tell where the frame of %s returns: use watch -l to watch the address itself", w.Expr)
	}
	// Internal breakpoints count down from -1: the ids users see do not
	// skip.
	d.lastInternal--
	bp := &Watchpoint{ID: d.lastInternal, Expr: fmt.Sprintf("*%#x", w.scope.RetPC), Access: arch.Exec, Addr: w.scope.RetPC,
		Len: 1, Enabled: true, Soft: true, Internal: true, scopeOf: w.ID, Thread: w.scope.Tid}
	if err := d.insertSoft(bp); err != nil {
		return err
	}
	d.bps = append(d.bps, bp)
	return nil
}

// IsBitfield tells whether w watches a bitfield, and which bits.
func (w *Watchpoint) Bits() (offset, size int64) { return w.bitOffset, w.bitSize }

// install plans w into slots, reads its current value and programs the
// threads. It runs on the tracer thread; on error nothing changed.
func (d *Debugger) install(w *Watchpoint) error {
	pieces, err := d.arch.Split(w.Addr, w.Len, w.Access)
	if err != nil {
		return err
	}
	if !w.IsBreak() {
		old := make([]byte, w.Len)
		if err := d.proc.ReadMemory(w.Addr, old); err != nil {
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
	if d.proc.Exited() {
		return nil, ErrExited
	}
	addr, err := d.ResolveLocation(loc)
	if err != nil {
		return nil, err
	}
	w := &Watchpoint{Expr: loc, Access: arch.Exec, Addr: addr, Len: 1, Enabled: true}
	d.proc.Do(func() {
		// The CPU takes any address; a breakpoint where nothing is mapped
		// can never be reached (as break refuses it).
		if err = d.proc.ReadMemory(addr, make([]byte, 1)); err != nil {
			err = fmt.Errorf("cannot set a hardware breakpoint at %#x: %w", addr, err)
			return
		}
		err = d.install(w)
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// ResolveLocation turns a code location into an address: FUNC is the
// first instruction after its prologue, FILE:LINE the line's first
// instruction, *ADDR exactly ADDR.
func (d *Debugger) ResolveLocation(loc string) (uint64, error) {
	var addr uint64
	var err error
	d.proc.Do(func() { addr, err = d.resolveLocation(loc) })
	return addr, err
}

// resolveLocation runs on the tracer thread.
func (d *Debugger) resolveLocation(loc string) (uint64, error) {
	if loc == "" {
		return 0, fmt.Errorf("missing location: give a function name or *ADDRESS")
	}
	if loc[0] == '*' {
		// *FUNC is the function's first instruction, exactly.
		name := strings.TrimSpace(loc[1:])
		if d.dwarf != nil {
			if entry, ok := d.dwarf.LookupFunc(name); ok {
				return entry, nil
			}
		}
		if s, ok := d.lookup(name); ok && s.Kind == symbols.Func {
			return s.Addr, nil
		}
		e, err := expr.Parse(loc[1:])
		if err != nil {
			return 0, err
		}
		s := d.selected()
		v, err := expr.Eval(e, s)
		if err != nil {
			return 0, err
		}
		n, err := v.Int(s)
		return uint64(n), err
	}
	if file, line, ok := splitFileLine(loc); ok {
		pcs, err := d.linePCs(file, line)
		if err != nil {
			return 0, err
		}
		return pcs[0], nil
	}
	if d.dwarf != nil {
		if entry, ok := d.dwarf.LookupFunc(loc); ok {
			return d.afterPrologue(entry), nil
		}
	}
	if s, ok := d.lookup(loc); ok {
		return d.afterPrologue(s.Addr), nil
	}
	return 0, expr.NoSymbol(loc, d.selected())
}

// afterPrologue moves a function's entry past its prologue, where its
// arguments and locals can be read (as gdb and Delve place `break FUNC`);
// without line information the entry stays.
func (d *Debugger) afterPrologue(entry uint64) uint64 {
	if d.dwarf == nil {
		return entry
	}
	end := uint64(0)
	if s, ok := d.symbolAt(entry); ok && s.Addr == entry && s.Size > 0 {
		end = s.Addr + s.Size
	}
	if pc, ok := d.dwarf.AfterPrologue(entry, end); ok && pc > entry {
		return pc
	}
	return entry
}

// splitFileLine splits "file.c:42" (not C++'s "a::b").
func splitFileLine(loc string) (string, int, bool) {
	i := strings.LastIndexByte(loc, ':')
	if i <= 0 || i == len(loc)-1 || loc[i-1] == ':' {
		return "", 0, false
	}
	n, err := strconv.Atoi(loc[i+1:])
	if err != nil || n <= 0 {
		return "", 0, false
	}
	return loc[:i], n, true
}

// Withdraw deletes watch- or breakpoint id, just made, whose setting then
// failed (its condition was refused), and gives its number back if no
// other was made since: ids do not skip.
func (d *Debugger) Withdraw(id int) error {
	err := d.Delete(id)
	if err == nil && id == d.nextID-1 {
		d.nextID--
	}
	return err
}

// Delete removes watch/breakpoints; no ids removes all of them.
func (d *Debugger) Delete(ids ...int) error {
	if len(ids) == 0 {
		for _, w := range d.bps {
			if !w.Internal {
				ids = append(ids, w.ID)
			}
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
			if w := d.byID(id); w != nil {
				if e := d.deleteWP(w); e != nil && err == nil {
					err = e
				}
			}
		}
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
		if w.Soft {
			if on {
				err = d.insertSoft(w)
			} else {
				err = d.removeSoft(w)
			}
			if err == nil {
				w.Enabled = on
			}
			return
		}
		if on {
			if _, err = d.reallocate(w); err != nil {
				return
			}
			w.Enabled = true
			if !w.IsBreak() && !d.proc.Exited() {
				b := make([]byte, w.Len)
				if d.proc.ReadMemory(w.Addr, b) == nil {
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
	if d.proc.Exited() {
		f()
		return
	}
	d.proc.Do(f)
}

// SortedWatchpoints returns the user's watch/breakpoints in id order.
func (d *Debugger) SortedWatchpoints() []*Watchpoint {
	var out []*Watchpoint
	for _, w := range d.bps {
		if !w.Internal {
			out = append(out, w)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// SlotName names slot i.
func (d *Debugger) SlotName(i int) string { return d.slots.Name(i) }

// setCond parses and sets a condition ("" removes it).
func (w *Watchpoint) setCond(src string) error {
	if src == "" {
		w.Cond, w.cond = "", nil
		return nil
	}
	c, err := parseCond(src)
	if err != nil {
		return err
	}
	w.Cond, w.cond = src, c
	return nil
}

// SetCondition sets or (with "") removes the condition of id. A data
// watchpoint's condition binds its names in the selected frame, as at
// watch time (cond.go); a breakpoint's is evaluated where it stops, and
// a name it could not find there is refused now.
func (d *Debugger) SetCondition(id int, cond string) error {
	w := d.byID(id)
	if w == nil {
		return fmt.Errorf("no watchpoint or breakpoint %d (see info watchpoints)", id)
	}
	if cond == "" || d.proc.Exited() {
		return w.setCond(cond)
	}
	var c *condition
	var err error
	if w.IsBreak() {
		d.proc.Do(func() { err = d.checkBreakCond(cond, w.Addr) })
		if err != nil {
			return err
		}
		return w.setCond(cond)
	}
	d.proc.Do(func() { c, err = d.bindCond(cond, "the condition was set") })
	if err != nil {
		return err
	}
	w.Cond, w.cond = cond, c
	return nil
}

// SetHitCondition sets id's hit-count condition (Delve's condition
// -hitcount ID OP K): it stops only when its hit count OP K holds, or, for
// "%", at every K-th hit. It and the condition must both hold.
func (d *Debugger) SetHitCondition(id int, op string, k int64) error {
	w := d.byID(id)
	if w == nil {
		return fmt.Errorf("no watchpoint or breakpoint %d (see info watchpoints)", id)
	}
	c, src, err := hitCondition(op, k)
	if err != nil {
		return err
	}
	w.HitCond, w.hitCond = src, c
	return nil
}

// ClearConditions removes id's condition and hit-count condition
// (Delve's condition -clear).
func (d *Debugger) ClearConditions(id int) error {
	w := d.byID(id)
	if w == nil {
		return fmt.Errorf("no watchpoint or breakpoint %d (see info watchpoints)", id)
	}
	w.Cond, w.cond, w.HitCond, w.hitCond = "", nil, "", nil
	return nil
}

// SetIgnore makes id ignore its next count crossings.
func (d *Debugger) SetIgnore(id, count int) error {
	w := d.byID(id)
	if w == nil {
		return fmt.Errorf("no watchpoint or breakpoint %d (see info watchpoints)", id)
	}
	if count < 0 {
		return fmt.Errorf("the ignore count must be 0 or more")
	}
	w.Ignore = count
	return nil
}

// SetAutoContinue marks id as counted and resumed in the tracer (its
// commands are exactly silent and continue).
func (d *Debugger) SetAutoContinue(id int, on bool) {
	if w := d.byID(id); w != nil {
		w.AutoContinue = on
		d.run(d.refreshStale)
	}
}

// Get returns the watch/breakpoint with that id.
func (d *Debugger) Get(id int) *Watchpoint { return d.byID(id) }
