package tracee

import (
	"fmt"
	"slices"

	"golang.org/x/sys/unix"
)

// Resume restarts th, stopped, delivering its signal (SetSignal, Keep); a
// thread in a group-stop goes back into it (PTRACE_LISTEN). Signals kept
// during an internal step, beyond the one delivered, are raised again
// once it runs. A thread that cannot be resumed for another reason than
// being gone (ESRCH) stays stopped.
func (p *Process) Resume(th *Thread) error {
	var err error
	if th.groupStop {
		err = ptraceListen(th.Tid)
	} else {
		if th.sig != 0 {
			Tracef("resume %d with signal %d", th.Tid, th.sig)
		}
		err = ptraceCont(th.Tid, th.sig)
	}
	th.stopped, th.groupStop, th.sig = err != nil && err != unix.ESRCH, false, 0
	if err == nil && len(th.later) > 0 {
		p.raiseLater(th)
	}
	return err
}

// ResumeAll resumes every stopped thread that has no held stop.
func (p *Process) ResumeAll() error {
	for _, tid := range p.Threads() {
		th := p.threads[tid]
		if th.stopped && th.pending == nil {
			if err := p.Resume(th); err != nil && err != unix.ESRCH {
				return fmt.Errorf("resume thread %d: %w", tid, err)
			}
		}
	}
	return nil
}

// raiseLater sends th the signals Keep could not hold in th.sig, now that
// th runs again: each comes back as a stop of its own and is delivered
// like any signal of the program.
func (p *Process) raiseLater(th *Thread) {
	for _, sig := range th.later {
		unix.Tgkill(p.Pid, th.Tid, unix.Signal(sig))
	}
	th.later = nil
}

// Step resumes th, stopped, for one instruction, delivering sig (0: none);
// WaitThread then returns its next stop. A step into a blocking system
// call may take long: Interrupt stops it.
func (p *Process) Step(th *Thread, sig int) error {
	if err := ptraceSingleStep(th.Tid, sig); err != nil {
		return fmt.Errorf("single-step thread %d: %w", th.Tid, err)
	}
	th.stopped, th.groupStop = false, false
	return nil
}

// SingleStep steps th over one instruction and waits for the step to end,
// passing over clone events and event stops on the way. It delivers no
// signal: one already due and any that arrives during the step (the Go
// runtime's SIGURG, another thread's tgkill) are kept and delivered when
// th resumes (Keep). Delivered with the step, a signal would run its
// handler and leave the instruction unexecuted. Our own interrupt (a
// SIGSTOP while Interrupting) is sent again once the thread runs, so that
// it stops the program then: delivered as the program's signal, it would
// make a job-control stop that no one reports. A thread that ends during
// the step is an error, its end held for Wait.
func (p *Process) SingleStep(th *Thread) error {
	for {
		if err := ptraceSingleStep(th.Tid, 0); err != nil {
			return fmt.Errorf("single-step thread %d: %w", th.Tid, err)
		}
		_, ws, err := wait4(th.Tid)
		if err != nil {
			return fmt.Errorf("wait for thread %d: %w", th.Tid, err)
		}
		if ws.Exited() || ws.Signaled() {
			p.hold(th, ws)
			return fmt.Errorf("thread %d ended while stepping", th.Tid)
		}
		Tracef("step %d: %v event %d", th.Tid, ws.StopSignal(), stopEvent(ws))
		switch stopEvent(ws) {
		case unix.PTRACE_EVENT_CLONE:
			p.noteClone(th.Tid)
			continue
		case unix.PTRACE_EVENT_STOP:
			continue
		}
		if sig := ws.StopSignal(); sig != unix.SIGTRAP {
			if sig == unix.SIGSTOP && p.Interrupting() {
				if !slices.Contains(th.later, int(sig)) {
					th.later = append(th.later, int(sig))
				}
			} else {
				th.Keep(int(sig))
			}
			continue
		}
		return nil
	}
}
