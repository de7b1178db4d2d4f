package debugger

import (
	"errors"
	"fmt"
	"maps"
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
// program runs until the trace's end, then every thread is stopped.

// TraceEngine is the engine tag of a trace's slots in the slot table.
const TraceEngine = "trace"

// traceTick is how often the end of a trace (its duration, its count) is
// checked.
const traceTick = 5 * time.Millisecond

// TraceSpec is a trace command's request.
type TraceSpec struct {
	Expr   string
	Access arch.Access   // Write, Read or ReadWrite
	Size   int           // -s N; 0 = from the expression
	For    time.Duration // end after this long (0: no limit)
	Count  uint64        // end after this many hits (0: no limit)
	Pages  int           // each thread's ring in pages (0: perfring's default)
}

// TraceReport is the end of a trace: what it counted, each pc it names
// placed in the program.
type TraceReport struct {
	ID     int
	Expr   string
	Access arch.Access
	Addr   uint64
	Len    int
	Slots  []string
	Ended  string // why it ended, e.g. "2s passed"
	Took   time.Duration
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

// activeTrace is the trace the program runs under.
type activeTrace struct {
	id    int
	spec  TraceSpec
	rec   *perfring.Recorder
	prof  *traceprof.Profile
	addr  uint64
	len   int
	slots []int
	start time.Time

	mu    sync.Mutex
	ended string // set by the goroutine that ends it (its duration, its count)
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

// TraceStart is a trace that has taken its slots and opened its events,
// and is about to run the program.
type TraceStart struct {
	ID      int
	Addr    uint64
	Len     int
	Slots   []string
	Threads int
	Pages   int // each thread's ring, in pages
}

// Trace records every access of spec.Access to spec.Expr's memory while
// the program runs, without stopping it, until spec's end, an interrupt,
// another stop (a watchpoint, a signal) or the end of the program. started,
// if not nil, is told of the trace before the program runs. Trace returns
// the events of the run, the TraceReport last; the program is left stopped
// (or gone).
func (d *Debugger) Trace(spec TraceSpec, started func(TraceStart)) ([]Event, error) {
	if d.proc.Exited() {
		return nil, ErrExited
	}
	if d.trace != nil {
		return nil, errors.New("a trace is already running")
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
		ts := TraceStart{ID: t.id, Addr: t.addr, Len: t.len, Threads: len(t.rec.Threads()), Pages: t.rec.Pages()}
		for _, i := range t.slots {
			ts.Slots = append(ts.Slots, d.slots.Name(i))
		}
		started(ts)
	}
	run, _ := d.proc.Running()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		d.endTraceWhenDone(t, run+1, done)
	}()
	var evs []Event
	d.proc.Do(func() {
		evs, err = d.resumeAndWait()
		close(done)
		wg.Wait()
		evs = append(evs, d.park()...)
		evs = append(d.traceStops(t, evs), d.endTrace(t))
	})
	return evs, err
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
	t := &activeTrace{id: d.nextID, spec: spec, addr: r.Addr, len: r.Len}
	t.slots, err = d.slots.Place(slottable.Request{Owner: t.id, Pieces: pieces, Access: spec.Access, Engine: TraceEngine})
	if err != nil {
		return nil, err
	}
	t.prof = traceprof.New(d.traceResolver(spec.Access))
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
	t.start = time.Now()
	return t, nil
}

// endTraceWhenDone interrupts the trace's run (run) when its duration has
// passed or its count is reached, until done.
func (d *Debugger) endTraceWhenDone(t *activeTrace, run uint64, done chan struct{}) {
	if t.spec.For <= 0 && t.spec.Count == 0 {
		return
	}
	tick := time.NewTicker(traceTick)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		hits, _, _ := t.prof.Totals()
		switch {
		case t.spec.For > 0 && time.Since(t.start) >= t.spec.For:
			t.setEnded(fmt.Sprintf("%v passed", t.spec.For))
		case t.spec.Count > 0 && hits >= t.spec.Count:
			t.setEnded(fmt.Sprintf("%d %s counted", t.spec.Count, map[bool]string{true: "hit", false: "hits"}[t.spec.Count == 1]))
		default:
			continue
		}
		// Sent once the run has begun; a run already over is left alone.
		d.proc.InterruptRun(run, d.proc.Pid)
	}
}

// traceStops are the events of the trace's run as the user sees them: the
// interrupt that ended it at its duration or count is no stop of the
// user's. It sets why the trace ended, when nothing had.
func (d *Debugger) traceStops(t *activeTrace, evs []Event) []Event {
	why := t.endedBy()
	out := evs[:0:0]
	for _, ev := range evs {
		if s, ok := ev.(Stop); ok && s.Reason == "interrupt" && why != "" {
			continue
		}
		out = append(out, ev)
	}
	if why == "" {
		why = stopCause(evs)
	}
	t.setEnded(why)
	return out
}

// stopCause says in a few words what stopped the program in evs.
func stopCause(evs []Event) string {
	for _, ev := range evs {
		switch e := ev.(type) {
		case WatchHit:
			return fmt.Sprintf("watchpoint %d stopped the program", e.ID)
		case BreakHit:
			return fmt.Sprintf("breakpoint %d stopped the program", e.ID)
		case Exit:
			return "the program ended"
		case Stop:
			if e.Reason == "interrupt" {
				return "interrupted"
			}
			if e.Signal != "" {
				return fmt.Sprintf("thread %d received %s", e.Tid, e.Signal)
			}
			return fmt.Sprintf("thread %d stopped (%s)", e.Tid, e.Reason)
		}
	}
	return "the program stopped"
}

// endTrace closes the recorder (every thread is stopped, so what it read
// is all there is), frees the slots and makes the report.
func (d *Debugger) endTrace(t *activeTrace) TraceReport {
	d.trace = nil
	took := time.Since(t.start)
	err := t.rec.Close()
	d.slots.Release(t.id)
	rep := TraceReport{ID: t.id, Expr: t.spec.Expr, Access: t.spec.Access, Addr: t.addr, Len: t.len,
		Ended: t.endedBy(), Took: took, Report: t.prof.Report(), Places: map[uint64]Location{}}
	if err != nil {
		rep.Ended += fmt.Sprintf(" (some ring data could not be read, counted as lost: %v)", err)
	}
	for _, i := range t.slots {
		rep.Slots = append(rep.Slots, d.slots.Name(i))
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

// traceGone takes a thread that exited out of the running trace, and at
// an exec (whose new image has none of the trace's events) every thread.
func (d *Debugger) traceGone(tid int) {
	if d.trace == nil {
		return
	}
	if tid != 0 {
		d.trace.rec.RemoveThread(tid)
		return
	}
	for _, tid := range d.trace.rec.Threads() {
		d.trace.rec.RemoveThread(tid)
	}
	d.trace.setEnded("the program executed a new program: the trace stopped counting there")
}

// traceResolver maps a sample's ip to its accessing instruction: on a
// machine that traps after the access, the instruction that ends at the
// ip, found as a hit's is; a read trace where slots cannot trap on reads
// alone counts only the instructions that read. It runs on the recorder's
// goroutine while the tracer thread handles stops, so it reads only what
// does not change during the trace: the program's memory, a copy of the
// breakpoints' original bytes and the call frame information loaded now.
func (d *Debugger) traceResolver(acc arch.Access) traceprof.Resolver {
	if !d.arch.TrapAfter() && (acc != arch.Read || d.arch.ReadOnlySlots()) {
		return traceprof.Identity
	}
	soft := maps.Clone(d.soft)
	tables := d.cfiTables()
	f := insnFinder{
		arch: d.arch,
		read: func(addr uint64, b []byte) error {
			if err := d.proc.ReadMemory(addr, b); err != nil {
				return err
			}
			copy(b, originalIn(soft, addr, b))
			return nil
		},
		starts: func(pc uint64) []uint64 { return funcStartIn(tables, pc) },
	}
	onlyReads := acc == arch.Read && !d.arch.ReadOnlySlots()
	return func(ip uint64) (uint64, bool) {
		if !d.arch.TrapAfter() {
			in, err := f.decodeAt(ip, nil)
			return ip, err == nil && in.MemReads
		}
		in, guessed, ok := f.before(ip, nil)
		if !ok {
			// Never call an access a read without knowing it was one.
			return ip, !onlyReads
		}
		return in.PC, !onlyReads || (!guessed && in.MemReads)
	}
}
