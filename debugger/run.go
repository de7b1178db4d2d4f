package debugger

import (
	"fmt"

	"golang.org/x/sys/unix"

	"hwdbg/arch"
	"hwdbg/expr"
)

// Continue resumes every thread and returns when something worth
// reporting happens: a hit, a signal, an interrupt, the end of the
// process. Every thread is stopped again when it returns (all-stop).
func (d *Debugger) Continue() ([]Event, error) {
	if d.proc.exited {
		return nil, ErrExited
	}
	var evs []Event
	var err error
	d.tr.do(func() {
		evs, err = d.resumeAndWait()
		evs = append(evs, d.park()...)
	})
	return evs, err
}

// park moves every thread that waits at the prompt in a signal-delivery
// stop of ours (a hit's or a step's SIGTRAP, an interrupt's SIGSTOP) into
// an event stop: PTRACE_INTERRUPT, then PTRACE_CONT without the signal;
// the thread stops again before it runs one instruction. The difference
// shows only if hwdbg dies without detaching (SIGKILL): the kernel lets go
// of its tracees without clearing the single-step mode of a thread that
// stopped after a step (our step over an arm64 watchpoint hit, stepi), and
// that thread dies of SIGTRAP after its next instruction. PTRACE_CONT
// clears that mode.
func (d *Debugger) park() []Event {
	var evs []Event
	for _, tid := range d.Threads() {
		th := d.proc.threads[tid]
		if th == nil || !th.stopped || th.pending != nil {
			continue
		}
		// Its signal mask may have changed since its slots were armed:
		// a new thread blocks every signal until its start routine runs
		// (glibc, the Go runtime), a program may block SIGTRAP later.
		if d.chooseArming(th) {
			if err := d.syncThread(th); err != nil {
				tracef("re-arm thread %d: %v", tid, err)
			}
		}
		if th.sig != 0 || th.groupStop {
			continue
		}
		si, err := getSiginfo(tid)
		if err != nil || si.Code >= 0x100 || (si.Signo != int32(unix.SIGTRAP) && si.Signo != int32(unix.SIGSTOP)) {
			continue // an event stop already (si_code: event<<8 | SIGTRAP)
		}
		if ptraceInterrupt(tid) != nil || ptraceCont(tid, 0) != nil {
			continue
		}
		_, ws, err := wait4(tid)
		switch {
		case err != nil:
		case ws.Exited() || ws.Signaled():
			e, _ := d.handleExit(tid, ws)
			evs = append(evs, e...)
		case stopEvent(ws) != unix.PTRACE_EVENT_STOP:
			th.pending = &ws // something else came first: handled at the next resume
		}
	}
	return evs
}

func (d *Debugger) resumeAndWait() ([]Event, error) {
	if err := d.syncSlots(); err != nil {
		return nil, err
	}
	// While every thread is still stopped, step those sitting on a
	// software breakpoint past it (the instruction runs with its own byte).
	for _, tid := range d.Threads() {
		th := d.proc.threads[tid]
		if th == nil || !th.stopped || th.pending != nil {
			continue
		}
		evs, _, err := d.stepPastBreak(th, nil, false)
		if err != nil {
			return nil, err
		}
		if len(evs) > 0 {
			return d.finishStop(tid, evs), nil
		}
	}
	if err := d.resumeAll(); err != nil {
		return nil, err
	}
	return d.waitLoop(), nil
}

// resumeAll resumes every stopped thread that has no held stop.
func (d *Debugger) resumeAll() error {
	for _, tid := range d.Threads() {
		th := d.proc.threads[tid]
		if th.stopped && th.pending == nil {
			if err := d.resume(th); err != nil && err != unix.ESRCH {
				return fmt.Errorf("resume thread %d: %w", tid, err)
			}
		}
	}
	return nil
}

// nextHeld takes one stop held back while every thread was being
// stopped, if there is one.
func (d *Debugger) nextHeld() (int, unix.WaitStatus, bool) {
	for _, tid := range d.Threads() {
		if th := d.proc.threads[tid]; th.pending != nil {
			ws := *th.pending
			th.pending = nil
			return tid, ws, true
		}
	}
	return 0, 0, false
}

// waitLoop handles stops, held ones first, until one must be reported.
func (d *Debugger) waitLoop() []Event {
	d.setRunning(true)
	defer d.setRunning(false)
	var notices []Event
	for {
		tid, ws, held := d.nextHeld()
		if !held {
			var err error
			tid, ws, err = wait4(-1)
			if err != nil {
				// ECHILD: nothing left to wait for.
				d.proc.exited = true
				d.proc.memFile.close()
				return append(notices, Exit{Pid: d.proc.Pid})
			}
		}
		evs, stop := d.handle(tid, ws)
		if !stop {
			notices = append(notices, evs...)
			continue
		}
		return d.finishStop(tid, append(notices, evs...))
	}
}

// finishStop stops every other thread and selects the one that stopped.
func (d *Debugger) finishStop(tid int, evs []Event) []Event {
	if d.proc.exited {
		return evs
	}
	defer d.refreshStale()
	defer d.drainInterrupts()
	if _, ok := d.proc.threads[tid]; ok {
		d.Current = tid
	} else if _, ok := d.proc.threads[d.Current]; !ok {
		for t := range d.proc.threads {
			d.Current = t
			break
		}
	}
	return append(evs, d.stopAll()...)
}

func (d *Debugger) setRunning(on bool) {
	d.mu.Lock()
	d.running = on
	if on {
		d.runs++
	}
	if !on {
		d.intrSent = false
	}
	d.mu.Unlock()
}

// Interrupt stops a running program (Ctrl-C). It may be called from any
// goroutine: it sends SIGSTOP, which any thread may do, and the tracer
// thread turns the stop into an "interrupt" stop.
func (d *Debugger) Interrupt() {
	d.mu.Lock()
	gen := d.runs
	d.mu.Unlock()
	d.InterruptRun(gen)
}

// Running tells whether the program runs, and which run it is (a number
// that grows with every continue).
func (d *Debugger) Running() (run uint64, running bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.runs, d.running
}

// InterruptRun interrupts the program if it is still in the given run: a
// late interrupt meant for a run that has already stopped must not stop
// the next one.
func (d *Debugger) InterruptRun(run uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.running || d.intrSent || d.runs != run {
		return
	}
	d.intrSent = true
	d.proc.interrupts++
	target := d.Current
	if unix.Tgkill(d.proc.Pid, target, unix.SIGSTOP) != nil {
		unix.Kill(d.proc.Pid, unix.SIGSTOP)
	}
}

// resume restarts one stopped thread, delivering its pending signal.
func (d *Debugger) resume(th *Thread) error {
	d.libsChecked, d.cfiCached, d.mapsCached, d.frame = false, nil, nil, 0
	if th.stepOver {
		th.stepOver = false
		if err := d.stepOver(th); err != nil {
			return err
		}
	}
	var err error
	if th.groupStop {
		err = ptraceListen(th.Tid)
	} else {
		err = ptraceCont(th.Tid, th.sig)
	}
	th.stopped, th.groupStop, th.sig = false, false, 0
	if err == nil && len(th.later) > 0 {
		d.raiseLater(th)
	}
	return err
}

// thread returns the Thread for tid, creating it for a thread whose first
// stop arrives before its parent's clone event.
func (d *Debugger) thread(tid int) *Thread {
	th := d.proc.threads[tid]
	if th == nil {
		th = &Thread{Tid: tid, fresh: true}
		d.proc.threads[tid] = th
	}
	return th
}

func isStopSignal(s unix.Signal) bool {
	return s == unix.SIGSTOP || s == unix.SIGTSTP || s == unix.SIGTTIN || s == unix.SIGTTOU
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

// handle acts on one wait status. It returns the events it produced and
// whether they stop the program. When it does not stop, the thread has
// been resumed.
func (d *Debugger) handle(tid int, ws unix.WaitStatus) ([]Event, bool) {
	if traceLog {
		tracef("handle %d: %s", tid, describeStatus(ws))
	}
	if ws.Exited() || ws.Signaled() {
		return d.handleExit(tid, ws)
	}
	if !ws.Stopped() {
		return nil, false
	}
	if _, known := d.proc.threads[tid]; !known && tgidOf(tid) != d.proc.Pid {
		// A forked child whose first stop came before its parent's fork
		// event: keep it stopped until the event says how to let it go.
		d.children[tid] = true
		return nil, false
	}
	th := d.thread(tid)
	th.stopped = true
	sig := ws.StopSignal()
	switch stopEvent(ws) {
	case unix.PTRACE_EVENT_CLONE:
		d.noteClone(tid)
		return nil, d.resumeOrStop(th)
	case unix.PTRACE_EVENT_EXEC:
		return d.handleExec(th), d.resumeOrStop(th)
	case unix.PTRACE_EVENT_FORK, unix.PTRACE_EVENT_VFORK:
		evs := d.releaseChild(th)
		return evs, d.resumeOrStop(th)
	case unix.PTRACE_EVENT_VFORK_DONE:
		// The vfork child no longer shares our memory.
		var evs []Event
		if err := d.reinsertSoftBreaks(); err != nil {
			evs = append(evs, Warning{Text: err.Error()})
		}
		return evs, d.resumeOrStop(th)
	case unix.PTRACE_EVENT_STOP:
		if th.fresh {
			// A new thread, before its first instruction: give it the
			// process-wide slots.
			th.fresh = false
			var evs []Event
			if err := d.syncThread(th); err != nil {
				evs = append(evs, Warning{Text: fmt.Sprintf("cannot arm new thread %d: %v", tid, err)})
			}
			return evs, d.resumeOrStop(th)
		}
		if isStopSignal(sig) {
			th.groupStop = true
		}
		return nil, d.resumeOrStop(th)
	}
	switch {
	case sig == unix.SIGTRAP:
		return d.handleTrap(th)
	case sig == unix.SIGSTOP && d.takeInterrupt():
		return []Event{Stop{Tid: tid, Reason: "interrupt", At: d.locationOf(tid)}}, true
	case sig == unix.SIGINT && d.proc.Launched:
		// Ctrl-C at the terminal reached the program too: it is ours.
		return []Event{Stop{Tid: tid, Reason: "interrupt", At: d.locationOf(tid)}}, true
	case isReportedSignal(sig):
		th.sig = int(sig)
		st := Stop{Tid: tid, Reason: "signal", Signal: signalName(sig), At: d.locationOf(tid)}
		if si, err := getSiginfo(tid); err == nil && (sig == unix.SIGSEGV || sig == unix.SIGBUS) {
			st.Addr = si.Addr
		}
		return []Event{st}, true
	}
	th.sig = int(sig)
	return nil, d.resumeOrStop(th)
}

// resumeOrStop resumes th unless the program is being held stopped (a
// held status handled at continue time resumes with everyone else).
func (d *Debugger) resumeOrStop(th *Thread) bool {
	if err := d.resume(th); err != nil && err != unix.ESRCH {
		th.stopped = true
	}
	return false
}

func (d *Debugger) hasInterrupt() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.proc.interrupts > 0
}

// noteClone records the thread that tid's clone created; it is armed at
// its first stop (which may have come already).
func (d *Debugger) noteClone(tid int) {
	if msg, err := ptraceEventMsg(tid); err == nil {
		if _, known := d.proc.threads[int(msg)]; !known {
			d.proc.threads[int(msg)] = &Thread{Tid: int(msg), fresh: true}
		}
	}
}

func (d *Debugger) takeInterrupt() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.proc.interrupts > 0 {
		d.proc.interrupts--
		return true
	}
	return false
}

func (d *Debugger) handleExit(tid int, ws unix.WaitStatus) ([]Event, bool) {
	delete(d.proc.threads, tid)
	d.threadGone(tid)
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
	d.proc.exited = true
	d.arm.Close()
	d.proc.memFile.close()
	d.guard.Done()
	ex := Exit{Pid: tid}
	if ws.Signaled() {
		ex.Signal = signalName(ws.Signal())
	} else {
		ex.Status = ws.ExitStatus()
	}
	return []Event{ex}, true
}

func signalName(s unix.Signal) string {
	if n := unix.SignalName(s); n != "" {
		return n
	}
	return fmt.Sprintf("signal %d", int(s))
}

// handleExec: the kernel flushed every debug register and every other
// thread is gone. Reload symbols and re-resolve each watchpoint in the new
// image, dropping those that do not resolve.
func (d *Debugger) handleExec(th *Thread) []Event {
	// The kernel removed our perf events with the old image; our
	// /proc/PID/mem is the old image's memory.
	d.arm.Close()
	d.proc.memFile.close()
	for tid := range d.proc.threads {
		if tid != th.Tid {
			delete(d.proc.threads, tid)
		}
	}
	if th.Tid != d.proc.Pid {
		// A non-leader thread exec'd: it now has the leader's id.
		delete(d.proc.threads, th.Tid)
		th.Tid = d.proc.Pid
		d.proc.threads[th.Tid] = th
	}
	th.written = nil
	d.prevInsn = map[uint64]arch.Insn{}
	d.Current = th.Tid
	if exe, err := readExe(d.proc.Pid); err == nil {
		d.proc.Path = exe
	}
	evs := []Event{Notice{Text: fmt.Sprintf("process %d is executing new program: %s", d.proc.Pid, d.proc.Path)}}
	if err := d.loadSymbols(); err != nil {
		evs = append(evs, Warning{Text: err.Error()})
	}
	d.slots.Reset()
	d.soft = map[uint64]*softBreak{} // the new image has none of our bytes
	old := d.bps
	d.bps = nil
	for _, w := range old {
		w.slots = nil
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

// stopAll interrupts every running thread and waits until each is
// stopped. Stops that arrive meanwhile for other reasons are held for the
// next resume.
func (d *Debugger) stopAll() []Event {
	waiting := map[int]bool{}
	for tid, th := range d.proc.threads {
		if th.stopped {
			continue
		}
		if err := ptraceInterrupt(tid); err == nil {
			waiting[tid] = true
		}
	}
	var evs []Event
	for len(waiting) > 0 {
		tid, ws, err := wait4(-1)
		if err != nil {
			break
		}
		tracef("stopAll %d: %s waiting=%v", tid, describeStatus(ws), waiting)
		if ws.Exited() || ws.Signaled() {
			delete(waiting, tid)
			if e, _ := d.handleExit(tid, ws); e != nil {
				evs = append(evs, e...)
				return evs
			}
			continue
		}
		th := d.thread(tid)
		th.stopped = true
		if !waiting[tid] && !th.fresh {
			// A thread we were not waiting for (new, unknown): keep it.
			th.pending = &ws
			continue
		}
		delete(waiting, tid)
		if stopEvent(ws) == unix.PTRACE_EVENT_STOP {
			if th.fresh {
				th.fresh = false
				d.syncThread(th)
			} else if isStopSignal(ws.StopSignal()) {
				th.groupStop = true
			}
			continue
		}
		if stopEvent(ws) == 0 && ws.StopSignal() == unix.SIGSTOP && d.takeInterrupt() {
			// Our Ctrl-C interrupt, overtaken by the stop being reported:
			// it has done its job.
			continue
		}
		// Something else happened first (a hit, a signal, a clone): hold
		// it; the interrupt's own stop will come after the next resume
		// and is then ignored.
		th.pending = &ws
	}
	return evs
}

// drainInterrupts: an interrupt (SIGSTOP) sent just as the program
// stopped for another reason is still queued; were it left, it would stop
// the next continue at once. Take it now, under trace, from every stopped
// thread that has one.
func (d *Debugger) drainInterrupts() {
	for _, tid := range d.Threads() {
		th := d.proc.threads[tid]
		if !d.hasInterrupt() {
			return
		}
		if !th.stopped || th.pending != nil || !sigPending(d.proc.Pid, tid, unix.SIGSTOP) {
			continue
		}
		if ptraceCont(tid, 0) != nil {
			continue
		}
		_, ws, err := wait4(tid)
		if err != nil {
			continue
		}
		if stopEvent(ws) == 0 && ws.StopSignal() == unix.SIGSTOP && d.takeInterrupt() {
			continue // dropped; the thread stays where it was
		}
		th.pending = &ws // something else came first: keep it for the next resume
	}
}
