package main

import (
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"hwdbg/internal/fixture"
)

// lineOf finds the line of testdata/FILE that contains marker.
func lineOf(t *testing.T, file, marker string) int {
	t.Helper()
	b, err := os.ReadFile(fixture.Root() + "/testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, marker) {
			return i + 1
		}
	}
	t.Fatalf("no %q in %s", marker, file)
	return 0
}

func TestSourceFieldsElementsBitfields(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "source", fixture.PIE)
	r := hwdbg(t, "start\nwatch -w &acct.history[2]\nwatch -w &head->next->id\nwatch acct.f.mode\nwatch paint\n"+
		"print acct.balance\nprint *head\nprint paint\nprint values\nprint acct.owner\nprint *(struct node*)head->next\n"+strings.Repeat("continue\n", 4), bin)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	hits := r.byEvent("watchpoint")
	if len(hits) != 4 {
		t.Fatalf("want 4 hits, got %d\n%s", len(hits), r)
	}
	want := []struct {
		expr, old, new, fn, marker string
		len                        float64
	}{
		{"&acct.history[2]", "0", "7", "set_history", "history line", 4},
		{"&head->next->id", "2", "22", "relink", "relink line", 4},
		// the bitfield: the bytes that hold it; the write to count (same
		// byte, earlier) is not reported, only mode's bits changing.
		{"acct.f.mode", "0", "5", "set_flags", "mode line", 1},
		{"paint", "RED", "BLUE", "main", "paint = BLUE", 4},
	}
	for i, w := range want {
		h := hits[i]
		if h["expr"] != w.expr || h["old"] != w.old || h["new"] != w.new || h["func"] != w.fn || h["len"] != w.len {
			t.Errorf("hit %d: %v, want %+v", i, h, w)
		}
		// The line of the writing statement, not the next one.
		if line := lineOf(t, "source.c", w.marker); h["line"] != float64(line) || h["file"] != "source.c" {
			t.Errorf("hit %d at %v:%v, want source.c:%d", i, h["file"], h["line"], line)
		}
	}
	var prints []string
	for _, e := range r.results("print") {
		prints = append(prints, e["value"].(string))
	}
	// The last is a cast to a type the program defines.
	wantPrints := []string{"100", `{id = 1, next = 0x`, "RED", "{5, 3, 9, 1, 7}", `"alice`, "{id = 2, next = 0x0}"}
	for i, w := range wantPrints {
		if i >= len(prints) || !strings.HasPrefix(prints[i], w) {
			t.Errorf("print %d: %q, want it to start with %q", i, prints, w)
		}
	}
}

func TestSourceLocalsGoOutOfScope(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "source", fixture.PIE)
	r := hwdbg(t, "break sum_local\ncontinue\nwatch -w local\n"+strings.Repeat("continue\n", 6)+"info watchpoints\n", bin)
	hits := r.byEvent("watchpoint")
	var news []string
	for _, h := range hits {
		news = append(news, h["new"].(string))
		if h["func"] != "sum_local" {
			t.Errorf("hit outside sum_local: %v", h)
		}
	}
	if strings.Join(news, ",") != "0,0,1,3,6" {
		t.Errorf("local's values %v, want 0,0,1,3,6", news)
	}
	var gone bool
	for _, n := range r.byEvent("notice") {
		gone = gone || strings.Contains(n["message"].(string), "Watchpoint 2 (local) deleted: the program left sum_local")
	}
	if !gone {
		t.Errorf("no event says the watch went with its frame\n%s", r)
	}
	for i := 0; r.listed(i) != nil; i++ {
		if r.listed(i)["expr"] == "local" {
			t.Errorf("the local's watch is still listed: %v", r.listed(i))
		}
	}
	// watch -l keeps watching the address after the frame is gone.
	r = hwdbg(t, "break sum_local\ncontinue\nwatch -l -w local\n"+strings.Repeat("continue\n", 6), bin)
	if n := len(r.byEvent("notice")); n != 0 {
		t.Errorf("watch -l must not be deleted: %v", r.byEvent("notice"))
	}
}

func TestSourceLinesAndBacktrace(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "source", fixture.PIE)
	loop := lineOf(t, "source.c", "loop line")
	r := hwdbg(t, fmt.Sprintf("break source.c:%d\n", loop)+strings.Repeat("continue\n", 4)+"delete\nbreak cmp\ncontinue\nbacktrace\nframe 4\nprint r\nprint values[1]\n", bin)
	bps := r.byEvent("breakpoint")
	if len(bps) != 5 {
		t.Fatalf("want 4 stops on the loop line and one in cmp, got %v\n%s", bps, r)
	}
	for _, b := range bps[:4] {
		if b["line"] != float64(loop) || b["func"] != "sum_local" {
			t.Errorf("loop stop: %v", b)
		}
	}
	var bt []any
	var prints []string
	for _, e := range r.byEvent("result") {
		switch e["command"] {
		case "backtrace":
			bt = e["frames"].([]any)
		case "print":
			prints = append(prints, e["value"].(string))
		}
	}
	// cmp is called by libc's qsort, which main called: the unwinder must
	// go through libc (by its .eh_frame) to reach main.
	var fns []string
	for _, f := range bt {
		fns = append(fns, fmt.Sprint(f.(map[string]any)["func"]))
	}
	s := strings.Join(fns, " ")
	if !regexp.MustCompile(`^cmp( \S*)* qsort\S* main`).MatchString(s) {
		t.Errorf("backtrace through libc: %s", s)
	}
	if len(prints) != 2 || prints[0] != "7" || prints[1] != "3" {
		t.Errorf("frame 4 is main: print r, values[1]: %v (frames %s)", prints, s)
	}
	// A hardware breakpoint on the same line stops every iteration too.
	r = hwdbg(t, fmt.Sprintf("hbreak source.c:%d\n", loop)+strings.Repeat("continue\n", 4), bin)
	bps = r.byEvent("breakpoint")
	if len(bps) != 4 {
		t.Fatalf("hbreak source.c:%d: want 4 stops, got %v\n%s", loop, bps, r)
	}
	for _, b := range bps {
		if b["line"] != float64(loop) || b["slot"] == "" {
			t.Errorf("hbreak stop: %v", b)
		}
	}
}

func TestSourceWithoutDWARF(t *testing.T) {
	bin := fixture.NoDWARF(t, "source")
	r := hwdbg(t, "watch -w &paint\nprint paint\nprint acct.balance\n", bin)
	if !strings.Contains(r.stderr, "source-level features (types, fields, locals, lines) are off") {
		t.Errorf("no line saying source-level features are off: %q", r.stderr)
	}
	res := r.byEvent("result")
	if len(res) != 2 || res[1]["value"] != "0" {
		t.Errorf("symbols still work: %v", res)
	}
	if e := r.byEvent("error"); len(e) != 1 || !strings.Contains(e[0]["message"].(string), "fields need debug information") {
		t.Errorf("fields without DWARF: %v", e)
	}
}

func TestSourceCPlusPlus(t *testing.T) {
	needTraps(t)
	bin := fixture.CXX(t, "app")
	r := hwdbg(t, "watch -w &app::config.limit\nwatch -w &app::Config::instances\ncontinue\ncontinue\n", bin)
	hits := r.byEvent("watchpoint")
	if len(hits) != 2 {
		t.Fatalf("want 2 hits\n%s", r)
	}
	if h := hits[0]; h["old"] != "10" || h["new"] != "20" || h["func"] != "app::Config::tune" || h["line"] != float64(lineOf(t, "app.cpp", "tune line")) {
		t.Errorf("static member field: %v", h)
	}
	if h := hits[1]; h["old"] != "0" || h["new"] != "1" || h["func"] != "app::Config::tune" {
		t.Errorf("static member: %v", h)
	}
}

func TestSourceGo(t *testing.T) {
	needTraps(t)
	bin := fixture.Go(t, "goprog")
	r := hwdbg(t, "watch -w &main.counter\nprint main.name\nprint main.primes\ncontinue\ncontinue\n", bin)
	hits := r.byEvent("watchpoint")
	if len(hits) != 1 {
		t.Fatalf("want 1 hit\n%s", r)
	}
	h := hits[0]
	if h["old"] != "0" || h["new"] != "42" || h["func"] != "main.writer" || h["line"] != float64(lineOf(t, "goprog/main.go", "writer line")) {
		t.Errorf("hit: %v", h)
	}
	w := regexp.MustCompile(`writer tid (\d+)`).FindStringSubmatch(r.stderr)
	m := regexp.MustCompile(`main tid (\d+)`).FindStringSubmatch(r.stderr)
	if w == nil || m == nil || w[1] == m[1] || fmt.Sprint(h["tid"]) != w[1] {
		t.Errorf("the writer goroutine on its own OS thread %v must be the reported thread %v (main %v)", w, h["tid"], m)
	}
	res := r.byEvent("result")
	if res[1]["value"] != `"hello"` || res[2]["value"] != "[]int len: 3, cap: 3, [2,3,5]" {
		t.Errorf("Go values: %v %v", res[1]["value"], res[2]["value"])
	}
}

func TestSourceRust(t *testing.T) {
	needTraps(t)
	bin := fixture.Rust(t, "rsprog")
	r := hwdbg(t, "watch -w &rsprog::COUNTER\ncontinue\nbacktrace\n", bin)
	hits := r.byEvent("watchpoint")
	if len(hits) != 1 {
		t.Fatalf("want 1 hit\n%s", r)
	}
	if h := hits[0]; h["old"] != "7" || h["new"] != "12" || h["func"] != "rsprog::bump" || h["line"] != float64(lineOf(t, "rsprog.rs", "bump line")) {
		t.Errorf("hit: %v", h)
	}
	frames := r.byEvent("result")[1]["frames"].([]any)
	if len(frames) < 2 || frames[1].(map[string]any)["func"] != "rsprog::main" {
		t.Errorf("demangled backtrace: %v", frames)
	}
}

func TestSourceGoStackVariableRefused(t *testing.T) {
	bin := fixture.Go(t, "goprog")
	line := lineOf(t, "goprog/main.go", "local line")
	r := hwdbg(t, fmt.Sprintf("break main.go:%d\ncontinue\nprint n\nwatch -w n\n", line), bin)
	if bp := r.byEvent("breakpoint"); len(bp) != 1 || bp[0]["func"] != "main.writer" {
		t.Fatalf("no stop at main.go:%d: %s", line, r)
	}
	if res := r.byEvent("result"); len(res) != 2 || res[1]["value"] != "43" {
		t.Errorf("print n: %v", res)
	}
	e := r.byEvent("error")
	if len(e) != 1 || !strings.Contains(e[0]["message"].(string), "goroutine stack") || !strings.Contains(e[0]["message"].(string), "watch a global or heap object") {
		t.Errorf("a watch on a Go stack variable must be refused with the reason: %v", e)
	}
	if len(r.results("watch")) != 0 {
		t.Errorf("it was not refused")
	}
	// watch -l too: the address would go stale when the stack moves, and
	// the watch would miss the variable's writes without a word.
	r = hwdbg(t, fmt.Sprintf("break main.go:%d\ncontinue\nwatch -l -w n\n", line), bin)
	e = r.byEvent("error")
	if len(e) != 1 || !strings.Contains(e[0]["message"].(string), "goroutine stack") || len(r.results("watch")) != 0 {
		t.Errorf("watch -l on a Go stack variable must be refused with the reason: %v\n%s", e, r)
	}
}

// TestLibraryAccessesDecoded: inside a library function no symbol names
// (libc's internal ones), the accessing instruction is decoded from the
// function start its call frame information records, not guessed; and a
// read watch never reports an access it could not classify as a read
// (snprintf's first store, mov byte ptr [rbx], 0, of a 0 over a 0, was
// reported as a read).
func TestLibraryAccessesDecoded(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "fmt", fixture.PIE)
	r := hwdbg(t, "start\nwatch -w buf\nrwatch buf\n"+strings.Repeat("continue\n", 30), bin)
	lastWrite, firstRead, reads := -1, -1, 0
	for i, e := range r.events {
		if e["event"] != "watchpoint" {
			continue
		}
		if e["guessed"] != false || e["insn"] == "" {
			t.Errorf("hit %d: the instruction was not decoded: %v", i, e)
		}
		switch e["id"] {
		case float64(2):
			lastWrite = i
		case float64(3):
			reads++
			if firstRead < 0 {
				firstRead = i
			}
		}
	}
	if lastWrite < 0 || reads == 0 || firstRead < lastWrite {
		t.Errorf("want snprintf's writes, then puts's reads only (last write at event %d, first read at %d, %d reads)\n%s", lastWrite, firstRead, reads, r)
	}
}

// TestReadWatchNeverReportsAGuess: a read watch on a variable that code
// with no symbol and no call frame information writes (jit.c) does not
// report the store. On amd64 the instruction can only be guessed back from
// the pc after it: the access is left out with one warning saying so, and
// never called a read, and the program runs on. On arm64 the trap comes
// before the store, decoded at the pc: a store, left out without a word.
// Then main reads target for its printf: that read is reported.
func TestReadWatchNeverReportsAGuess(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "jit", fixture.PIE)
	r := hwdbg(t, "rwatch target\ncontinue\ncontinue\n", bin)
	if r.code != 0 || len(r.byEvent("exit")) != 1 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	// main's read of target for its printf is the one access to report.
	if hits := r.byEvent("watchpoint"); len(hits) != 1 || hits[0]["func"] != "main" || hits[0]["guessed"] != false || hits[0]["new"] != "42" {
		t.Errorf("want main's read of 42 alone reported, not the JIT code's store: %v", hits)
	}
	var notReported []string
	for _, w := range r.byEvent("warning") {
		if m, _ := w["message"].(string); strings.Contains(m, "was not reported") {
			notReported = append(notReported, m)
		}
	}
	want := 0
	if runtime.GOARCH == "amd64" {
		want = 1
	}
	if len(notReported) != want || (want == 1 && !strings.Contains(notReported[0], "may have been a read or a write")) {
		t.Errorf("on %s want %d warning of an access left out, got %q\n%s", runtime.GOARCH, want, notReported, r)
	}
}
