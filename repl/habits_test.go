package repl

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"hwdbg/arch"
	"hwdbg/debugger"
)

func TestFirstClause(t *testing.T) {
	for _, tc := range []struct{ help, want string }{
		{"kill the program", "kill the program"},
		{"commands to run when N stops the program; 'silent' first hides the report", "commands to run when N stops the program"},
		{"count every access (-w writes, default; -r reads) while it runs; report hits", "count every access (-w writes, default; -r reads) while it runs"},
		{"unbalanced) paren; rest", "unbalanced) paren"},
		{"a;b; c", "a;b"},
		{"", ""},
	} {
		if got := firstClause(tc.help); got != tc.want {
			t.Errorf("firstClause(%q) = %q, want %q", tc.help, got, tc.want)
		}
	}
}

func FuzzFirstClause(f *testing.F) {
	for _, c := range commands {
		f.Add(c.help)
	}
	f.Add("((;; ); x")
	f.Fuzz(func(t *testing.T, help string) {
		got := firstClause(help)
		if !strings.HasPrefix(help, got) {
			t.Fatalf("firstClause(%q) = %q, not a prefix", help, got)
		}
		if got != help && !strings.HasPrefix(help[len(got):], "; ") {
			t.Fatalf("firstClause(%q) = %q: cut elsewhere than at \"; \"", help, got)
		}
	})
}

// Every command of the table has its line in the summary --help shows.
func TestCommandSummary(t *testing.T) {
	lines := CommandSummary()
	if len(lines) != len(commands) {
		t.Fatalf("%d lines for %d commands", len(lines), len(commands))
	}
	for i, c := range commands {
		if !strings.HasPrefix(lines[i], "  "+c.name+" ") || strings.Contains(lines[i], "\n") {
			t.Errorf("line %d %q: want the command %q on one line", i, lines[i], c.name)
		}
	}
}

// JSON strings keep &, < and > as they are; the line is valid JSON.
func FuzzJSONLine(f *testing.F) {
	f.Add("a & b <sym+4> -> c")
	f.Add("\xff\x00\"\\")
	f.Fuzz(func(t *testing.T, s string) {
		b := JSONLine(map[string]any{"event": "result", "value": s})
		if !bytes.HasSuffix(b, []byte("\n")) || bytes.Count(b, []byte("\n")) != 1 {
			t.Fatalf("not one line: %q", b)
		}
		for _, esc := range []string{`\u0026`, `\u003c`, `\u003e`} {
			if bytes.Contains(b, []byte(esc)) {
				t.Fatalf("%q escaped as %s: %s", s, esc, b)
			}
		}
		if utf8.ValidString(s) && strings.ContainsAny(s, "&<>") && !bytes.ContainsAny(b, "&<>") {
			t.Fatalf("%q lost its & < >: %s", s, b)
		}
	})
}

func TestJSONLineUnescaped(t *testing.T) {
	got := string(JSONLine(map[string]any{"expr": "a & b", "value": "0x10 <main+4>"}))
	want := `{"expr":"a & b","value":"0x10 <main+4>"}` + "\n"
	if got != want {
		t.Errorf("%s want %s", got, want)
	}
}

// The small inconsistencies: a temporary breakpoint's stop is named as it
// was set; a software breakpoint shows no slot anywhere; a free slot's
// access is "none", not a raw number; counts agree with their nouns.
func TestHabitsRendering(t *testing.T) {
	at := debugger.Location{PC: 0x401126, Func: "main", Offset: 4, File: "x.c", Line: 5}
	render := func(json bool, r func(p *printer)) string {
		var b bytes.Buffer
		r(&printer{w: &failWriter{w: &b}, json: json})
		return b.String()
	}
	tmp := debugger.BreakHit{ID: 1, Tid: 7, At: at, Hits: 1, Temporary: true}
	if got := render(false, func(p *printer) { p.event(tmp) }); got != "Temporary breakpoint 1 hit: 0x401126 main+4 (x.c:5), thread 7\n" {
		t.Errorf("temporary breakpoint: %q", got)
	}
	got := render(true, func(p *printer) { p.event(tmp) })
	if !strings.Contains(got, `"temporary":true`) || strings.Contains(got, `"slot"`) {
		t.Errorf("temporary breakpoint JSON: %s", got)
	}
	soft := breakSet{Kind: debugger.KindBreak, ID: 2, Addr: 0x401126, At: at}
	for _, json := range []bool{false, true} {
		if got := render(json, func(p *printer) { p.show("break", soft) }); strings.Contains(got, "slot") {
			t.Errorf("software breakpoint (json %v) shows a slot: %s", json, got)
		}
	}
	hard := breakSet{Kind: debugger.KindHBreak, ID: 3, Addr: 0x401126, At: at, Slots: []string{"DR0"}}
	if got := render(true, func(p *printer) { p.show("hbreak", hard) }); !strings.Contains(got, `"slots":["DR0"]`) {
		t.Errorf("hardware breakpoint JSON lacks its slot: %s", got)
	}
	free := slotTable{Names: []string{"DR0"}, Threads: []threadSlots{{Tid: 7, Slots: []debugger.SlotView{{Name: "DR0", Slot: arch.Slot{}}}}}}
	if got := render(true, func(p *printer) { p.show("info slots", free) }); !strings.Contains(got, `"access":"none"`) || strings.Contains(got, "access(") {
		t.Errorf("free slot: %s", got)
	}
	for _, tc := range []struct {
		r    Result
		want string
	}{
		{ignoreSet{ID: 1, Count: 1}, "Will ignore the next 1 crossing of 1.\n"},
		{ignoreSet{ID: 1, Count: 2}, "Will ignore the next 2 crossings of 1.\n"},
	} {
		if got := render(false, func(p *printer) { p.show("ignore", tc.r) }); got != tc.want {
			t.Errorf("%q, want %q", got, tc.want)
		}
	}
	if got, want := counted(uint64(1), "hit", "hits"), "1 hit"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	if got, want := counted(0, "thread", "threads"), "0 threads"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}
