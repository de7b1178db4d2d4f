package debugger

import (
	"fmt"

	"golang.org/x/sys/unix"

	"hwdbg/arch"
	"hwdbg/tracee"
)

// Step executes one instruction of the selected thread (stepi). A watched
// access made by that instruction is reported as a hit.
func (d *Debugger) Step() ([]Event, error) {
	if d.proc.Exited() {
		return nil, ErrExited
	}
	var evs []Event
	var err error
	d.proc.Do(func() {
		evs, err = d.step()
		evs = append(evs, d.park()...)
	})
	return evs, err
}

func (d *Debugger) step() ([]Event, error) {
	th := d.thread(d.Current)
	if th == nil {
		return nil, fmt.Errorf("no thread %d", d.Current)
	}
	if th.Held() {
		// Its held stop comes first, as it would at continue.
		if st, ok := d.proc.TakeHeld(th.Thread); ok {
			if evs, stop := d.handle(st); stop {
				return d.finishStop(th.Tid, evs), nil
			}
		}
		// handle resumed it: bring it back.
		return d.finishStop(th.Tid, nil), nil
	}
	if err := d.syncSlots(); err != nil {
		return nil, err
	}
	regs, err := d.arch.GetRegs(th.Tid)
	if err != nil {
		return nil, err
	}
	pc := regs.PC()
	if th.stepOver {
		th.stepOver = false
		if err := d.stepOver(th); err != nil {
			return nil, err
		}
		return []Event{Stop{Tid: th.Tid, Reason: "step", At: d.locationOf(th.Tid)}}, nil
	}
	if th.atBreak {
		evs, _, err := d.stepPastBreak(th, regs, false)
		if err != nil || len(evs) > 0 {
			return evs, err
		}
		return []Event{Stop{Tid: th.Tid, Reason: "step", At: d.locationOf(th.Tid)}}, nil
	}
	// A step onto a watched access: see stepWatched. (A signal due now
	// is delivered with the step, into its handler, as below.)
	if th.Signal() == 0 {
		if fired := d.watchedBy(th, pc, regs); len(fired) > 0 {
			if err := d.stepWatched(th, fired); err != nil {
				return nil, err
			}
			evs, hit := d.onHit(th, arch.Trap{Fired: fired}, pc)
			if hit {
				return evs, nil
			}
			return append(evs, Stop{Tid: th.Tid, Reason: "step", At: d.locationOf(th.Tid)}), nil
		}
	}
	return d.stepInsn(th, pc)
}

// stepInsn single-steps th from pc, delivering its signal, and waits for
// the step to end: a trap (a watched access, or the step done), a signal
// to report, the thread's end or exec. Signals the program handles
// quietly are delivered at the next resume, after the step has executed
// the instruction (as gdb steps over a handler). A step over a blocking
// system call can take long: Ctrl-C stops it.
func (d *Debugger) stepInsn(th *thread, pc uint64) ([]Event, error) {
	sig := th.Signal()
	th.SetSignal(0)
	if err := d.proc.Step(th.Thread, sig); err != nil {
		return nil, err
	}
	d.proc.SetRunning(true)
	defer d.proc.DrainInterrupts()
	defer d.proc.SetRunning(false)
	var notices []Event
	for {
		st, err := d.proc.WaitThread(th.Thread)
		if err != nil {
			return nil, fmt.Errorf("wait for thread %d: %w", th.Tid, err)
		}
		switch st.Kind {
		case tracee.Exited, tracee.Killed:
			evs, _ := d.handleExit(st)
			return append(notices, evs...), nil
		case tracee.ExecEvent:
			return append(notices, d.handleExec(d.execThread(st))...), nil
		case tracee.ForkEvent, tracee.VForkEvent, tracee.VForkDoneEvent:
			notices = append(notices, d.onFork(th, st)...)
		case tracee.SignalStop:
			if st.Signal == unix.SIGTRAP {
				evs, err := d.stepTrap(th, st, pc)
				return append(notices, evs...), err
			}
			if sig := st.Signal; isReportedSignal(sig) || sig == unix.SIGINT || (sig == unix.SIGSTOP && d.proc.Interrupting()) {
				evs, _ := d.handle(st)
				return append(notices, evs...), nil
			}
			th.Keep(int(st.Signal))
		}
		// A clone, an event stop, a fork, a quiet signal: the step goes on.
		if err := d.proc.Step(th.Thread, 0); err != nil {
			return nil, err
		}
	}
}

// stepTrap reports the SIGTRAP that ended a stepi from pc: the watchpoints
// the instruction hit, or the step done.
func (d *Debugger) stepTrap(th *thread, st tracee.Stop, pc uint64) ([]Event, error) {
	trap, err := d.decodeTrap(th, st.Info)
	if err != nil {
		return nil, err
	}
	var evs []Event
	if len(trap.Fired) > 0 {
		var hit bool
		if evs, hit = d.onHit(th, trap, pc); hit {
			return evs, nil
		}
	}
	at := d.locationOf(th.Tid)
	if _, ok := d.soft[at.PC]; ok {
		// Landed on one of our breakpoints: the next resume must run
		// the real instruction, not our breakpoint byte.
		th.atBreak = true
	}
	return append(evs, Stop{Tid: th.Tid, Reason: "step", At: at}), nil
}

// stepOver executes one instruction of th with its slots disabled (for
// machines whose watchpoints trap before the access), then re-arms them.
func (d *Debugger) stepOver(th *thread) error {
	if err := d.arm.Disarm(th.Tid); err != nil {
		return err
	}
	if err := d.proc.SingleStep(th.Thread); err != nil {
		return err
	}
	if !d.proc.Launched {
		// Out of single-step mode before anything else: were hwdbg killed
		// while th waits in its step's stop, the kernel would let th go
		// with the mode on and the program would die of SIGTRAP. A program
		// hwdbg started dies with it anyway.
		d.proc.LeaveStep(th.Thread)
	}
	return d.armThread(th.Tid, th.written)
}
