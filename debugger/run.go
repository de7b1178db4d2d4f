package debugger

import "fmt"

// Continue resumes every thread and returns when something worth
// reporting happens: a hit, a signal, an interrupt, the end of the
// process. Every thread is stopped again when it returns (all-stop).
func (d *Debugger) Continue() ([]Event, error) {
	if d.proc.Exited() {
		return nil, ErrExited
	}
	if d.trace != nil {
		return d.continueTrace()
	}
	var evs []Event
	var err error
	d.proc.Do(func() {
		evs, err = d.resumeAndWait()
		evs = append(evs, d.park()...)
	})
	return evs, err
}

// park leaves the threads as they wait at the prompt: each stopped
// thread's way of arming chosen again (its signal mask may have changed
// since its slots were armed: a new thread blocks every signal until its
// start routine runs (glibc, the Go runtime), a program may block SIGTRAP
// later), then every thread in an event stop (tracee.Process.Park).
func (d *Debugger) park() []Event {
	evs := d.kernelMissed()
	for _, tid := range d.proc.Threads() {
		th := d.thread(tid)
		if !th.Stopped() || th.Held() {
			continue
		}
		if d.chooseArming(th) {
			if err := d.syncThread(th); err != nil {
				tracef("re-arm thread %d: %v", tid, err)
			}
		}
	}
	for _, st := range d.proc.Park() {
		e, _ := d.handleExit(st)
		evs = append(evs, e...)
	}
	return evs
}

func (d *Debugger) resumeAndWait() ([]Event, error) {
	if err := d.syncSlots(); err != nil {
		return nil, err
	}
	// While every thread is still stopped, step those sitting on a
	// software breakpoint past it (the instruction runs with its own byte).
	for _, tid := range d.proc.Threads() {
		th := d.thread(tid)
		if th == nil || !th.Stopped() || th.Held() {
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
	d.forgetStop()
	for _, tid := range d.proc.Threads() {
		th := d.thread(tid)
		if th.Stopped() && !th.Held() && th.stepOver {
			th.stepOver = false
			if err := d.stepOver(th); err != nil {
				return fmt.Errorf("resume thread %d: %w", tid, err)
			}
		}
	}
	return d.proc.ResumeAll()
}

// resume restarts one stopped thread, delivering its pending signal.
func (d *Debugger) resume(th *thread) error {
	d.forgetStop()
	if th.stepOver {
		th.stepOver = false
		if err := d.stepOver(th); err != nil {
			return err
		}
	}
	return d.proc.Resume(th.Thread)
}

// resumeOrStop resumes th; a thread that cannot be resumed stays stopped.
// It says false: the stop it handled does not stop the program.
func (d *Debugger) resumeOrStop(th *thread) bool {
	d.resume(th)
	return false
}

// forgetStop drops what was read for the stop the program leaves.
func (d *Debugger) forgetStop() {
	d.libsChecked, d.cfiCached, d.mapsCached, d.frame = false, nil, nil, 0
}

// waitLoop handles stops, held ones first, until one must be reported.
func (d *Debugger) waitLoop() []Event {
	d.proc.SetRunning(true)
	defer d.proc.SetRunning(false)
	var notices []Event
	for {
		st, err := d.proc.Wait()
		if err != nil {
			tracef("%v", err)
			return append(notices, Exit{Pid: d.proc.Pid})
		}
		evs, stop := d.handle(st)
		if !stop {
			notices = append(notices, evs...)
			continue
		}
		return d.finishStop(st.Tid, append(notices, evs...))
	}
}

// finishStop stops every other thread and selects the one that stopped.
func (d *Debugger) finishStop(tid int, evs []Event) []Event {
	if d.proc.Exited() {
		return evs
	}
	defer d.refreshStale()
	defer d.proc.DrainInterrupts()
	if d.proc.Thread(tid) != nil {
		d.Current = tid
	} else if d.proc.Thread(d.Current) == nil {
		if tids := d.proc.Threads(); len(tids) > 0 {
			d.Current = tids[0]
		}
	}
	return append(evs, d.stopAll()...)
}

// stopAll stops every running thread (tracee.Process.StopAll), arms the
// new threads among them, and reports the threads that ended meanwhile.
func (d *Debugger) stopAll() []Event {
	var evs []Event
	for _, st := range d.proc.StopAll() {
		switch {
		case st.Ended():
			e, _ := d.handleExit(st)
			evs = append(evs, e...)
		case st.NewThread:
			d.syncThread(d.thread(st.Tid))
			if err := d.traceThread(st.Tid); err != nil {
				evs = append(evs, Warning{Text: fmt.Sprintf("cannot trace new thread %d: %v", st.Tid, err)})
			}
		}
	}
	return evs
}

// Interrupt stops a running program (Ctrl-C). It may be called from any
// goroutine: it sends SIGSTOP, which any thread may do, and the tracer
// thread turns the stop into an "interrupt" stop.
func (d *Debugger) Interrupt() {
	run, _ := d.proc.Running()
	d.InterruptRun(run)
}

// Running tells whether the program runs, and which run it is (a number
// that grows with every continue).
func (d *Debugger) Running() (run uint64, running bool) { return d.proc.Running() }

// InterruptRun interrupts the program if it is still in the given run: a
// late interrupt meant for a run that has already stopped must not stop
// the next one.
func (d *Debugger) InterruptRun(run uint64) { d.proc.InterruptRun(run, d.Current) }
