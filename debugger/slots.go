package debugger

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"hwdbg/arch"
)

// slotEntry is one hardware slot's use: the piece it covers, the access it
// is programmed for, and the watchpoints that share it (GDB's reference
// counted mirror of the debug registers).
type slotEntry struct {
	piece  arch.Piece
	access arch.Access
	owners []int // watchpoint ids; empty = free
}

func (e slotEntry) free() bool { return len(e.owners) == 0 }

// planError is a refusal with the plan that did not fit, e.g.
// "needs 3 slots, 1 free: DR0 held by 1, DR1-DR2 by 2".
type planError struct {
	need, free int
	holders    string
}

func (e *planError) Error() string {
	s := fmt.Sprintf("not enough hardware slots: needs %d, %d free", e.need, e.free)
	if e.holders != "" {
		s += ": " + e.holders
	}
	return s + " (delete or disable a watchpoint, or watch a smaller range)"
}

// allocate places the pieces of w into slots: the process-wide table for
// a watchpoint on every thread, or one thread's own table for a
// thread-scoped one. A piece identical to one already programmed (same
// range and access) shares its slot. It changes nothing when the pieces do
// not all fit.
func (d *Debugger) allocate(w *Watchpoint) ([]int, error) {
	hw := hwAccess(w.Access)
	type choice struct {
		index int
		share bool
	}
	taken := map[int]bool{}
	var plan []choice
	need := 0
	for _, p := range w.pieces {
		// Share an identical piece.
		idx := d.findShared(w.Thread, p, hw)
		if idx >= 0 && !taken[idx] {
			plan = append(plan, choice{idx, true})
			taken[idx] = true
			continue
		}
		need++
		idx = d.findFree(w.Thread, hw, taken)
		if idx < 0 {
			plan = append(plan, choice{-1, false})
			continue
		}
		taken[idx] = true
		plan = append(plan, choice{idx, false})
	}
	for _, c := range plan {
		if c.index < 0 {
			return nil, &planError{need: need, free: d.countFree(w.Thread, hw), holders: d.holders(w.Thread)}
		}
	}
	indexes := make([]int, len(plan))
	for i, c := range plan {
		indexes[i] = c.index
		tab := d.table(w.Thread)
		e := &tab[c.index]
		if !c.share {
			e.piece, e.access = w.pieces[i], hw
		}
		e.owners = append(e.owners, w.ID)
	}
	return indexes, nil
}

// release takes w out of the slots it holds.
func (d *Debugger) release(w *Watchpoint) {
	tab := d.table(w.Thread)
	for _, idx := range w.slots {
		if idx < 0 || idx >= len(tab) {
			continue
		}
		e := &tab[idx]
		for i, id := range e.owners {
			if id == w.ID {
				e.owners = append(e.owners[:i], e.owners[i+1:]...)
				break
			}
		}
		if e.free() {
			*e = slotEntry{}
		}
	}
	w.slots = nil
}

// table is the slot table a watchpoint scoped to tid (0 = all) lives in.
func (d *Debugger) table(tid int) []slotEntry {
	if tid == 0 {
		return d.shared
	}
	th := d.proc.threads[tid]
	if th.scoped == nil {
		th.scoped = make([]slotEntry, len(d.slots))
	}
	return th.scoped
}

func (d *Debugger) findShared(tid int, p arch.Piece, hw arch.Access) int {
	for i, e := range d.table(tid) {
		if !e.free() && e.piece == p && e.access == hw {
			return i
		}
	}
	return -1
}

// findFree finds a slot able to do hw that is free where the watchpoint
// needs it: for a process-wide one, free in the shared table and in every
// thread's own table; for a thread-scoped one, free in that thread's table
// and not used process-wide.
func (d *Debugger) findFree(tid int, hw arch.Access, taken map[int]bool) int {
	for i, info := range d.slots {
		if taken[i] || info.Can&hw != hw || !d.slotFree(tid, i) {
			continue
		}
		return i
	}
	return -1
}

func (d *Debugger) slotFree(tid, i int) bool {
	if !d.shared[i].free() {
		return false
	}
	if tid != 0 {
		th := d.proc.threads[tid]
		return th.scoped == nil || th.scoped[i].free()
	}
	for _, th := range d.proc.threads {
		if th.scoped != nil && !th.scoped[i].free() {
			return false
		}
	}
	return true
}

func (d *Debugger) countFree(tid int, hw arch.Access) int {
	n := 0
	for i, info := range d.slots {
		if info.Can&hw == hw && d.slotFree(tid, i) {
			n++
		}
	}
	return n
}

// holders says who holds the busy slots, grouping runs of slots held by
// the same watchpoints: "DR0 held by 1, DR1-DR2 by 2".
func (d *Debugger) holders(tid int) string {
	type run struct {
		first, last int
		who         string
	}
	var runs []run
	for i := range d.slots {
		var owners []int
		owners = append(owners, d.shared[i].owners...)
		for t, th := range d.proc.threads {
			if th.scoped != nil && (tid == 0 || t == tid) {
				owners = append(owners, th.scoped[i].owners...)
			}
		}
		if len(owners) == 0 {
			continue
		}
		sort.Ints(owners)
		var ids []string
		for _, o := range owners {
			ids = append(ids, strconv.Itoa(o))
		}
		who := strings.Join(ids, ",")
		if n := len(runs); n > 0 && runs[n-1].who == who && runs[n-1].last == i-1 {
			runs[n-1].last = i
			continue
		}
		runs = append(runs, run{i, i, who})
	}
	var parts []string
	for k, r := range runs {
		name := d.slots[r.first].Name
		if r.last != r.first {
			name += "-" + d.slots[r.last].Name
		}
		if k == 0 {
			parts = append(parts, name+" held by "+r.who)
		} else {
			parts = append(parts, name+" by "+r.who)
		}
	}
	return strings.Join(parts, ", ")
}

// hwAccess is what a slot is programmed for to serve a request. A backend
// without read-only slots programs Read as read-or-write itself; the
// debugger then filters out writes.
func hwAccess(a arch.Access) arch.Access { return a }

// threadSlots is what thread th's slots should hold.
func (d *Debugger) threadSlots(th *Thread) []arch.Slot {
	out := make([]arch.Slot, len(d.slots))
	for i := range d.slots {
		e := d.shared[i]
		if e.free() && th.scoped != nil {
			e = th.scoped[i]
		}
		if e.free() || !d.entryEnabled(e) {
			continue
		}
		out[i] = arch.Slot{Enabled: true, Addr: e.piece.Addr, Len: e.piece.Len, Access: e.access}
	}
	return out
}

// entryEnabled: a slot entry is programmed while one of its owners is
// enabled.
func (d *Debugger) entryEnabled(e slotEntry) bool {
	for _, id := range e.owners {
		if w := d.byID(id); w != nil && w.Enabled {
			return true
		}
	}
	return false
}

// syncSlots programs every stopped thread whose slots differ from what
// they should be. It runs on the tracer thread.
func (d *Debugger) syncSlots() error {
	if d.proc.exited {
		return nil
	}
	for _, tid := range d.Threads() {
		th := d.proc.threads[tid]
		if !th.stopped {
			continue // armed when its first stop arrives
		}
		if err := d.syncThread(th); err != nil {
			return err
		}
	}
	return nil
}

func (d *Debugger) syncThread(th *Thread) error {
	want := d.threadSlots(th)
	if slotsEqual(want, th.written) {
		return nil
	}
	d.chooseArming(th)
	if err := d.writeSlots(th.Tid, want); err != nil {
		return fmt.Errorf("thread %d: %w", th.Tid, err)
	}
	th.written = want
	return nil
}

func slotsEqual(a, b []arch.Slot) bool {
	if len(b) == 0 {
		for _, s := range a {
			if s.Enabled {
				return false
			}
		}
		return true
	}
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// SlotView is one slot of one thread as `info slots` shows it.
type SlotView struct {
	Name   string
	Slot   arch.Slot // as read back from the kernel (perf events: as armed)
	Owners []int
}

// Slots reads back every thread's slots from the kernel.
func (d *Debugger) Slots() (map[int][]SlotView, error) {
	if d.proc.exited {
		return nil, ErrExited
	}
	out := map[int][]SlotView{}
	var err error
	d.tr.do(func() {
		for _, tid := range d.Threads() {
			th := d.proc.threads[tid]
			hw, e := d.readSlots(tid)
			if e != nil {
				err = fmt.Errorf("thread %d: %w", tid, e)
				return
			}
			var views []SlotView
			for i, info := range d.slots {
				v := SlotView{Name: info.Name}
				if i < len(hw) {
					v.Slot = hw[i]
				}
				v.Owners = append(v.Owners, d.shared[i].owners...)
				if th.scoped != nil {
					v.Owners = append(v.Owners, th.scoped[i].owners...)
				}
				views = append(views, v)
			}
			out[tid] = views
		}
	})
	return out, err
}

// SlotInfos is the machine's slots.
func (d *Debugger) SlotInfos() []arch.SlotInfo { return d.slots }
