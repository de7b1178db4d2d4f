// Package debugger is the policy of hwdbg: what each stop of the traced
// program's threads means (a watchpoint's hit, a breakpoint, a signal to
// report or to pass on), watchpoints and breakpoints, slot allocation,
// symbols, expressions and memory. The process and its threads under
// ptrace are package tracee's; machine-dependent work goes through an
// arch.Backend. The package never prints: it returns Events.
package debugger

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"

	"hwdbg/arch"
	"hwdbg/arch/native"
	"hwdbg/debuginfo"
	"hwdbg/engine"
	"hwdbg/guard"
	"hwdbg/slottable"
	"hwdbg/symbols"
	"hwdbg/tracee"
)

// ErrExited is returned by commands that need a live process.
var ErrExited = errors.New("the program is not running (it exited)")

// thread is what the debugger keeps of one thread of the traced process,
// beside what the operating system's side keeps (tracee.Thread).
type thread struct {
	*tracee.Thread
	// written is what was last programmed into the thread's slots.
	written []arch.Slot
	// stepOver is set when the thread stopped at a hardware breakpoint on
	// a machine that traps before the instruction: it must step past it
	// with its slots disabled before it runs on.
	stepOver bool
	// atBreak is set when the thread stopped on one of our software
	// breakpoints (its pc moved back onto it).
	atBreak bool
	// passed is the software breakpoint the thread was last stepped past,
	// and its stack pointer then (resumedByPreemption).
	passed passedBreak
}

// Debugger is one debugging session of one process.
type Debugger struct {
	// arch is the backend for the program's machine and mode, chosen
	// from its ELF header at each program image (selectArch).
	arch      arch.Backend
	ptrSize   int             // the program's pointer size in bytes (4 in an i386 program)
	proc      *tracee.Process // the program, under ptrace
	threads   map[int]*thread // the debugger's side of each thread (thread)
	syms      *symbols.Table
	symsLater *symbolSource   // where syms is read from when first needed (symtab)
	symsMu    *sync.Mutex     // guards syms and symsLater until syms is read
	slots     slottable.Table // which slot holds what, for whom
	arm       *engine.Threads // how slots reach the kernel (arming.go)
	kern      *kernelState    // the watchpoints the kernel filters (kernel.go)
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
	// removed are the addresses of software breakpoints taken out of the
	// program: a thread's trap there, held while another stop was
	// reported, is no signal of the program's (onRemovedBreak).
	removed map[uint64]bool

	mapsCached []symbols.Mapping // /proc/PID/maps at this stop (objectAt)

	loaded      map[string]bool // ELF files whose symbols are in syms
	libsChecked bool            // maps read for libraries since the last resume

	// trace is the trace the program runs under, nil when none (trace.go).
	trace *activeTrace

	// sources are the lines of the source files list read, by path.
	sources map[string][]string

	// probed is the session's trap probe, run at the first watchpoint or
	// hardware breakpoint (TrapsDelivered).
	probed *trapProbe

	// launch is how the program was started, for run (rerun.go).
	launch launchSpec
}

// Launch starts path with args, stopped before its first instruction.
// The program's standard input is stdin (nil: /dev/null); its output goes
// to ours.
func Launch(path string, args []string, stdin *os.File) (*Debugger, error) {
	return LaunchStdio(path, args, Stdio{In: stdin})
}

// Stdio is where a launched program's standard input, output and error
// are (nil: /dev/null for input, ours for output and error).
type Stdio = tracee.Stdio

// LaunchStdio is Launch with the program's standard input, output and
// error given.
func LaunchStdio(path string, args []string, stdio Stdio) (*Debugger, error) {
	return launch(launchSpec{path: path, args: args, stdio: stdio})
}

// launch starts the program as spec says (its input replaced by the file
// spec.input names, if any, which the caller opened into spec.stdio), and
// returns its debugger, slots counted and symbols loaded.
func launch(spec launchSpec) (*Debugger, error) {
	p, err := tracee.LaunchStdio(spec.path, spec.args, spec.stdio)
	if err != nil {
		return nil, err
	}
	d := newDebugger(p)
	p.Do(func() { err = d.initSlots() })
	if err != nil {
		p.Close()
		return nil, err
	}
	if err := d.loadSymbols(); err != nil {
		d.Kill()
		return nil, err
	}
	d.launch = spec
	return d, nil
}

// Attach seizes every thread of pid and stops them.
func Attach(pid int) (*Debugger, error) {
	p, err := tracee.Attach(pid)
	if err != nil {
		return nil, err
	}
	d := newDebugger(p)
	p.Do(func() { err = d.initSlots() })
	if err != nil {
		p.Close()
		return nil, err
	}
	if err := d.loadSymbols(); err != nil {
		d.Detach()
		return nil, err
	}
	if d.guard, err = guard.Start(pid); err != nil {
		tracef("%v", err)
	}
	return d, nil
}

func newDebugger(p *tracee.Process) *Debugger {
	d := &Debugger{
		arch:     native.New(),
		ptrSize:  8,
		proc:     p,
		threads:  map[int]*thread{},
		Current:  p.Pid,
		nextID:   1,
		prevInsn: map[uint64]arch.Insn{},
		soft:     map[uint64]*softBreak{},
		symsMu:   &sync.Mutex{},
	}
	// Until the slots are counted (initSlots), nothing is armed.
	d.arm = engine.NewThreads(0, engine.NewRegisters(d.debugRegisters), "")
	return d
}

func (d *Debugger) initSlots() error {
	infos, err := d.arch.Slots(d.proc.Pid)
	if err != nil {
		return err
	}
	d.slots = slottable.New(infos)
	d.arm = d.newArming(len(infos), d.proc.Launched)
	return nil
}

// thread is the debugger's side of thread tid, nil when the process has no
// such thread. It is made at its first use, and again for a thread that
// reuses the id of one that ended.
func (d *Debugger) thread(tid int) *thread {
	t := d.proc.Thread(tid)
	if t == nil {
		return nil
	}
	th := d.threads[tid]
	if th == nil || th.Thread != t {
		th = &thread{Thread: t}
		d.threads[tid] = th
	}
	return th
}

// tracef logs to the trace log (HWDBG_TRACE=1, tracee.Tracing).
func tracef(format string, args ...any) { tracee.Tracef(format, args...) }

// Pid is the traced process's id.
func (d *Debugger) Pid() int { return d.proc.Pid }

// Exited tells whether the process has ended.
func (d *Debugger) Exited() bool { return d.proc.Exited() }

// Launched tells whether we started the process (rather than attached).
func (d *Debugger) Launched() bool { return d.proc.Launched }

// Arch is the machine backend.
func (d *Debugger) Arch() arch.Backend { return d.arch }

// Threads lists the thread ids, sorted.
func (d *Debugger) Threads() []int { return d.proc.Threads() }

// HasThread tells whether tid is a thread of the process.
func (d *Debugger) HasThread(tid int) bool { return d.proc.Thread(tid) != nil }

// ThreadName is the thread's comm.
func (d *Debugger) ThreadName(tid int) string { return d.proc.ThreadName(tid) }

// Detach clears every slot we set on every thread, takes our breakpoint
// instructions out, and lets the process run on untraced.
func (d *Debugger) Detach() error {
	if d.proc.Exited() {
		d.proc.Close()
		return nil
	}
	var err error
	d.proc.Do(func() {
		d.dropTrace()
		err = d.detachAll()
	})
	d.proc.Close()
	return err
}

func (d *Debugger) detachAll() error {
	var errs []error
	if err := d.removeSoftBreaks(d.proc.Pid); err != nil {
		errs = append(errs, err)
	}
	for _, tid := range d.proc.Threads() {
		if th := d.thread(tid); th.Stopped() && len(th.written) > 0 {
			if err := d.arm.Disarm(tid); err != nil && err != unix.ESRCH {
				errs = append(errs, fmt.Errorf("clear slots of thread %d: %w", tid, err))
			}
		}
	}
	if err := d.proc.Detach(); err != nil {
		errs = append(errs, err)
	}
	d.arm.Close()
	d.guard.Done()
	return errors.Join(errs...)
}

// Kill ends a process and reaps it.
func (d *Debugger) Kill() error {
	tracef("kill")
	defer tracef("killed")
	if d.proc.Exited() {
		d.proc.Close()
		return nil
	}
	d.proc.Do(func() {
		d.dropTrace()
		d.proc.Kill()
		d.arm.Close()
		d.guard.Done()
	})
	d.proc.Close()
	return nil
}

// Gone reaps, without waiting, a program that died while stopped (killed
// from outside while hwdbg waited at the prompt), and returns its Exit
// event, once. Stops of threads that were running are kept for the next
// resume.
func (d *Debugger) Gone() []Event {
	if d.proc.Exited() {
		return nil
	}
	var evs []Event
	d.proc.Do(func() {
		for _, st := range d.proc.Reap() {
			e, _ := d.handleExit(st)
			evs = append(evs, e...)
		}
	})
	return evs
}
