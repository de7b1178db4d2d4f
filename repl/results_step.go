package repl

import (
	"fmt"
	"os"
	"strings"
	"sync"

	"hwdbg/debugger"
)

// What the commands that run the program a step at a time report: the end
// of a line step (the frame when it changed, then the source line, as gdb
// shows them), finish's "Run till exit" and returned value, continue N's
// ignore count, run's "Starting program".

// runTill is the frame finish runs out of (text only: the stop follows).
type runTill struct {
	N     int
	Frame debugger.Frame
}

func (r runTill) text() []string {
	return []string{fmt.Sprintf("Run till exit from #%-2d %s", r.N, where(r.Frame.Location))}
}

func (r runTill) data() map[string]any { return nil }

// valueReturned is the value the finished function returned.
type valueReturned struct {
	debugger.Returned
	N int // its number in the values shown: $N
}

func (r valueReturned) text() []string {
	if r.Err != "" {
		return []string{fmt.Sprintf("Value returned has type: %s. Cannot determine contents: %s", r.Type, r.Err)}
	}
	return []string{fmt.Sprintf("Value returned is $%d = %s", r.N, r.Value)}
}

func (r valueReturned) data() map[string]any {
	d := map[string]any{"func": r.Func, "type": r.Type}
	if r.Err != "" {
		d["error"] = r.Err
	} else {
		d["value"], d["history"] = r.Value, r.N
	}
	return d
}

// willIgnore is continue N's ignore count.
type willIgnore struct {
	ID    int
	Kind  debugger.Kind
	Count int
}

func (r willIgnore) text() []string {
	return []string{fmt.Sprintf("Will ignore next %d crossings of %s %d.  Continuing.", r.Count, r.Kind.Noun(), r.ID)}
}

func (r willIgnore) data() map[string]any { return map[string]any{"id": r.ID, "ignore": r.Count} }

// starting is run's program, started.
type starting struct {
	Path  string
	Args  []string
	Input string
	Pid   int
}

func (r starting) text() []string {
	line := "Starting program: " + r.Path
	if len(r.Args) > 0 {
		line += " " + quoteArgs(r.Args)
	}
	if r.Input != "" {
		line += " < " + quoteArgs([]string{r.Input})
	}
	return []string{line}
}

func (r starting) data() map[string]any {
	args := r.Args
	if args == nil {
		args = []string{}
	}
	return map[string]any{"program": r.Path, "args": args, "input": r.Input, "pid": r.Pid}
}

// stepped renders the end of a line step: a stop of reason "step".
func (p *printer) stepped(e debugger.Stepped) {
	at := e.At
	if p.json {
		p.emit(map[string]any{"event": "stop", "tid": e.Tid, "reason": e.Reason, "signal": "", "pc": hex(at.PC),
			"func": at.Func, "offset": at.Offset, "file": at.File, "line": at.Line, "new_function": e.NewFunc})
		return
	}
	for _, l := range steppedLines(e, sourceLine) {
		fmt.Fprintln(p.w, l)
	}
}

// steppedLines is the text of the end of a line step: gdb's "func () at
// file:line" when the function changed (with the pc first when it is
// inside a line, "from OBJECT" without lines), then the line and its source
// text (src reads it).
func steppedLines(e debugger.Stepped, src func(path string, line int) (string, error)) []string {
	at := e.At
	var lines []string
	name := at.Func
	if name == "" {
		name = "??"
	}
	pc := ""
	if e.Mid || at.File == "" {
		pc = fmt.Sprintf("%#016x in ", at.PC)
	}
	switch {
	case at.File == "":
		line := pc + name + " ()"
		if at.Object != "" {
			line += " from " + at.Object
		}
		return append(lines, line)
	case e.NewFunc:
		lines = append(lines, fmt.Sprintf("%s%s () at %s:%d", pc, name, at.File, at.Line))
		pc = ""
	}
	text, err := src(e.Path, at.Line)
	if err != nil {
		text = err.Error()
	}
	if pc != "" {
		pc = strings.TrimSuffix(pc, " in ") + "\t"
	}
	return append(lines, fmt.Sprintf("%s%d\t%s", pc, at.Line, text))
}

// sources caches the files sourceLine read, by path.
var sources = struct {
	sync.Mutex
	files map[string][]string
}{files: map[string][]string{}}

// sourceLine is line n of the source file at path, as gdb shows it when a
// step stops there; the error is what gdb says instead ("FILE: No such
// file or directory.").
func sourceLine(path string, n int) (string, error) {
	sources.Lock()
	defer sources.Unlock()
	lines, ok := sources.files[path]
	if !ok {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("%s: %s.", path, sentence(err))
		}
		lines = strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
		if len(sources.files) > 64 {
			sources.files = map[string][]string{}
		}
		sources.files[path] = lines
	}
	if n <= 0 || n > len(lines) {
		return "", fmt.Errorf("line %d is out of range for %q (%d lines)", n, path, len(lines))
	}
	return lines[n-1], nil
}

// sentence is an error's reason, capitalised, without the path os adds.
func sentence(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		err = pe.Err
	}
	s := err.Error()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
