package debugger

import (
	"os"
	"runtime"

	"golang.org/x/sys/unix"

	"hwdbg/arch"
	"hwdbg/engine"
	"hwdbg/tracee"
)

// How slots reach the kernel: the engine each thread is armed through
// (package engine). On amd64, in a program hwdbg attached to, they are
// perf_event hardware breakpoints that belong to hwdbg's file descriptors:
// if hwdbg is killed, even by SIGKILL, the kernel removes them and the
// program runs on. Everywhere else they are ptrace's debug registers:
//   - a program hwdbg started dies with it anyway (PTRACE_O_EXITKILL);
//   - a thread that blocks SIGTRAP would not stop at a perf breakpoint,
//     whose trap the kernel sends as an ordinary signal (a debug-register
//     trap is forced, and unblocks SIGTRAP);
//   - on arm64 the kernel steps over a perf watchpoint by itself, which
//     hwdbg's own step over the access does not expect;
//   - where perf breakpoints are refused, and with HWDBG_ARM=ptrace.
//
// HWDBG_ARM=perf uses perf events for started programs too (for tests).
// Slots armed through ptrace in an attached program are cleared by the
// guardian (package guard) if hwdbg dies.

// newArming chooses the engines for a process with n slots.
func (d *Debugger) newArming(n int, launched bool) *engine.Threads {
	regs := engine.NewRegisters(d.debugRegisters)
	why := PerfArmingProblem()
	if why == "" && launched && os.Getenv("HWDBG_ARM") != "perf" {
		why = "a program hwdbg started dies with it"
	}
	arm := engine.NewThreads(n, regs, why)
	if why == "" {
		arm.Prefer(engine.NewPerf(n), d.perfUnfit)
	}
	d.kern = d.newKernelState(n)
	if d.kern.eng != nil {
		arm.Also(d.kern.eng)
	}
	return arm
}

// debugRegisters is the backend of the program's machine, whose debug
// registers the ptrace engine programs.
func (d *Debugger) debugRegisters() engine.DebugRegisters { return d.arch }

// perfUnfit says why thread tid cannot be armed with perf events ("" when
// it can): it blocks SIGTRAP.
func (d *Debugger) perfUnfit(tid int) string {
	if d.proc.SignalBlocked(tid, unix.SIGTRAP) {
		return "the thread blocks SIGTRAP"
	}
	return ""
}

// PerfArmingProblem says why slots will not be armed as perf events in an
// attached program here ("" when they will be).
func PerfArmingProblem() string {
	switch {
	case os.Getenv("HWDBG_ARM") == "ptrace":
		return "HWDBG_ARM=ptrace"
	case runtime.GOARCH != "amd64":
		return "perf breakpoints are not used on " + runtime.GOARCH
	}
	if err := engine.PerfAvailable(); err != nil {
		return err.Error()
	}
	return ""
}

// ArmedBy says how thread tid's slots are armed, for `info slots`.
func (d *Debugger) ArmedBy(tid int) string { return d.arm.Describe(tid) }

// chooseArming decides which way thread th's slots are armed, when they
// change and at the prompt: the thread's signal mask may have changed
// since. A thread changing way has its slots cleared the old way first,
// and nothing recorded as written; it says whether the way changed.
func (d *Debugger) chooseArming(th *thread) bool {
	if !d.arm.Rechoose(th.Tid) {
		return false
	}
	tracef("thread %d: armed through %s", th.Tid, d.arm.Describe(th.Tid))
	th.written = nil
	return true
}

// threadGone drops what was armed for a thread that exited, and the slots
// it held on its own.
func (d *Debugger) threadGone(tid int) {
	d.arm.Forget(tid)
	d.slots.DropThread(tid)
	if d.kern != nil {
		delete(d.kern.armed, tid)
	}
}

// decodeTrap says what a SIGTRAP of thread th reports, through the
// engine whose slot raised it, or the debug registers.
func (d *Debugger) decodeTrap(th *thread, si tracee.Siginfo) (arch.Trap, error) {
	return d.arm.Decode(th.Tid, engineSignal(si))
}

// hardwareTrap says whether a SIGTRAP was raised by a hardware slot: a
// debug-register trap, or one of an engine's own signals.
func (d *Debugger) hardwareTrap(si tracee.Siginfo) bool { return d.arm.Hardware(engineSignal(si)) }

// engineSignal is what the engines decode of a siginfo.
func engineSignal(si tracee.Siginfo) engine.Signal {
	return engine.Signal{Code: si.Code, Addr: si.Addr, PerfData: si.PerfData}
}
