package repl

import (
	"fmt"
	"strings"

	"hwdbg/debugger"
)

// The results of the inspection commands: list, info locals, info args,
// info frame, ptype, whatis, set var, display, info display, echo.

// rawResult is a result whose text is written as it is, with no newline
// added (echo).
type rawResult interface {
	raw() string
}

// srcLine is one line of source.
type srcLine struct {
	N    int
	Text string
}

// listed is list: lines of a source file.
type listed struct {
	Path  string
	Lines []srcLine
}

func (r listed) text() []string {
	var lines []string
	for _, l := range r.Lines {
		lines = append(lines, fmt.Sprintf("%d\t%s", l.N, l.Text))
	}
	return lines
}

func (r listed) data() map[string]any {
	rows := []any{}
	for _, l := range r.Lines {
		rows = append(rows, map[string]any{"line": l.N, "text": l.Text})
	}
	return map[string]any{"file": baseName(r.Path), "path": r.Path, "lines": rows}
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// varList is info locals or info args: the selected frame's variables.
type varList struct {
	Args bool
	Vars []debugger.Var
}

func (r varList) text() []string {
	if len(r.Vars) == 0 {
		if r.Args {
			return []string{"No arguments."}
		}
		return []string{"No locals."}
	}
	var lines []string
	for _, v := range r.Vars {
		lines = append(lines, v.Name+" = "+v.Value)
	}
	return lines
}

func (r varList) data() map[string]any {
	rows := []any{}
	for _, v := range r.Vars {
		rows = append(rows, map[string]any{"name": v.Name, "type": v.Type, "value": v.Value})
	}
	key := "locals"
	if r.Args {
		key = "args"
	}
	return map[string]any{key: rows}
}

// argList renders a frame's arguments as gdb does: "a=0x1, s=...".
func argList(args []debugger.Arg) string {
	var parts []string
	for _, a := range args {
		parts = append(parts, a.Name+"="+a.Value)
	}
	return strings.Join(parts, ", ")
}

func argsData(args []debugger.Arg) []any {
	rows := []any{}
	for _, a := range args {
		rows = append(rows, map[string]any{"name": a.Name, "value": a.Value})
	}
	return rows
}

// frameLine is a frame as backtrace shows it, gdb's way: "#1  0x... in
// main () at file.c:12"; the innermost frame without its pc.
func frameLine(n int, f debugger.Frame) string {
	s := fmt.Sprintf("#%-2d ", n)
	if n > 0 || f.Func == "" {
		s += hex(f.PC) + " in "
	}
	name := f.Func
	if name == "" {
		name = "??"
	}
	s += name + " (" + argList(f.Args) + ")"
	switch {
	case f.File != "":
		s += fmt.Sprintf(" at %s:%d", f.File, f.Line)
	case f.Object != "":
		s += " from " + f.Object
	}
	return s
}

// frameInfo is info frame.
type frameInfo struct{ debugger.FrameInfo }

func (r frameInfo) text() []string {
	f := r.FrameInfo
	lines := []string{fmt.Sprintf("Stack level %d, frame at %#x:", f.Level, f.CFA)}
	at := fmt.Sprintf(" pc = %#x in %s", f.PC, orUnknown(f.Func))
	if f.File != "" {
		at += fmt.Sprintf(" (%s:%d)", f.File, f.Line)
	}
	if f.CallerPC != 0 {
		at += fmt.Sprintf("; saved pc = %#x", f.CallerPC)
	}
	lines = append(lines, at)
	var rel []string
	if f.CallerCFA != 0 {
		rel = append(rel, fmt.Sprintf("called by frame at %#x", f.CallerCFA))
	}
	if f.CalleeCFA != 0 {
		rel = append(rel, fmt.Sprintf("caller of frame at %#x", f.CalleeCFA))
	}
	if len(rel) > 0 {
		lines = append(lines, " "+strings.Join(rel, ", "))
	}
	if f.Language != "" {
		lines = append(lines, " source language "+f.Language+".")
	}
	lines = append(lines, " args: "+argList(f.Args))
	if f.CFA != 0 {
		lines = append(lines, fmt.Sprintf(" Previous frame's sp is %#x", f.CFA))
	}
	if len(f.Saved) > 0 {
		var regs []string
		for _, s := range f.Saved {
			regs = append(regs, fmt.Sprintf("%s at %#x", s.Name, s.Addr))
		}
		lines = append(lines, " Saved registers:", "  "+strings.Join(regs, ", "))
	}
	return lines
}

func orUnknown(s string) string {
	if s == "" {
		return "??"
	}
	return s
}

func (r frameInfo) data() map[string]any {
	f := r.FrameInfo
	saved := map[string]any{}
	for _, s := range f.Saved {
		saved[s.Name] = hex(s.Addr)
	}
	return map[string]any{"level": f.Level, "cfa": hex(f.CFA), "pc": hex(f.PC), "func": f.Func, "file": f.File,
		"line": f.Line, "caller_pc": hex(f.CallerPC), "caller_cfa": hex(f.CallerCFA), "language": f.Language,
		"args": argsData(f.Args), "saved": saved}
}

// typeShown is ptype and whatis: the type of an expression, or a type.
type typeShown struct {
	Expr   string
	Name   string // the type's name
	Layout string // ptype: its layout, lines joined by "\n"; "" for whatis
}

func (r typeShown) text() []string {
	if r.Layout == "" {
		return []string{"type = " + r.Name}
	}
	return strings.Split("type = "+r.Layout, "\n")
}

func (r typeShown) data() map[string]any {
	d := map[string]any{"expr": r.Expr, "type": r.Name}
	if r.Layout != "" {
		d["layout"] = r.Layout
	}
	return d
}

// assigned is set var: nothing in text, as in gdb; the new value in JSON.
type assigned struct{ Expr, Value, Type string }

func (assigned) text() []string { return nil }

func (r assigned) data() map[string]any {
	return map[string]any{"expr": r.Expr, "value": r.Value, "type": r.Type}
}

// shownDisplay is one display's value at a stop: "1: x = 3".
type shownDisplay struct {
	ID     int
	Expr   string
	Format byte
	Value  string
	Err    string
	// unknown: Err is a name found nowhere.
	unknown bool
}

func (r shownDisplay) label() string {
	if r.Format != 0 {
		return fmt.Sprintf("/%c %s", r.Format, r.Expr)
	}
	return r.Expr
}

func (r shownDisplay) text() []string {
	v := r.Value
	if r.Err != "" {
		v = "<error: " + r.Err + ">"
	}
	return []string{fmt.Sprintf("%d: %s = %s", r.ID, r.label(), v)}
}

func (r shownDisplay) data() map[string]any {
	d := map[string]any{"id": r.ID, "expr": r.Expr, "value": r.Value}
	if r.Format != 0 {
		d["format"] = string(r.Format)
	}
	if r.Err != "" {
		d["error"] = r.Err
	}
	return d
}

// displaySet confirms display EXPR: its number and its first value.
type displaySet struct{ shownDisplay }

// displayShown is display with no expression: every display's value now.
type displayShown struct{ Shown []shownDisplay }

func (r displayShown) text() []string {
	var lines []string
	for _, d := range r.Shown {
		lines = append(lines, d.text()...)
	}
	return lines
}

func (r displayShown) data() map[string]any {
	rows := []any{}
	for _, d := range r.Shown {
		rows = append(rows, d.data())
	}
	return map[string]any{"displays": rows}
}

// displayList is info display.
type displayList struct{ Displays []display }

func (r displayList) text() []string {
	if len(r.Displays) == 0 {
		return []string{"There are no auto-display expressions now."}
	}
	lines := []string{"Auto-display expressions now in effect:", "Num Enb Expression"}
	for _, d := range r.Displays {
		lines = append(lines, fmt.Sprintf("%d:   y  %s", d.ID, shownDisplay{Expr: d.Expr, Format: d.Format}.label()))
	}
	return lines
}

func (r displayList) data() map[string]any {
	rows := []any{}
	for _, d := range r.Displays {
		row := map[string]any{"id": d.ID, "expr": d.Expr}
		if d.Format != 0 {
			row["format"] = string(d.Format)
		}
		rows = append(rows, row)
	}
	return map[string]any{"displays": rows}
}

// undisplayed confirms undisplay (JSON only); no IDs: all were deleted.
type undisplayed struct{ IDs []int }

func (undisplayed) text() []string { return nil }

func (r undisplayed) data() map[string]any { return map[string]any{"deleted": r.IDs} }

// echoed is echo: its text as it is, no newline added.
type echoed struct{ Text string }

func (r echoed) text() []string { return nil }

func (r echoed) raw() string { return r.Text }

func (r echoed) data() map[string]any { return map[string]any{"text": r.Text} }
