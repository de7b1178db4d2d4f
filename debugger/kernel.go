package debugger

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"hwdbg/arch"
	"hwdbg/arch/perfslots"
	"hwdbg/bpfcond"
	"hwdbg/engine"
	"hwdbg/expr"
)

// In-kernel filtering: a data watchpoint whose hits hwdbg would judge one
// stop at a time (a condition, an ignore count, commands that are exactly
// silent and continue) is armed instead on the kernel engine
// (engine.Kernel): a perf breakpoint per thread whose every overflow a BPF
// program judges (package bpfcond). The program counts every access and
// every crossing, in a map, and stops the thread only at the crossing
// that matters; the program runs at full speed until then. The stop is a
// TRAP_PERF SIGTRAP and goes through the same hit report, condition and
// commands as any other: the kernel only decides which hits stop, and the
// tracer judges each stop again (before Linux 6.10 the kernel signals
// every overflow, whatever the program says).
//
// A watchpoint stays on the thread's engine (ptrace, or perf for an
// attached program), with the reason shown by `info watchpoints`, when
// the kernel engine cannot take it: a condition that reads what has no
// fixed address (a local of a frame, memory through a pointer), registers
// or floats; -m, a read watchpoint or a bitfield, which need what only
// hwdbg keeps; BPF or perf breakpoints refused here; arm64, where a
// watchpoint traps before the access, so the program would read the
// value before the write; or HWDBG_ENGINE=ptrace.
//
// HWDBG_ENGINE=kernel puts every data watchpoint the kernel engine can
// take on it, filtering or not (for tests and measurements);
// HWDBG_ENGINE=ptrace none.

// kernelPrefix starts a slot table entry's engine for a watchpoint of the
// kernel engine: "kernel:ID", one a watchpoint, so that two watchpoints
// (two programs) never share a slot.
const kernelPrefix = "kernel:"

// kernelState is the kernel engine of one process.
type kernelState struct {
	eng   *engine.Kernel // nil: no kernel engine here (why says why)
	why   string
	force string               // HWDBG_ENGINE
	on    map[int]*kernelWatch // the watchpoints armed through it, by id
	notes map[int]string       // why a filtering watchpoint is not
	// gen counts the changes of engine and program; armed is the
	// generation each thread was last armed at.
	gen   int
	armed map[int]int
	// blocked says why no watchpoint goes on the engine any more: a
	// thread held a stop the engine decided, blocking SIGTRAP.
	blocked string
}

// kernelWatch is a watchpoint on the kernel engine: its program, the
// conditions it was compiled from, and the hits per thread it had when it
// came (the program counts each thread's from zero; its total counts on
// from the watchpoint's).
type kernelWatch struct {
	filter        *bpfcond.Filter
	cond, hitCond *condition
	image         int // d.image when the condition was lowered
	threads       map[int]int
	// last is the number of the access last judged at a stop ($hits
	// then): other threads may have made more since.
	last uint64
	// signalled: a stop of its program's arrived since the program last
	// ran on (its SIGTRAP was taken).
	signalled bool
}

// engineEnv names the environment variable that forces an engine.
const engineEnv = "HWDBG_ENGINE"

// newKernelState makes the kernel engine of a process with n slots, if
// this machine has one.
func (d *Debugger) newKernelState(n int) *kernelState {
	k := &kernelState{force: os.Getenv(engineEnv), on: map[int]*kernelWatch{}, notes: map[int]string{}, armed: map[int]int{}}
	switch k.force {
	case "", "auto", "kernel", "ptrace":
	default:
		k.why = fmt.Sprintf("%s=%s: give kernel, ptrace or auto", engineEnv, k.force)
		return k
	}
	if k.why = KernelEngineProblem(); k.why == "" {
		k.eng = engine.NewKernel(n, d.kernelFilter)
	}
	return k
}

var kernelProbe struct {
	once sync.Once
	why  string
}

// KernelEngineProblem says why watchpoints cannot be filtered in the
// kernel here ("" when they can): HWDBG_ENGINE=ptrace, the machine, or
// the refusal of a BPF program attached to a perf breakpoint, which it
// tries once.
func KernelEngineProblem() string {
	switch {
	case os.Getenv(engineEnv) == "ptrace":
		return engineEnv + "=ptrace"
	case os.Getenv("HWDBG_ARM") == "ptrace":
		return "HWDBG_ARM=ptrace: no perf events"
	case runtime.GOARCH != "amd64":
		return "on " + runtime.GOARCH + " a watchpoint traps before the access, so a condition judged by the kernel would read the value before the write"
	}
	kernelProbe.once.Do(func() {
		f, err := bpfcond.Load(nil, bpfcond.Watched{}, ebpf.PerfEvent)
		if err != nil {
			kernelProbe.why = "BPF refused: " + err.Error()
			return
		}
		defer f.Close()
		if err := perfslots.AvailableFiltered(perfslots.Filter{Prog: f.FD()}); err != nil {
			kernelProbe.why = err.Error()
		}
	})
	return kernelProbe.why
}

// kernelFilter is the program of thread tid's slot i: that of the
// watchpoint holding it.
func (d *Debugger) kernelFilter(tid, i int) perfslots.Filter {
	if kw := d.kern.on[kernelOwner(d.slots.At(tid, i).Engine)]; kw != nil {
		return perfslots.Filter{Prog: kw.filter.FD(), Serial: kw.filter.Serial()}
	}
	return perfslots.Filter{}
}

// kernelOwner is the watchpoint of a kernel engine's slot table entry, 0
// for another engine's.
func kernelOwner(engineTag string) int {
	id, err := strconv.Atoi(strings.TrimPrefix(engineTag, kernelPrefix))
	if err != nil || !strings.HasPrefix(engineTag, kernelPrefix) {
		return 0
	}
	return id
}

// kernelTag is the slot table engine of w's slots: "kernel:ID" on the
// kernel engine, "" (the thread's engine) otherwise.
func (d *Debugger) kernelTag(w *Watchpoint) string {
	if d.kern != nil && d.kern.on[w.ID] != nil {
		return kernelPrefix + strconv.Itoa(w.ID)
	}
	return ""
}

// armThread arms thread tid's slots: the kernel engine's through it, the
// others through the thread's engine.
func (d *Debugger) armThread(tid int, want []arch.Slot) error {
	regs := make([]arch.Slot, len(want))
	kern := make([]arch.Slot, len(want))
	for i, s := range want {
		if kernelOwner(d.slots.At(tid, i).Engine) != 0 {
			kern[i] = s
		} else {
			regs[i] = s
		}
	}
	if err := d.arm.Arm(tid, regs); err != nil {
		return err
	}
	if d.kern == nil || d.kern.eng == nil {
		return nil
	}
	d.kern.armed[tid] = d.kern.gen
	return d.kern.eng.Arm(tid, kern)
}

// kernelSignals makes stopped thread tid, if it holds kernel engine
// slots, not block SIGTRAP. The engine's stop is a SIGTRAP that perf sends
// as an ordinary signal: a thread that blocks it (as threads that leave
// signals to one thread do, and sigblock.c's writer) would hold it
// pending and never stop, though the kernel counted the hit. A
// debug-register trap is forced instead, and the kernel unblocks SIGTRAP
// for it: hwdbg does the same here, at each stop, so a thread that blocked
// SIGTRAP again while it ran is seen at the next one.
func (d *Debugger) kernelSignals(tid int) {
	if d.kern == nil || d.kern.eng == nil || len(d.kern.on) == 0 {
		return
	}
	armed, _ := d.kern.eng.Armed(tid)
	if !slices.ContainsFunc(armed, func(s arch.Slot) bool { return s.Enabled }) {
		return
	}
	switch was, err := d.proc.UnblockSignal(tid, unix.SIGTRAP); {
	case err != nil:
		tracef("kernel engine: %v", err)
	case was:
		tracef("kernel engine: thread %d blocked SIGTRAP, unblocked so that its stops arrive", tid)
	}
}

// kernelMissed finds, when the program has stopped or ended, the stops
// the kernel engine decided that never arrived: a thread that blocks
// SIGTRAP holds the engine's signal pending (one born with every signal
// blocked, or that blocked them while it ran, after kernelSignals). It
// says so, once, and from then on hwdbg judges every watchpoint itself
// (ptrace), whose traps the kernel forces. A stop decided as the program
// stopped for another reason, whose signal will be taken at the next run,
// is no miss.
func (d *Debugger) kernelMissed() []Event {
	k := d.kern
	if k == nil || len(k.on) == 0 {
		return nil
	}
	var evs []Event
	for _, id := range slices.Sorted(maps.Keys(k.on)) {
		kw := k.on[id]
		c, err := kw.filter.Counts()
		if err != nil || c.Threshold == bpfcond.Never || c.Crossings <= c.Threshold || kw.signalled {
			continue
		}
		held := d.proc.Exited()
		var holders []string
		for _, tid := range d.proc.Threads() {
			if d.proc.SignalPending(tid, unix.SIGTRAP) && d.proc.SignalBlocked(tid, unix.SIGTRAP) {
				held = true
				holders = append(holders, strconv.Itoa(tid))
			}
		}
		if !held {
			continue
		}
		who := "a thread that blocks SIGTRAP"
		if len(holders) > 0 {
			who = "thread " + strings.Join(holders, ", ") + ", which blocks SIGTRAP,"
		}
		k.blocked = "a thread of the program blocks SIGTRAP, the signal of the kernel engine's stops"
		kw.signalled = true // said once
		evs = append(evs, Warning{Text: fmt.Sprintf("watchpoint %d: the kernel judged %d hit(s) that should have stopped the program, but %s never took the stop; from now on hwdbg judges its watchpoints itself (ptrace)", id, c.Crossings-c.Threshold, who)})
	}
	return evs
}

// kernelCurrent says whether thread tid's kernel slots were armed since
// the last change of engine or program (if not, its slots must be armed
// again even where the table's program of them did not change).
func (d *Debugger) kernelCurrent(tid int) bool {
	return d.kern == nil || d.kern.armed[tid] == d.kern.gen
}

// kernelArmed adds to hw (a thread's slots as its engine armed them) those
// the kernel engine armed.
func (d *Debugger) kernelArmed(tid int, hw []arch.Slot) []arch.Slot {
	if d.kern == nil || d.kern.eng == nil {
		return hw
	}
	k, _ := d.kern.eng.Armed(tid)
	for i, s := range k {
		if s.Enabled && i < len(hw) {
			hw[i] = s
		}
	}
	return hw
}

// syncKernel decides, before the program runs on, which watchpoints the
// kernel engine arms, moves those that change engine in the slot table,
// and gives each kernel watchpoint's program its ignore count. A change
// of engine or program re-arms every thread.
func (d *Debugger) syncKernel() {
	k := d.kern
	if k == nil {
		return
	}
	changed := false
	for _, w := range d.bps {
		why := d.kernelFit(w)
		kw := k.on[w.ID]
		if why == "" && kw != nil && (kw.cond != w.cond || kw.hitCond != w.hitCond || kw.image != d.image) {
			d.leaveKernel(w) // a new condition: a new program
			kw, changed = nil, true
		}
		switch {
		case why == "" && kw == nil:
			if why = d.enterKernel(w); why == "" {
				changed = true
			}
		case why != "" && kw != nil:
			d.leaveKernel(w)
			changed = true
		}
		delete(k.notes, w.ID)
		if why != "-" && why != "" {
			k.notes[w.ID] = why
		}
		if kw := k.on[w.ID]; kw != nil {
			d.setThreshold(w, kw)
		}
	}
	for id := range k.on {
		if d.byID(id) == nil {
			k.on[id].filter.Close()
			delete(k.on, id)
		}
	}
	if changed {
		k.gen++
	}
}

// kernelFit says why w cannot be on the kernel engine ("-": it has nothing
// for the kernel to filter; "": it can).
func (d *Debugger) kernelFit(w *Watchpoint) string {
	k := d.kern
	filters := w.cond != nil || w.hitCond != nil || w.Ignore > 0 || w.AutoContinue
	switch {
	case !w.Enabled || w.IsBreak() || w.Internal || (!filters && k.force != "kernel"):
		return "-"
	case k.force == "ptrace" || os.Getenv("HWDBG_ARM") == "ptrace":
		return engineEnv + "=ptrace"
	case k.eng == nil:
		return k.why
	case k.blocked != "":
		return k.blocked
	case w.Modify:
		return "-m compares with the value at the last stop, which only hwdbg keeps"
	case w.Access == arch.Read:
		return "telling a read from a write needs the accessing instruction, which only hwdbg decodes"
	case w.bitSize > 0:
		return "a bitfield's bits are told apart by hwdbg"
	}
	return ""
}

// kernelCondition lowers w's hit-count condition and condition into the
// one the program judges (nil: none); both must hold.
func (d *Debugger) kernelCondition(w *Watchpoint) (expr.Low, error) {
	var low expr.Low
	for _, c := range []*condition{w.hitCond, w.cond} {
		if c == nil {
			continue
		}
		l, err := expr.Lower(c.x, c.bound, d.selected())
		if err != nil {
			return nil, err
		}
		if low == nil {
			low = l
		} else {
			low = expr.LowBinary{Op: "&&", X: low, Y: l}
		}
	}
	return low, nil
}

// enterKernel loads w's program and moves its slots to the kernel engine;
// it says why not when it cannot.
func (d *Debugger) enterKernel(w *Watchpoint) string {
	low, err := d.kernelCondition(w)
	if err != nil {
		return "the condition is evaluated by hwdbg: " + err.Error()
	}
	if w.Len > bpfcond.MaxWatched {
		return fmt.Sprintf("the kernel engine keeps the value of at most %d bytes", bpfcond.MaxWatched)
	}
	f, err := bpfcond.Load(low, bpfcond.Watched{Addr: w.Addr, Len: w.Len}, ebpf.PerfEvent)
	if err != nil {
		return err.Error()
	}
	if err := errors.Join(f.SetValue(w.old), f.SetAccesses(uint64(w.Hits))); err != nil {
		f.Close()
		return err.Error()
	}
	kw := &kernelWatch{filter: f, cond: w.cond, hitCond: w.hitCond, image: d.image, threads: maps.Clone(w.ThreadHits)}
	d.kern.on[w.ID] = kw
	if err := d.replace(w); err != nil {
		delete(d.kern.on, w.ID)
		f.Close()
		d.replace(w)
		return err.Error()
	}
	tracef("watchpoint %d: on the kernel engine", w.ID)
	return ""
}

// leaveKernel takes w off the kernel engine, its counts kept.
func (d *Debugger) leaveKernel(w *Watchpoint) {
	kw := d.kern.on[w.ID]
	d.kernelCounts(w)
	delete(d.kern.on, w.ID)
	kw.filter.Close()
	if err := d.replace(w); err != nil {
		tracef("watchpoint %d: back to its thread's engine: %v", w.ID, err)
	}
}

// replace places w's pieces in the slot table again, as its engine now
// says.
func (d *Debugger) replace(w *Watchpoint) error {
	if w.slots == nil {
		return nil // not placed (disabled, or its program has gone)
	}
	saved, held := d.slots, w.slots
	d.release(w)
	if _, err := d.reallocate(w); err != nil {
		d.slots, w.slots = saved, held
		return err
	}
	return nil
}

// setThreshold gives w's program its ignore count: stop after Ignore more
// crossings, or never for a watchpoint that is only counted.
func (d *Debugger) setThreshold(w *Watchpoint, kw *kernelWatch) {
	c, err := kw.filter.Counts()
	if err != nil {
		tracef("watchpoint %d: %v", w.ID, err)
		return
	}
	kw.signalled = false
	t := c.Crossings + uint64(w.Ignore)
	if w.AutoContinue {
		t = bpfcond.Never
	}
	if t != c.Threshold {
		if err := kw.filter.SetThreshold(t); err != nil {
			tracef("watchpoint %d: %v", w.ID, err)
		}
	}
}

// kernelCounts brings w's counts (hits, per thread, the ignore count
// left) in line with its program's map, and returns the map's, with the
// program's counts of each thread.
func (d *Debugger) kernelCounts(w *Watchpoint) (bpfcond.Counts, map[int]bpfcond.ThreadCount, bool) {
	kw := d.kern.onFor(w)
	if kw == nil {
		return bpfcond.Counts{}, nil, false
	}
	c, err := kw.filter.Counts()
	if err != nil {
		tracef("watchpoint %d: %v", w.ID, err)
		return c, nil, false
	}
	w.Hits = int(c.Accesses)
	per, err := kw.filter.Threads()
	if err != nil {
		tracef("watchpoint %d: %v", w.ID, err)
	} else if len(per)+len(kw.threads) > 0 {
		w.ThreadHits = maps.Clone(kw.threads)
		if w.ThreadHits == nil {
			w.ThreadHits = map[int]int{}
		}
		for tid, n := range per {
			w.ThreadHits[tid] += int(n.Accesses)
		}
	}
	if c.Threshold != bpfcond.Never {
		w.Ignore = 0
		if c.Threshold > c.Crossings {
			w.Ignore = int(c.Threshold - c.Crossings)
		}
	}
	return c, per, true
}

func (k *kernelState) onFor(w *Watchpoint) *kernelWatch {
	if k == nil {
		return nil
	}
	return k.on[w.ID]
}

// kernelOld is what the access being reported found in w's memory, as
// w's program kept it (the kernel engine stops at few of the accesses, so
// the value at the last stop is not what this one found).
func (d *Debugger) kernelOld(w *Watchpoint) ([]byte, bool) {
	kw := d.kern.onFor(w)
	if kw == nil {
		return nil, false
	}
	b, err := kw.filter.Old()
	if err != nil || len(b) != w.Len {
		return nil, false
	}
	return b, true
}

// kernelCrossing is crossing for a watchpoint on the kernel engine: the
// kernel counted the hit and judged the conditions and the ignore count;
// the tracer judges the conditions again (a kernel before 6.10 signals
// every overflow, and the value may have changed since), $hits being the
// number of the access the thread made (other threads may have made more
// since), and reports an error in them as for any condition.
func (d *Debugger) kernelCrossing(w *Watchpoint, tid int) (stop bool, problem *Notice) {
	c, per, _ := d.kernelCounts(w)
	hits := c.Accesses
	if t, ok := per[tid]; ok {
		hits = t.Last
	}
	if kw := d.kern.onFor(w); kw != nil {
		kw.last, kw.signalled = hits, true
	}
	holds, problem := d.condsHold(w, tid, hits)
	switch {
	case problem != nil:
		return true, problem
	case !holds, c.Crossings <= c.Threshold:
		return false, nil
	}
	return !w.AutoContinue, nil
}

// hitNumber is the number of the hit of w being reported: its hit count
// then ($hits), which on the kernel engine other threads may have passed
// since.
func (d *Debugger) hitNumber(w *Watchpoint) int {
	if kw := d.kern.onFor(w); kw != nil && kw.last > 0 {
		return int(kw.last)
	}
	return w.Hits
}

// WatchEngine is how a watchpoint is armed, for `info watchpoints`.
type WatchEngine struct {
	Name string // "kernel", "ptrace", "perf"
	// Why the watchpoint is not on the kernel engine although it filters
	// (a condition, an ignore count, commands silent+continue); "" when it
	// is, or has nothing to filter.
	Why string
}

// EngineOf says how w is armed, and brings its counts in line with the
// kernel's first (they count while the program runs).
func (d *Debugger) EngineOf(w *Watchpoint) WatchEngine {
	if d.kern.onFor(w) != nil {
		d.kernelCounts(w)
		return WatchEngine{Name: "kernel"}
	}
	e := WatchEngine{Name: d.arm.For(d.Current).Name()}
	if d.kern != nil {
		e.Why = d.kern.notes[w.ID]
	}
	return e
}
