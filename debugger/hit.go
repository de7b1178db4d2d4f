package debugger

import (
	"bytes"
	"fmt"
	"slices"

	"hwdbg/arch"
	"hwdbg/debuginfo"
)

// The hit report: the slots that fired on a thread (trap.go) turned into
// events, each watch- or breakpoint's filters, condition, counts and
// ignore count applied.

// onHit turns the slots that fired on th into events. stepPC is the pc of
// the instruction a stepi just executed (0 when running). It does not
// resume the thread; stop says whether the events stop the program.
func (d *Debugger) onHit(th *thread, trap arch.Trap, stepPC uint64) (evs []Event, stop bool) {
	fired := d.firings(th, d.alsoFired(th, trap.Fired, stepPC))
	if len(fired) == 0 {
		return d.unmatchedTrap(th, trap), true
	}
	h := &hit{d: d, th: th, stepPC: stepPC}
	var data, brk bool
	for _, f := range fired {
		data = data || !f.w.IsBreak()
		brk = brk || f.w.IsBreak()
	}
	if brk || !d.arch.TrapAfter() {
		if err := h.getRegs(); err != nil {
			return []Event{Warning{Text: err.Error()}}, false
		}
	}
	if data && !d.arch.TrapAfter() {
		if err := h.stepAccess(fired); err != nil {
			return []Event{Warning{Text: err.Error()}}, false
		}
	}
	for _, f := range fired {
		if d.hitAtTrap(f.w) {
			d.countHit(f.w, th.Tid)
		}
		switch {
		case f.w.IsBreak():
			evs = append(evs, h.breakHit(f)...)
		case f.w.countOnly():
			// Counted and resumed with nothing to show or test: the value
			// is not read; old is read again when the program next stops.
			f.w.oldStale = true
			d.crossing(f.w, th.Tid)
		default:
			evs = append(evs, h.watchHit(f)...)
		}
	}
	// A warning alone (an access a read watch left out) is said, and the
	// program runs on: it reports no hit.
	return evs, slices.ContainsFunc(evs, func(e Event) bool { _, warn := e.(Warning); return !warn })
}

// hit is one trap's report in the making. The thread's registers and the
// accessing instruction are read when first needed, once: a hit that is
// counted and resumed (commands silent+continue) needs neither.
type hit struct {
	d      *Debugger
	th     *thread
	stepPC uint64 // the pc a stepi started from, 0 when running
	// accessPC is the pc of the access on a machine that traps before it.
	accessPC uint64
	// before holds each watched value as the access found it, on a
	// machine that traps before the access.
	before map[*Watchpoint][]byte

	regs                       arch.Regs
	pc                         uint64
	insn                       arch.Insn
	decoded, haveInsn, guessed bool
}

func (h *hit) getRegs() error {
	if h.regs != nil {
		return nil
	}
	r, err := h.d.arch.GetRegs(h.th.Tid)
	if err != nil {
		return fmt.Errorf("thread %d: %w", h.th.Tid, err)
	}
	h.regs, h.pc = r, r.PC()
	return nil
}

// decode finds the accessing instruction (accessingInsn).
func (h *hit) decode() {
	if !h.decoded {
		h.decoded = true
		if h.getRegs() == nil {
			h.insn, h.guessed, h.haveInsn = h.d.accessingInsn(h.pc, h.stepPC, h.accessPC, h.regs)
		}
	}
}

// stepAccess: the trap came before the access (also when a stepi traps
// on it), and memory still holds the old value. Keep it, step the access
// with the slots off; the new value is read after.
func (h *hit) stepAccess(fired []firing) error {
	h.accessPC = h.pc
	h.before = map[*Watchpoint][]byte{}
	for _, f := range fired {
		if b := make([]byte, f.w.Len); !f.w.IsBreak() && h.d.proc.ReadMemory(f.w.Addr, b) == nil {
			h.before[f.w] = b
		}
	}
	if err := h.d.stepOver(h.th); err != nil {
		return fmt.Errorf("thread %d: step over watched access: %v", h.th.Tid, err)
	}
	return nil
}

// breakHit reports a hardware breakpoint reached.
func (h *hit) breakHit(f firing) []Event {
	var evs []Event
	if !h.d.arch.TrapAfter() {
		h.th.stepOver = true
	}
	ok, problem := h.d.crossing(f.w, h.th.Tid)
	if problem != nil {
		evs = append(evs, *problem)
	}
	if ok {
		evs = append(evs, BreakHit{ID: f.w.ID, Tid: h.th.Tid, At: h.d.location(h.pc), Slot: f.slots[0], Hits: f.w.Hits, Stops: f.w.Stops, Temporary: f.w.Temp})
		h.d.afterStop(f.w)
	}
	return evs
}

// watchHit reports a data watchpoint's hit: its old and new value and
// the accessing instruction, unless a filter drops it (a write to a
// read watch, -m and an unchanged value, a write to a bitfield's
// neighbours) or its condition or ignore count lets it pass.
func (h *hit) watchHit(f firing) []Event {
	d, w := h.d, f.w
	cur := make([]byte, w.Len)
	if err := d.proc.ReadMemory(w.Addr, cur); err != nil {
		return []Event{Warning{Text: fmt.Sprintf("watchpoint %d: %v", w.ID, err)}}
	}
	old := w.old
	if b, ok := d.kernelOld(w); ok {
		old = b // what the access found, kept by the kernel's program
	}
	if b, ok := h.before[w]; ok {
		old = b // what the access found (a trap-before machine)
	}
	w.old = cur
	if w.Access == arch.Read {
		// A read-or-write slot also fires on writes: report only
		// instructions that read. Without the instruction, an unchanged
		// value is the best evidence of a read.
		h.decode()
		if !h.haveInsn || h.guessed {
			// Never call an access a read without knowing it was one.
			return []Event{Warning{Text: fmt.Sprintf("watchpoint %d: an access before %#x was not reported: its instruction could not be decoded, so it may have been a read or a write", w.ID, h.pc)}}
		}
		if !h.insn.MemReads {
			return nil
		}
		if !d.hitAtTrap(w) {
			d.countHit(w, h.th.Tid)
		}
	}
	if w.Modify && bytes.Equal(old, cur) {
		return nil
	}
	if w.bitSize > 0 && w.Access != arch.Read &&
		debuginfo.ExtractBits(old, w.bitOffset, w.bitSize) == debuginfo.ExtractBits(cur, w.bitOffset, w.bitSize) {
		return nil // a write to the bitfield's neighbours
	}
	var evs []Event
	ok, problem := d.crossing(w, h.th.Tid)
	if problem != nil {
		evs = append(evs, *problem)
	}
	if !ok {
		return evs
	}
	h.decode()
	ev := WatchHit{
		ID: w.ID, Expr: w.Expr, Access: w.Access.String(), Addr: w.Addr, Len: w.Len,
		Tid: h.th.Tid, Slots: f.slots, Old: d.formatWatched(w, old), New: d.formatWatched(w, cur),
		Hits: d.hitNumber(w), Stops: w.Stops, Guessed: h.guessed,
	}
	if h.haveInsn {
		ev.Insn = d.location(h.insn.PC)
		ev.Text = h.insn.Text
	}
	return append(evs, ev)
}

// hitAtTrap: every trap of w's slots is a hit, but that of a read
// watchpoint in a read-or-write slot, which is one once the accessing
// instruction is known to read.
func (d *Debugger) hitAtTrap(w *Watchpoint) bool {
	return w.IsBreak() || w.Access != arch.Read || d.arch.ReadOnlySlots()
}

// countHit counts a hit of w by thread tid: an access to its range of the
// kind it watches, or a crossing of its location, whatever its filters
// and conditions then say. The kernel engine counts its own.
func (d *Debugger) countHit(w *Watchpoint, tid int) {
	if d.kern.onFor(w) != nil {
		return
	}
	w.Hits++
	if w.ThreadHits == nil {
		w.ThreadHits = map[int]int{}
	}
	w.ThreadHits[tid]++
}

// crossing applies a watch/breakpoint's conditions and ignore count to
// one hit (counted) that passed its access filters, says whether it stops
// the program, and counts the stop. A condition that cannot be evaluated
// stops it, with the reason.
func (d *Debugger) crossing(w *Watchpoint, tid int) (stop bool, problem *Notice) {
	if d.kern.onFor(w) != nil {
		stop, problem = d.kernelCrossing(w, tid) // counted in the kernel
	} else {
		stop, problem = d.judge(w, tid)
	}
	if stop {
		w.Stops++
	}
	return stop, problem
}

// judge is crossing for a watch/breakpoint hwdbg counts itself.
func (d *Debugger) judge(w *Watchpoint, tid int) (stop bool, problem *Notice) {
	ok, problem := d.condsHold(w, tid, uint64(w.Hits))
	switch {
	case problem != nil:
		return true, problem
	case !ok:
		return false, nil
	case w.Ignore > 0:
		w.Ignore--
		return false, nil
	}
	return !w.AutoContinue, nil
}

// formatWatched renders a watched value (a bitfield by its bits).
func (d *Debugger) formatWatched(w *Watchpoint, b []byte) string {
	if w.bitSize > 0 {
		return debuginfo.FormatBits(w.Type, b, w.bitOffset, w.bitSize)
	}
	return d.formatValue(w.Type, b)
}

// countOnly: a hit of w is counted and the program resumed, and nothing
// needs its value (no condition, -m, bitfield or read filter).
func (w *Watchpoint) countOnly() bool {
	return w.AutoContinue && w.cond == nil && !w.Modify && w.bitSize == 0 && w.Access != arch.Read
}

// refreshStale reads again the values not read at count-only hits, so
// the next report's old value is the value at this stop.
func (d *Debugger) refreshStale() {
	for _, w := range d.bps {
		if w.oldStale && !d.proc.Exited() {
			b := make([]byte, w.Len)
			if d.proc.ReadMemory(w.Addr, b) == nil {
				w.old, w.oldStale = b, false
			}
		}
	}
}
