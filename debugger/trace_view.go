package debugger

import (
	"slices"
	"time"

	"hwdbg/arch"
)

// What the rest of hwdbg sees of the active trace: its counts while it
// runs (a live line), and while it is paused its row in `info
// watchpoints` and its slots in `info slots`.

// TraceMeter reads a trace's counts while it runs. Its methods may be
// called from any goroutine.
type TraceMeter struct{ t *activeTrace }

// Valid says whether the meter reads a trace.
func (m TraceMeter) Valid() bool { return m.t != nil }

// ID is the trace's id.
func (m TraceMeter) ID() int { return m.t.id }

// Now is the trace's counts so far and how long the program has run under
// it.
func (m TraceMeter) Now() (hits, lost uint64, ran time.Duration) {
	hits, lost, _ = m.t.prof.Totals()
	return hits, lost, m.t.elapsed()
}

// ActiveMeter is the meter of the active trace (the zero TraceMeter when
// there is none). Call it between runs.
func (d *Debugger) ActiveMeter() TraceMeter {
	if d.trace == nil {
		return TraceMeter{}
	}
	return TraceMeter{d.trace}
}

// TraceInfo is the active trace as info watchpoints lists it.
type TraceInfo struct {
	TraceTarget
	Pieces []arch.Piece
	Hits   uint64
	Lost   uint64
	Ran    time.Duration
	Paused string // what stopped the program
	For    time.Duration
	Count  uint64
}

// ActiveTrace is the active trace, if there is one.
func (d *Debugger) ActiveTrace() (TraceInfo, bool) {
	t := d.trace
	if t == nil {
		return TraceInfo{}, false
	}
	hits, lost, _ := t.prof.Totals()
	t.mu.Lock()
	paused := t.paused
	t.mu.Unlock()
	return TraceInfo{TraceTarget: d.target(t), Pieces: slices.Clone(t.pieces), Hits: hits, Lost: lost,
		Ran: t.elapsed(), Paused: paused, For: t.spec.For, Count: t.spec.Count}, true
}

// traceSlot fills v, thread tid's slot i, when the active trace's perf
// event holds it: the slot table's piece, as the event was opened.
func (d *Debugger) traceSlot(tid, i int, v *SlotView) {
	t := d.trace
	if t == nil || !slices.Contains(t.slots, i) || !slices.Contains(t.rec.Threads(), tid) {
		return
	}
	e := d.slots.At(tid, i)
	if e.Engine != TraceEngine || !slices.Contains(e.Owners, t.id) {
		return
	}
	v.Slot = arch.Slot{Enabled: true, Addr: e.Piece.Addr, Len: e.Piece.Len, Access: e.Access}
	v.Trace = t.id
}
