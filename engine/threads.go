package engine

import "hwdbg/arch"

// Threads arms each thread's slots through one engine: a preferred engine
// where there is one and the thread can use it, the debug registers
// otherwise. It decodes a SIGTRAP through the engine that claims it, and
// any other (a single step, a trap of no engine) through the debug
// registers, whichever way the thread is armed.
type Threads struct {
	n    int      // slots of the machine
	regs Engine   // the debug registers: always there
	why  string   // why there is no preferred engine
	pref Engine   // nil: every thread through regs
	all  []Engine // pref, if any, then regs, then extra: who may claim a signal
	// extra arm slots of their own beside each thread's engine (Also).
	extra []Engine
	unfit func(tid int) string
	// fallen are the threads armed through regs although pref is set,
	// with the reason.
	fallen map[int]string
}

// NewThreads arms every thread's n slots through regs, for the reason
// why, until Prefer names another engine.
func NewThreads(n int, regs Engine, why string) *Threads {
	return &Threads{n: n, regs: regs, why: why, all: []Engine{regs}, fallen: map[int]string{}}
}

// Prefer arms every thread through e, except a thread for which unfit
// says why it cannot be ("" when it can): that one goes through the debug
// registers. unfit is asked again at each Rechoose.
func (t *Threads) Prefer(e Engine, unfit func(tid int) string) {
	t.pref, t.unfit, t.why = e, unfit, ""
	t.all = append([]Engine{e, t.regs}, t.extra...)
}

// Also adds an engine that arms slots of its own beside each thread's
// engine (the caller arms them through it): its signals are claimed and
// decoded through it, and it forgets threads and closes with the others.
func (t *Threads) Also(e Engine) {
	t.extra = append(t.extra, e)
	t.all = append(t.all, e)
}

// For is the engine thread tid is armed through.
func (t *Threads) For(tid int) Engine {
	if t.pref == nil || t.fallen[tid] != "" {
		return t.regs
	}
	return t.pref
}

// Describe says how thread tid's slots are armed, and why not the
// preferred way: "perf events owned by hwdbg", "ptrace debug registers
// (the thread blocks SIGTRAP)".
func (t *Threads) Describe(tid int) string {
	why := t.why
	if t.pref != nil {
		why = t.fallen[tid]
	}
	desc := t.For(tid).Describe()
	if why == "" {
		return desc
	}
	return desc + " (" + why + ")"
}

// Rechoose decides again which engine arms thread tid (when its slots
// change, and at the prompt: the thread's state may have changed since).
// A thread that changes engine has its slots taken off the old one first:
// it then holds nothing, and Rechoose says true.
func (t *Threads) Rechoose(tid int) bool {
	if t.pref == nil {
		return false
	}
	why := t.unfit(tid)
	if (why != "") == (t.fallen[tid] != "") {
		return false
	}
	if why != "" {
		t.pref.Forget(tid)
		t.fallen[tid] = why
	} else {
		// Best effort: a thread whose registers cannot be written is
		// gone or going, and its exit forgets it.
		t.regs.Arm(tid, make([]arch.Slot, t.n))
		delete(t.fallen, tid)
	}
	return true
}

// Arm programs thread tid's slots through its engine.
func (t *Threads) Arm(tid int, want []arch.Slot) error { return t.For(tid).Arm(tid, want) }

// Disarm turns every slot of thread tid off, keeping the thread's engine.
func (t *Threads) Disarm(tid int) error { return t.Arm(tid, make([]arch.Slot, t.n)) }

// Armed reads back thread tid's slots from its engine.
func (t *Threads) Armed(tid int) ([]arch.Slot, error) { return t.For(tid).Armed(tid) }

// Forget drops what every engine keeps for thread tid (it exited).
func (t *Threads) Forget(tid int) {
	for _, e := range t.all {
		e.Forget(tid)
	}
	delete(t.fallen, tid)
}

// Close drops everything every engine keeps (the program is gone or
// detached, or exec removed its slots).
func (t *Threads) Close() {
	for _, e := range t.all {
		e.Close()
	}
	t.fallen = map[int]string{}
}

// Hardware says whether a SIGTRAP was raised by a hardware slot of any
// engine.
func (t *Threads) Hardware(s Signal) bool {
	for _, e := range t.all {
		if e.Claims(s) {
			return true
		}
	}
	return false
}

// Decode says what a SIGTRAP of thread tid reports: through the engine
// that claims it, or the debug registers.
func (t *Threads) Decode(tid int, s Signal) (arch.Trap, error) {
	for _, e := range t.all {
		if e.Claims(s) {
			return e.Decode(tid, s)
		}
	}
	return t.regs.Decode(tid, s)
}
