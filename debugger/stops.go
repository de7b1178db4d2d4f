package debugger

import (
	"fmt"

	"golang.org/x/sys/unix"

	"hwdbg/arch"
	"hwdbg/expr"
	"hwdbg/tracee"
)

// What a stop of the program means, as the wait loop hands it over from
// package tracee: a thread's start, exit or exec, a fork's child, a
// signal to report or to pass on, a trap (trap.go).

// handle acts on one stop. It returns the events it produced and whether
// they stop the program. When it does not stop, the thread has been
// resumed.
func (d *Debugger) handle(st tracee.Stop) ([]Event, bool) {
	switch st.Kind {
	case tracee.Exited, tracee.Killed:
		return d.handleExit(st)
	case tracee.ExecEvent:
		th := d.execThread(st)
		traced := d.trace != nil
		evs := d.handleExec(th)
		// A trace ends at an exec: the program stops there for its report.
		return evs, traced || d.resumeOrStop(th)
	}
	th := d.thread(st.Tid)
	switch st.Kind {
	case tracee.SignalStop:
		return d.handleSignal(th, st)
	case tracee.ForkEvent, tracee.VForkEvent, tracee.VForkDoneEvent:
		return d.onFork(th, st), d.resumeOrStop(th)
	case tracee.EventStop:
		if st.NewThread {
			// A new thread, before its first instruction: give it the
			// process-wide slots, and the running trace's events.
			return d.armNewThread(th), d.resumeOrStop(th)
		}
	}
	// A clone (its thread is armed at its first stop), a group-stop (the
	// thread goes back into it), an interrupt no one waits for.
	return nil, d.resumeOrStop(th)
}

// armNewThread arms a new thread stopped before its first instruction:
// its slots, and the running trace's events.
func (d *Debugger) armNewThread(th *thread) []Event {
	var evs []Event
	if err := d.syncThread(th); err != nil {
		evs = append(evs, Warning{Text: fmt.Sprintf("cannot arm new thread %d: %v", th.Tid, err)})
	}
	if err := d.traceThread(th.Tid); err != nil {
		evs = append(evs, Warning{Text: fmt.Sprintf("cannot trace new thread %d: %v", th.Tid, err)})
	}
	return evs
}

// handleSignal acts on a signal-delivery stop.
func (d *Debugger) handleSignal(th *thread, st tracee.Stop) ([]Event, bool) {
	sig := st.Signal
	switch {
	case sig == unix.SIGTRAP:
		return d.handleTrap(th, st)
	case sig == unix.SIGSTOP && d.proc.TakeInterrupt():
		return []Event{Stop{Tid: th.Tid, Reason: "interrupt", At: d.locationOf(th.Tid)}}, true
	case sig == unix.SIGINT && d.proc.Launched:
		// Ctrl-C at the terminal reached the program too: it is ours.
		return []Event{Stop{Tid: th.Tid, Reason: "interrupt", At: d.locationOf(th.Tid)}}, true
	case isReportedSignal(sig):
		th.SetSignal(int(sig))
		ev := Stop{Tid: th.Tid, Reason: "signal", Signal: tracee.SignalName(sig), At: d.locationOf(th.Tid)}
		if st.InfoErr == nil && (sig == unix.SIGSEGV || sig == unix.SIGBUS) {
			ev.Addr = st.Info.Addr
		}
		return []Event{ev}, true
	}
	th.SetSignal(int(sig))
	return nil, d.resumeOrStop(th)
}

// fatal signals stop the program and are reported; the rest are
// delivered silently, so the program's own handlers keep working.
func isReportedSignal(s unix.Signal) bool {
	switch s {
	case unix.SIGSEGV, unix.SIGBUS, unix.SIGILL, unix.SIGFPE, unix.SIGABRT, unix.SIGTRAP, unix.SIGSYS:
		return true
	}
	return false
}

// handleExit: a thread ended, or the process with its last.
func (d *Debugger) handleExit(st tracee.Stop) ([]Event, bool) {
	tid := st.Tid
	delete(d.threads, tid)
	d.threadGone(tid)
	d.traceGone(tid)
	if tid != d.proc.Pid {
		// Its own watch/breakpoints die with it.
		var evs []Event
		for _, w := range append([]*Watchpoint(nil), d.bps...) {
			if w.Thread == tid {
				d.removeWP(w)
				evs = append(evs, Notice{Text: fmt.Sprintf("deleted %s %d (%s): thread %d exited", w.Kind().Noun(), w.ID, w.Expr, tid)})
			}
		}
		return evs, false
	}
	d.arm.Close()
	d.guard.Done()
	ex := Exit{Pid: tid}
	if st.Kind == tracee.Killed {
		ex.Signal = tracee.SignalName(st.Signal)
	} else {
		ex.Status = st.Status
	}
	return []Event{ex}, true
}

// execThread is the debugger's side of the thread that exec'd, now the
// process's only thread, under the process's id.
func (d *Debugger) execThread(st tracee.Stop) *thread {
	th := d.threads[st.Former]
	if th == nil || th.Thread != d.proc.Thread(st.Tid) {
		th = &thread{Thread: d.proc.Thread(st.Tid)}
	}
	d.threads = map[int]*thread{st.Tid: th}
	return th
}

// handleExec: the kernel flushed every debug register and every other
// thread is gone. Reload symbols and re-resolve each watchpoint in the new
// image, dropping those that do not resolve.
func (d *Debugger) handleExec(th *thread) []Event {
	// The kernel removed our perf events with the old image.
	d.arm.Close()
	traced := d.traceExec()
	th.written = nil
	d.prevInsn = map[uint64]arch.Insn{}
	d.Current = th.Tid
	evs := []Event{Notice{Text: fmt.Sprintf("process %d is executing new program: %s", d.proc.Pid, d.proc.Path)}}
	evs = append(evs, traced...)
	if err := d.loadSymbols(); err != nil {
		evs = append(evs, Warning{Text: err.Error()})
	}
	d.slots.Reset()
	d.soft = map[uint64]*softBreak{} // the new image has none of our bytes
	old := d.bps
	d.bps = nil
	for _, w := range old {
		w.slots = nil
		if w.step != nil {
			continue // a line step's place in the old program
		}
		if !w.Enabled {
			d.bps = append(d.bps, w)
			continue
		}
		if err := d.reresolve(w); err != nil {
			evs = append(evs, Notice{Text: fmt.Sprintf("deleted %s %d (%s): %v", w.Kind().Noun(), w.ID, w.Expr, err)})
			continue
		}
		if !d.containsWP(w) {
			d.bps = append(d.bps, w)
		}
		evs = append(evs, Notice{Text: fmt.Sprintf("%s %d (%s) re-set at %#x in the new program", w.Kind().Noun(), w.ID, w.Expr, w.Addr)})
	}
	return evs
}

// reresolve evaluates w's expression again (after exec) and installs it.
func (d *Debugger) reresolve(w *Watchpoint) error {
	if w.IsBreak() {
		addr := w.Addr
		if w.Expr == "" || w.Expr[0] != '*' {
			var err error
			if addr, err = d.resolveLocation(w.Expr); err != nil {
				return err
			}
		}
		w.Addr = addr
		if w.Soft {
			return d.insertSoft(w)
		}
		return d.install(w)
	}
	e, err := expr.Parse(w.Expr)
	if err != nil {
		return err
	}
	r, err := expr.RegionOf(e, w.Size, d.selected())
	if err != nil {
		return err
	}
	w.Addr, w.Len, w.Type = r.Addr, r.Len, r.Type
	return d.install(w)
}

// onFork: a fork or vfork by th, or the end of a vfork child's hold on
// our memory.
func (d *Debugger) onFork(th *thread, st tracee.Stop) []Event {
	if st.Kind != tracee.VForkDoneEvent {
		return d.releaseChild(th)
	}
	// The vfork child no longer shares our memory.
	if err := d.reinsertSoftBreaks(); err != nil {
		return []Event{Warning{Text: err.Error()}}
	}
	return nil
}

// releaseChild lets the child of a fork or vfork by th run on untraced,
// without our breakpoint instructions (its memory is a copy of ours, or
// for vfork our very memory until it execs or exits: then the
// breakpoints go back at PTRACE_EVENT_VFORK_DONE). Debug registers are
// not inherited by children.
func (d *Debugger) releaseChild(th *thread) []Event {
	child, err := d.proc.ForkChild(th.Tid)
	if err != nil {
		return []Event{Warning{Text: err.Error()}}
	}
	var evs []Event
	if err := d.removeSoftBreaks(child); err != nil {
		evs = append(evs, Warning{Text: err.Error()})
	}
	if err := d.proc.ReleaseChild(child); err != nil {
		evs = append(evs, Warning{Text: err.Error()})
	}
	return evs
}
