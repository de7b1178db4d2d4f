package engine

import (
	"fmt"

	"hwdbg/arch"
	"hwdbg/arch/perfslots"
)

// Perf arms slots as perf_event hardware breakpoints that belong to
// hwdbg's file descriptors (arch/perfslots): if hwdbg dies, even by
// SIGKILL, the kernel removes them and the program runs on. Each access
// sends the thread a SIGTRAP with si_code TRAP_PERF whose si_perf_data
// names the slot. The kernel sends it like any signal: a thread that
// blocks SIGTRAP never stops at it, so such a thread must be armed
// another way (Threads.Prefer).
type Perf struct{ perfEvents }

var _ Engine = (*Perf)(nil)

// NewPerf returns the perf engine for a machine with n slots.
func NewPerf(n int) *Perf { return &Perf{perfEvents{perfslots.New(n)}} }

// PerfAvailable says whether this kernel arms slots as perf events for
// this process (nil when it does).
func PerfAvailable() error { return perfslots.Available() }

func (*Perf) Name() string     { return "perf" }
func (*Perf) Describe() string { return "perf events owned by hwdbg" }

// Cost: every hit is a signal-delivery stop; the slots go with hwdbg.
func (*Perf) Cost() Cost { return Cost{StopPerHit: true} }

// perfEvents is what the engines made of perf breakpoints share: slots
// armed through an arch/perfslots Arm, each access (that overflows) a
// TRAP_PERF SIGTRAP whose si_perf_data names the slot.
type perfEvents struct{ arm *perfslots.Arm }

func (p perfEvents) Arm(tid int, want []arch.Slot) error { return p.arm.Write(tid, want) }

// Armed is what the events of thread tid are programmed for, from the
// engine's record (the kernel cannot read a perf event's range back).
func (p perfEvents) Armed(tid int) ([]arch.Slot, error) { return p.arm.Read(tid), nil }

func (p perfEvents) Forget(tid int) { p.arm.Forget(tid) }
func (p perfEvents) Close()         { p.arm.Close() }

// Claims a TRAP_PERF SIGTRAP whose si_perf_data names one of its slots.
func (p perfEvents) Claims(s Signal) bool {
	_, ok := p.slotOf(s)
	return ok
}

// Decode names the slot the signal's si_perf_data names.
func (p perfEvents) Decode(tid int, s Signal) (arch.Trap, error) {
	i, ok := p.slotOf(s)
	if !ok {
		return arch.Trap{}, fmt.Errorf("thread %d: SIGTRAP (si_code %d) is not from a perf breakpoint of hwdbg", tid, s.Code)
	}
	return arch.Trap{Fired: []int{i}}, nil
}

func (p perfEvents) slotOf(s Signal) (int, bool) {
	if s.Code != arch.TrapPerf {
		return 0, false
	}
	return p.arm.SlotOf(s.PerfData)
}
