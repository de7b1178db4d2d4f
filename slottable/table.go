// Package slottable is the debugger's mirror of the machine's hardware
// slots, in the spirit of GDB's reference-counted debug-register mirror:
// which piece of memory each slot watches, for which access, and who holds
// it. It plans a holder's pieces into slots, lets identical pieces share a
// slot, refuses with the plan when they do not fit, releases, and says
// what each thread's slots must hold and who holds them.
//
// It is plain data: it knows no process, thread or system call. The
// debugger holds one Table and gives what it says to the engine that arms
// a thread's slots (package engine).
//
// A slot is held process-wide (an entry of the shared row, armed on every
// thread) or by one thread (an entry of that thread's own row), never
// both: a process-wide entry needs the slot free on every thread, and a
// thread's own entry needs it free process-wide.
//
// A Table is a value. Its methods never write into storage that a copy
// may share, so `saved := t` keeps the table as it was whatever happens
// to t afterwards; and a Place that fails changes nothing.
package slottable

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"hwdbg/arch"
)

// Entry is the use of one slot: the piece it covers, the access it is
// programmed for, and its holders (a reference count that names them).
type Entry struct {
	Piece  arch.Piece
	Access arch.Access
	// Engine is the engine that arms the slot when it is not the one each
	// thread's slots are armed through (""). Pieces share a slot only
	// within one engine: two engines would need two slots.
	Engine string
	Owners []int // holders, in the order they came; none: the slot is free
}

// Free says whether no one holds the slot.
func (e Entry) Free() bool { return len(e.Owners) == 0 }

// Table is the mirror: the machine's slots, the process-wide entries and
// each thread's own entries. The zero Table has no slots; New makes one.
type Table struct {
	infos  []arch.SlotInfo
	shared []Entry         // index = slot
	own    map[int][]Entry // thread id -> that thread's entries, index = slot
}

// New returns an empty table for a machine with these slots.
func New(infos []arch.SlotInfo) Table {
	return Table{infos: slices.Clone(infos), shared: make([]Entry, len(infos))}
}

// Infos lists the machine's slots.
func (t Table) Infos() []arch.SlotInfo { return slices.Clone(t.infos) }

// Len is how many slots the machine has.
func (t Table) Len() int { return len(t.infos) }

// Name names slot i as users see it ("DR0", "WP1"), or "slot<i>" for an
// index the machine does not have.
func (t Table) Name(i int) string {
	if i >= 0 && i < len(t.infos) {
		return t.infos[i].Name
	}
	return fmt.Sprintf("slot%d", i)
}

// Request asks for slots for one holder's pieces.
type Request struct {
	Owner  int          // the holder, e.g. a watchpoint id; unique in the table
	Thread int          // 0: every thread; otherwise this thread only
	Pieces []arch.Piece // one slot each, as arch.Backend.Split plans them
	Access arch.Access  // what the slots trap on
	Engine string       // see Entry.Engine; "" for the thread's own engine
}

// PlanError is a refusal that shows the plan that did not fit, e.g. "not
// enough hardware slots: needs 3, 1 free: DR0 held by 1, DR1-DR2 by 2".
type PlanError struct {
	Need    int    // slots the request needed beyond those it could share
	Free    int    // slots able to do its access that are free where it needs them
	Holders string // who holds the busy slots (Table.Holders)
}

func (e *PlanError) Error() string {
	s := fmt.Sprintf("not enough hardware slots: needs %d, %d free", e.Need, e.Free)
	if e.Holders != "" {
		s += ": " + e.Holders
	}
	return s + " (delete or disable a watchpoint, or watch a smaller range)"
}

// Place plans r's pieces into slots and records r.Owner as their holder.
// A piece identical to one already held in the row r lands in (same
// range, access and engine) shares its slot; every other piece takes the
// first slot able to do r.Access that is free where r needs it. It returns
// the slot of each piece, or a *PlanError, and then changes nothing.
func (t *Table) Place(r Request) ([]int, error) {
	if t.holds(r.Owner) {
		return nil, fmt.Errorf("slot table: %d already holds slots", r.Owner)
	}
	row := t.row(r.Thread)
	plan := make([]int, len(r.Pieces))
	shares := make([]bool, len(r.Pieces))
	taken := map[int]bool{}
	need, short := 0, false
	for k, p := range r.Pieces {
		if i := findShared(row, p, r.Access, r.Engine); i >= 0 && !taken[i] {
			plan[k], shares[k], taken[i] = i, true, true
			continue
		}
		need++
		plan[k] = t.findFree(r.Thread, r.Access, taken, r.Engine)
		if plan[k] < 0 {
			short = true
			continue
		}
		taken[plan[k]] = true
	}
	if short {
		return nil, &PlanError{Need: need, Free: t.countFree(r.Thread, r.Access), Holders: t.Holders(r.Thread)}
	}
	row = slices.Clone(row)
	if row == nil {
		row = make([]Entry, len(t.infos))
	}
	for k, i := range plan {
		e := &row[i]
		if !shares[k] {
			e.Piece, e.Access, e.Engine = r.Pieces[k], r.Access, r.Engine
		}
		e.Owners = append(slices.Clip(e.Owners), r.Owner)
	}
	t.setRow(r.Thread, row)
	return plan, nil
}

// Release takes owner out of every slot it holds; a slot left with no
// holder is free again.
func (t *Table) Release(owner int) {
	if row, ok := without(t.shared, owner); ok {
		t.shared = row
	}
	for tid, row := range t.own {
		if row, ok := without(row, owner); ok {
			t.setRow(tid, row)
		}
	}
}

// DropThread forgets thread tid's own entries (the thread is gone).
func (t *Table) DropThread(tid int) {
	if _, ok := t.own[tid]; ok {
		t.setRow(tid, nil)
	}
}

// Reset frees every slot (a new program image: nothing is armed).
func (t *Table) Reset() { *t = New(t.infos) }

// Empty says whether no slot is held, process-wide or by any thread.
func (t Table) Empty() bool {
	return !slices.ContainsFunc(t.shared, busy) && len(t.own) == 0
}

// At is the entry thread tid's slot i holds: the process-wide one, or the
// thread's own (tid 0: the process-wide one only). Its Owners must not be
// modified.
func (t Table) At(tid, i int) Entry {
	if i < 0 || i >= len(t.shared) {
		return Entry{}
	}
	if e := t.shared[i]; !e.Free() || tid == 0 {
		return e
	}
	if row := t.own[tid]; row != nil {
		return row[i]
	}
	return Entry{}
}

// Owners lists the holders of thread tid's slot i.
func (t Table) Owners(tid, i int) []int { return slices.Clone(t.At(tid, i).Owners) }

// Program is what thread tid's slots must hold (index = slot): each held
// entry that one of its holders is active for, programmed for its piece
// and access; every other slot disabled. active nil counts every holder.
func (t Table) Program(tid int, active func(owner int) bool) []arch.Slot {
	out := make([]arch.Slot, len(t.infos))
	for i := range out {
		e := t.At(tid, i)
		if e.Free() || (active != nil && !slices.ContainsFunc(e.Owners, active)) {
			continue
		}
		out[i] = arch.Slot{Enabled: true, Addr: e.Piece.Addr, Len: e.Piece.Len, Access: e.Access}
	}
	return out
}

// Holders says who holds the busy slots, for a refusal: runs of slots held
// by the same holders are grouped, "DR0 held by 1, DR1-DR2 by 2". tid 0
// counts the process-wide entries and every thread's own; another tid the
// process-wide entries and that thread's own.
func (t Table) Holders(tid int) string {
	type run struct {
		first, last int
		who         string
	}
	var runs []run
	for i := range t.infos {
		entries := []Entry{t.shared[i]}
		for id, row := range t.own {
			if tid == 0 || id == tid {
				entries = append(entries, row[i])
			}
		}
		who := holderNames(entries)
		if who == "" {
			continue
		}
		if n := len(runs); n > 0 && runs[n-1].who == who && runs[n-1].last == i-1 {
			runs[n-1].last = i
			continue
		}
		runs = append(runs, run{i, i, who})
	}
	parts := make([]string, len(runs))
	for k, r := range runs {
		name := t.infos[r.first].Name
		if r.last != r.first {
			name += "-" + t.infos[r.last].Name
		}
		if k == 0 {
			parts[k] = name + " held by " + r.who
		} else {
			parts[k] = name + " by " + r.who
		}
	}
	return strings.Join(parts, ", ")
}

// holderNames names the holders of entries in order: a holder of another
// engine than the thread's own is named with it ("trace 3").
func holderNames(entries []Entry) string {
	type holder struct {
		id     int
		engine string
	}
	var hs []holder
	for _, e := range entries {
		for _, o := range e.Owners {
			hs = append(hs, holder{o, e.Engine})
		}
	}
	slices.SortFunc(hs, func(a, b holder) int { return a.id - b.id })
	names := make([]string, len(hs))
	for k, h := range hs {
		names[k] = strconv.Itoa(h.id)
		if h.engine != "" {
			names[k] = h.engine + " " + names[k]
		}
	}
	return strings.Join(names, ",")
}

// holds says whether owner holds a slot anywhere.
func (t Table) holds(owner int) bool {
	in := func(e Entry) bool { return slices.Contains(e.Owners, owner) }
	if slices.ContainsFunc(t.shared, in) {
		return true
	}
	for _, row := range t.own {
		if slices.ContainsFunc(row, in) {
			return true
		}
	}
	return false
}

// row is the row a request for thread tid (0: every thread) lives in; nil
// for a thread that holds nothing of its own.
func (t Table) row(tid int) []Entry {
	if tid == 0 {
		return t.shared
	}
	return t.own[tid]
}

// setRow replaces a row. A thread row with nothing held is dropped, so
// that a table whose holders all left is Empty. The map is copied before
// it changes: a copy of t keeps the old one.
func (t *Table) setRow(tid int, row []Entry) {
	if tid == 0 {
		t.shared = row
		return
	}
	own := maps.Clone(t.own)
	if slices.ContainsFunc(row, busy) {
		if own == nil {
			own = map[int][]Entry{}
		}
		own[tid] = row
	} else {
		delete(own, tid)
	}
	if len(own) == 0 {
		own = nil
	}
	t.own = own
}

// findShared is the held entry of row identical to p for acc, or -1.
func findShared(row []Entry, p arch.Piece, acc arch.Access, engine string) int {
	return slices.IndexFunc(row, func(e Entry) bool {
		return !e.Free() && e.Piece == p && e.Access == acc && e.Engine == engine
	})
}

// findFree is a slot not in taken that can do acc and is free where a
// request for tid needs it, or -1: the first such slot for the thread's
// own engine, the last for an engine of its own (engine != "").
//
// The thread's own engine may be positional in the kernel: arm64's ptrace
// regsets write slots from the first, and the kernel reserves one of the
// CPU's breakpoints for each slot written, enabled or not, so slot k
// costs k+1 of them. An engine of its own (perf events) takes any one the
// kernel has free. Keeping the two at opposite ends lets them share the
// CPU's slots as the table counts them.
func (t Table) findFree(tid int, acc arch.Access, taken map[int]bool, engine string) int {
	for k := range t.infos {
		i := k
		if engine != "" {
			i = len(t.infos) - 1 - k
		}
		if !taken[i] && t.infos[i].Can&acc == acc && t.freeFor(tid, i) {
			return i
		}
	}
	return -1
}

// freeFor says whether slot i is free for a request of thread tid: free
// process-wide, and free in tid's own row, or for a process-wide request
// in every thread's own row.
func (t Table) freeFor(tid, i int) bool {
	if !t.shared[i].Free() {
		return false
	}
	if tid != 0 {
		row := t.own[tid]
		return row == nil || row[i].Free()
	}
	for _, row := range t.own {
		if !row[i].Free() {
			return false
		}
	}
	return true
}

func (t Table) countFree(tid int, acc arch.Access) int {
	n := 0
	for i, info := range t.infos {
		if info.Can&acc == acc && t.freeFor(tid, i) {
			n++
		}
	}
	return n
}

func busy(e Entry) bool { return !e.Free() }

// without is row with owner taken out of its entries, in a new row (row
// itself is never written), and whether owner was in it.
func without(row []Entry, owner int) ([]Entry, bool) {
	var out []Entry
	for i, e := range row {
		if !slices.Contains(e.Owners, owner) {
			continue
		}
		if out == nil {
			out = slices.Clone(row)
		}
		owners := slices.DeleteFunc(slices.Clone(e.Owners), func(o int) bool { return o == owner })
		if len(owners) == 0 {
			out[i] = Entry{}
		} else {
			out[i].Owners = owners
		}
	}
	return out, out != nil
}
