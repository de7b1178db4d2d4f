// Package tracee is the operating system's side of debugging a program: a
// process and its threads under ptrace, the one OS thread that issues
// every ptrace request, launching, attaching, waiting, stopping every
// thread and resuming them, single steps, memory. It reports what happens
// to the threads as Stops and knows nothing of watchpoints, breakpoints or
// slots: the debugger above it decides what a stop means.
//
// Every method that makes a ptrace or wait call runs on the tracer thread:
// call it inside Do. The exceptions say so (Interrupt and the run
// accounting may be called from any goroutine; memory access from any).
package tracee

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"hwdbg/internal/procfs"
)

// Process is a traced program.
type Process struct {
	// Pid, Path (the executable) and Launched (started by us, killed when
	// we go, rather than attached) are kept by the package: read them only.
	Pid      int
	Path     string
	Launched bool

	tr      *tracer
	exited  bool
	threads map[int]*Thread
	// held counts the threads with a held stop (Thread.pending).
	held int
	// children are forked children whose first stop came before their
	// parent's fork event.
	children map[int]bool
	// mem is its /proc/PID/mem, for writing program text.
	mem memFile

	// mu guards what Interrupt, from any goroutine, reads and writes.
	mu sync.Mutex
	// interrupts counts the SIGSTOPs we sent to interrupt the program
	// that have not been seen yet.
	interrupts int
	running    bool
	runs       uint64
	intrSent   bool
}

// Thread is one thread (LWP) of a traced process.
type Thread struct {
	// Tid is the thread's id; it becomes the process's id when the thread
	// execs. Read it only.
	Tid int
	// stopped is true while the thread sits in a ptrace stop that we have
	// not resumed.
	stopped bool
	// groupStop is true when the thread's last stop was a job-control
	// group-stop: it is resumed with PTRACE_LISTEN so it stays stopped for
	// the program, as it would without a debugger.
	groupStop bool
	// sig is the signal to deliver when the thread is next resumed.
	sig int
	// later are more signals that arrived during an internal step, after
	// sig: raised again once the thread runs (Keep).
	later []int
	// pending is a stop that arrived while we were stopping every thread
	// or stepping this one; Wait returns it before waiting again, instead
	// of the thread being resumed.
	pending *unix.WaitStatus
	// new is true for a thread we have seen created (or stop) until its
	// first event stop, which is its start.
	new bool
}

func newProcess(tr *tracer, pid int, path string, launched bool) *Process {
	return &Process{Pid: pid, Path: path, Launched: launched, tr: tr,
		threads: map[int]*Thread{}, children: map[int]bool{}}
}

// Do runs f on the tracer thread and waits for it. A panic in f is raised
// again in the caller, as a TracerPanic. It may be called from any
// goroutine, but not from inside f.
func (p *Process) Do(f func()) { p.tr.do(f) }

// Close ends the tracer thread. Call it once the process is detached,
// killed or gone: a process still traced is then let go by the kernel
// (and killed, if Launched).
func (p *Process) Close() { p.tr.close() }

// Exited tells whether the process has ended (or been detached or
// killed).
func (p *Process) Exited() bool { return p.exited }

// Threads lists the thread ids, sorted.
func (p *Process) Threads() []int {
	tids := make([]int, 0, len(p.threads))
	for tid := range p.threads {
		tids = append(tids, tid)
	}
	sort.Ints(tids)
	return tids
}

// Thread is thread tid, nil if the process has no such thread.
func (p *Process) Thread(tid int) *Thread { return p.threads[tid] }

// NumThreads is how many threads the process has.
func (p *Process) NumThreads() int { return len(p.threads) }

// AnyRunning tells whether a thread is not stopped.
func (p *Process) AnyRunning() bool {
	for _, th := range p.threads {
		if !th.stopped {
			return true
		}
	}
	return false
}

// ThreadName is the thread's comm. It may be called from any goroutine.
func (p *Process) ThreadName(tid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/comm", p.Pid, tid))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// SignalBlocked tells whether thread tid blocks sig. It may be called
// from any goroutine.
func (p *Process) SignalBlocked(tid int, sig unix.Signal) bool {
	return procfs.SigBlocked(p.Pid, tid, int(sig))
}

// SignalPending tells whether sig is pending for thread tid (sent to it
// or to the process). It may be called from any goroutine.
func (p *Process) SignalPending(tid int, sig unix.Signal) bool {
	return procfs.SigPending(p.Pid, tid, int(sig))
}

// UnblockSignal takes sig out of stopped thread tid's blocked signals and
// says whether it was there, as the kernel does itself when it forces a
// debug trap on a thread that blocks SIGTRAP. It runs on the tracer thread.
func (p *Process) UnblockSignal(tid int, sig unix.Signal) (bool, error) {
	m, err := ptraceSigmask(tid)
	if err != nil {
		return false, fmt.Errorf("thread %d: reading its blocked signals: %w", tid, err)
	}
	bit := uint64(1) << (sig - 1)
	if m&bit == 0 {
		return false, nil
	}
	if err := ptraceSetSigmask(tid, m&^bit); err != nil {
		return false, fmt.Errorf("thread %d: unblocking %s: %w", tid, SignalName(sig), err)
	}
	return true, nil
}

// thread returns the Thread for tid, creating it for a thread whose first
// stop arrives before its parent's clone event.
func (p *Process) thread(tid int) *Thread {
	th := p.threads[tid]
	if th == nil {
		th = &Thread{Tid: tid, new: true}
		p.threads[tid] = th
	}
	return th
}

// gone records the end of the process.
func (p *Process) gone() {
	p.exited = true
	p.mem.close()
}

// hold keeps ws, a stop of th, for Wait to return later.
func (p *Process) hold(th *Thread, ws unix.WaitStatus) {
	if th.pending == nil {
		p.held++
	}
	th.pending = &ws
}

// unhold takes th's held stop, if it has one.
func (p *Process) unhold(th *Thread) (unix.WaitStatus, bool) {
	if th.pending == nil {
		return 0, false
	}
	ws := *th.pending
	th.pending = nil
	p.held--
	return ws, true
}

// forget drops a thread that ended.
func (p *Process) forget(tid int) {
	if th := p.threads[tid]; th != nil {
		p.unhold(th)
		delete(p.threads, tid)
	}
}

// Stopped tells whether the thread sits in a stop we have not resumed.
func (th *Thread) Stopped() bool { return th.stopped }

// Held tells whether a stop of the thread waits to be returned by Wait:
// it is not resumed until then.
func (th *Thread) Held() bool { return th.pending != nil }

// Signal is the signal the thread gets when it is next resumed, 0 for
// none.
func (th *Thread) Signal() int { return th.sig }

// SetSignal makes sig (0: none) the signal the thread gets when it is
// next resumed.
func (th *Thread) SetSignal(sig int) { th.sig = sig }

// Keep holds sig, which stopped the thread during a step the program
// should not see, for its next resume: as its signal, or raised again
// once it runs when it already has one.
func (th *Thread) Keep(sig int) {
	switch {
	case th.sig == 0:
		th.sig = sig
	case sig != th.sig && !slices.Contains(th.later, sig):
		th.later = append(th.later, sig)
	}
}
