package main

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"hwdbg/internal/fixture"
)

// The line steps (next, step, until, finish), stepi N, continue N and run
// again, against testdata/stepping.c (and a Go program, and a process
// hwdbg attached to). Only the watch test needs a data trap.

// at is "stepping.c:LINE" of a marker of testdata/stepping.c.
func at(t *testing.T, marker string) string {
	t.Helper()
	return fmt.Sprintf("stepping.c:%d", lineOf(t, "stepping.c", "L:"+marker))
}

// stepStops are the stop events of reason step.
func stepStops(r result) []map[string]any {
	var out []map[string]any
	for _, e := range r.byEvent("stop") {
		if e["reason"] == "step" {
			out = append(out, e)
		}
	}
	return out
}

// wantStop checks a stop event's function and line.
func wantStop(t *testing.T, what string, e map[string]any, fn string, line int) {
	t.Helper()
	if e["func"] != fn || e["line"] != float64(line) || e["file"] != "stepping.c" {
		t.Errorf("%s: stopped in %v at line %v, want %s line %d (%v)", what, e["func"], e["line"], fn, line, e)
	}
}

func TestNextStepFinish(t *testing.T) {
	bin := fixture.C(t, "stepping", fixture.PIE)
	call := lineOf(t, "stepping.c", "L:call")
	// next runs over add_to_total (typed as gdb users do: n, s).
	r := hwdbg(t, "break "+at(t, "call")+"\nrun\nn\n", bin)
	stops := stepStops(r)
	if r.code != 0 || len(stops) != 1 {
		t.Fatalf("next: exit %d, want one step stop\n%s", r.code, r)
	}
	wantStop(t, "next over add_to_total", stops[0], "main", lineOf(t, "stepping.c", "L:half-call"))

	// step goes into it, past its prologue; finish comes back with 43.
	r = hwdbg(t, "break "+at(t, "call")+"\nrun\ns\nfinish\nstep\ns\nfinish\n", bin)
	stops = stepStops(r)
	if r.code != 0 || len(stops) != 5 {
		t.Fatalf("step/finish: exit %d, want 5 step stops\n%s", r.code, r)
	}
	wantStop(t, "step into add_to_total", stops[0], "add_to_total", lineOf(t, "stepping.c", "L:add-body"))
	if stops[0]["new_function"] != true {
		t.Errorf("a step into another function says so: %v", stops[0])
	}
	wantStop(t, "finish of add_to_total", stops[1], "main", call)
	wantStop(t, "the rest of the call's line", stops[2], "main", lineOf(t, "stepping.c", "L:half-call"))
	wantStop(t, "step into half", stops[3], "half", lineOf(t, "stepping.c", "L:half-body"))
	vals := r.results("finish")
	if len(vals) != 2 || vals[0]["value"] != "43" || vals[0]["type"] != "int" || vals[0]["func"] != "add_to_total" ||
		vals[1]["value"] != "2.5" || vals[1]["type"] != "double" {
		t.Errorf("finish values: %v, want add_to_total's 43 then half's 2.5\n%s", vals, r)
	}
}

func TestFinishTextAndStruct(t *testing.T) {
	bin := fixture.C(t, "stepping", fixture.PIE)
	r := runScript(t, "break add_to_total\nrun\nfinish\nbreak make_pair\ncontinue\nfinish\nstep\nstep\n", "-q", bin)
	out := strings.Join(r.text, "\n")
	call := lineOf(t, "stepping.c", "L:call")
	for _, want := range []string{
		"Run till exit from #0  0x",
		fmt.Sprintf(" in main () at stepping.c:%d\n%d\t\tint r = add_to_total(6, 7);", call, call),
		"Value returned is $1 = 43",
		"Value returned is $2 = {a = 3, b = 4}",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("finish's text lacks %q:\n%s", want, out)
		}
	}
	// Out of main, then into pthread_create (no lines: run over).
	if r.code != 0 {
		t.Errorf("exit %d\n%s", r.code, r)
	}
}

func TestUntilLeavesLoop(t *testing.T) {
	bin := fixture.C(t, "stepping", fixture.PIE)
	r := hwdbg(t, "tbreak "+at(t, "loop-last")+"\nrun\nuntil\nuntil\nprint counter\ninfo breakpoints\nu\n", bin)
	stops := stepStops(r)
	if r.code != 0 || len(stops) != 3 {
		t.Fatalf("exit %d, want 3 step stops\n%s", r.code, r)
	}
	wantStop(t, "until at the loop's last line", stops[0], "main", lineOf(t, "stepping.c", "L:loop-head"))
	wantStop(t, "until at the loop's head", stops[1], "main", lineOf(t, "stepping.c", "L:call"))
	wantStop(t, "until after the loop", stops[2], "main", lineOf(t, "stepping.c", "L:half-call"))
	if p := r.results("print"); len(p) != 1 || p[0]["value"] != "5" {
		t.Errorf("the loop ran to its end: counter %v, want 5", p)
	}
	// The step's breakpoints are internal: none is listed.
	if l := r.results("info watchpoints"); len(l) != 1 || len(l[0]["watchpoints"].([]any)) != 0 {
		t.Errorf("info breakpoints after until: %v", l)
	}
}

func TestUntilLocationAndNexti(t *testing.T) {
	bin := fixture.C(t, "stepping", fixture.PIE)
	r := hwdbg(t, "break main\nrun\nuntil "+at(t, "call")+"\nprint counter\nstepi 4\nnexti 30\ninfo breakpoints\ncontinue\n", bin)
	stops := stepStops(r)
	if r.code != 0 || len(stops) < 2 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	wantStop(t, "until LOCATION", stops[0], "main", lineOf(t, "stepping.c", "L:call"))
	if p := r.results("print"); len(p) != 1 || p[0]["value"] != "5" {
		t.Errorf("counter at the call: %v, want 5", p)
	}
	// stepi 4 from the call's line reaches add_to_total's entry; nexti
	// never goes into a call: it stays in the functions it starts in.
	if stops[1]["func"] != "add_to_total" {
		t.Errorf("stepi 4 from %s: %v", at(t, "call"), stops[1])
	}
	if len(stops) != 3 || stops[2]["func"] != "add_to_total" && stops[2]["func"] != "main" {
		t.Errorf("nexti 30: %v\n%s", stops, r)
	}
	if ex := r.byEvent("exit"); len(ex) != 1 || ex[0]["status"] != float64(0) {
		t.Errorf("the program did not end well after the steps (a step's breakpoint left behind?)\n%s", r)
	}
}

func TestStepiCount(t *testing.T) {
	bin := fixture.C(t, "stepping", fixture.PIE)
	one := hwdbg(t, "break square\nrun\nstepi\nstepi\nstepi\n", bin)
	three := hwdbg(t, "break square\nrun\nstepi 3\nsi 2\n", bin)
	s1, s3 := one.byEvent("stop"), three.byEvent("stop")
	if len(s1) != 3 || len(s3) != 2 {
		t.Fatalf("want 3 stops from stepi x3 and 2 from stepi 3 + si 2\n%s\n%s", one, three)
	}
	if s3[0]["func"] != "square" || s3[0]["offset"] != s1[2]["offset"] {
		t.Errorf("stepi 3 ends at %v+%v, three stepi at %v+%v", s3[0]["func"], s3[0]["offset"], s1[2]["func"], s1[2]["offset"])
	}
	if s3[1]["offset"].(float64) <= s3[0]["offset"].(float64) {
		t.Errorf("si 2 went backwards: %v then %v", s3[0], s3[1])
	}
}

func TestContinueCount(t *testing.T) {
	bin := fixture.C(t, "stepping", fixture.PIE)
	r := hwdbg(t, "break "+at(t, "loop-body")+"\nrun\ncontinue 3\nprint i\ninfo breakpoints\n", bin)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	if c := r.results("continue"); len(c) != 1 || c[0]["id"] != float64(1) || c[0]["ignore"] != float64(2) {
		t.Errorf("continue 3 sets the ignore count of breakpoint 1 to 2: %v", c)
	}
	if p := r.results("print"); len(p) != 1 || p[0]["value"] != "3" {
		t.Errorf("continue 3 from the first crossing stops at the fourth (i = 3): i = %v\n%s", p, r)
	}
	if w := r.listed(0); w == nil || w["hits"] != float64(4) || w["stops"] != float64(2) || w["ignore"] != float64(0) {
		t.Errorf("breakpoint 1 after continue 3: %v", w)
	}
	text := runScript(t, "break "+at(t, "loop-body")+"\nrun\nc 3\n", "-q", bin)
	if !strings.Contains(strings.Join(text.text, "\n"), "Will ignore next 2 crossings of breakpoint 1.  Continuing.") {
		t.Errorf("continue 3's text:\n%s", strings.Join(text.text, "\n"))
	}
}

func TestRunAgain(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "stepping", fixture.PIE)
	r := hwdbg(t, "break add_to_total\nwatch total\nr\ncontinue\ncontinue\nrun\ninfo breakpoints\nrun 3\nbreak "+at(t, "print")+"\ncontinue\ncontinue\nprint n\nrun\ncontinue\ncontinue\nprint n\n", bin)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	bps := r.byEvent("breakpoint")
	if len(bps) < 4 || bps[0]["id"] != float64(1) || bps[1]["id"] != float64(1) {
		t.Fatalf("breakpoint 1 is hit in each run: %v\n%s", bps, r)
	}
	if bps[0]["tid"] == bps[1]["tid"] {
		t.Errorf("the second run is another process: tids %v and %v", bps[0]["tid"], bps[1]["tid"])
	}
	if hits := r.byEvent("watchpoint"); len(hits) < 2 || hits[0]["new"] != "43" || hits[1]["new"] != "43" {
		t.Errorf("the watch on total is set again in each run: %v", hits)
	}
	if ex := r.byEvent("exit"); len(ex) != 1 || ex[0]["status"] != float64(0) {
		t.Errorf("the first run ends, the next are killed by run: %v", ex)
	}
	if w := r.listed(0); w == nil || w["hits"] != float64(2) {
		t.Errorf("info breakpoints after two runs: %v", r.listed(0))
	}
	starts := r.results("run")
	if len(starts) != 4 || len(starts[2]["args"].([]any)) != 1 || starts[2]["args"].([]any)[0] != "3" || len(starts[3]["args"].([]any)) != 1 {
		t.Errorf("run 3 gives the program its argument, and the next run keeps it: %v", starts)
	}
	if p := r.results("print"); len(p) != 2 || p[0]["value"] != "3" || p[1]["value"] != "3" {
		t.Errorf("n in the runs with argument 3: %v\n%s", p, r)
	}
}

// TestRunAgainAfterExit: after the program exited, run starts it again
// with its breakpoints kept and set again in the new process: by name, and
// by address (break *FUNC, moved to where the function is now). Needs no
// trap: it runs natively everywhere (TestRunAgain adds a watchpoint).
func TestRunAgainAfterExit(t *testing.T) {
	bin := fixture.C(t, "stepping", fixture.PIE)
	r := hwdbg(t, "break add_to_total\nbreak *square\nr\ncontinue\ncontinue\nrun\ncontinue\ninfo breakpoints\n", bin)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	bps := r.byEvent("breakpoint")
	var ids, funcs []string
	for _, b := range bps {
		ids = append(ids, fmt.Sprint(b["id"]))
		funcs = append(funcs, fmt.Sprint(b["func"]))
	}
	if strings.Join(ids, ",") != "1,2,1,2" || strings.Join(funcs, ",") != "add_to_total,square,add_to_total,square" {
		t.Fatalf("breakpoints hit %v in %v, want 1 (add_to_total) then 2 (square) in each run\n%s", ids, funcs, r)
	}
	if bps[0]["tid"] == bps[2]["tid"] {
		t.Errorf("the second run is another process: tids %v and %v", bps[0]["tid"], bps[2]["tid"])
	}
	if ex := r.byEvent("exit"); len(ex) != 1 || ex[0]["status"] != float64(0) {
		t.Errorf("the first run exits with status 0 before run: %v", ex)
	}
	for i := 0; i < 2; i++ {
		if w := r.listed(i); w == nil || w["hits"] != float64(2) {
			t.Errorf("info breakpoints: breakpoint %d %v, want 2 hits (one a run)", i+1, w)
		}
	}
}

func TestRunDropsWatchOnLocal(t *testing.T) {
	bin := fixture.C(t, "stepping", fixture.PIE)
	r := runScript(t, "break square\nrun\nwatch y\nrun\ninfo breakpoints\n", "-q", bin)
	out := strings.Join(r.text, "\n")
	if r.code != 0 || !strings.Contains(out, "Watchpoint 2 (y) deleted: it watched a local of square, a frame of the last run") {
		t.Errorf("exit %d; a watch on a local is dropped at run, with a line saying so:\n%s\n%s", r.code, out, r.stderr)
	}
	if !strings.Contains(out, "Breakpoint 1 hit:") || strings.Count(out, "Breakpoint 1 hit:") != 2 {
		t.Errorf("breakpoint 1 is hit in both runs:\n%s", out)
	}
}

func TestRunRefusals(t *testing.T) {
	bin := fixture.C(t, "stepping", fixture.PIE)
	for _, c := range []struct{ script, want string }{
		{"run a > out\n", "without a shell"},
		{"run 'a\n", "not closed"},
		{"run < /nonexistent/in\n", "no such file"},
		{"finish\n", "outermost"},
		{"stepi 0\n", "not a count"},
		{"next x\n", "not a count"},
	} {
		r := hwdbg(t, c.script, bin)
		errs := r.byEvent("error")
		if r.code != 1 || len(errs) != 1 || !strings.Contains(strings.ToLower(errs[0]["message"].(string)), c.want) {
			t.Errorf("%q: exit %d, errors %v; want one saying %q", c.script, r.code, errs, c.want)
		}
	}
}

func TestNextStopsAtWatchInCallee(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "stepping", fixture.PIE)
	r := hwdbg(t, "break "+at(t, "call")+"\nrun\nwatch total\nnext\nnext\n", bin)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	hits := r.byEvent("watchpoint")
	if len(hits) != 1 || hits[0]["func"] != "add_to_total" || hits[0]["old"] != "0" || hits[0]["new"] != "43" ||
		hits[0]["line"] != float64(lineOf(t, "stepping.c", "L:add-total")) {
		t.Fatalf("next over add_to_total stops at the watched write inside it: %v\n%s", hits, r)
	}
	stops := stepStops(r)
	if len(stops) != 1 {
		t.Fatalf("want one step stop, after the hit\n%s", r)
	}
	wantStop(t, "next after the hit", stops[0], "add_to_total", lineOf(t, "stepping.c", "L:add-return")+1)
}

func TestNextWhileAnotherThreadHitsBreakpoint(t *testing.T) {
	bin := fixture.C(t, "stepping", fixture.PIE)
	// next over the join: the worker must run for it to return.
	r := hwdbg(t, "break "+at(t, "join")+"\nrun\nnext\n", bin)
	stops := stepStops(r)
	if r.code != 0 || len(stops) != 1 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	wantStop(t, "next over the join", stops[0], "main", lineOf(t, "stepping.c", "L:print"))
	// A breakpoint the worker hits during the next (it waits for main to
	// be in the call) stops it there.
	r = hwdbg(t, "break "+at(t, "join")+"\nrun\nbreak ping\nnext\nnext\ncontinue\n", bin)
	bps := r.byEvent("breakpoint")
	if len(bps) != 2 || bps[1]["id"] != float64(2) || bps[1]["func"] != "ping" || bps[1]["tid"] == bps[0]["tid"] {
		t.Fatalf("the worker's breakpoint in ping ends the next: %v\n%s", bps, r)
	}
	stops = stepStops(r)
	if len(stops) != 1 || stops[0]["tid"] != bps[1]["tid"] || stops[0]["func"] != "ping" {
		t.Errorf("the next after it steps the worker, now selected: %v", stops)
	}
	if ex := r.byEvent("exit"); len(ex) != 1 || ex[0]["status"] != float64(0) {
		t.Errorf("exit: %v\n%s", ex, r)
	}
}

func TestGoNext(t *testing.T) {
	bin := fixture.Go(t, "goprog")
	r := hwdbg(t, "break main.main\nrun\nnext\nnext\nnext\nnext\ncontinue\n", bin)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	stops := stepStops(r)
	if len(stops) != 4 {
		t.Fatalf("want 4 step stops\n%s", r)
	}
	want := []int{
		lineOf(t, "goprog/main.go", `"main tid %d\n"`),
		lineOf(t, "goprog/main.go", "go writer()"),
		lineOf(t, "goprog/main.go", "<-done"),
		lineOf(t, "goprog/main.go", "fmt.Println(counter"),
	}
	for i, s := range stops {
		if s["func"] != "main.main" || s["line"] != float64(want[i]) || s["file"] != "main.go" {
			t.Errorf("next %d: %v, want main.main line %d", i+1, s, want[i])
		}
	}
	if ex := r.byEvent("exit"); len(ex) != 1 || ex[0]["status"] != float64(0) {
		t.Errorf("exit: %v", ex)
	}
}

func TestNextAttached(t *testing.T) {
	spin := startSpin(t)
	pid := spin.Process.Pid
	line := lineOf(t, "spin.c", "counters[i]++")
	r := hwdbg(t, fmt.Sprintf("tbreak spin.c:%d\ncontinue\nnext\nnext\ndetach\n", line), "-p", strconv.Itoa(pid))
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	stops := stepStops(r)
	if len(stops) != 2 {
		t.Fatalf("want 2 step stops\n%s", r)
	}
	for i, s := range stops {
		if s["func"] != "spin" || s["line"].(float64) <= float64(line) {
			t.Errorf("next %d in the attached spin: %v", i+1, s)
		}
	}
	// Detached, it runs on: a step's breakpoint left in its loop would
	// kill it with SIGTRAP.
	time.Sleep(200 * time.Millisecond)
	if st := procState(t, pid); st != "R" && st != "S" {
		t.Fatalf("after the steps and detach the process is in state %s", st)
	}
}

// TestRunAsksOnTerminal: on a terminal, run while the program runs asks
// first, as gdb does; n keeps the program, y starts it again.
func TestRunAsksOnTerminal(t *testing.T) {
	bin := fixture.C(t, "stepping", fixture.PIE)
	tm := startTerm(t, []string{"HOME=" + t.TempDir()}, "-q", bin)
	tm.waitFor("(hwdbg) ", 1)
	tm.keys("break add_to_total\r")
	tm.waitFor("(hwdbg) ", 2)
	tm.keys("run\r")
	tm.waitFor("Breakpoint 1 hit:", 1)
	tm.waitFor("(hwdbg) ", 3)
	tm.keys("run\r")
	tm.waitFor("Start it from the beginning? (y or n) ", 1)
	tm.keys("n\r")
	tm.waitFor("Program not restarted.", 1)
	tm.waitFor("(hwdbg) ", 4)
	tm.keys("run\r")
	tm.waitFor("Start it from the beginning? (y or n) ", 2)
	tm.keys("y\r")
	tm.waitFor("Breakpoint 1 hit:", 2)
	tm.waitFor("(hwdbg) ", 5)
	tm.keys("quit\r")
	tm.wait()
	if n := strings.Count(tm.screen(), "Starting program: "); n != 2 {
		t.Errorf("want 2 starts (the first run, then yes):\n%s", tm.screen())
	}
}

// TestStepsInOuterFrame: next and finish act on the selected frame, as in
// gdb: after frame 1, next goes on in the caller, finish returns from it.
func TestStepsInOuterFrame(t *testing.T) {
	bin := fixture.C(t, "stepping", fixture.PIE)
	r := hwdbg(t, "break square\nrun\nframe 1\nnext\n", bin)
	stops := stepStops(r)
	if r.code != 0 || len(stops) != 1 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	wantStop(t, "next in frame 1", stops[0], "add_to_total", lineOf(t, "stepping.c", "L:add-total"))
	r = hwdbg(t, "break square\nrun\nframe 1\nfinish\n", bin)
	stops = stepStops(r)
	if r.code != 0 || len(stops) != 1 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	wantStop(t, "finish of frame 1", stops[0], "main", lineOf(t, "stepping.c", "L:call"))
	if v := r.results("finish"); len(v) != 1 || v[0]["func"] != "add_to_total" || v[0]["value"] != "43" {
		t.Errorf("finish of frame 1 returns add_to_total's 43: %v", v)
	}
}

// TestNextOutOfMain: next at main's end returns into the C library and
// stops at the start of its next line when it has lines there, or runs
// the program to its end; never a hang.
func TestNextOutOfMain(t *testing.T) {
	bin := fixture.C(t, "stepping", fixture.PIE)
	r := hwdbg(t, "break "+at(t, "print")+"\nrun\nnext\nnext\nnext\nnext\n", bin)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	stops := stepStops(r)
	if len(stops) < 2 || stops[0]["line"] != float64(lineOf(t, "stepping.c", "L:print")+1) {
		t.Fatalf("next from the printf: %v\n%s", stops, r)
	}
	if ex := r.byEvent("exit"); len(ex) != 1 || ex[0]["status"] != float64(0) {
		t.Errorf("the nexts out of main end the program: %v\n%s", ex, r)
	}
}
