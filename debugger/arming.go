package debugger

import (
	"os"
	"runtime"

	"golang.org/x/sys/unix"

	"hwdbg/arch"
	"hwdbg/arch/perfslots"
)

// How slots reach the kernel. On amd64, in a program hwdbg attached to,
// they are perf_event hardware breakpoints that belong to hwdbg's file
// descriptors (arch/perfslots): if hwdbg is killed, even by SIGKILL, the
// kernel removes them and the program runs on. Everywhere else they are
// ptrace's debug registers:
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
type arming struct {
	perf    *perfslots.Arm // nil: every thread through ptrace
	why     string         // why perf events are not used, for `info slots`
	ptraced map[int]bool   // threads armed through ptrace although perf is on
}

func newArming(n int, launched bool) arming {
	a := arming{ptraced: map[int]bool{}, why: PerfArmingProblem()}
	if a.why == "" && launched && os.Getenv("HWDBG_ARM") != "perf" {
		a.why = "a program hwdbg started dies with it"
	}
	if a.why == "" {
		a.perf = perfslots.New(n)
	}
	return a
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
	if err := perfslots.Available(); err != nil {
		return err.Error()
	}
	return ""
}

// ArmedBy says how thread tid's slots are armed, for `info slots`.
func (d *Debugger) ArmedBy(tid int) string {
	if d.arm.perf == nil {
		return "ptrace debug registers (" + d.arm.why + ")"
	}
	if d.arm.ptraced[tid] {
		return "ptrace debug registers (the thread blocks SIGTRAP)"
	}
	return "perf events owned by hwdbg"
}

// chooseArming decides which way thread th's slots are armed, when they
// change and at the prompt for a thread armed through ptrace: the thread's
// signal mask may have changed since. A thread changing way has its slots
// cleared the old way first, and nothing recorded as written; it says
// whether the way changed.
func (d *Debugger) chooseArming(th *Thread) bool {
	if d.arm.perf == nil {
		return false
	}
	blocked := sigBlocked(d.proc.Pid, th.Tid, unix.SIGTRAP)
	if blocked == d.arm.ptraced[th.Tid] {
		return false
	}
	if blocked {
		tracef("thread %d blocks SIGTRAP: armed through ptrace", th.Tid)
		d.arm.perf.Forget(th.Tid)
		d.arm.ptraced[th.Tid] = true
	} else {
		d.arch.WriteSlots(th.Tid, make([]arch.Slot, len(d.slots)))
		delete(d.arm.ptraced, th.Tid)
	}
	th.written = nil
	return true
}

// writeSlots programs thread tid's slots the way chosen for it.
func (d *Debugger) writeSlots(tid int, s []arch.Slot) error {
	if d.arm.perf == nil || d.arm.ptraced[tid] {
		return d.arch.WriteSlots(tid, s)
	}
	return d.arm.perf.Write(tid, s)
}

// readSlots reads back thread tid's slots: from the kernel's debug
// registers, or for perf events from their record.
func (d *Debugger) readSlots(tid int) ([]arch.Slot, error) {
	if d.arm.perf == nil || d.arm.ptraced[tid] {
		return d.arch.ReadSlots(tid)
	}
	return d.arm.perf.Read(tid), nil
}

// forgetSlots drops what was armed for a thread that exited (or, at exec,
// whose events the kernel removed).
func (d *Debugger) forgetSlots(tid int) {
	if d.arm.perf != nil {
		d.arm.perf.Forget(tid)
	}
	delete(d.arm.ptraced, tid)
}

// closeSlots closes every perf event (the program exited or was detached).
func (d *Debugger) closeSlots() {
	if d.arm.perf != nil {
		d.arm.perf.Close()
	}
	d.arm.ptraced = map[int]bool{}
}

// decodeTrap says what a SIGTRAP of thread th reports: for a perf event,
// the slot its signal names; otherwise what the debug registers recorded.
func (d *Debugger) decodeTrap(th *Thread, si siginfo) (arch.Trap, error) {
	if si.Slot >= 0 {
		return arch.Trap{Fired: []int{si.Slot}}, nil
	}
	return d.arch.DecodeTrap(th.Tid, si.Code, si.Addr)
}
