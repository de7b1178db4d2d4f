// Package debugger is the machine-independent half of hwdbg: processes and
// their threads (LWPs), stops, watchpoints and breakpoints, slot
// allocation, symbols, expressions and memory. Machine-dependent work goes
// through an arch.Backend. The package never prints: it returns Events.
package debugger

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"hwdbg/arch"
	"hwdbg/arch/native"
	"hwdbg/debuginfo"
	"hwdbg/engine"
	"hwdbg/guard"
	"hwdbg/slottable"
	"hwdbg/symbols"
)

// ErrExited is returned by commands that need a live process.
var ErrExited = errors.New("the program is not running (it exited)")

// Thread is one LWP of the traced process.
type Thread struct {
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
	// sig: raised again once the thread runs (keep).
	later []int
	// pending is a stop that arrived while we were stopping every thread;
	// it is handled at the next resume instead of resuming the thread.
	pending *unix.WaitStatus
	// written is what was last programmed into the thread's slots.
	written []arch.Slot
	// fresh is true for a new thread until its first stop, when it is
	// given the process-wide slots.
	fresh bool
	// stepOver is set when the thread stopped at a hardware breakpoint on
	// a machine that traps before the instruction: it must step past it
	// with its slots disabled before it runs on.
	stepOver bool
	// atBreak is set when the thread stopped on one of our software
	// breakpoints (its pc moved back onto it).
	atBreak bool
}

// Process is the traced program.
type Process struct {
	Pid      int
	Path     string // the executable
	Launched bool   // started by us (killed on exit) rather than attached
	exited   bool
	threads  map[int]*Thread
	// interrupts counts the SIGSTOPs we sent to interrupt the program
	// that have not been seen yet.
	interrupts int
	// mem is its /proc/PID/mem, for writing breakpoint instructions.
	memFile memFile
}

// Debugger is one debugging session of one process.
type Debugger struct {
	// arch is the backend for the program's machine and mode, chosen
	// from its ELF header at each program image (selectArch).
	arch      arch.Backend
	ptrSize   int // the program's pointer size in bytes (4 in an i386 program)
	tr        *tracer
	proc      *Process
	syms      *symbols.Table
	symsLater *symbolSource   // where syms is read from when first needed (symtab)
	symsMu    sync.Mutex      // guards syms and symsLater until syms is read
	slots     slottable.Table // which slot holds what, for whom
	arm       *engine.Threads // how slots reach the kernel (arming.go)
	guard     *guard.Guard    // an attached program's guardian against our death

	dwarf    *debuginfo.Info // nil without debug information
	dwarfErr error           // DWARF present but unreadable
	// libDwarf is the DWARF of each shared object (by path) that a name or
	// a line was needed in, nil for one without: see objectDwarf.
	libDwarf  map[string]*debuginfo.Info
	cfi       map[string]*debuginfo.CFI
	cfiCached []*debuginfo.CFI // the tables for this stop
	locals    map[uint64][]debuginfo.Variable
	frame     int // the selected frame of the selected thread
	// image counts the program images loaded (exec loads another).
	image int

	// Current is the selected thread (the one the last stop happened on,
	// or the one chosen with `thread`).
	Current int

	bps    []*Watchpoint // watchpoints and hardware breakpoints, by id order
	nextID int
	// lastInternal is the id of the newest internal breakpoint: they count
	// down from -1.
	lastInternal int

	prevInsn map[uint64]arch.Insn // cache: pc after an access -> the access
	// noEmulation is the backend that answered arch.ErrNoEmulation: its
	// steps over breakpoints are real ones, without asking again.
	noEmulation arch.Backend

	soft map[uint64]*softBreak // inserted software breakpoints by address
	// children are forked children that stopped before their parent's
	// fork event was seen.
	children map[int]bool

	mapsCached []symbols.Mapping // /proc/PID/maps at this stop (objectAt)

	loaded      map[string]bool // ELF files whose symbols are in syms
	libsChecked bool            // maps read for libraries since the last resume

	mu       sync.Mutex // guards running, for Interrupt from other goroutines
	running  bool
	runs     uint64 // how many times the program was set running
	intrSent bool

	// probed is the session's trap probe, run at the first watchpoint or
	// hardware breakpoint (TrapsDelivered).
	probed *trapProbe
}

// Launch starts path with args, stopped before its first instruction.
// The program's standard input is stdin (nil: /dev/null); its output goes
// to ours.
func Launch(path string, args []string, stdin *os.File) (*Debugger, error) {
	exe, err := findExecutable(path)
	if err != nil {
		return nil, err
	}
	d := newDebugger()
	var perr error
	start := time.Now()
	d.tr.do(func() { perr = d.launch(exe, args, stdin) })
	tracef("launch %s: %v", exe, time.Since(start))
	if perr != nil {
		d.tr.close()
		return nil, perr
	}
	if err := d.loadSymbols(); err != nil {
		d.Kill()
		return nil, err
	}
	return d, nil
}

func findExecutable(path string) (string, error) {
	if !strings.Contains(path, "/") {
		if p, err := exec.LookPath(path); err == nil {
			path = p
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("cannot start %s: %w", path, errors.Unwrap(err))
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return "", fmt.Errorf("cannot start %s: not an executable file", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	return abs, nil
}

func newDebugger() *Debugger {
	d := &Debugger{
		arch:     native.New(),
		ptrSize:  8,
		tr:       newTracer(),
		nextID:   1,
		prevInsn: map[uint64]arch.Insn{},
		soft:     map[uint64]*softBreak{},
		children: map[int]bool{},
	}
	// Until the slots are counted (initSlots), nothing is armed.
	d.arm = engine.NewThreads(0, engine.NewRegisters(d.debugRegisters), "")
	return d
}

// We follow threads and exec; forks are traced only long enough to take
// our breakpoint instructions out of the child, which then runs untraced.
const traceOptions = unix.PTRACE_O_TRACECLONE | unix.PTRACE_O_TRACEEXEC |
	unix.PTRACE_O_TRACEFORK | unix.PTRACE_O_TRACEVFORK | unix.PTRACE_O_TRACEVFORKDONE

// launch starts the program under PTRACE_TRACEME (the only way to have it
// stop at its first instruction), then moves it to a PTRACE_SEIZE trace so
// that every thread, launched or attached, is handled the same way
// (PTRACE_INTERRUPT, PTRACE_EVENT_STOP for new threads and group-stops).
func (d *Debugger) launch(exe string, args []string, stdin *os.File) error {
	if stdin == nil {
		null, err := os.Open(os.DevNull)
		if err != nil {
			return err
		}
		defer null.Close()
		stdin = null
	}
	attr := &os.ProcAttr{
		Files: []*os.File{stdin, os.Stdout, os.Stderr},
		Sys:   &syscall.SysProcAttr{Ptrace: true},
	}
	p, err := os.StartProcess(exe, append([]string{exe}, args...), attr)
	if err != nil {
		return fmt.Errorf("cannot start %s: %w", exe, err)
	}
	pid := p.Pid
	// The child stops with SIGTRAP once exec has loaded the program.
	if _, ws, err := wait4(pid); err != nil || !ws.Stopped() {
		unix.Kill(pid, unix.SIGKILL)
		wait4(pid)
		return fmt.Errorf("cannot start %s: it did not stop after exec (status %v, %v)", exe, ws, err)
	}
	// Detach into a SIGSTOP (it stops before running one instruction),
	// then seize it.
	if err := ptraceDetach(pid, int(unix.SIGSTOP)); err != nil {
		unix.Kill(pid, unix.SIGKILL)
		return fmt.Errorf("cannot start %s: detach: %w", exe, err)
	}
	if err := ptraceSeize(pid, traceOptions|unix.PTRACE_O_EXITKILL); err != nil {
		unix.Kill(pid, unix.SIGKILL)
		return fmt.Errorf("cannot start %s: seize: %w", exe, err)
	}
	// A seized process already in group-stop reports it as an event stop.
	if err := d.waitInitialStop(pid); err != nil {
		unix.Kill(pid, unix.SIGKILL)
		return fmt.Errorf("cannot start %s: %w", exe, err)
	}
	if err := clearLaunchStop(pid); err != nil {
		unix.Kill(pid, unix.SIGKILL)
		return fmt.Errorf("cannot start %s: %w", exe, err)
	}
	d.proc = &Process{Pid: pid, Path: exe, Launched: true, threads: map[int]*Thread{}}
	d.proc.threads[pid] = &Thread{Tid: pid, stopped: true}
	d.Current = pid
	return d.initSlots(pid)
}

// clearLaunchStop ends the job-control stop the launch left the process
// in, so that its threads are not reported as group-stopped later. SIGCONT
// clears the stop when it is sent; its delivery is then caught at the
// next resume, still before the program's first instruction, and dropped.
func clearLaunchStop(pid int) error {
	if err := unix.Kill(pid, unix.SIGCONT); err != nil {
		return err
	}
	for i := 0; i < 16; i++ {
		if err := ptraceCont(pid, 0); err != nil {
			return fmt.Errorf("resume after launch: %w", err)
		}
		_, ws, err := wait4(pid)
		if err != nil {
			return fmt.Errorf("wait after launch: %w", err)
		}
		tracef("launch: %s", describeStatus(ws))
		if !ws.Stopped() {
			return fmt.Errorf("the program ended before its first instruction (%s)", describeStatus(ws))
		}
		if stopEvent(ws) == 0 && ws.StopSignal() == unix.SIGCONT {
			return nil
		}
	}
	return fmt.Errorf("the program did not stop after launch")
}

// waitInitialStop waits until tid reports a stop we can work from.
func (d *Debugger) waitInitialStop(tid int) error {
	for {
		_, ws, err := wait4(tid)
		tracef("initial stop of %d: %s (%v)", tid, describeStatus(ws), err)
		if err != nil {
			return fmt.Errorf("wait for thread %d: %w", tid, err)
		}
		if ws.Exited() || ws.Signaled() {
			return fmt.Errorf("thread %d ended while attaching", tid)
		}
		if ws.Stopped() && stopEvent(ws) == unix.PTRACE_EVENT_STOP {
			if d.proc != nil && d.proc.threads[tid] != nil && isStopSignal(ws.StopSignal()) {
				d.proc.threads[tid].groupStop = true // attached to a stopped process: it stays so
			}
			return nil
		}
		// Any other stop (a signal that raced with us): keep the signal
		// for later delivery by re-queueing it, and wait again.
		if ws.Stopped() {
			sig := ws.StopSignal()
			if err := ptraceCont(tid, int(sig)); err != nil {
				return err
			}
			if err := ptraceInterrupt(tid); err != nil {
				return err
			}
		}
	}
}

func (d *Debugger) initSlots(tid int) error {
	infos, err := d.arch.Slots(tid)
	if err != nil {
		return err
	}
	d.slots = slottable.New(infos)
	d.arm = d.newArming(len(infos), d.proc.Launched)
	return nil
}

// Pid is the traced process's id.
func (d *Debugger) Pid() int { return d.proc.Pid }

// Exited tells whether the process has ended.
func (d *Debugger) Exited() bool { return d.proc.exited }

// Launched tells whether we started the process (rather than attached).
func (d *Debugger) Launched() bool { return d.proc.Launched }

// Arch is the machine backend.
func (d *Debugger) Arch() arch.Backend { return d.arch }

// Threads lists the thread ids, sorted.
func (d *Debugger) Threads() []int {
	var tids []int
	for tid := range d.proc.threads {
		tids = append(tids, tid)
	}
	sort.Ints(tids)
	return tids
}

// HasThread tells whether tid is a thread of the process.
func (d *Debugger) HasThread(tid int) bool {
	_, ok := d.proc.threads[tid]
	return ok
}

// ThreadName is the thread's comm.
func (d *Debugger) ThreadName(tid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/comm", d.proc.Pid, tid))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// Detach clears every slot we set on every thread and lets the process
// run on untraced.
func (d *Debugger) Detach() error {
	if d.proc.exited {
		d.tr.close()
		return nil
	}
	var err error
	d.tr.do(func() { err = d.detachAll() })
	d.proc.exited = true
	d.tr.close()
	return err
}

func (d *Debugger) detachAll() error {
	var errs []error
	if err := d.removeSoftBreaks(d.proc.Pid); err != nil {
		errs = append(errs, err)
	}
	for tid, th := range d.proc.threads {
		if th.stopped && len(th.written) > 0 {
			if err := d.arm.Disarm(tid); err != nil && err != unix.ESRCH {
				errs = append(errs, fmt.Errorf("clear slots of thread %d: %w", tid, err))
			}
		}
	}
	for tid, th := range d.proc.threads {
		if !th.stopped {
			continue
		}
		sig := th.sig
		if th.pending != nil && stopEvent(*th.pending) == 0 {
			// A signal held back while stopping the threads: the program's
			// own signals are delivered, our traps are not.
			if s := th.pending.StopSignal(); s != unix.SIGTRAP && s != unix.SIGSTOP {
				sig = int(s)
			}
		}
		d.drainTrap(tid)
		if err := ptraceDetach(tid, sig); err != nil && err != unix.ESRCH {
			errs = append(errs, fmt.Errorf("detach thread %d: %w", tid, err))
		}
	}
	d.arm.Close()
	d.proc.memFile.close()
	d.guard.Done()
	return errors.Join(errs...)
}

// drainTrap: a thread can have a SIGTRAP from one of our slots queued but
// not yet delivered (it hit the watchpoint as we interrupted it). After a
// detach that signal would kill the program, so let the thread take it
// now, under our trace, and drop it. Its slots are already clear.
func (d *Debugger) drainTrap(tid int) {
	for i := 0; i < 4 && sigPending(d.proc.Pid, tid, unix.SIGTRAP); i++ {
		if ptraceCont(tid, 0) != nil {
			return
		}
		_, ws, err := wait4(tid)
		if err != nil || !ws.Stopped() {
			return
		}
		tracef("drain %d: %s", tid, describeStatus(ws))
	}
}

// sigPending reads a thread's pending signals (its own and the process's)
// from /proc.
func sigPending(pid, tid int, sig unix.Signal) bool {
	path := fmt.Sprintf("/proc/%d/task/%d/status", pid, tid)
	bit := uint64(1) << (uint(sig) - 1)
	for _, key := range []string{"SigPnd:", "ShdPnd:"} {
		if mask, err := strconv.ParseUint(statusValue(path, key), 16, 64); err == nil && mask&bit != 0 {
			return true
		}
	}
	return false
}

// sigBlocked says whether a thread blocks sig (its SigBlk in /proc).
func sigBlocked(pid, tid int, sig unix.Signal) bool {
	path := fmt.Sprintf("/proc/%d/task/%d/status", pid, tid)
	mask, err := strconv.ParseUint(statusValue(path, "SigBlk:"), 16, 64)
	return err == nil && mask&(uint64(1)<<(uint(sig)-1)) != 0
}

// Kill ends a process and reaps it.
func (d *Debugger) Kill() error {
	tracef("kill")
	defer tracef("killed")
	if d.proc.exited {
		d.tr.close()
		return nil
	}
	d.tr.do(func() {
		unix.Kill(d.proc.Pid, unix.SIGKILL)
		for {
			wpid, ws, err := wait4(-1)
			if err != nil {
				break
			}
			if wpid == d.proc.Pid && (ws.Exited() || ws.Signaled()) {
				break
			}
		}
		d.arm.Close()
		d.proc.memFile.close()
		d.guard.Done()
	})
	d.proc.exited = true
	d.tr.close()
	return nil
}

// Gone reaps, without waiting, a program that died while stopped (killed
// from outside while hwdbg waited at the prompt), and returns its Exit
// event, once. Stops of threads that were running are kept for the next
// resume.
func (d *Debugger) Gone() []Event {
	if d.proc.exited {
		return nil
	}
	var evs []Event
	d.tr.do(func() {
		for !d.proc.exited {
			var ws unix.WaitStatus
			wpid, err := unix.Wait4(-1, &ws, unix.WALL|unix.WNOHANG, nil)
			if err != nil || wpid <= 0 {
				return
			}
			tracef("at the prompt %d: %s", wpid, describeStatus(ws))
			if ws.Exited() || ws.Signaled() {
				e, _ := d.handleExit(wpid, ws)
				evs = append(evs, e...)
			} else if th := d.proc.threads[wpid]; th != nil && th.pending == nil {
				th.pending = &ws
			}
		}
	})
	return evs
}
