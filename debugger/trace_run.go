package debugger

import (
	"fmt"
	"sync"
	"time"
)

// A trace's runs. The program runs under a trace as it does under
// continue, until one of:
//
//   - the trace's own end: its duration of running, its count of hits, an
//     interrupt (Ctrl-C), the end of the program, an exec (the new image
//     has none of its breakpoints). The trace ends: its report.
//   - another stop: a watchpoint, a breakpoint, a signal. The trace is
//     paused (TracePaused): it keeps its slots, its events and its counts,
//     `info slots` and `info watchpoints` show it, and the next continue
//     records on; deleting it ends it with its report.
//
// While it is paused its events stay enabled (a step records what the
// stepped instruction accesses), and a thread created meanwhile gets them
// at its first stop, as while it runs.

// TracePaused says that a stop that is not the trace's end paused it.
type TracePaused struct {
	ID    int
	Cause string // what stopped the program, e.g. "breakpoint 1 stopped the program"
	Hits  uint64 // counted so far
	Lost  uint64
}

func (TracePaused) event() {}

// traceRetry is how often the end of a trace is sent again until the run
// it ends has begun.
const traceRetry = 5 * time.Millisecond

// runTrace runs the program under t until it stops, and says what the
// stop means for t: its report (the last event), or that it is paused.
func (d *Debugger) runTrace(t *activeTrace) ([]Event, error) {
	if d.proc.Exited() {
		return nil, ErrExited
	}
	run, _ := d.proc.Running()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	t.setRunning(true)
	go func() {
		defer wg.Done()
		d.endTraceWhenDone(t, run+1, done)
	}()
	var evs []Event
	var err error
	d.proc.Do(func() {
		evs, err = d.resumeAndWait()
		close(done)
		wg.Wait()
		evs = append(evs, d.park()...)
		t.setRunning(false)
		evs = d.traceOutcome(t, evs, err)
	})
	return evs, err
}

// endTraceWhenDone interrupts the trace's run (run) when its duration of
// running has passed or its count is reached, until done.
func (d *Debugger) endTraceWhenDone(t *activeTrace, run uint64, done chan struct{}) {
	var timeout <-chan time.Time
	if t.spec.For > 0 {
		timer := time.NewTimer(max(t.spec.For-t.elapsed(), 0))
		defer timer.Stop()
		timeout = timer.C
	}
	select {
	case <-done:
		return
	case <-timeout:
		t.setEnded(fmt.Sprintf("%v passed", t.spec.For))
	case <-t.reached:
		t.setEnded(fmt.Sprintf("%d %s counted", t.spec.Count, map[bool]string{true: "hit", false: "hits"}[t.spec.Count == 1]))
	}
	// The run may not have begun: send the interrupt until it has (one
	// is sent a run; a run already over is left alone).
	tick := time.NewTicker(traceRetry)
	defer tick.Stop()
	for {
		d.proc.InterruptRun(run, d.proc.Pid)
		select {
		case <-done:
			return
		case <-tick.C:
		}
	}
}

// traceOutcome is what the stop that ended a run (evs, err) means for t:
// the interrupt that ended it at its duration or count is no stop of the
// user's and is left out; at its end, the report follows the events; at
// another stop, that it is paused.
func (d *Debugger) traceOutcome(t *activeTrace, evs []Event, err error) []Event {
	if d.trace != t {
		return evs // it ended during the run
	}
	why := t.endedBy()
	out := evs[:0:0]
	for _, ev := range evs {
		if s, ok := ev.(Stop); ok && s.Reason == "interrupt" && why != "" {
			continue
		}
		out = append(out, ev)
	}
	if why == "" {
		var ends bool
		why, ends = stopCause(evs)
		if err != nil {
			why, ends = fmt.Sprintf("the program could not run on: %v", err), true
		}
		if !ends && !d.proc.Exited() {
			t.mu.Lock()
			t.paused = why
			t.mu.Unlock()
			hits, lost, _ := t.prof.Totals()
			return append(out, TracePaused{ID: t.id, Cause: why, Hits: hits, Lost: lost})
		}
	}
	t.setEnded(why)
	return append(out, d.endTrace(t))
}

// stopCause says in a few words what stopped the program in evs, and
// whether that ends a trace (an interrupt, the end of the program) rather
// than pausing it.
func stopCause(evs []Event) (string, bool) {
	for _, ev := range evs {
		switch e := ev.(type) {
		case WatchHit:
			return fmt.Sprintf("watchpoint %d stopped the program", e.ID), false
		case BreakHit:
			return fmt.Sprintf("breakpoint %d stopped the program", e.ID), false
		case Exit:
			return "the program ended", true
		case Stop:
			if e.Reason == "interrupt" {
				return "interrupted", true
			}
			if e.Signal != "" {
				return fmt.Sprintf("thread %d received %s", e.Tid, e.Signal), false
			}
			return fmt.Sprintf("thread %d stopped (%s)", e.Tid, e.Reason), false
		}
	}
	return "the program stopped", false
}

// continueTrace is continue under a paused trace: it records on.
func (d *Debugger) continueTrace() ([]Event, error) { return d.runTrace(d.trace) }

// EndTrace ends trace id (delete), paused at the prompt, and returns its
// report; false when id is no active trace.
func (d *Debugger) EndTrace(id int, why string) (TraceReport, bool) {
	t := d.trace
	if t == nil || t.id != id {
		return TraceReport{}, false
	}
	t.setEnded(why)
	var rep TraceReport
	d.run(func() { rep = d.endTrace(t) })
	return rep, true
}

// IsTrace says whether id is the active trace.
func (d *Debugger) IsTrace(id int) bool { return d.trace != nil && d.trace.id == id }

// dropTrace closes the active trace's events and frees its slots, with no
// report (the session ends).
func (d *Debugger) dropTrace() {
	if t := d.trace; t != nil {
		d.trace = nil
		t.rec.Close()
		d.slots.Release(t.id)
	}
}
