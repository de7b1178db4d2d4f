package debugger

import (
	"fmt"

	"golang.org/x/sys/unix"

	"hwdbg/arch"
	"hwdbg/tracee"
)

// softBreak is a breakpoint instruction we wrote over program text.
type softBreak struct {
	orig   []byte // the bytes it replaced
	owners []int
}

// Break sets a software breakpoint (temporary for tbreak) at a location.
func (d *Debugger) Break(loc string, temp bool) (*Watchpoint, error) {
	if d.proc.Exited() {
		return nil, ErrExited
	}
	addr, err := d.ResolveLocation(loc)
	if err != nil {
		return nil, err
	}
	w := &Watchpoint{ID: d.nextID, Expr: loc, Access: arch.Exec, Addr: addr, Len: 1, Enabled: true, Soft: true, Temp: temp}
	d.proc.Do(func() { err = d.insertSoft(w) })
	if err != nil {
		return nil, err
	}
	d.nextID++
	d.bps = append(d.bps, w)
	return w, nil
}

// insertSoft writes the breakpoint instruction at w.Addr (once per
// address, shared by every breakpoint there).
func (d *Debugger) insertSoft(w *Watchpoint) error {
	if sb, ok := d.soft[w.Addr]; ok {
		sb.owners = append(sb.owners, w.ID)
		return nil
	}
	insn := d.arch.BreakInsn()
	orig := make([]byte, len(insn))
	if err := d.proc.ReadMemory(w.Addr, orig); err != nil {
		return fmt.Errorf("cannot set a breakpoint at %#x: %w", w.Addr, err)
	}
	if err := d.writeText(d.proc.Pid, w.Addr, insn); err != nil {
		return fmt.Errorf("cannot set a breakpoint at %#x: %w", w.Addr, err)
	}
	d.soft[w.Addr] = &softBreak{orig: orig, owners: []int{w.ID}}
	return nil
}

// removeSoft takes w out; the original bytes go back when no breakpoint
// is left at the address.
func (d *Debugger) removeSoft(w *Watchpoint) error {
	sb, ok := d.soft[w.Addr]
	if !ok {
		return nil
	}
	for i, id := range sb.owners {
		if id == w.ID {
			sb.owners = append(sb.owners[:i], sb.owners[i+1:]...)
			break
		}
	}
	if len(sb.owners) > 0 {
		return nil
	}
	delete(d.soft, w.Addr)
	if d.proc.Exited() {
		return nil
	}
	if d.removed == nil {
		d.removed = map[uint64]bool{}
	}
	d.removed[w.Addr] = true
	return d.writeText(d.proc.Pid, w.Addr, sb.orig)
}

// onRemovedBreak handles a breakpoint trap of th at addr, where one of our
// breakpoints was, taken out since (a thread that hit it while another's
// stop was being reported, its trap held until now): the instruction that
// is back there runs as if nothing happened. ours is false when the
// program's own breakpoint instruction is there.
func (d *Debugger) onRemovedBreak(th *thread, regs arch.Regs, addr uint64) (ours bool) {
	if !d.removed[addr] {
		return false
	}
	insn := d.arch.BreakInsn()
	code := make([]byte, len(insn))
	if err := d.proc.ReadMemory(addr, code); err != nil || string(code) == string(insn) {
		return false
	}
	if regs.PC() != addr {
		regs.SetPC(addr)
		if err := d.arch.SetRegs(th.Tid, regs); err != nil {
			return false
		}
	}
	tracef("thread %d: trap of a removed breakpoint at %#x", th.Tid, addr)
	return true
}

// removeSoftBreaks restores the original bytes of every software
// breakpoint in process pid (ours before a detach, or a forked child's
// copy of our memory). Our own table is unchanged.
func (d *Debugger) removeSoftBreaks(pid int) error {
	for addr, sb := range d.soft {
		if err := d.writeText(pid, addr, sb.orig); err != nil {
			return fmt.Errorf("remove breakpoint at %#x from process %d: %w", addr, pid, err)
		}
	}
	return nil
}

// reinsertSoftBreaks writes every breakpoint back (after a vfork child
// that shared our memory is gone).
func (d *Debugger) reinsertSoftBreaks() error {
	insn := d.arch.BreakInsn()
	for addr := range d.soft {
		if err := d.writeText(d.proc.Pid, addr, insn); err != nil {
			return fmt.Errorf("reinsert breakpoint at %#x: %w", addr, err)
		}
	}
	return nil
}

// writeText writes program text (a breakpoint instruction or the bytes
// it replaced) into process pid: ours through its open /proc/PID/mem,
// another (a forked child) through its own.
func (d *Debugger) writeText(pid int, addr uint64, buf []byte) error {
	if pid == d.proc.Pid {
		return d.proc.WriteText(addr, buf)
	}
	return tracee.WriteText(pid, addr, buf)
}

// originalCode undoes our breakpoint instructions in code read at addr.
func (d *Debugger) originalCode(addr uint64, code []byte) []byte {
	return originalIn(d.soft, addr, code)
}

// originalIn undoes the breakpoint instructions of soft in code read at
// addr.
func originalIn(soft map[uint64]*softBreak, addr uint64, code []byte) []byte {
	var out []byte
	for bp, sb := range soft {
		for i, b := range sb.orig {
			a := bp + uint64(i)
			if a >= addr && a < addr+uint64(len(code)) {
				if out == nil {
					out = append([]byte(nil), code...)
				}
				out[a-addr] = b
			}
		}
	}
	if out == nil {
		return code
	}
	return out
}

// breakPC is the address of the breakpoint instruction that trapped with
// the pc at pc: x86's int3 traps after itself, arm64's brk before.
func (d *Debugger) breakPC(pc uint64) uint64 {
	if d.arch.TrapAfter() {
		return pc - uint64(len(d.arch.BreakInsn()))
	}
	return pc
}

// onSoftBreak handles a breakpoint trap. ours is false for a breakpoint
// instruction the program itself contains.
//
// A breakpoint that does not stop the program (commands silent+continue,
// a condition that does not hold) costs a register read and a register
// write: the pc goes back onto the breakpoint in our copy of the
// registers only, and the step over it writes the registers once.
func (d *Debugger) onSoftBreak(th *thread) (evs []Event, stop, ours bool) {
	regs, err := d.arch.GetRegs(th.Tid)
	if err != nil {
		return nil, false, false
	}
	addr := d.breakPC(regs.PC())
	sb, ok := d.soft[addr]
	if !ok {
		if d.onRemovedBreak(th, regs, addr) {
			return nil, d.resumeOrStop(th), true
		}
		return nil, false, false
	}
	moved := regs.PC() != addr // the thread's pc is still after the breakpoint
	regs.SetPC(addr)
	setPC := func() error {
		if !moved {
			return nil
		}
		moved = false
		return d.arch.SetRegs(th.Tid, regs)
	}
	if d.condAt(sb, th.Tid) {
		// A condition reads the thread's registers: its pc must be the
		// breakpoint's.
		if err := setPC(); err != nil {
			return []Event{Warning{Text: fmt.Sprintf("thread %d: %v", th.Tid, err)}}, true, true
		}
	}
	th.atBreak = true
	if d.resumedByPreemption(th, regs, addr) {
		tracef("thread %d: the Go runtime resumed the instruction at %#x after preempting it: the same crossing", th.Tid, addr)
	} else {
		evs = d.crossBreak(th, sb, addr, regs)
	}
	if len(evs) > 0 {
		if err := setPC(); err != nil {
			evs = append(evs, Warning{Text: fmt.Sprintf("thread %d: %v", th.Tid, err)})
		}
		return evs, true, true
	}
	// Not stopping here: step past it and run on.
	more, stopped, err := d.stepPastBreak(th, regs, moved)
	if err != nil {
		return []Event{Warning{Text: fmt.Sprintf("thread %d: %v", th.Tid, err)}}, true, true
	}
	if len(more) > 0 {
		return more, true, true
	}
	if !stopped {
		// No other thread was stopped for the step.
		if err := d.resume(th); err != nil && err != unix.ESRCH {
			return []Event{Warning{Text: fmt.Sprintf("resume thread %d: %v", th.Tid, err)}}, true, true
		}
		return nil, false, true
	}
	if err := d.resumeAll(); err != nil {
		return []Event{Warning{Text: err.Error()}}, true, true
	}
	return nil, false, true
}

// crossBreak counts th's crossing of the breakpoint at addr for each of
// its owners that applies (a step's target, a scope check, a user's
// breakpoint), and returns the events of those that stop.
func (d *Debugger) crossBreak(th *thread, sb *softBreak, addr uint64, regs arch.Regs) (evs []Event) {
	for _, id := range append([]int(nil), sb.owners...) {
		w := d.byID(id)
		if w == nil || !w.Enabled || (w.Thread != 0 && w.Thread != th.Tid) {
			continue
		}
		if w.step != nil {
			evs = append(evs, d.onStepTarget(w, th, regs)...)
			continue
		}
		if w.Internal {
			if ev := d.scopeCheck(w, regs.SP()); ev != nil {
				evs = append(evs, *ev, Stop{Tid: th.Tid, Reason: "scope", At: d.location(addr)})
			}
			continue
		}
		evs = append(evs, d.breakCrossed(w, th.Tid, addr)...)
	}
	return evs
}

// breakCrossed counts thread tid's crossing of software breakpoint w at
// addr: its hit, when it stops the program (its condition holds and no
// ignore count is left), and what went wrong with its condition.
func (d *Debugger) breakCrossed(w *Watchpoint, tid int, addr uint64) []Event {
	var evs []Event
	d.countHit(w, tid)
	ok, problem := d.crossing(w, tid)
	if problem != nil {
		evs = append(evs, *problem)
	}
	if ok {
		evs = append(evs, BreakHit{ID: w.ID, Tid: tid, At: d.location(addr), Hits: w.Hits, Stops: w.Stops, Temporary: w.Temp})
		d.afterStop(w)
	}
	return evs
}

// condAt says whether a breakpoint at sb that applies to thread tid has
// a condition.
func (d *Debugger) condAt(sb *softBreak, tid int) bool {
	for _, id := range sb.owners {
		if w := d.byID(id); w != nil && w.Enabled && w.cond != nil && (w.Thread == 0 || w.Thread == tid) {
			return true
		}
	}
	return false
}

// afterStop runs when w stops the program: a temporary breakpoint goes.
func (d *Debugger) afterStop(w *Watchpoint) {
	if !w.Temp {
		return
	}
	if w.Soft {
		d.removeSoft(w)
	} else {
		d.release(w)
		d.syncSlots()
	}
	d.removeWP(w)
}

// scopeCheck runs at the return address of a watched local's frame. When
// the stack pointer is at or above that frame's CFA the frame has returned
// (a deeper recursive call returning here has not): the watch goes.
func (d *Debugger) scopeCheck(bp *Watchpoint, sp uint64) *Notice {
	w := d.byID(bp.scopeOf)
	if w == nil || w.scope == nil {
		d.removeSoft(bp)
		d.removeWP(bp)
		return nil
	}
	if sp < w.scope.CFA {
		return nil
	}
	d.deleteWP(w)
	return &Notice{Text: fmt.Sprintf("Watchpoint %d (%s) deleted: the program left %s, the frame it belongs to (watch -l keeps watching the address)", w.ID, w.Expr, w.scope.Func)}
}

// deleteWP removes w with its slots or breakpoint bytes, and the internal
// breakpoints that serve it. It runs on the tracer thread.
func (d *Debugger) deleteWP(w *Watchpoint) error {
	var err error
	if w.Soft {
		err = d.removeSoft(w)
	} else {
		d.release(w)
	}
	d.removeWP(w)
	for _, bp := range append([]*Watchpoint(nil), d.bps...) {
		if bp.Internal && bp.scopeOf == w.ID {
			d.removeSoft(bp)
			d.removeWP(bp)
		}
	}
	if e := d.syncSlots(); e != nil && err == nil {
		err = e
	}
	return err
}
