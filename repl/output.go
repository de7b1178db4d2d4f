package repl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"hwdbg/debugger"
)

// printer renders events and command results, as text or JSON lines.
type printer struct {
	w    *failWriter
	json bool
}

// failWriter remembers the first error writing to w: output that cannot
// be written (a full disk, a closed pipe) ends the session (Session.Run).
type failWriter struct {
	w   io.Writer
	err error
}

func (f *failWriter) Write(b []byte) (int, error) {
	n, err := f.w.Write(b)
	if err != nil && f.err == nil {
		f.err = err
	}
	return n, err
}

func hex(v uint64) string { return fmt.Sprintf("%#x", v) }

// emit writes one JSON line, in one write.
func (p *printer) emit(obj map[string]any) {
	p.w.Write(JSONLine(obj))
}

// JSONLine is v as one line of JSON, newline included: how hwdbg writes
// JSON. Strings are as they are: &, < and > are not escaped for HTML (a
// JSON reader needs no such escapes, and a person reading the line would
// see \u0026).
func JSONLine(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		b.Reset()
		enc.Encode(map[string]any{"event": "error", "message": "cannot encode JSON: " + err.Error()})
	}
	return b.Bytes()
}

// result emits a command's result object (JSON mode).
func (p *printer) result(command string, data map[string]any) {
	obj := map[string]any{"event": "result", "command": command}
	for k, v := range data {
		obj[k] = v
	}
	p.emit(obj)
}

func (p *printer) error(command string, err error) {
	msg := oneLine(err.Error())
	if p.json {
		p.emit(map[string]any{"event": "error", "message": msg, "command": command})
		return
	}
	fmt.Fprintf(p.w, "error: %s\n", msg)
}

// warning prints one warning line (a `warning` event in JSON).
func (p *printer) warning(msg string) {
	msg = oneLine(msg)
	if p.json {
		p.emit(map[string]any{"event": "warning", "message": msg})
		return
	}
	fmt.Fprintf(p.w, "warning: %s\n", msg)
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", "; ")
	if len(s) > 2000 {
		s = s[:2000] + "..."
	}
	return s
}

func where(l debugger.Location) string {
	s := hex(l.PC)
	if l.Func != "" || l.Object != "" {
		s += " " + l.Describe()
	}
	if l.File != "" {
		s += fmt.Sprintf(" (%s:%d)", l.File, l.Line)
	}
	return s
}

// event renders one debugger event.
func (p *printer) event(ev debugger.Event) {
	switch e := ev.(type) {
	case debugger.WatchHit:
		p.watchHit(e)
	case debugger.BreakHit:
		p.breakHit(e)
	case debugger.Stop:
		p.stop(e)
	case debugger.Stepped:
		p.stepped(e)
	case debugger.Exit:
		p.exit(e)
	case debugger.TraceReport:
		p.traceEvent(e)
	case debugger.TracePaused:
		p.tracePaused(e)
	case debugger.Warning:
		p.warning(e.Text)
	case debugger.Notice:
		if p.json {
			p.emit(map[string]any{"event": "notice", "message": e.Text})
			return
		}
		fmt.Fprintln(p.w, e.Text)
	}
}

// watchHit is the hit report (SPEC).
func (p *printer) watchHit(e debugger.WatchHit) {
	if p.json {
		p.emit(map[string]any{
			"event": "watchpoint", "id": e.ID, "expr": e.Expr, "access": e.Access,
			"addr": hex(e.Addr), "len": e.Len, "tid": e.Tid, "slot": strings.Join(e.Slots, ","),
			"slots": e.Slots, "old": e.Old, "new": e.New, "pc": hex(e.Insn.PC), "func": e.Insn.Func,
			"offset": e.Insn.Offset, "file": e.Insn.File, "line": e.Insn.Line, "insn": e.Text,
			"hits": e.Hits, "stops": e.Stops, "guessed": e.Guessed, "object": e.Insn.Object,
		})
		return
	}
	slot := "slot " + strings.Join(e.Slots, ", ")
	if len(e.Slots) > 1 {
		slot = "slots " + strings.Join(e.Slots, ", ")
	}
	fmt.Fprintf(p.w, "Watchpoint %d hit: %s %s (%d bytes at %#x), thread %d, %s\n",
		e.ID, accessFlag(e.Access), e.Expr, e.Len, e.Addr, e.Tid, slot)
	if e.Access == "read" {
		// A read changes nothing: one value, as gdb shows it.
		fmt.Fprintf(p.w, "  value = %s\n", e.New)
	} else {
		fmt.Fprintf(p.w, "  old = %s\n  new = %s\n", e.Old, e.New)
	}
	by := "  by " + where(e.Insn)
	if e.Text != "" {
		by += ": " + e.Text
	} else {
		by = "  by an instruction that could not be decoded, before " + hex(e.Insn.PC)
	}
	if e.Guessed {
		by += " (guessed: no symbol to decode from)"
	}
	fmt.Fprintln(p.w, by)
}

func (p *printer) breakHit(e debugger.BreakHit) {
	if p.json {
		obj := map[string]any{"event": "breakpoint", "id": e.ID, "tid": e.Tid, "pc": hex(e.At.PC),
			"func": e.At.Func, "offset": e.At.Offset, "file": e.At.File, "line": e.At.Line, "hits": e.Hits,
			"stops": e.Stops, "temporary": e.Temporary}
		if e.Slot != "" { // a software breakpoint holds no slot
			obj["slot"] = e.Slot
		}
		p.emit(obj)
		return
	}
	slot := ""
	if e.Slot != "" {
		slot = ", slot " + e.Slot
	}
	// A temporary breakpoint (tbreak, start's at main) is named as it was
	// when set, as gdb names it: "Temporary breakpoint 1".
	title := debugger.KindBreak.Title()
	if e.Temporary {
		title = debugger.KindTBreak.Title()
	}
	fmt.Fprintf(p.w, "%s %d hit: %s, thread %d%s\n", title, e.ID, where(e.At), e.Tid, slot)
}

func (p *printer) stop(e debugger.Stop) {
	if p.json {
		obj := map[string]any{"event": "stop", "tid": e.Tid, "reason": e.Reason, "signal": e.Signal,
			"pc": hex(e.At.PC), "func": e.At.Func, "offset": e.At.Offset, "file": e.At.File, "line": e.At.Line,
			"object": e.At.Object}
		if e.Addr != 0 {
			obj["addr"] = hex(e.Addr)
		}
		p.emit(obj)
		return
	}
	switch e.Reason {
	case "signal":
		s := fmt.Sprintf("Thread %d received %s at %s", e.Tid, e.Signal, where(e.At))
		if e.Addr != 0 {
			s += fmt.Sprintf(", fault address %#x", e.Addr)
		}
		fmt.Fprintln(p.w, s+" (continue delivers it)")
	case "step":
		fmt.Fprintf(p.w, "%s, thread %d\n", where(e.At), e.Tid)
	case "interrupt":
		fmt.Fprintf(p.w, "Interrupted: thread %d at %s\n", e.Tid, where(e.At))
	case "scope":
		// After the notice that says which watchpoint went and why.
		fmt.Fprintf(p.w, "  stopped at %s, thread %d\n", where(e.At), e.Tid)
	default:
		fmt.Fprintf(p.w, "Thread %d stopped: %s at %s\n", e.Tid, e.Reason, where(e.At))
	}
}

func (p *printer) exit(e debugger.Exit) {
	if p.json {
		obj := map[string]any{"event": "exit", "pid": e.Pid}
		if e.Signal != "" {
			obj["signal"] = e.Signal
		} else {
			obj["status"] = e.Status
		}
		p.emit(obj)
		return
	}
	if e.Signal != "" {
		fmt.Fprintf(p.w, "Process %d killed by %s\n", e.Pid, e.Signal)
	} else {
		fmt.Fprintf(p.w, "Process %d exited with status %d\n", e.Pid, e.Status)
	}
}

func accessFlag(a string) string {
	switch a {
	case "read":
		return "-r"
	case "rw":
		return "-rw"
	}
	return "-w"
}
