package debugger

import (
	"errors"
	"fmt"
	"os"
	"slices"

	"golang.org/x/sys/unix"

	"hwdbg/arch"
)

// Stepping a thread over the software breakpoint it stopped on: the
// instruction the breakpoint replaced must run as if the breakpoint were
// not there. Two ways:
//
//   - Emulated (arch.Backend.Emulate): the backend computes the
//     instruction's effect on the registers and makes its memory access
//     through stepMemory; the breakpoint stays in place, so no other
//     thread has to stop. One register write, no single step.
//   - Real: the original bytes go back, the thread single-steps, the
//     breakpoint goes back. While the bytes are out another thread could
//     run through the address unseen, so every other thread is stopped
//     first (all-stop).
//
// The emulated way is taken when the backend emulates the instruction and
// stepMemory allows its access (emulableAccess); otherwise the real one.
// HWDBG_STEP_OVER=single-step (StepOverEnv) always takes the real one, so
// that tests prove it on machines that emulate.

// StepOverEnv names the environment variable that, set to "single-step",
// makes every step over a software breakpoint a real single step.
const StepOverEnv = "HWDBG_STEP_OVER"

var singleStepOnly = os.Getenv(StepOverEnv) == "single-step"

// stepPastBreak executes the instruction under the software breakpoint
// th is stopped on, then leaves th stopped after it. regs are th's
// registers with the pc on the breakpoint, or nil to read them; dirty
// says the kernel's copy still has the pc after the breakpoint
// instruction. Hits of watchpoints during the instruction are returned;
// stopped says whether other threads were stopped for the step (they are
// still stopped: the caller resumes them).
func (d *Debugger) stepPastBreak(th *thread, regs arch.Regs, dirty bool) (evs []Event, stopped bool, err error) {
	if !th.atBreak {
		return nil, false, nil
	}
	th.atBreak = false
	if regs == nil {
		if regs, err = d.arch.GetRegs(th.Tid); err != nil {
			return nil, false, err
		}
		dirty = false
	}
	pc := regs.PC()
	sb, ok := d.soft[pc]
	if !ok {
		// Deleted meanwhile: the program's own instruction is back.
		if dirty {
			err = d.arch.SetRegs(th.Tid, regs)
		}
		return nil, false, err
	}
	th.passed = passedBreak{pc: pc, sp: regs.SP()}
	next, eerr := d.emulate(th, pc, regs)
	if eerr == nil {
		return nil, false, d.arch.SetRegs(th.Tid, next)
	}
	tracef("thread %d: real step at %#x: %v", th.Tid, pc, eerr)
	if dirty {
		if err := d.arch.SetRegs(th.Tid, regs); err != nil {
			return nil, false, err
		}
	}
	if d.proc.AnyRunning() {
		d.stopAll()
		stopped = true
	}
	if err := d.writeText(d.proc.Pid, pc, sb.orig); err != nil {
		return nil, stopped, err
	}
	decoded := d.watchedBy(th, pc, regs)
	evs, err = d.stepPastWatched(th, pc, decoded)
	if werr := d.writeText(d.proc.Pid, pc, d.arch.BreakInsn()); werr != nil && err == nil {
		err = werr
	}
	return evs, stopped, err
}

// emulate runs the instruction at pc, th's breakpoint's, on a copy of
// regs, with its original bytes; it returns the registers after it or
// why it was not emulated.
func (d *Debugger) emulate(th *thread, pc uint64, regs arch.Regs) (arch.Regs, error) {
	switch {
	case singleStepOnly:
		return nil, fmt.Errorf("%s=single-step", StepOverEnv)
	case d.noEmulation != nil && d.noEmulation == d.arch:
		return nil, arch.ErrNoEmulation
	}
	code := make([]byte, d.arch.MaxInsnLen())
	if err := d.proc.ReadMemory(pc, code); err != nil {
		return nil, err // maybe the end of a mapping: the real step will do
	}
	next, err := d.arch.Emulate(d.originalCode(pc, code), regs, stepMemory{d, th, regs.SP()})
	if errors.Is(err, arch.ErrNoEmulation) {
		d.noEmulation = d.arch
	}
	return next, err
}

// stepMemory is th's process memory as an emulated step over a
// breakpoint may use it; sp is th's stack pointer before the step.
type stepMemory struct {
	d  *Debugger
	th *thread
	sp uint64
}

func (m stepMemory) Access(a arch.MemAccess, buf []byte) error {
	if err := emulableAccess(a, m.th.written, m.d.proc.NumThreads(), m.sp); err != nil {
		return err
	}
	if a.Write {
		return m.d.proc.WriteData(a.Addr, buf)
	}
	return m.d.proc.ReadMemory(a.Addr, buf)
}

var pageSize = uint64(unix.Getpagesize())

// The thread's stack, as an emulated access may use it: from the red zone
// below the stack pointer (where a push writes, and leaf functions keep
// locals; 128 bytes on amd64) to stackWindow above it, which holds the
// frames of any sane function and its caller.
const (
	redZone     = 128
	stackWindow = 1 << 20
)

// emulableAccess says why an emulated instruction may not make access a
// (nil when it may), in a thread whose slots are armed as written, in a
// process of threads threads:
//   - the access touches the range of an armed data slot: an emulated
//     access trips no debug register, the real step lets the hardware
//     report the hit;
//   - it crosses a page boundary: it could be made on one page and fail
//     on the other, half done;
//   - another thread could see it half done. The access is a copy by the
//     kernel, not one access by the CPU: a 4-byte copy may be made byte by
//     byte, and a racing reader, which the CPU guarantees to see the old
//     value or the new one, could see a mixture. So the emulation touches
//     only memory no other thread uses in the meantime: the thread's
//     stack (addressed through the stack or frame pointer, and within
//     redZone below and stackWindow above sp, the stack pointer: a frame
//     pointer used as a general register may point anywhere) and its
//     thread-local storage (which others reach only through a pointer the
//     program gave them), and static data when the process has no other
//     thread. Memory reached through any other register (heap, shared
//     mappings) is never emulated.
func emulableAccess(a arch.MemAccess, written []arch.Slot, threads int, sp uint64) error {
	end := a.Addr + uint64(a.Len)
	for _, s := range written {
		if s.Enabled && s.Access&arch.ReadWrite != 0 && a.Addr < s.Addr+uint64(s.Len) && s.Addr < end {
			return fmt.Errorf("its access at %#x touches a watched range (%#x, %d bytes)", a.Addr, s.Addr, s.Len)
		}
	}
	if a.Len <= 0 || end < a.Addr || a.Addr/pageSize != (end-1)/pageSize {
		return fmt.Errorf("its access of %d bytes at %#x crosses a page boundary", a.Len, a.Addr)
	}
	switch a.Via {
	case arch.ViaStack:
		if a.Addr >= sp-redZone && end <= sp+stackWindow && sp-redZone < sp {
			return nil
		}
		return fmt.Errorf("its access at %#x through the stack or frame pointer is not in the stack at sp %#x", a.Addr, sp)
	case arch.ViaThread:
		return nil
	case arch.ViaStatic:
		if threads == 1 {
			return nil
		}
	}
	return fmt.Errorf("its %s access at %#x could be seen half done by another thread", a.Via, a.Addr)
}

// stepPastWatched steps th over the instruction at pc (its original
// bytes in place) and reports the watchpoints that instruction hit: the
// decoded slots (watchedBy), or those the trap names. On a machine that
// traps before the access (arm64) the step stops at the watchpoint with
// the instruction not yet executed; onHit then steps over it, which must
// happen before the breakpoint instruction goes back at pc.
func (d *Debugger) stepPastWatched(th *thread, pc uint64, decoded []int) ([]Event, error) {
	if err := d.stepWatched(th, decoded); err != nil {
		return nil, err
	}
	trap := arch.Trap{Fired: decoded}
	if len(decoded) == 0 {
		if !slices.ContainsFunc(th.written, func(s arch.Slot) bool { return s.Enabled }) {
			// No slot armed on th: none can have fired, and the debug
			// status would say only that the step completed.
			return nil, nil
		}
		si, _ := d.proc.Siginfo(th.Tid)
		var err error
		trap, err = d.decodeTrap(th, si)
		tracef("thread %d: step at %#x ended with si_code %d si_addr %#x: fired %v step %v (%v)", th.Tid, pc, si.Code, si.Addr, trap.Fired, trap.Step, err)
		if err != nil || len(trap.Fired) == 0 {
			return nil, err
		}
	}
	evs, _ := d.onHit(th, trap, pc)
	return evs, nil
}

// watchedBy lists the armed data slots of th that the instruction at pc
// explicitly accesses, in a direction they trap on, on a machine whose
// watchpoints trap after the access (amd64); nil elsewhere.
func (d *Debugger) watchedBy(th *thread, pc uint64, regs arch.Regs) []int {
	// Most breakpoint step-overs have no data slot armed: no decode, no
	// memory read on that path.
	armed := slices.ContainsFunc(th.written, func(s arch.Slot) bool { return s.Enabled && s.Access&arch.ReadWrite != 0 })
	if !d.arch.TrapAfter() || !armed {
		return nil
	}
	insn, err := d.decodeAt(pc, regs)
	if err != nil {
		return nil
	}
	return touchedBy(th, insn)
}

// stepWatched single-steps th. When the instruction hits watched slots
// (watchedBy), the step runs with th's slots off and the caller reports
// those slots: QEMU's TCG never completes a single step onto a watched
// access (scripts/amd64-vm/README.md), and a real CPU names the same
// slots. Otherwise the slots stay armed and the hardware says what fired.
func (d *Debugger) stepWatched(th *thread, fired []int) error {
	if len(fired) == 0 {
		return d.proc.SingleStep(th.Thread)
	}
	if err := d.arm.Disarm(th.Tid); err != nil {
		return err
	}
	err := d.proc.SingleStep(th.Thread)
	if werr := d.armThread(th.Tid, th.written); err == nil {
		err = werr
	}
	return err
}
