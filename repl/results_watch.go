package repl

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"hwdbg/arch"
	"hwdbg/debugger"
)

// info watchpoints: a row for each watch- or breakpoint (its range and
// slots, its hits and stops, its conditions, engine and notes), text and
// JSON.

// watchList is info watchpoints.
type watchList struct{ Rows []watchRow }

// watchRow is one watch/breakpoint of info watchpoints.
type watchRow struct {
	ID      int
	Kind    debugger.Kind
	Label   string // the kind column: write, read, rw, hbreak, break, tbreak
	Enabled bool
	Expr    string
	Addr    uint64
	Len     int
	At      debugger.Location // where a software breakpoint is
	Slots   []string
	Covers  []arch.Piece // what the slots really cover
	// Hits counts every access to the range (crossing of the location),
	// whether or not the condition held; Stops the stops it made.
	Hits, Stops int
	// Engine arms it: ptrace, perf or kernel; EngineWhy says why not the
	// kernel, for one with something to filter.
	Engine, EngineWhy string
	// ThreadHits counts the hits per thread.
	ThreadHits map[int]int
	Thread     int // only this thread, 0 for all
	Cond       string
	HitCond    string // the hit-count condition, as a condition on $hits
	Ignore     int
	Modify     bool
	// ReadAsRW: a read watchpoint in a read-or-write slot, on a machine
	// with no read-only slot.
	ReadAsRW bool
	Commands []string
	Extra    []string       // more lines under the row
	More     map[string]any // more keys of the row's JSON
}

func (r watchList) text() []string {
	if len(r.Rows) == 0 {
		return []string{"No watchpoints or breakpoints."}
	}
	lines := []string{fmt.Sprintf("%-4s %-6s %-4s %-24s %-28s %-10s %-34s %-8s %s", "Num", "Kind", "Enb", "What", "Requested", "Slots", "Covers", "Hits", "Stops")}
	for _, w := range r.Rows {
		lines = append(lines, w.text()...)
	}
	return lines
}

func (w watchRow) soft() bool { return w.Kind == debugger.KindBreak || w.Kind == debugger.KindTBreak }

func (w watchRow) text() []string {
	enb := "y"
	if !w.Enabled {
		enb = "n"
	}
	req := fmt.Sprintf("%d bytes at %#x", w.Len, w.Addr)
	var covers []string
	for _, p := range w.Covers {
		covers = append(covers, fmt.Sprintf("%#x+%d", p.Addr, p.Len))
	}
	slots := slotNames(w.Slots)
	if w.soft() {
		req, slots, covers = fmt.Sprintf("at %#x%s", w.Addr, symSuffix(w.At)), "int3", nil
	}
	if !w.Enabled {
		slots = "-"
	}
	stops := strconv.Itoa(w.Stops)
	if w.Label == "trace" {
		stops = "-" // a trace never stops the program
	}
	lines := []string{fmt.Sprintf("%-4d %-6s %-4s %-24s %-28s %-10s %-34s %-8d %s", w.ID, w.Label, enb, truncate(w.Expr, 24), req, slots,
		strings.Join(covers, " "), w.Hits, stops)}
	for _, n := range w.notes() {
		lines = append(lines, "     "+n)
	}
	for _, c := range w.Commands {
		lines = append(lines, "        "+c)
	}
	return lines
}

// notes are the lines under a watch/breakpoint's row.
func (w watchRow) notes() []string {
	var notes []string
	if w.Modify {
		notes = append(notes, "stops only when the value changes (-m)")
	}
	if w.ReadAsRW {
		notes = append(notes, "x86 has no read-only slot: a read-or-write slot, writes filtered by decoding the instruction")
	}
	if w.Thread != 0 {
		notes = append(notes, fmt.Sprintf("only thread %d, in its own slots", w.Thread))
	}
	if w.HitCond != "" {
		notes = append(notes, "stop only if "+w.HitCond+" (hit-count condition)")
	}
	if w.Cond != "" {
		notes = append(notes, "stop only if "+w.Cond)
	}
	if w.Ignore > 0 {
		notes = append(notes, fmt.Sprintf("ignore next %d %s", w.Ignore, plural(w.Ignore, "crossing", "crossings")))
	}
	notes = append(notes, w.Extra...)
	if w.Engine == "kernel" {
		notes = append(notes, "engine kernel: counted and judged in the kernel (BPF)")
	} else if w.EngineWhy != "" {
		notes = append(notes, fmt.Sprintf("engine %s, not kernel: %s", w.Engine, w.EngineWhy))
	}
	if len(w.ThreadHits) > 0 {
		var per []string
		for _, tid := range sortedKeys(w.ThreadHits) {
			per = append(per, fmt.Sprintf("thread %d: %d", tid, w.ThreadHits[tid]))
		}
		notes = append(notes, "hits by "+strings.Join(per, ", "))
	}
	return notes
}

func (r watchList) data() map[string]any {
	if len(r.Rows) == 0 {
		return map[string]any{"watchpoints": []any{}}
	}
	var rows []any
	for _, w := range r.Rows {
		var covers []any
		for _, p := range w.Covers {
			covers = append(covers, map[string]any{"addr": hex(p.Addr), "len": p.Len})
		}
		threadHits := map[string]int{}
		for tid, n := range w.ThreadHits {
			threadHits[strconv.Itoa(tid)] = n
		}
		row := map[string]any{"id": w.ID, "kind": w.Label, "enabled": w.Enabled, "expr": w.Expr,
			"addr": hex(w.Addr), "len": w.Len, "slots": w.Slots, "covers": covers, "hits": w.Hits, "stops": w.Stops,
			"thread_hits": threadHits, "thread": w.Thread, "cond": w.Cond, "ignore": w.Ignore, "modify": w.Modify,
			"commands": w.Commands}
		if w.soft() { // a software breakpoint holds no slot and covers nothing
			delete(row, "slots")
			delete(row, "covers")
		}
		if w.Engine != "" {
			row["engine"] = w.Engine
		}
		if w.EngineWhy != "" {
			row["engine_why"] = w.EngineWhy
		}
		if w.HitCond != "" {
			row["hit_cond"] = w.HitCond
		}
		if w.Label == "trace" {
			delete(row, "stops") // a trace never stops the program
		}
		for k, v := range w.More {
			row[k] = v
		}
		rows = append(rows, row)
	}
	return map[string]any{"watchpoints": rows}
}

func sortedKeys(m map[int]int) []int {
	var keys []int
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}
