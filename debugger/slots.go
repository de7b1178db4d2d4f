package debugger

import (
	"fmt"

	"hwdbg/arch"
	"hwdbg/slottable"
)

// The slot table (package slottable) is the plan: which piece each slot
// watches and which watchpoints hold it, process-wide or per thread. This
// file places watchpoints in it and brings every thread's slots in line
// with it through the thread's engine (arming.go).

// allocate places the pieces of w into slots: process-wide for a
// watchpoint on every thread, in its thread's own entries for a
// thread-scoped one. A backend without read-only slots programs Read as
// read-or-write itself; the hit report then filters out writes. Nothing
// changes when the pieces do not all fit.
func (d *Debugger) allocate(w *Watchpoint) ([]int, error) {
	return d.slots.Place(slottable.Request{Owner: w.ID, Thread: w.Thread, Pieces: w.pieces, Access: w.Access, Engine: d.kernelTag(w)})
}

// release takes w out of the slots it holds.
func (d *Debugger) release(w *Watchpoint) {
	d.slots.Release(w.ID)
	w.slots = nil
}

// holderEnabled: a slot is programmed while one of its holders is
// enabled.
func (d *Debugger) holderEnabled(id int) bool {
	w := d.byID(id)
	return w != nil && w.Enabled
}

// syncSlots programs every stopped thread whose slots differ from what
// they should be. It runs on the tracer thread.
func (d *Debugger) syncSlots() error {
	if d.proc.Exited() {
		return nil
	}
	d.syncKernel()
	for _, tid := range d.proc.Threads() {
		th := d.thread(tid)
		if !th.Stopped() {
			continue // armed when its first stop arrives
		}
		if err := d.syncThread(th); err != nil {
			return err
		}
	}
	return nil
}

func (d *Debugger) syncThread(th *thread) error {
	want := d.slots.Program(th.Tid, d.holderEnabled)
	if !slotsEqual(want, th.written) || !d.kernelCurrent(th.Tid) {
		d.chooseArming(th)
		if err := d.armThread(th.Tid, want); err != nil {
			return fmt.Errorf("thread %d: %w", th.Tid, err)
		}
		th.written = want
	}
	d.kernelSignals(th.Tid)
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
	Trace  int // the trace whose perf event holds the slot, 0 for none
}

// Slots reads back every thread's slots from the kernel.
func (d *Debugger) Slots() (map[int][]SlotView, error) {
	if d.proc.Exited() {
		return nil, ErrExited
	}
	out := map[int][]SlotView{}
	var err error
	d.proc.Do(func() {
		for _, tid := range d.Threads() {
			hw, e := d.arm.Armed(tid)
			if e != nil {
				err = fmt.Errorf("thread %d: %w", tid, e)
				return
			}
			hw = d.kernelArmed(tid, hw)
			var views []SlotView
			for i, info := range d.slots.Infos() {
				v := SlotView{Name: info.Name, Owners: d.slots.Owners(tid, i)}
				if i < len(hw) {
					v.Slot = hw[i]
				}
				d.traceSlot(tid, i, &v)
				views = append(views, v)
			}
			out[tid] = views
		}
	})
	return out, err
}

// SlotInfos is the machine's slots.
func (d *Debugger) SlotInfos() []arch.SlotInfo { return d.slots.Infos() }
