package tracee

import (
	"golang.org/x/sys/unix"

	"hwdbg/internal/procfs"
)

// StopAll interrupts every running thread and waits until each is
// stopped. Stops that arrive meanwhile for other reasons are held: Wait
// returns them before waiting again, and the thread is not resumed until
// then. It returns what it could not hold: the threads that ended (it
// returns at once when the process ends), and the first stops of new
// threads (NewThread), which stay stopped.
func (p *Process) StopAll() []Stop {
	waiting := map[int]bool{}
	for tid, th := range p.threads {
		if th.stopped {
			continue
		}
		if err := ptraceInterrupt(tid); err == nil {
			waiting[tid] = true
		}
	}
	var out []Stop
	for len(waiting) > 0 {
		tid, ws, err := wait4(-1)
		if err != nil {
			break
		}
		Tracef("stopAll %d: %s waiting=%v", tid, describeStatus(ws), waiting)
		if ws.Exited() || ws.Signaled() {
			delete(waiting, tid)
			p.ended(tid)
			out = append(out, Decode(tid, ws))
			if p.exited {
				return out
			}
			continue
		}
		if _, known := p.threads[tid]; !known && procfs.Tgid(tid) != p.Pid {
			p.children[tid] = true // see arrive
			continue
		}
		th := p.thread(tid)
		th.stopped = true
		if !waiting[tid] && !th.new {
			// A thread we were not waiting for (new, unknown): keep it.
			p.hold(th, ws)
			continue
		}
		delete(waiting, tid)
		if stopEvent(ws) == unix.PTRACE_EVENT_STOP {
			if th.new {
				th.new = false
				out = append(out, Stop{Tid: tid, Kind: EventStop, Signal: ws.StopSignal(), Event: unix.PTRACE_EVENT_STOP, NewThread: true})
			} else if isStopSignal(ws.StopSignal()) {
				th.groupStop = true
			}
			continue
		}
		if stopEvent(ws) == 0 && ws.StopSignal() == unix.SIGSTOP && p.TakeInterrupt() {
			// Our Ctrl-C interrupt, overtaken by the stop being reported:
			// it has done its job.
			continue
		}
		// Something else happened first (a hit, a signal, a clone): hold
		// it; the interrupt's own stop will come after the next resume
		// and is then ignored.
		p.hold(th, ws)
	}
	return out
}

// Park moves every stopped thread that would leave a signal-delivery stop
// of ours (a trap's or a step's SIGTRAP, an interrupt's SIGSTOP) into an
// event stop: PTRACE_INTERRUPT, then PTRACE_CONT without the signal; the
// thread stops again before it runs one instruction. Call it before
// waiting for the user. The difference shows only if the tracer dies
// without detaching (SIGKILL): the kernel lets go of its tracees without
// clearing the single-step mode of a thread that stopped after a step,
// and that thread dies of SIGTRAP after its next instruction. PTRACE_CONT
// clears that mode. Threads with a signal to deliver, in a group-stop or
// with a held stop stay as they are. It returns the threads that ended
// meanwhile; other stops that come first are held.
func (p *Process) Park() []Stop {
	var out []Stop
	for _, tid := range p.Threads() {
		th := p.threads[tid]
		if th == nil || !th.stopped || th.pending != nil || th.sig != 0 || th.groupStop {
			continue
		}
		si, err := p.Siginfo(tid)
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
			p.ended(tid)
			out = append(out, Decode(tid, ws))
		case stopEvent(ws) != unix.PTRACE_EVENT_STOP:
			p.hold(th, ws) // something else came first: returned by the next Wait
		}
	}
	return out
}

// LeaveStep parks th (see Park), which an internal step left in its
// step's stop, at once rather than at the prompt: the single-step mode it
// is in would kill the program if the tracer died before resuming it. The
// step's own stop is gone afterwards, so the caller must have read all it
// needs of it (the siginfo, the debug status). If th ends or stops for
// something else first, that stop is held for Wait.
func (p *Process) LeaveStep(th *Thread) {
	if ptraceInterrupt(th.Tid) != nil || ptraceCont(th.Tid, 0) != nil {
		return
	}
	if _, ws, err := wait4(th.Tid); err == nil && stopEvent(ws) != unix.PTRACE_EVENT_STOP {
		p.hold(th, ws)
	}
}

// DrainInterrupts: an interrupt (SIGSTOP) sent just as the program
// stopped for another reason is still queued; were it left, it would stop
// the next resume at once. Take it now, under trace, from every stopped
// thread that has one.
func (p *Process) DrainInterrupts() {
	for _, tid := range p.Threads() {
		th := p.threads[tid]
		if !p.Interrupting() {
			return
		}
		if !th.stopped || th.pending != nil || !procfs.SigPending(p.Pid, tid, int(unix.SIGSTOP)) {
			continue
		}
		if ptraceCont(tid, 0) != nil {
			continue
		}
		_, ws, err := wait4(tid)
		if err != nil {
			continue
		}
		if stopEvent(ws) == 0 && ws.StopSignal() == unix.SIGSTOP && p.TakeInterrupt() {
			continue // dropped; the thread stays where it was
		}
		p.hold(th, ws) // something else came first: keep it for the next resume
	}
}
