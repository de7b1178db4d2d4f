package repl

import (
	"fmt"
	"strconv"
	"strings"

	"hwdbg/arch"
	"hwdbg/debugger"
)

// A Result is what a command reports when it succeeds, as plain values.
// The printer renders it (show): its text lines in text mode, its keys in
// a "result" object in JSON mode. Each result's two forms are side by side
// below, one type after the other.
type Result interface {
	// text is the result as text, one string a line (none: nothing in
	// text mode).
	text() []string
	// data is the keys of the JSON result object besides event and
	// command; nil: no object in JSON mode.
	data() map[string]any
}

// show renders a command's result.
func (p *printer) show(command string, r Result) {
	if p.json {
		if d := r.data(); d != nil {
			p.result(command, d)
		}
		return
	}
	if rr, ok := r.(rawResult); ok {
		fmt.Fprint(p.w, rr.raw())
		return
	}
	for _, l := range r.text() {
		fmt.Fprintln(p.w, l)
	}
}

// symSuffix is " <func+off>" for a location in a symbol, "" otherwise.
func symSuffix(l debugger.Location) string {
	if l.Func != "" {
		return " <" + l.Describe() + ">"
	}
	return ""
}

// slotNames joins slot names for text, "-" for none.
func slotNames(names []string) string {
	if len(names) == 0 {
		return "-"
	}
	return strings.Join(names, ",")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// counted is "1 thread", "2 threads": n and the noun that goes with it.
func counted[N int | uint64](n N, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func joinInts(v []int) string {
	var s []string
	for _, n := range v {
		s = append(s, strconv.Itoa(n))
	}
	return strings.Join(s, ",")
}

// watchSet confirms a watchpoint (watch, rwatch, awatch).
type watchSet struct {
	ID     int
	Access arch.Access
	Expr   string
	Addr   uint64
	Len    int
	Slots  []string
	Note   string // what the user should know, "" for nothing
}

func (r watchSet) text() []string {
	lines := []string{fmt.Sprintf("%s %d: %s %s (%d bytes at %#x), %s %s", debugger.KindWatch.Title(), r.ID,
		accessFlag(r.Access.String()), r.Expr, r.Len, r.Addr, plural(len(r.Slots), "slot", "slots"), slotNames(r.Slots))}
	if r.Note != "" {
		lines = append(lines, "Note: "+r.Note)
	}
	return lines
}

func (r watchSet) data() map[string]any {
	d := map[string]any{"id": r.ID, "expr": r.Expr, "access": r.Access.String(), "addr": hex(r.Addr), "len": r.Len, "slots": r.Slots}
	if r.Note != "" {
		d["note"] = r.Note
	}
	return d
}

func (r watchSet) trapProbe() string { return fmt.Sprintf("%s %d", debugger.KindWatch.Noun(), r.ID) }

// breakSet confirms a breakpoint (hbreak, break, tbreak).
type breakSet struct {
	Kind  debugger.Kind
	ID    int
	Addr  uint64
	At    debugger.Location // where Addr is, for its symbol
	Slots []string
}

func (r breakSet) text() []string {
	s := fmt.Sprintf("%s %d at %#x%s", r.Kind.Title(), r.ID, r.Addr, symSuffix(r.At))
	if r.Kind == debugger.KindHBreak {
		s += ", slot " + slotNames(r.Slots)
	}
	return []string{s}
}

func (r breakSet) data() map[string]any {
	d := map[string]any{"id": r.ID, "addr": hex(r.Addr), "kind": r.Kind.Command()}
	if r.Kind == debugger.KindHBreak { // a software breakpoint holds no slot
		d["slots"] = r.Slots
	}
	return d
}

func (r breakSet) trapProbe() string {
	if r.Kind != debugger.KindHBreak {
		return ""
	}
	return fmt.Sprintf("%s %d", r.Kind.Noun(), r.ID)
}

// startBreak is start's temporary breakpoint at main: a line of text, no
// JSON object (the breakpoint event that follows says it).
type startBreak struct{ breakSet }

func (startBreak) data() map[string]any { return nil }

// conditionSet confirms condition: a line of text only when no condition
// is left.
type conditionSet struct {
	ID      int
	Cond    string
	HitCond string // the hit-count condition, as a condition on $hits
}

func (r conditionSet) text() []string {
	if r.Cond != "" || r.HitCond != "" {
		return nil
	}
	return []string{fmt.Sprintf("Watchpoint/breakpoint %d now stops unconditionally.", r.ID)}
}

func (r conditionSet) data() map[string]any {
	d := map[string]any{"id": r.ID, "cond": r.Cond}
	if r.HitCond != "" {
		d["hit_cond"] = r.HitCond
	}
	return d
}

// ignoreSet confirms ignore.
type ignoreSet struct{ ID, Count int }

func (r ignoreSet) text() []string {
	return []string{fmt.Sprintf("Will ignore the next %d %s of %d.", r.Count, plural(r.Count, "crossing", "crossings"), r.ID)}
}

func (r ignoreSet) data() map[string]any { return map[string]any{"id": r.ID, "count": r.Count} }

// commandsOpened invites the lines of a commands block (text only).
type commandsOpened struct{ ID int }

func (r commandsOpened) text() []string {
	return []string{fmt.Sprintf("Type commands for %d, one per line; end with a line saying just \"end\".", r.ID)}
}

func (commandsOpened) data() map[string]any { return nil }

// commandsSet is a commands block read to its end (JSON only).
type commandsSet struct {
	ID    int
	Lines []string
}

func (commandsSet) text() []string { return nil }

func (r commandsSet) data() map[string]any { return map[string]any{"id": r.ID, "commands": r.Lines} }

// deleted confirms delete (JSON only); no IDs: all were deleted.
type deleted struct{ IDs []int }

func (deleted) text() []string { return nil }

func (r deleted) data() map[string]any { return map[string]any{"deleted": r.IDs} }

// enabled confirms enable and disable (JSON only).
type enabled struct{ IDs []int }

func (enabled) text() []string { return nil }

func (r enabled) data() map[string]any { return map[string]any{"ids": r.IDs} }

// detached confirms detach.
type detached struct{ Pid int }

func (r detached) text() []string {
	return []string{fmt.Sprintf("Detached from process %d; it runs on with our debug registers cleared.", r.Pid)}
}

func (r detached) data() map[string]any { return map[string]any{"pid": r.Pid} }

// killed confirms kill.
type killed struct{ Pid int }

func (r killed) text() []string { return []string{fmt.Sprintf("Killed process %d.", r.Pid)} }

func (r killed) data() map[string]any { return map[string]any{"pid": r.Pid} }

// helpEntry is one command's usage and help (help COMMAND).
type helpEntry struct{ Usage, Help string }

func (r helpEntry) text() []string { return []string{r.Usage + " -- " + r.Help} }

func (r helpEntry) data() map[string]any { return map[string]any{"usage": r.Usage, "help": r.Help} }

// helpList is help: every command, and the command words.
type helpList struct {
	Entries []helpEntry
	Names   []string
	// Group: the commands of one prefix (help info), without the notes
	// on expressions.
	Group bool
}

func (r helpList) text() []string {
	var lines []string
	for _, e := range r.Entries {
		lines = append(lines, fmt.Sprintf("  %-32s %s", e.Usage, e.Help))
	}
	if r.Group {
		return lines
	}
	return append(lines, "EXPR: &sym, sym, 0xADDR with -s N, *(TYPE*)0xADDR, $reg; LOCATION: func or *ADDR.")
}

func (r helpList) data() map[string]any { return map[string]any{"commands": r.Names} }

// printed is print's value.
type printed struct{ Expr, Value, Type string }

func (r printed) text() []string { return []string{r.Value} }

func (r printed) data() map[string]any {
	return map[string]any{"expr": r.Expr, "value": r.Value, "type": r.Type}
}

// slotTable is info slots: the machine's slots, and each thread's as
// armed in the kernel.
type slotTable struct {
	Names   []string // the machine's slots
	Threads []threadSlots
}

type threadSlots struct {
	Tid     int
	ArmedBy string // how the thread's slots are armed
	Slots   []debugger.SlotView
}

func (r slotTable) text() []string {
	lines := []string{fmt.Sprintf("The CPU has %d debug-register slots (%s); per thread, as armed in the kernel:", len(r.Names), strings.Join(r.Names, " "))}
	for _, t := range r.Threads {
		lines = append(lines, fmt.Sprintf("Thread %d: through %s", t.Tid, t.ArmedBy))
		for _, v := range t.Slots {
			if !v.Slot.Enabled {
				lines = append(lines, fmt.Sprintf("  %-4s free%s", v.Name, ifOwned(v.Owners)))
				continue
			}
			owner := "-"
			if len(v.Owners) > 0 {
				owner = "owner " + joinInts(v.Owners)
			}
			if v.Trace != 0 {
				owner = fmt.Sprintf("owner trace %d (a perf event)", v.Trace)
			}
			lines = append(lines, fmt.Sprintf("  %-4s %#-18x len %-2d %-6s %s", v.Name, v.Slot.Addr, v.Slot.Len, v.Slot.Access, owner))
		}
	}
	return lines
}

// slotAccess names what a slot traps on, "none" for a slot that traps on
// nothing (a free one).
func slotAccess(s arch.Slot) string {
	if s.Access == 0 {
		return "none"
	}
	return s.Access.String()
}

func ifOwned(owners []int) string {
	if len(owners) > 0 {
		return " (owner " + joinInts(owners) + ", disabled)"
	}
	return ""
}

func (r slotTable) data() map[string]any {
	threads := map[string]any{}
	armed := map[string]any{}
	for _, t := range r.Threads {
		armed[strconv.Itoa(t.Tid)] = t.ArmedBy
		var rows []any
		for _, v := range t.Slots {
			row := map[string]any{"slot": v.Name, "enabled": v.Slot.Enabled, "addr": hex(v.Slot.Addr),
				"len": v.Slot.Len, "access": slotAccess(v.Slot), "owners": v.Owners}
			if v.Trace != 0 {
				row["trace"] = v.Trace
			}
			rows = append(rows, row)
		}
		threads[strconv.Itoa(t.Tid)] = rows
	}
	return map[string]any{"count": len(r.Names), "slots": threads, "armed": armed}
}

// registers is info registers: the selected thread's, or those named.
type registers struct {
	Tid  int
	Regs []arch.Reg
}

func (r registers) text() []string {
	var lines []string
	for _, g := range r.Regs {
		lines = append(lines, fmt.Sprintf("%-10s %#-18x %d", g.Name, g.Value, int64(g.Value)))
	}
	return lines
}

func (r registers) data() map[string]any {
	regs := map[string]any{}
	for _, g := range r.Regs {
		regs[g.Name] = hex(g.Value)
	}
	return map[string]any{"tid": r.Tid, "registers": regs}
}

// threadList is info threads.
type threadList struct {
	Current int // the selected thread
	Threads []threadRow
}

type threadRow struct {
	Tid  int
	Name string
	At   debugger.Location
}

func (r threadList) text() []string {
	lines := []string{fmt.Sprintf("  %-8s %-16s %s", "Id", "Name", "Where")}
	for _, t := range r.Threads {
		mark := " "
		if t.Tid == r.Current {
			mark = "*"
		}
		lines = append(lines, fmt.Sprintf("%s %-8d %-16s %s", mark, t.Tid, t.Name, where(t.At)))
	}
	return lines
}

func (r threadList) data() map[string]any {
	var rows []any
	for _, t := range r.Threads {
		rows = append(rows, map[string]any{"tid": t.Tid, "name": t.Name, "pc": hex(t.At.PC), "func": t.At.Func, "current": t.Tid == r.Current})
	}
	return map[string]any{"threads": rows}
}

// currentThread is thread: the selected thread.
type currentThread threadRow

func (r currentThread) text() []string {
	return []string{fmt.Sprintf("[Current thread is %d (%s) at %s]", r.Tid, r.Name, where(r.At))}
}

func (r currentThread) data() map[string]any {
	return map[string]any{"tid": r.Tid, "pc": hex(r.At.PC), "func": r.At.Func}
}

// frameSel is frame: the selected frame.
type frameSel struct {
	N     int
	Frame debugger.Frame
}

func (r frameSel) text() []string {
	return []string{fmt.Sprintf("#%-2d %s", r.N, where(r.Frame.Location))}
}

func (r frameSel) data() map[string]any {
	f := r.Frame
	return map[string]any{"frame": r.N, "pc": hex(f.PC), "func": f.Func, "file": f.File, "line": f.Line}
}

// backtrace is the selected thread's stack, the selected frame marked.
type backtrace struct {
	Tid      int
	Selected int
	Frames   []debugger.Frame
}

func (r backtrace) text() []string {
	var lines []string
	for i, f := range r.Frames {
		lines = append(lines, frameLine(i, f))
	}
	return lines
}

func (r backtrace) data() map[string]any {
	var rows []any
	for _, f := range r.Frames {
		rows = append(rows, map[string]any{"pc": hex(f.PC), "func": f.Func, "offset": f.Offset, "file": f.File, "line": f.Line, "object": f.Object,
			"args": argsData(f.Args)})
	}
	return map[string]any{"tid": r.Tid, "frames": rows}
}
