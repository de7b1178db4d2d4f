package repl

import (
	"fmt"
	"strings"
	"time"

	"hwdbg/arch"
	"hwdbg/debugger"
	"hwdbg/traceprof"
)

// The trace report (a `trace` event) and the line that says where its
// profile went, text and JSON side by side.

// maxTraceStacks bounds the stacks the text report lists (JSON has them
// all).
const maxTraceStacks = 10

// traceEvent renders the report of a trace.
func (p *printer) traceEvent(e debugger.TraceReport) {
	if p.json {
		p.emit(traceData(e))
		return
	}
	for _, l := range traceText(e) {
		fmt.Fprintln(p.w, l)
	}
}

func traceText(e debugger.TraceReport) []string {
	r := e.Report
	lines := []string{fmt.Sprintf("Trace %d: %s %s (%d bytes at %#x), %s %s: %s, %d lost in %v (%s); ended: %s",
		e.ID, accessFlag(e.Access.String()), e.Expr, e.Len, e.Addr, plural(len(e.Slots), "slot", "slots"), slotNames(e.Slots),
		counted(r.Hits, "hit", "hits"), r.Lost, e.Took.Round(time.Millisecond), rate(r.Hits, e.Took), e.Ended)}
	if r.Dropped > 0 {
		lines = append(lines, fmt.Sprintf("  %s left out: their instructions do not read", counted(r.Dropped, "write", "writes")))
	}
	if r.After > 0 {
		lines = append(lines, fmt.Sprintf("  %d more recorded after the first %d (the count) while the program was being stopped: not reported", r.After, r.Hits))
	}
	if r.Merged > 0 {
		lines = append(lines, fmt.Sprintf("  %d accesses reported by two pieces of the range were counted once", r.Merged))
	}
	if r.Lost > 0 {
		lines = append(lines, fmt.Sprintf("  %s lost: the ring was full (a larger ring: -pages N)", counted(r.Lost, "access was", "accesses were")))
	}
	if len(r.Threads) > 0 {
		lines = append(lines, "  by thread:")
		for _, t := range r.Threads {
			l := fmt.Sprintf("    %-8d %d", t.Tid, t.Hits)
			if t.Lost > 0 {
				l += fmt.Sprintf(" (%d lost)", t.Lost)
			}
			lines = append(lines, l)
		}
	}
	if len(r.PCs) > 0 {
		lines = append(lines, "  by instruction:")
		for _, pc := range r.PCs {
			lines = append(lines, fmt.Sprintf("    %-8d %s", pc.Hits, where(e.Places[pc.PC])))
		}
	}
	if len(r.Stacks) > 0 {
		lines = append(lines, "  by stack:")
	}
	for i, s := range r.Stacks {
		if i == maxTraceStacks {
			lines = append(lines, fmt.Sprintf("    ... %d more stacks (--json or -o FILE has them all)", len(r.Stacks)-i))
			break
		}
		for k := range s.PCs {
			head := strings.Repeat(" ", 12)
			if k == 0 {
				head = fmt.Sprintf("    %-8d", s.Hits)
			}
			lines = append(lines, fmt.Sprintf("%s #%d %s", head, k, where(placeOf(e, s, k))))
		}
	}
	return lines
}

// placeOf is where frame k of s is: a caller's is the call, not its
// return address.
func placeOf(e debugger.TraceReport, s traceprof.Stack, k int) debugger.Location {
	l := e.Places[s.Lookup(k)]
	l.PC = s.PCs[k]
	if k > 0 {
		l.Offset++ // the return address's own offset
	}
	return l
}

func rate(hits uint64, took time.Duration) string {
	if took <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f hits/s", float64(hits)/took.Seconds())
}

func traceData(e debugger.TraceReport) map[string]any {
	r := e.Report
	threads := []any{}
	for _, t := range r.Threads {
		threads = append(threads, map[string]any{"tid": t.Tid, "hits": t.Hits, "lost": t.Lost})
	}
	pcs := []any{}
	for _, pc := range r.PCs {
		l := e.Places[pc.PC]
		pcs = append(pcs, map[string]any{"pc": hex(pc.PC), "func": l.Func, "offset": l.Offset, "file": l.File, "line": l.Line, "hits": pc.Hits})
	}
	stacks := []any{}
	for _, s := range r.Stacks {
		frames := []any{}
		for k := range s.PCs {
			l := placeOf(e, s, k)
			frames = append(frames, map[string]any{"func": l.Func, "file": l.File, "line": l.Line, "pc": hex(l.PC)})
		}
		stacks = append(stacks, map[string]any{"count": s.Hits, "frames": frames})
	}
	return map[string]any{
		"event": "trace", "id": e.ID, "expr": e.Expr, "access": e.Access.String(), "addr": hex(e.Addr), "len": e.Len,
		"slots": e.Slots, "hits": r.Hits, "lost": r.Lost, "dropped": r.Dropped, "after": r.After, "merged": r.Merged, "ended": e.Ended,
		"seconds": e.Took.Seconds(), "threads": threads, "pcs": pcs, "stacks": stacks,
	}
}

// traceWritten is where -o wrote a trace's profile.
type traceWritten struct {
	ID     int
	File   string
	Format string // "pprof" or "folded"
	Hits   uint64
	Stacks int
}

func (r traceWritten) text() []string {
	return []string{fmt.Sprintf("Trace %d: %d hits in %d %s written to %s (%s)", r.ID, r.Hits, r.Stacks, plural(r.Stacks, "stack", "stacks"), r.File, r.Format)}
}

func (r traceWritten) data() map[string]any {
	return map[string]any{"id": r.ID, "file": r.File, "format": r.Format, "hits": r.Hits, "stacks": r.Stacks}
}

// traceStarted says that a trace runs, and how it ends.
type traceStarted struct {
	debugger.TraceStart
	Expr   string
	Access arch.Access
	For    time.Duration
	Hits   uint64
}

func (r traceStarted) text() []string {
	until := traceUntil(r.For, r.Hits)
	return []string{fmt.Sprintf("Trace %d: %s %s (%d bytes at %#x), %s %s, %s: running until %s (Ctrl-C ends it)",
		r.ID, accessFlag(r.Access.String()), r.Expr, r.Len, r.Addr, plural(len(r.Slots), "slot", "slots"), slotNames(r.Slots),
		counted(r.Threads, "thread", "threads"), until)}
}

func (r traceStarted) data() map[string]any {
	d := map[string]any{"id": r.ID, "expr": r.Expr, "access": r.Access.String(), "addr": hex(r.Addr), "len": r.Len,
		"slots": r.Slots, "threads": r.Threads, "pages": r.Pages, "running": true}
	if r.For > 0 {
		d["seconds"] = r.For.Seconds()
	}
	if r.Hits > 0 {
		d["count"] = r.Hits
	}
	return d
}

// tracePaused says that a stop paused the trace, and what to do.
func (p *printer) tracePaused(e debugger.TracePaused) {
	if p.json {
		p.emit(map[string]any{"event": "trace_paused", "id": e.ID, "cause": e.Cause, "hits": e.Hits, "lost": e.Lost})
		return
	}
	fmt.Fprintf(p.w, "Trace %d paused: %s; continue resumes it, delete %d ends it and reports (%d hits so far)\n", e.ID, e.Cause, e.ID, e.Hits)
}

// traceRow is the active trace as a row of info watchpoints.
func traceRow(ti debugger.TraceInfo) watchRow {
	r := watchRow{ID: ti.ID, Kind: debugger.KindWatch, Label: "trace", Enabled: true, Expr: ti.Expr, Addr: ti.Addr, Len: ti.Len,
		Slots: ti.Slots, Covers: ti.Pieces, Hits: int(ti.Hits), Engine: "perf",
		More: map[string]any{"access": ti.Access.String(), "lost": ti.Lost, "seconds": ti.Ran.Seconds(), "paused": ti.Paused}}
	state := "recording"
	if ti.Paused != "" {
		state = "paused (" + ti.Paused + ")"
	}
	r.Extra = append(r.Extra, fmt.Sprintf("trace %s of %s, through perf events: %s, %d lost, %v run",
		ti.Access, ti.Expr, state, ti.Lost, ti.Ran.Round(time.Millisecond)))
	if ti.For > 0 || ti.Count > 0 {
		r.Extra = append(r.Extra, "ends after "+traceUntil(ti.For, ti.Count))
	}
	return r
}

// traceUntil says how a trace ends on its own.
func traceUntil(d time.Duration, hits uint64) string {
	switch {
	case d > 0 && hits > 0:
		return fmt.Sprintf("%v or %s", d, counted(hits, "hit", "hits"))
	case d > 0:
		return d.String()
	case hits > 0:
		return counted(hits, "hit", "hits")
	}
	return "the program stops or ends"
}

// liveText is the live line of a running trace.
func liveText(id int, hits, lost uint64, ran time.Duration) string {
	return fmt.Sprintf("trace %d: %d hits, %s, %d lost, %.1f s", id, hits, perSecond(hits, ran), lost, ran.Seconds())
}

// perSecond is a rate of hits, e.g. 21.9k/s.
func perSecond(hits uint64, d time.Duration) string {
	if d <= 0 {
		return "-/s"
	}
	r := float64(hits) / d.Seconds()
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.2fM/s", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.1fk/s", r/1e3)
	}
	return fmt.Sprintf("%.0f/s", r)
}
