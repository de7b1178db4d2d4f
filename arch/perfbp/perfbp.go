// Package perfbp names what the kernel's headers define for perf_event
// hardware breakpoints and golang.org/x/sys/unix does not: the breakpoint
// types of perf_event_attr.bp_type and the flag bits newer than its
// PerfBit constants. arch/perfslots (slots that stop) and arch/perfring
// (rings that record) share them.
package perfbp

// Breakpoint types (include/uapi/linux/hw_breakpoint.h).
const (
	R = 1 // HW_BREAKPOINT_R
	W = 2 // HW_BREAKPOINT_W
	X = 4 // HW_BREAKPOINT_X
)

// Bits of perf_event_attr's flag word (include/uapi/linux/perf_event.h).
const (
	// BitRemoveOnExec: an exec removes the event (Linux 5.13), since the
	// address means nothing in the new program.
	BitRemoveOnExec = 1 << 36
	// BitSigtrap: an overflow sends the thread SIGTRAP with si_code
	// TRAP_PERF (Linux 5.13).
	BitSigtrap = 1 << 37
)
