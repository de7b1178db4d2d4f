package debugger

import (
	"fmt"
	"sync"
	"time"

	"hwdbg/arch"
	"hwdbg/arch/perfring"
	"hwdbg/expr"
	"hwdbg/slottable"
	"hwdbg/traceprof"
)

// Non-stop tracing: every access to a range recorded by perf breakpoints
// (arch/perfring) into rings the kernel writes while the program runs,
// counted by traceprof. The trace takes its slots from the slot table as
// a holder of its own engine, so that watchpoints and the trace never
// take more slots than a thread has; the debug-register engines leave its
// slots alone (no watchpoint holds them). It runs as a continue does: the
// program runs until the trace's end, then every thread is stopped. A
// stop of another kind (a watchpoint, a breakpoint, a signal) pauses it,
// as a gdb tracepoint outlives a stop: it keeps its slots and events, and
// the next continue records on (trace_run.go).

// TraceEngine is the engine tag of a trace's slots in the slot table.
const TraceEngine = "trace"

// TraceSpec is a trace command's request.
type TraceSpec struct {
	Expr   string
	Access arch.Access   // Write, Read or ReadWrite
	Size   int           // -s N; 0 = from the expression
	For    time.Duration // end after this long of running (0: no limit)
	Count  uint64        // end after this many hits, reporting the first ones (0: no limit)
	Pages  int           // each thread's ring in pages (0: perfring's default)
	Output string        // where the caller writes the report's profile ("": nowhere)
}

// TraceTarget is what a trace watches: its id, expression, access, range
// and the slots that hold it, as its report and info watchpoints show it.
type TraceTarget struct {
	ID     int
	Expr   string
	Access arch.Access
	Addr   uint64
	Len    int
	Slots  []string
}

// target is t's TraceTarget, its slots named.
func (d *Debugger) target(t *activeTrace) TraceTarget {
	tt := TraceTarget{ID: t.id, Expr: t.spec.Expr, Access: t.spec.Access, Addr: t.addr, Len: t.len}
	for _, i := range t.slots {
		tt.Slots = append(tt.Slots, d.slots.Name(i))
	}
	return tt
}

// TraceReport is the end of a trace: what it counted, each pc it names
// placed in the program.
type TraceReport struct {
	TraceTarget
	Ended  string        // why it ended, e.g. "2s passed"
	Took   time.Duration // how long the program ran under it
	Output string        // TraceSpec.Output
	Report traceprof.Report
	// Places locates every pc of Report.PCs and every frame of its stacks
	// (traceprof.Stack.Lookup).
	Places map[uint64]Location
}

func (TraceReport) event() {}

// Symbolize names a pc of the report for traceprof's files.
func (r TraceReport) Symbolize(pc uint64) (fn, file string, line int) {
	l := r.Places[pc]
	return l.Func, l.File, l.Line
}

// activeTrace is the trace the program runs under, or that a stop paused.
type activeTrace struct {
	id      int
	spec    TraceSpec
	rec     *perfring.Recorder
	prof    *traceprof.Profile
	reached <-chan struct{} // closed at spec.Count hits (nil: no count)
	addr    uint64
	len     int
	pieces  []arch.Piece
	slots   []int

	mu       sync.Mutex
	ended    string        // why it ended, once it has
	ran      time.Duration // how long the program ran under it, before this run
	runStart time.Time     // when this run began; zero while stopped
	paused   string        // what stopped the program, while paused
}

func (t *activeTrace) setEnded(why string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ended == "" {
		t.ended = why
	}
}

func (t *activeTrace) endedBy() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ended
}

// setRunning marks the start and the end of a run under the trace.
func (t *activeTrace) setRunning(on bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	switch {
	case on && t.runStart.IsZero():
		t.runStart, t.paused = now, ""
	case !on && !t.runStart.IsZero():
		t.ran += now.Sub(t.runStart)
		t.runStart = time.Time{}
	}
}

// elapsed is how long the program has run under the trace.
func (t *activeTrace) elapsed() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.runStart.IsZero() {
		return t.ran
	}
	return t.ran + time.Since(t.runStart)
}

// TraceStart is a trace that has taken its slots and opened its events,
// and is about to run the program.
type TraceStart struct {
	ID      int
	Addr    uint64
	Len     int
	Slots   []string
	Threads int
	Pages   int // each thread's ring, in pages
	Meter   TraceMeter
}

// Trace records every access of spec.Access to spec.Expr's memory while
// the program runs, without stopping it, until spec's end, an interrupt,
// the end of the program or an exec. started, if not nil, is told of the
// trace before the program runs. Trace returns the events of the run: the
// TraceReport last, or a TracePaused when another stop (a watchpoint, a
// signal) paused the trace. The program is left stopped (or gone).
func (d *Debugger) Trace(spec TraceSpec, started func(TraceStart)) ([]Event, error) {
	if d.proc.Exited() {
		return nil, ErrExited
	}
	if t := d.trace; t != nil {
		return nil, fmt.Errorf("trace %d is active (paused): one trace at a time; continue resumes it, delete %d ends it and reports", t.id, t.id)
	}
	e, err := expr.Parse(spec.Expr)
	if err != nil {
		return nil, err
	}
	var t *activeTrace
	d.proc.Do(func() { t, err = d.startTrace(e, spec) })
	if err != nil {
		return nil, err
	}
	if started != nil {
		ts := TraceStart{ID: t.id, Addr: t.addr, Len: t.len, Threads: len(t.rec.Threads()), Pages: t.rec.Pages(), Meter: TraceMeter{t}}
		for _, i := range t.slots {
			ts.Slots = append(ts.Slots, d.slots.Name(i))
		}
		started(ts)
	}
	return d.runTrace(t)
}

// startTrace resolves the expression, takes the slots and opens the
// recorder on every thread. On error nothing is left held.
func (d *Debugger) startTrace(e expr.Expr, spec TraceSpec) (*activeTrace, error) {
	r, err := expr.RegionOf(e, spec.Size, d.selected())
	if err != nil {
		return nil, err
	}
	if err := refuseNonData(spec.Expr, r); err != nil {
		return nil, err
	}
	if r.BitSize > 0 {
		return nil, fmt.Errorf("%s is a bitfield: a trace counts every access to its bytes, its neighbours' included; trace the whole field with -s", spec.Expr)
	}
	pieces, err := d.arch.Split(r.Addr, r.Len, spec.Access)
	if err != nil {
		return nil, err
	}
	if err := d.proc.ReadMemory(r.Addr, make([]byte, r.Len)); err != nil {
		return nil, fmt.Errorf("cannot trace %#x: %d bytes there are not mapped in the program", r.Addr, r.Len)
	}
	t := &activeTrace{id: d.nextID, spec: spec, addr: r.Addr, len: r.Len, pieces: pieces}
	t.slots, err = d.slots.Place(slottable.Request{Owner: t.id, Pieces: pieces, Access: spec.Access, Engine: TraceEngine})
	if err != nil {
		return nil, err
	}
	t.prof = traceprof.New(d.traceResolver(spec.Access))
	if spec.Count > 0 {
		t.reached = t.prof.SetLimit(spec.Count)
	}
	if t.rec, err = perfring.Open(pieces, spec.Access, t.prof, perfring.Options{Pages: spec.Pages}); err != nil {
		d.slots.Release(t.id)
		return nil, err
	}
	for _, tid := range d.proc.Threads() {
		if err := t.rec.AddThread(tid); err != nil {
			t.rec.Close()
			d.slots.Release(t.id)
			return nil, err
		}
	}
	d.nextID++
	d.trace = t
	return t, nil
}

// endTrace closes the recorder (every thread is stopped, so what it read
// is all there is), frees the slots and makes the report.
func (d *Debugger) endTrace(t *activeTrace) TraceReport {
	d.trace = nil
	t.setRunning(false)
	err := t.rec.Close()
	d.slots.Release(t.id)
	rep := TraceReport{TraceTarget: d.target(t),
		Ended: t.endedBy(), Took: t.elapsed(), Output: t.spec.Output, Report: t.prof.Report(), Places: map[uint64]Location{}}
	if err != nil {
		rep.Ended += fmt.Sprintf(" (some ring data could not be read, counted as lost: %v)", err)
	}
	place := func(pc uint64) {
		if _, ok := rep.Places[pc]; !ok {
			rep.Places[pc] = d.location(pc)
		}
	}
	for _, p := range rep.Report.PCs {
		place(p.PC)
	}
	for _, s := range rep.Report.Stacks {
		for i := range s.PCs {
			place(s.Lookup(i))
		}
	}
	return rep
}

// traceThread adds a new thread to the running trace, if there is one.
func (d *Debugger) traceThread(tid int) error {
	if d.trace == nil {
		return nil
	}
	return d.trace.rec.AddThread(tid)
}

// traceGone takes a thread that exited out of the running trace.
func (d *Debugger) traceGone(tid int) {
	if d.trace != nil {
		d.trace.rec.RemoveThread(tid)
	}
}

// traceExec ends the active trace at an exec, whose new image has none of
// its events: its report, each pc placed in the old image (its symbols
// are still loaded).
func (d *Debugger) traceExec() []Event {
	t := d.trace
	if t == nil {
		return nil
	}
	t.setEnded(fmt.Sprintf("the program executed a new program (%s), whose image has none of the trace's breakpoints", d.proc.Path))
	return []Event{d.endTrace(t)}
}

// traceResolver maps a sample's ip to its accessing instruction: on a
// machine that traps after the access, the instruction that ends at the
// ip, found as a hit's is; on one that traps before it, the instruction at
// the ip. Its width tells one access two pieces reported from two
// (traceprof.Profile.Sample). A read trace where slots cannot trap on
// reads alone counts only the instructions that read. It runs on the
// recorder's goroutine while the tracer thread handles stops, so it reads
// only what does not change during the trace: the program's memory, a
// copy of the breakpoints' original bytes and the call frame information
// loaded now. Its samples may be read after the program has exited or
// exec'd (a ring is drained at the end): code is read from the files
// mapped now (traceCode).
func (d *Debugger) traceResolver(acc arch.Access) traceprof.Resolver {
	tables := d.cfiTables()
	f := insnFinder{
		arch:   d.arch,
		read:   d.traceCode(),
		starts: func(pc uint64) []uint64 { return funcStartIn(tables, pc) },
	}
	onlyReads := acc == arch.Read && !d.arch.ReadOnlySlots()
	return func(ip uint64) traceprof.Access {
		if !d.arch.TrapAfter() {
			in, err := f.decodeAt(ip, nil)
			if err != nil {
				return traceprof.Access{PC: ip, Counts: !onlyReads}
			}
			return traceprof.Access{PC: ip, Counts: !onlyReads || in.MemReads, Width: in.MemLen}
		}
		in, guessed, ok := f.before(ip, nil)
		if !ok {
			// Never call an access a read without knowing it was one.
			return traceprof.Access{PC: ip, Counts: !onlyReads}
		}
		return traceprof.Access{PC: in.PC, Counts: !onlyReads || (!guessed && in.MemReads), Width: in.MemLen}
	}
}
