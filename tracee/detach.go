package tracee

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"hwdbg/internal/procfs"
)

// Detach lets the process run on untraced. Each stopped thread takes with
// it the signal it was to get; a signal held back while stopping the
// threads is delivered too when it is the program's (not a SIGTRAP or
// SIGSTOP, which are ours: traps, interrupts). Running threads stay
// traced until Close. The process counts as exited afterwards.
func (p *Process) Detach() error {
	var errs []error
	for tid, th := range p.threads {
		if !th.stopped {
			continue
		}
		sig := th.sig
		if th.pending != nil && stopEvent(*th.pending) == 0 {
			if s := th.pending.StopSignal(); s != unix.SIGTRAP && s != unix.SIGSTOP {
				sig = int(s)
			}
		}
		p.drainTrap(tid)
		p.drainInterrupt(tid)
		if err := ptraceDetach(tid, sig); err != nil && err != unix.ESRCH {
			errs = append(errs, fmt.Errorf("detach thread %d: %w", tid, err))
		}
	}
	p.gone()
	return errors.Join(errs...)
}

// drainTrap: a thread can have a SIGTRAP queued but not yet delivered (a
// trap raised as we interrupted it). After a detach that signal would
// kill the program, so let the thread take it now, under our trace, and
// drop it. Whatever raised it must be gone already (the caller clears
// what it armed before detaching).
func (p *Process) drainTrap(tid int) {
	p.drain(tid, unix.SIGTRAP, func() bool { return true })
}

// drainInterrupt: an interrupt of ours (SIGSTOP) can still be queued on a
// thread at detach, e.g. sent at the session's end as the thread stopped
// for something else, with that stop held. After a detach it would stop
// the whole program (state T, left stopped): let the thread take it now,
// under our trace, and drop it.
func (p *Process) drainInterrupt(tid int) {
	p.drain(tid, unix.SIGSTOP, p.Interrupting)
}

// drain lets stopped thread tid take sig, queued for it, while ours()
// says it is ours, and drops it (at most 4 times).
func (p *Process) drain(tid int, sig unix.Signal, ours func() bool) {
	for i := 0; i < 4 && ours() && procfs.SigPending(p.Pid, tid, int(sig)); i++ {
		if ptraceCont(tid, 0) != nil {
			return
		}
		_, ws, err := wait4(tid)
		if err != nil || !ws.Stopped() {
			return
		}
		Tracef("drain %d: %s", tid, describeStatus(ws))
		if sig == unix.SIGSTOP && stopEvent(ws) == 0 && ws.StopSignal() == unix.SIGSTOP {
			p.TakeInterrupt()
		}
	}
}

// Kill ends the process and reaps it. The process counts as exited
// afterwards.
func (p *Process) Kill() {
	unix.Kill(p.Pid, unix.SIGKILL)
	for {
		wpid, ws, err := wait4(-1)
		if err != nil {
			break
		}
		if wpid == p.Pid && (ws.Exited() || ws.Signaled()) {
			break
		}
	}
	p.gone()
}
