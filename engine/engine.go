// Package engine holds the ways a thread's hardware slots are armed, and
// the per-thread choice between them.
//
// The slot table (package slottable) says what each thread's slots must
// hold; an Engine makes the kernel do it and turns the SIGTRAP a slot
// raises back into the slots that fired. The hit report above takes those
// slots from any engine: it maps them to their holders through the table,
// reads the values, finds the accessing instruction and applies
// conditions, none of which depends on how the slots were armed.
//
// Two engines exist: Registers, the debug registers programmed through
// ptrace (arch.Backend's WriteSlots, ReadSlots and DecodeTrap), and Perf,
// perf_event hardware breakpoints owned by hwdbg's file descriptors
// (arch/perfslots). Threads arms each thread through one of them.
//
// An engine that arms its own slots for one holder rather than every slot
// of a thread (perf events that record each hit in a ring, or that stop
// only when an in-kernel filter agrees) implements the same interface:
// it is given each thread's slots, arms those whose table entry names it
// (slottable.Entry.Engine), and claims the signals its events raise.
//
// Every method that takes a tid may issue ptrace requests or system calls
// on that thread: the debugger calls them from the one OS thread that
// traces the process, with the thread stopped.
package engine

import "hwdbg/arch"

// Engine is one way of arming a thread's hardware slots.
type Engine interface {
	// Name is the engine's short name ("ptrace", "perf"), as a slot
	// table entry names the engine that arms it.
	Name() string
	// Describe says how slots are armed, for users: `info slots` shows it
	// after "Thread N: through".
	Describe() string
	// Cost is what arming through the engine costs and leaves behind.
	Cost() Cost

	// Arm programs thread tid's slots: want[i] is what slot i must hold
	// (disabled: nothing; a missing slot is disabled). Arming nothing
	// turns every slot off without forgetting the thread.
	Arm(tid int, want []arch.Slot) error
	// Armed reads back what thread tid's slots hold.
	Armed(tid int) ([]arch.Slot, error)
	// Forget drops what the engine keeps for thread tid, which exited or
	// whose slots the kernel removed (exec). It sends the thread nothing.
	Forget(tid int)
	// Close drops everything the engine keeps, for every thread (the
	// program exited, was killed or detached).
	Close()

	// Claims says, from the signal alone, whether a SIGTRAP was raised
	// by one of the engine's slots.
	Claims(s Signal) bool
	// Decode says what a SIGTRAP that stopped thread tid reports: the
	// slots that fired, a completed single step, the data address.
	Decode(tid int, s Signal) (arch.Trap, error)
}

// Signal is what a SIGTRAP's siginfo says.
type Signal struct {
	Code     int32  // si_code: arch.TrapHwbkpt, arch.TrapPerf, arch.TrapTrace, ...
	Addr     uint64 // si_addr: the data address for a watchpoint trap on arm64
	PerfData uint64 // si_perf_data, for si_code arch.TrapPerf
}

// Cost is what arming slots through an engine costs the program, and
// what it leaves behind.
type Cost struct {
	// StopPerHit: every hit stops the thread, and the tracer waits for
	// the stop, whether or not the hit is reported (a condition that
	// does not hold, an ignore count).
	StopPerHit bool
	// OutlivesDebugger: the slots belong to the thread and stay armed if
	// hwdbg dies without detaching, so that the program would die of
	// SIGTRAP at its next watched access (the guardian, package guard,
	// clears them). Otherwise the kernel removes them with hwdbg.
	OutlivesDebugger bool
}
