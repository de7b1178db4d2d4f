package debugger

import "hwdbg/arch"

// The Go runtime preempts a goroutine asynchronously by a signal (SIGURG):
// its handler makes the thread call asyncPreempt, which saves every
// register, lets the scheduler run, and returns to where the signal came.
// On machines with restartable instruction sequences (arm64: a sequence
// using the assembler's temporary register R27, such as the adrp+str of a
// store to a global), a signal inside one returns to the sequence's first
// instruction, up to 20 bytes back (runtime.isAsyncSafePoint). A thread
// stepped past a breakpoint on such a first instruction and preempted by
// a signal delivered just after it (one that arrived during the step is
// kept for then) runs the breakpoint's address again: the same crossing
// of the same line, not a new one. The debugger of a Go program sees it
// as a second hit at the same pc on the same thread.
//
// asyncPreempt returns through a register (arm64: RET (R27)), so a thread
// it resumed at B has that register equal to B, which ordinary code does
// not (R27 holds data addresses). With the stack pointer some thread had
// when it was stepped past B (the same goroutine's stack: a preempted
// goroutine may resume on another thread), that is the runtime's
// resumption.

// passedBreak is the software breakpoint a thread was last stepped past.
type passedBreak struct {
	pc, sp uint64
}

// goPreemptReturn is, per machine, the register through which the Go
// runtime's asyncPreempt returns to the preempted code; machines without
// restartable sequences have none.
var goPreemptReturn = map[string]string{"arm64": "x27"}

// resumedByPreemption says whether th's trap on its breakpoint at addr
// is the Go runtime resuming the instruction some thread had just been
// stepped past with the same stack: the goroutine may have moved to
// another thread while it was preempted. It forgets what th passed.
func (d *Debugger) resumedByPreemption(th *thread, regs arch.Regs, addr uint64) bool {
	defer func() { th.passed = passedBreak{} }()
	reg, ok := goPreemptReturn[d.arch.Name()]
	if !ok {
		return false
	}
	if v, ok := regs.Get(reg); !ok || v != addr {
		return false
	}
	var by *thread
	for _, o := range d.threads {
		if o.passed == (passedBreak{pc: addr, sp: regs.SP()}) {
			by = o
		}
	}
	// Only the Go runtime returns that way (C code may keep a function's
	// address in x27 and call it in a loop from one frame).
	if by == nil || !d.goRuntime() {
		return false
	}
	by.passed = passedBreak{}
	return true
}

// goRuntime says whether the program contains the Go runtime's
// asyncPreempt (an assembly function: its ELF symbol has the ABI suffix).
func (d *Debugger) goRuntime() bool {
	for _, name := range []string{"runtime.asyncPreempt.abi0", "runtime.asyncPreempt"} {
		if _, ok := d.lookup(name); ok {
			return true
		}
	}
	return false
}
