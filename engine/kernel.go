package engine

import "hwdbg/arch/perfslots"

// Kernel arms the slots of watchpoints whose hits the kernel judges: a
// perf hardware breakpoint per thread and slot, with sigtrap, whose
// overflow a BPF program of type PERF_EVENT decides (the watchpoint's
// condition and ignore count, compiled by package bpfcond). The program
// runs at every access without stopping the thread; the thread stops,
// with a TRAP_PERF SIGTRAP naming the slot, only when it says so. Before
// Linux 6.10 the kernel signalled every overflow whatever the program
// said: the debugger judges each stop again.
//
// Its slots are a watchpoint's own (a slot table entry of engine
// "kernel:ID"), armed beside those of the thread's engine; filter says
// which program and period each thread's slot gets.
type Kernel struct{ perfEvents }

var _ Engine = (*Kernel)(nil)

// NewKernel returns the kernel-filtering engine for a machine with n
// slots; filter gives the program of thread tid's slot (asked whenever
// the thread's slots are armed).
func NewKernel(n int, filter func(tid, slot int) perfslots.Filter) *Kernel {
	return &Kernel{perfEvents{perfslots.NewFiltered(n, filter)}}
}

func (*Kernel) Name() string     { return "kernel" }
func (*Kernel) Describe() string { return "perf events filtered in the kernel (BPF)" }

// Cost: a hit stops the thread only when the kernel's filter says so;
// the events go with hwdbg.
func (*Kernel) Cost() Cost { return Cost{} }
