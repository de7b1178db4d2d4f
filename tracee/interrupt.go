package tracee

import "golang.org/x/sys/unix"

// The interrupt (Ctrl-C) accounting. An interrupt is a SIGSTOP we send to
// one thread; the stop it causes is told from one the program (or anyone
// else) caused by counting the SIGSTOPs we sent that have not been seen
// (TakeInterrupt). These methods may be called from any goroutine.

// SetRunning marks the start (on) and end of a run: the time between
// resuming the program and reporting its stop, in which InterruptRun may
// interrupt it. Each run has a number of its own.
func (p *Process) SetRunning(on bool) {
	p.mu.Lock()
	p.running = on
	if on {
		p.runs++
	} else {
		p.intrSent = false
	}
	p.mu.Unlock()
}

// Running tells whether the program runs, and which run it is (a number
// that grows with every run).
func (p *Process) Running() (run uint64, running bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.runs, p.running
}

// InterruptRun stops the program, through thread tid, if it is still in
// the given run: a late interrupt meant for a run that has already
// stopped must not stop the next one. One interrupt a run is sent.
func (p *Process) InterruptRun(run uint64, tid int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.running || p.intrSent || p.runs != run {
		return
	}
	p.intrSent = true
	p.interrupts++
	if unix.Tgkill(p.Pid, tid, unix.SIGSTOP) != nil {
		unix.Kill(p.Pid, unix.SIGSTOP)
	}
}

// Interrupting tells whether an interrupt we sent has not been seen yet.
func (p *Process) Interrupting() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.interrupts > 0
}

// TakeInterrupt counts one interrupt as seen, if one is outstanding: a
// SIGSTOP stop is then ours.
func (p *Process) TakeInterrupt() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.interrupts > 0 {
		p.interrupts--
		return true
	}
	return false
}
