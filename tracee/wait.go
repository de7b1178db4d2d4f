package tracee

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"hwdbg/internal/procfs"
)

// Wait returns the next stop of any thread: a held one first (see
// StopAll), else the next one the kernel reports. The package has done
// its bookkeeping when it returns: a thread that ended is gone (the
// process, when it was the last), a clone's new thread is known, an exec
// has left one thread. Statuses that are no stop of ours (a forked child's
// first stop before its parent's fork event) are passed over. An error
// means nothing is left to wait for: the process is gone.
func (p *Process) Wait() (Stop, error) {
	for {
		tid, ws, ok := p.nextHeld()
		if !ok {
			var err error
			tid, ws, err = wait4(-1)
			if err != nil {
				// ECHILD: nothing left to wait for.
				p.gone()
				return Stop{}, fmt.Errorf("wait for the program's threads: %w", err)
			}
		}
		if st, ok := p.arrive(tid, ws); ok {
			return st, nil
		}
	}
}

// WaitThread returns the next stop of th (see Wait), which was resumed or
// stepped.
func (p *Process) WaitThread(th *Thread) (Stop, error) {
	for {
		_, ws, err := wait4(th.Tid)
		if err != nil {
			return Stop{}, err
		}
		if st, ok := p.arrive(th.Tid, ws); ok {
			return st, nil
		}
	}
}

// TakeHeld returns th's held stop, if it has one, as Wait would.
func (p *Process) TakeHeld(th *Thread) (Stop, bool) {
	ws, ok := p.unhold(th)
	if !ok {
		return Stop{}, false
	}
	return p.arrive(th.Tid, ws)
}

// nextHeld takes one stop held back while every thread was being
// stopped, if there is one.
func (p *Process) nextHeld() (int, unix.WaitStatus, bool) {
	if p.held == 0 {
		return 0, 0, false
	}
	for _, tid := range p.Threads() {
		if ws, ok := p.unhold(p.threads[tid]); ok {
			return tid, ws, true
		}
	}
	return 0, 0, false
}

// arrive decodes status ws of tid and does the bookkeeping it calls for.
// It says false for a status that is no stop to report.
func (p *Process) arrive(tid int, ws unix.WaitStatus) (Stop, bool) {
	if Tracing {
		Tracef("stop %d: %s", tid, describeStatus(ws))
	}
	st := Decode(tid, ws)
	switch st.Kind {
	case NoStop:
		return st, false
	case Exited, Killed:
		p.ended(tid)
		return st, true
	}
	if _, known := p.threads[tid]; !known && procfs.Tgid(tid) != p.Pid {
		// A forked child whose first stop came before its parent's fork
		// event: it stays stopped until ReleaseChild lets it go.
		p.children[tid] = true
		return st, false
	}
	th := p.thread(tid)
	th.stopped = true
	switch st.Kind {
	case CloneEvent:
		st.Child = p.noteClone(tid)
	case ExecEvent:
		st.Former, st.Tid = p.exec(th), p.Pid
	case EventStop, GroupStop:
		if th.new {
			// A new thread, before its first instruction.
			th.new = false
			st.Kind, st.NewThread = EventStop, true
		} else if st.Kind == GroupStop {
			th.groupStop = true
		}
	case SignalStop:
		if CarriesAddr(st.Signal) {
			st.Info, st.InfoErr = p.Siginfo(tid)
		}
	}
	return st, true
}

// ended drops a thread that ended; the process is gone with its leader.
func (p *Process) ended(tid int) {
	p.forget(tid)
	if tid == p.Pid {
		p.gone()
	}
}

// noteClone records the thread that tid's clone created (its first stop
// may have come already) and returns its id, 0 if unknown.
func (p *Process) noteClone(tid int) int {
	msg, err := ptraceEventMsg(tid)
	if err != nil {
		return 0
	}
	if _, known := p.threads[int(msg)]; !known {
		p.threads[int(msg)] = &Thread{Tid: int(msg), new: true}
	}
	return int(msg)
}

// exec: every other thread is gone, and the one that exec'd (th's, or the
// one the kernel names) has the process's id; /proc/PID/mem is the old
// image's. It returns the thread's former id.
func (p *Process) exec(th *Thread) int {
	former := th.Tid
	if msg, err := ptraceEventMsg(th.Tid); err == nil && msg != 0 {
		// The kernel reports the exec under the process's id; the thread
		// that made it had another when it was not the leader.
		former = int(msg)
	}
	if t := p.threads[former]; t != nil && t != th {
		t.stopped, t.groupStop = th.stopped, th.groupStop
		th = t
	}
	p.mem.close()
	for tid, t := range p.threads {
		if t != th {
			p.forget(tid)
		}
	}
	delete(p.threads, th.Tid)
	th.Tid, th.new = p.Pid, false
	p.threads[th.Tid] = th
	if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", p.Pid)); err == nil {
		p.Path = exe
	}
	return former
}

// Reap takes, without waiting, what happened while every thread was
// stopped for us (a kill from outside while the debugger waited at its
// prompt): the threads that ended are returned, the stops of the others
// held.
func (p *Process) Reap() []Stop {
	var out []Stop
	for !p.exited {
		var ws unix.WaitStatus
		wpid, err := unix.Wait4(-1, &ws, unix.WALL|unix.WNOHANG, nil)
		if err != nil || wpid <= 0 {
			break
		}
		Tracef("at the prompt %d: %s", wpid, describeStatus(ws))
		if ws.Exited() || ws.Signaled() {
			p.ended(wpid)
			out = append(out, Decode(wpid, ws))
		} else if th := p.threads[wpid]; th != nil && th.pending == nil {
			p.hold(th, ws)
		}
	}
	return out
}

// ForkChild returns the child of the fork (or vfork) event thread parent
// is stopped at, once the child's first stop has been seen: it is stopped,
// traced, until ReleaseChild.
func (p *Process) ForkChild(parent int) (int, error) {
	msg, err := ptraceEventMsg(parent)
	if err != nil {
		return 0, fmt.Errorf("fork by thread %d: %w", parent, err)
	}
	child := int(msg)
	if !p.children[child] {
		// Its first stop is on the way.
		if _, ws, err := wait4(child); err != nil || !ws.Stopped() {
			return 0, fmt.Errorf("forked child %d: %v", child, err)
		}
	}
	delete(p.children, child)
	return child, nil
}

// ReleaseChild lets a forked child run on untraced.
func (p *Process) ReleaseChild(child int) error {
	if err := ptraceDetach(child, 0); err != nil {
		return fmt.Errorf("detach forked child %d: %w", child, err)
	}
	return nil
}
