package main

// The inspection commands at a breakpoint (no data trap needed): list,
// info locals/args/frame, ptype, whatis, set var, display, backtrace
// arguments, disassemble's call targets, echo (testdata/inspecting.c,
// testdata/gotypes).

import (
	"debug/elf"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"hwdbg/internal/fixture"
)

// sourceLines is testdata/FILE's lines.
func sourceLines(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(fixture.Root() + "/testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// listedLines are a list result's line numbers and texts.
func listedLines(t *testing.T, res map[string]any) ([]int, []string) {
	t.Helper()
	var ns []int
	var texts []string
	for _, l := range res["lines"].([]any) {
		m := l.(map[string]any)
		ns = append(ns, int(m["line"].(float64)))
		texts = append(texts, m["text"].(string))
	}
	return ns, texts
}

func TestInspectListLocalsFrame(t *testing.T) {
	bin := fixture.C(t, "inspecting", fixture.PIE)
	loop := lineOf(t, "inspecting.c", "loop line")
	src := sourceLines(t, "inspecting.c")
	r := hwdbg(t, fmt.Sprintf("break inspecting.c:%d\ncontinue\nlist\nl\nlist -\nlist rename_account\nlist inspecting.c:%d\n", loop, loop)+
		"info locals\ninfo args\ninfo frame\n", bin)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	lists := r.results("list")
	if len(lists) != 5 {
		t.Fatalf("want 5 list results, got %d\n%s", len(lists), r)
	}
	// As gdb: ten lines centered on the stop, the next ten, the ten
	// before those, around a function's declaration, around FILE:LINE.
	fn := lineOf(t, "inspecting.c", "void rename_account")
	wantFirst := []int{loop - 5, loop + 5, loop - 5, fn - 5, loop - 5}
	for i, res := range lists {
		ns, texts := listedLines(t, res)
		if len(ns) == 0 || ns[0] != wantFirst[i] || res["file"] != "inspecting.c" {
			t.Errorf("list %d: lines %v of %v, want from %d", i, ns, res["file"], wantFirst[i])
			continue
		}
		for j, n := range ns {
			if texts[j] != src[n-1] {
				t.Errorf("list %d: line %d is %q, want %q", i, n, texts[j], src[n-1])
			}
		}
	}

	locals := map[string]string{}
	for _, v := range r.results("info locals")[0]["locals"].([]any) {
		m := v.(map[string]any)
		locals[m["name"].(string)] = m["value"].(string)
	}
	for name, want := range map[string]string{"i": "0", "count": "3", "ratio": "2.5", "scale": "0.5", "grade": "66 'B'",
		"port": "8080", "origin": "{x = 1, y = 2}", "hue": "BLUE"} {
		if locals[name] != want {
			t.Errorf("info locals: %s = %q, want %q (all: %v)", name, locals[name], want, locals)
		}
	}
	// A pointer into a global array names the element's place.
	if !regexp.MustCompile(`^\(struct account \*\) 0x[0-9a-f]+ <accounts\+48>$`).MatchString(locals["cur"]) {
		t.Errorf("info locals: cur = %q", locals["cur"])
	}
	if !strings.Contains(locals["sq"], "area = 0x") || !strings.Contains(locals["sq"], "<shape_area>") || !strings.Contains(locals["sq"], "flags = 5") {
		t.Errorf("info locals: sq = %q", locals["sq"])
	}
	if args := r.results("info args")[0]["args"].([]any); len(args) != 0 {
		t.Errorf("main has no arguments: %v", args)
	}

	fi := r.results("info frame")[0]
	if fi["level"] != 0.0 || fi["func"] != "main" || fi["line"] != float64(loop) || fi["language"] != "c" {
		t.Errorf("info frame: %v", fi)
	}
	if hexArg(t, fi["cfa"]) == 0 || hexArg(t, fi["caller_pc"]) == 0 {
		t.Errorf("info frame: no frame address or caller: %v", fi)
	}
	if saved := fi["saved"].(map[string]any); len(saved) == 0 {
		t.Errorf("info frame: no saved registers from the CFI: %v", fi)
	}
}

func TestInspectTextForms(t *testing.T) {
	bin := fixture.C(t, "inspecting", fixture.PIE)
	loop := lineOf(t, "inspecting.c", "loop line")
	call := lineOf(t, "inspecting.c", "call line")
	src := sourceLines(t, "inspecting.c")
	r := runScript(t, fmt.Sprintf("break inspecting.c:%d\ncontinue\nlist\ninfo locals\nptype sq\nptype account_t\nptype cur\nwhatis cur\n", loop)+
		"ptype hue\nptype shape_area\ninfo frame\ndelete\nbreak rename_account\ncontinue\nbt\ninfo args\n", "-q", bin)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	out := strings.Join(r.text, "\n")
	want := []string{
		fmt.Sprintf("%d\t%s", loop, src[loop-1]),
		"count = 3\nratio = 2.5\nscale = 0.5\ngrade = 66 'B'",
		"type = struct shape {\n    point_t corner;\n    enum color color;\n    union number weight;\n    unsigned int flags : 3;\n" +
			"    struct account *owner;\n    int (*area)(const struct shape *);\n    struct {\n        short depth;\n    } extra;\n}",
		"type = struct account {\n    char name[16];\n    long balance;\n}\ntype = struct account {\n    char name[16];\n    long balance;\n} *\ntype = struct account *",
		"type = enum color {RED, GREEN = 5, BLUE}\ntype = int (const struct shape *)",
		"Stack level 0, frame at 0x",
		"Saved registers:",
	}
	for _, w := range want {
		w = normalizeInts(w)
		if !strings.Contains(normalizeInts(out), w) {
			t.Errorf("text output lacks\n%s\n---\n%s", w, out)
		}
	}
	bt := []*regexp.Regexp{
		regexp.MustCompile(`(?m)^#0  rename_account \(a=0x[0-9a-f]+ <accounts\+24>, src=0x[0-9a-f]+ "customer-with-long-name"\) at inspecting\.c:\d+$`),
		regexp.MustCompile(fmt.Sprintf(`(?m)^#1  0x[0-9a-f]+ in main \(\) at inspecting\.c:%d$`, call)),
		regexp.MustCompile(`(?m)^a = \(account_t \*\) 0x[0-9a-f]+ <accounts\+24>\nsrc = 0x[0-9a-f]+ "customer-with-long-name"$`),
	}
	for _, re := range bt {
		if !re.MatchString(out) {
			t.Errorf("text output does not match %s\n%s", re, out)
		}
	}
}

// normalizeInts spells the C integer types one way: gcc names them "long
// int" and "short int", clang "long" and "short".
func normalizeInts(s string) string {
	return strings.NewReplacer("long int", "long", "short int", "short").Replace(s)
}

func TestInspectSetVar(t *testing.T) {
	bin := fixture.C(t, "inspecting", fixture.PIE)
	call := lineOf(t, "inspecting.c", "call line")
	acc := lineOf(t, "inspecting.c", "acc line")
	script := fmt.Sprintf("break inspecting.c:%d\nbreak inspecting.c:%d\ncontinue\n", call, acc) +
		"set var count = 40\nset var ratio = 1.25\nset variable scale = 3\nset var grade = 'Z'\nprint hue = RED\n" +
		"set var sq.corner.x = 6\nset var sq.flags = 2\nset var *bal = 77\nset var limit = limit + 7\nset var cur = &accounts[3]\n" +
		"print count\nprint ratio\nprint scale\nprint grade\nprint sq.flags\nprint sq.weight.i\nprint cur\nprint/x port = 0x10\n" +
		"continue\nset var acc = 100\nprint acc\ncontinue\n"
	r := hwdbg(t, script, bin)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	var prints []string
	for _, p := range r.results("print") {
		prints = append(prints, p["value"].(string))
	}
	wantPrints := []string{"RED", "40", "1.25", "3", "90 'Z'", "2", "7", "(struct account *) 0x", "0x10", "100"}
	if len(prints) != len(wantPrints) {
		t.Fatalf("prints %q, want %q\n%s", prints, wantPrints, r)
	}
	for i, w := range wantPrints {
		if !strings.HasPrefix(prints[i], w) {
			t.Errorf("print %d: %q, want %q", i, prints[i], w)
		}
	}
	if !strings.HasSuffix(prints[7], "<accounts+72>") {
		t.Errorf("cur after set var: %q", prints[7])
	}
	sets := r.results("set var")
	if len(sets) != 10 || sets[0]["value"] != "40" || sets[0]["expr"] != "count = 40" {
		t.Errorf("set var results: %v", sets)
	}
	// The program itself sees the new values: the bitfield's neighbours
	// kept, the register the local lives in set.
	out := r.output()
	for _, w := range []string{"count 40 ratio 1.25 scale 3 grade Z port 16 origin 1,2 area 30 hue 0 limit 1007",
		"balance 77", "acc 100"} {
		if !strings.Contains(out, w) {
			t.Errorf("program output lacks %q:\n%s", w, out)
		}
	}
}

func TestInspectSetVarRefusals(t *testing.T) {
	bin := fixture.C(t, "inspecting", fixture.PIE)
	loop := lineOf(t, "inspecting.c", "loop line")
	for _, tc := range []struct{ cmd, want string }{
		{"set var 3 = 4", "cannot assign to 0x3: it is a value"},
		{"set var shape_area = 1", "it is the function shape_area"},
		{"set var origin = 3", "takes a value of its own type"},
		{"set var count == 3", "no '='"},
		{"set var count += 3", "+= is not supported"},
		{"set var nosuch = 3", `no symbol "nosuch"`},
		{"print count = ", "nothing after '='"},
	} {
		r := hwdbg(t, fmt.Sprintf("break inspecting.c:%d\ncontinue\n%s\n", loop, tc.cmd), bin)
		errs := r.byEvent("error")
		if r.code != 1 || len(errs) != 1 || !strings.Contains(errs[0]["message"].(string), tc.want) {
			t.Errorf("%s: exit %d, errors %v, want one saying %q", tc.cmd, r.code, errs, tc.want)
		}
	}
}

func TestInspectDisplayAtStops(t *testing.T) {
	bin := fixture.C(t, "inspecting", fixture.PIE)
	loop := lineOf(t, "inspecting.c", "loop line")
	call := lineOf(t, "inspecting.c", "call line")
	script := fmt.Sprintf("break inspecting.c:%d\nbreak inspecting.c:%d\ncontinue\ndisplay count\ndisplay/x port\ncontinue\ncontinue\ninfo display\nundisplay 1\ncontinue\n", loop, call)
	r := hwdbg(t, script, bin)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	// Each stop after the display commands shows them, numbered.
	var seq []string
	for _, e := range r.events {
		switch e["event"] {
		case "breakpoint":
			seq = append(seq, "stop")
		case "display":
			seq = append(seq, fmt.Sprintf("%v:%v=%v", e["id"], e["expr"], e["value"]))
		}
	}
	want := "stop stop 1:count=3 2:port=0x1f90 stop 1:count=4 2:port=0x1f90 stop 2:port=0x1f90"
	if got := strings.Join(seq, " "); got != want {
		t.Errorf("stops and displays:\n%s\nwant\n%s", got, want)
	}
	if set := r.results("display"); len(set) != 2 || set[0]["id"] != 1.0 || set[0]["value"] != "3" || set[1]["format"] != "x" {
		t.Errorf("display results: %v", set)
	}
	if l := r.results("info display"); len(l) != 1 || len(l[0]["displays"].([]any)) != 2 {
		t.Errorf("info display: %v", l)
	}

	// Text: gdb's "1: count = 3" after the stop's line.
	r = runScript(t, fmt.Sprintf("break inspecting.c:%d\ncontinue\ndisplay count\ndisplay/x port\ncontinue\ninfo display\n", loop), "-q", bin)
	out := strings.Join(r.text, "\n")
	if !regexp.MustCompile(`Breakpoint 1 hit: [^\n]*\n1: count = 3\n2: /x port = 0x1f90\n`).MatchString(out) ||
		!strings.Contains(out, "Num Enb Expression\n1:   y  count\n2:   y  /x port") {
		t.Errorf("text displays:\n%s", out)
	}
}

func TestInspectBacktraceArgs(t *testing.T) {
	bin := fixture.C(t, "inspecting", fixture.PIE)
	r := hwdbg(t, "break rename_account\ncontinue\nbacktrace\n", bin)
	bts := r.results("backtrace")
	if len(bts) != 1 {
		t.Fatalf("no backtrace\n%s", r)
	}
	frames := bts[0]["frames"].([]any)
	args := frames[0].(map[string]any)["args"].([]any)
	if len(args) != 2 {
		t.Fatalf("rename_account's arguments: %v", args)
	}
	a, s := args[0].(map[string]any), args[1].(map[string]any)
	if a["name"] != "a" || !regexp.MustCompile(`^0x[0-9a-f]+ <accounts\+24>$`).MatchString(a["value"].(string)) {
		t.Errorf("argument a: %v", a)
	}
	if s["name"] != "src" || !regexp.MustCompile(`^0x[0-9a-f]+ "customer-with-long-name"$`).MatchString(s["value"].(string)) {
		t.Errorf("argument src: %v", s)
	}
	if main := frames[1].(map[string]any); main["func"] != "main" || len(main["args"].([]any)) != 0 {
		t.Errorf("frame 1: %v", main)
	}
}

// dynamic tells whether bin is dynamically linked (calls through a PLT).
func dynamic(t *testing.T, bin string) bool {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return f.Section(".interp") != nil
}

func TestInspectDisassembleNamesCalls(t *testing.T) {
	bin := fixture.C(t, "inspecting", fixture.PIE)
	r := hwdbg(t, "break main\ncontinue\ndisassemble main\n", bin)
	res := r.results("disassemble")
	if len(res) != 1 {
		t.Fatalf("no disassembly\n%s", r)
	}
	targets := map[string]bool{}
	for _, in := range res[0]["instructions"].([]any) {
		m := in.(map[string]any)
		if n, ok := m["target_name"].(string); ok {
			targets[n] = true
		}
	}
	// gcc may turn a printf without arguments into puts; a static program
	// (the arm64 VM's) calls libc's functions directly.
	libc := []string{"printf@plt", "puts@plt"}
	if !dynamic(t, bin) {
		libc = []string{"printf", "_IO_printf", "puts", "_IO_puts"}
	}
	found := false
	for _, n := range libc {
		found = found || targets[n]
	}
	if !found || !targets["rename_account"] || !targets["work"] {
		t.Errorf("call targets %v: want rename_account, work and one of %v", targets, libc)
	}
	r = runScript(t, "break main\ncontinue\ndisassemble main\n", "-q", bin)
	out := strings.Join(r.text, "\n")
	if !regexp.MustCompile(`(call|bl)\s+0x[0-9a-f]+ <rename_account>`).MatchString(out) ||
		!regexp.MustCompile(`(call|bl)\s+0x[0-9a-f]+ <(`+strings.Join(libc, "|")+`)>`).MatchString(out) {
		t.Errorf("text disassembly does not name the calls:\n%s", out)
	}
	// The overrun's call, as a gdb user reads it: call 0x... <strcpy@plt>.
	// (A static program calls an IFUNC such as strcpy through a stub with
	// no name of its own.)
	if dynamic(t, bin) {
		r = runScript(t, "break main\ncontinue\ndisassemble rename_account\n", "-q", bin)
		if out := strings.Join(r.text, "\n"); !regexp.MustCompile(`call\s+0x[0-9a-f]+ <strcpy@plt>`).MatchString(out) {
			t.Errorf("disassemble rename_account does not name strcpy@plt:\n%s", out)
		}
	}
}

func TestInspectEchoInOrder(t *testing.T) {
	bin := fixture.C(t, "inspecting", fixture.PIE)
	script := "echo phase one\\n\nbreak rename_account\ncontinue\necho \\tat the break, 100\\\\ done\\n\necho no newline\necho |\\n\n"
	r := runScript(t, script, "-q", bin)
	out := strings.Join(r.text, "\n")
	if !regexp.MustCompile(`(?s)^phase one\nBreakpoint 1 at .*\nBreakpoint 1 hit: [^\n]*\n\tat the break, 100\\ done\nno newline\|`).MatchString(out) {
		t.Errorf("echo text out of order or badly escaped:\n%q", out)
	}
	r = hwdbg(t, script, bin)
	var seq []string
	for _, e := range r.events {
		switch {
		case e["event"] == "result" && e["command"] == "echo":
			seq = append(seq, e["text"].(string))
		case e["event"] == "breakpoint":
			seq = append(seq, "<stop>")
		}
	}
	if got := strings.Join(seq, ""); got != "phase one\n<stop>\tat the break, 100\\ done\nno newline|\n" {
		t.Errorf("JSON echo results in order: %q", got)
	}
}

func TestInspectGo(t *testing.T) {
	bin := fixture.Go(t, "gotypes")
	r := hwdbg(t, "break main.move\ncontinue\ninfo args\nptype p\nframe 1\ninfo locals\nptype pt\nwhatis pt\n", bin)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	vars := func(res map[string]any, key string) map[string]string {
		out := map[string]string{}
		for _, v := range res[key].([]any) {
			m := v.(map[string]any)
			out[m["name"].(string)] = m["value"].(string)
		}
		return out
	}
	args := vars(r.results("info args")[0], "args")
	if args["dx"] != "3" || !strings.HasPrefix(args["p"], "(*main.Point)(0x") {
		t.Errorf("info args in main.move: %v", args)
	}
	locals := vars(r.results("info locals")[0], "locals")
	if locals["count"] != "3" || locals["name"] != `"corner"` || !strings.HasPrefix(locals["pt"], `main.Point {X: 1, Y: 2, Label: "corner", Next: 0x`) {
		t.Errorf("info locals in main.main: %v", locals)
	}
	layout := "main.Point struct {\n    X int\n    Y int\n    Label string\n    Next *main.Point\n    Tags []string\n}"
	pts := r.results("ptype")
	if len(pts) != 2 || pts[0]["layout"] != "*"+layout || pts[1]["layout"] != layout {
		t.Errorf("ptype: %v", pts)
	}
	if w := r.results("whatis"); len(w) != 1 || w[0]["type"] != "main.Point" {
		t.Errorf("whatis pt: %v", w)
	}
}

func TestHelpInfo(t *testing.T) {
	bin := fixture.C(t, "inspecting", fixture.PIE)
	r := runScript(t, "help info\nhelp list\nhelp set var\n", "-q", bin)
	out := strings.Join(r.text, "\n")
	for _, w := range []string{"info locals", "info args", "info frame", "info display", "info watchpoints", "info registers",
		"list [FUNC|FILE:LINE|LINE|FIRST,LAST|-] -- show source lines", "set var LVALUE = EXPR -- assign"} {
		if !strings.Contains(out, w) {
			t.Errorf("help lacks %q:\n%s", w, out)
		}
	}
}

// TestInspectExamineStringThroughPointer: x/s of a char pointer examines
// the string it points to, as gdb does, not the pointer's own bytes.
func TestInspectExamineStringThroughPointer(t *testing.T) {
	bin := fixture.C(t, "inspecting", fixture.PIE)
	r := hwdbg(t, "break rename_account\ncontinue\nx/s src\nprint/x src\n", bin)
	x, p := r.results("x"), r.results("print")
	if len(x) != 1 || len(p) != 1 || x[0]["value"] != "customer-with-long-name" {
		t.Fatalf("x/s src: %v\n%s", x, r)
	}
	if hexArg(t, x[0]["addr"]) != hexArg(t, p[0]["value"]) {
		t.Errorf("x/s src examined %v, but src is %v", x[0]["addr"], p[0]["value"])
	}
}
