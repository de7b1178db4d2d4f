package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"hwdbg/debugger"
	"hwdbg/internal/fixture"
)

// live is an hwdbg session driven one command at a time, its output read
// as it comes: for tests whose later commands depend on earlier answers
// (thread ids), or that act while the program runs (signals, Ctrl-C).
type live struct {
	t     *testing.T
	cmd   *exec.Cmd
	in    io.WriteCloser
	lines chan string
	out   []string // what await and end read
}

func startLive(t *testing.T, args ...string) *live {
	t.Helper()
	cmd := exec.Command(hwdbgBin, append([]string{"--json", "-q"}, args...)...)
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if os.Getenv("HWDBG_TRACE") != "" {
		cmd.Stderr = os.Stderr // the trace log, to read beside a failure
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	l := &live{t: t, cmd: cmd, in: in, lines: make(chan string, 1024)}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 1<<22)
		for sc.Scan() {
			l.lines <- sc.Text()
		}
		close(l.lines)
	}()
	t.Cleanup(func() { in.Close(); cmd.Process.Kill(); cmd.Wait() })
	return l
}

const sentinel = "424242"

// do runs one command and returns the JSON events it produced.
func (l *live) do(command string) []map[string]any {
	l.t.Helper()
	fmt.Fprintf(l.in, "%s\nprint %s\n", command, sentinel)
	var evs []map[string]any
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-l.lines:
			if !ok {
				l.t.Fatalf("hwdbg ended during %q; events so far %v", command, evs)
			}
			var obj map[string]any
			if json.Unmarshal([]byte(line), &obj) != nil {
				continue
			}
			if obj["command"] == "print" && (obj["value"] == sentinel || obj["event"] == "error") {
				return evs // (an error: the program has exited)
			}
			evs = append(evs, obj)
		case <-timeout:
			l.t.Fatalf("no answer to %q; events so far %v", command, evs)
		}
	}
}

func only(evs []map[string]any, kind string) []map[string]any {
	var out []map[string]any
	for _, e := range evs {
		if e["event"] == kind {
			out = append(out, e)
		}
	}
	return out
}

func TestConditionStopsOnceIn100000(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "hot", fixture.PIE)
	// hot writes counter = 0 .. hotWrites-1 (100000 on amd64; fewer under
	// arm64 emulation): the condition holds for exactly one of them.
	target := 7 * (hotWrites / 9) // 77777 for 100000
	want, before := strconv.Itoa(target), strconv.Itoa(target-1)
	r := hwdbg(t, "watch -w &counter if counter == "+want+"\ncontinue\nprint counter\ninfo watchpoints\ncontinue\n", bin, strconv.Itoa(hotWrites))
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	// The stop is the first; every write so far, the condition true or
	// not, is a hit.
	hits := r.byEvent("watchpoint")
	if len(hits) != 1 || hits[0]["new"] != want || hits[0]["old"] != before || hits[0]["stops"] != float64(1) || hits[0]["hits"] != float64(target+1) {
		t.Fatalf("want exactly one stop, at %s, the %dth hit, got %v", want, target+1, hits)
	}
	res := r.byEvent("result")
	if res[1]["value"] != want {
		t.Errorf("print counter at the stop: %v", res[1])
	}
	wp := res[2]["watchpoints"].([]any)[0].(map[string]any)
	if wp["cond"] != "counter == "+want || wp["stops"] != float64(1) || wp["hits"] != float64(target+1) {
		t.Errorf("info watchpoints: want 1 stop and %d hits: %v", target+1, wp)
	}
	if e := r.byEvent("exit"); len(e) != 1 {
		t.Errorf("want the program to run to its end after the one stop\n%s", r)
	}
}

func TestConditionCommandAndErrors(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "hot", fixture.PIE)
	// condition N COND on an existing watchpoint, then removed.
	n := strconv.Itoa(hotWrites)
	last2, last1 := strconv.Itoa(hotWrites-2), strconv.Itoa(hotWrites-1)
	r := hwdbg(t, "watch -w &counter\ncondition 1 counter >= "+last2+"\ncontinue\ncontinue\ncondition 1\ncontinue\n", bin, n)
	hits := r.byEvent("watchpoint")
	if len(hits) != 2 || hits[0]["new"] != last2 || hits[1]["new"] != last1 {
		t.Fatalf("condition: %v\n%s", hits, r)
	}
	// A condition that cannot be evaluated stops and says why.
	r = hwdbg(t, "watch -w &counter if *(long*)0 == 1\ncontinue\n", bin, "10")
	hits = r.byEvent("watchpoint")
	notes := r.byEvent("notice")
	if len(hits) != 1 || len(notes) != 1 || !strings.Contains(notes[0]["message"].(string), "error in the condition of 1 (*(long*)0 == 1)") {
		t.Errorf("a failing condition must stop with the reason: %v %v", hits, notes)
	}
	// A condition that does not parse is refused when given.
	r = hwdbg(t, "watch -w &counter if counter ==\n", bin, "10")
	if e := r.byEvent("error"); len(e) != 1 || !strings.Contains(e[0]["message"].(string), "bad condition") {
		t.Errorf("bad condition: %v", e)
	}
}

func TestIgnoreCount(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "hot", fixture.PIE)
	r := hwdbg(t, "watch -w &counter\nignore 1 999\ncontinue\ninfo watchpoints\nkill\n", bin, "100000")
	hits := r.byEvent("watchpoint")
	if len(hits) != 1 || hits[0]["new"] != "999" || hits[0]["hits"] != float64(1000) || hits[0]["stops"] != float64(1) {
		t.Fatalf("ignore 1 999 must stop at the 1000th write (counter = 999): %v\n%s", hits, r)
	}
	wp := r.byEvent("result")[2]["watchpoints"].([]any)[0].(map[string]any)
	if wp["hits"] != float64(1000) || wp["stops"] != float64(1) || wp["ignore"] != float64(0) {
		t.Errorf("info watchpoints after: %v", wp)
	}
	th := wp["thread_hits"].(map[string]any)
	if len(th) != 1 {
		t.Errorf("per-thread hits: %v", th)
	}
	for _, n := range th {
		if n != float64(1000) {
			t.Errorf("per-thread hits: %v", th)
		}
	}
}

func TestCommandsSilentContinueCountsEveryHit(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "hot", fixture.PIE)
	script := "watch -w &counter\ncommands 1\nsilent\ncontinue\nend\ncontinue\ninfo watchpoints\n"
	r := hwdbg(t, script, bin, "10000")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	if n := len(r.byEvent("watchpoint")); n != 0 {
		t.Errorf("silent: %d hits were reported", n)
	}
	wp := r.listed(0)
	// counter = 0 keeps the value (0) but is a write; -w counts it.
	if wp == nil || wp["hits"] != float64(10000) || wp["stops"] != float64(0) {
		t.Fatalf("want exactly 10000 hits counted and no stop, got %v\n%s", wp, r)
	}
	// Commands that do more than continue run at every stop.
	r = hwdbg(t, "watch -w &counter\ncommands\nsilent\nprint counter\ncontinue\nend\ncontinue\n", bin, "5")
	var vals []string
	for _, e := range r.results("print") {
		vals = append(vals, e["value"].(string))
	}
	if strings.Join(vals, ",") != "0,1,2,3,4" {
		t.Errorf("commands with print: %v\n%s", vals, r)
	}
	// Input that ends inside a block is a clear error.
	r = hwdbg(t, "watch -w &counter\ncommands 1\nsilent\n", bin, "5")
	if e := r.byEvent("error"); r.code != 1 || len(e) != 1 || !strings.Contains(e[0]["message"].(string), "input ended inside 'commands 1'") {
		t.Errorf("EOF inside commands: exit %d, %v", r.code, e)
	}
}

func TestModifyMode(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "hot", fixture.PIE)
	// halves = i/2 for i = 0..9: 10 writes, the value changes 4 times.
	r := hwdbg(t, "watch -w -m &halves\n"+strings.Repeat("continue\n", 5), bin, "1")
	hits := r.byEvent("watchpoint")
	var news []string
	for _, h := range hits {
		news = append(news, h["new"].(string))
		if h["old"] == h["new"] {
			t.Errorf("modify mode reported a same-value write: %v", h)
		}
	}
	if strings.Join(news, ",") != "1,2,3,4" {
		t.Errorf("-m: stops at %v, want 1,2,3,4\n%s", news, r)
	}
	r = hwdbg(t, "watch -w &halves\n"+strings.Repeat("continue\n", 11), bin, "1")
	if n := len(r.byEvent("watchpoint")); n != 10 {
		t.Errorf("plain -w must report every write, same value included: %d of 10", n)
	}
}

func TestThreadScopedWatchpoints(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "scoped", fixture.PIE)
	l := startLive(t, bin)
	l.do("break ready")
	if bp := only(l.do("continue"), "breakpoint"); len(bp) != 1 || bp[0]["func"] != "ready" {
		t.Fatalf("did not stop in ready: %v", bp)
	}
	x := only(l.do("x/5dg &tids"), "result")
	if len(x) != 1 {
		t.Fatal("x/5dg &tids failed")
	}
	var tids []string
	for _, v := range x[0]["values"].([]any) {
		tids = append(tids, v.(string))
	}
	// thread 2's own watch on shared, which all five write.
	l.do("watch -w &shared thread " + tids[2])
	// five thread-scoped watches, one per thread, all in slot DR0 of
	// their own thread (only four slots exist process-wide).
	for i := 0; i < 5; i++ {
		evs := l.do(fmt.Sprintf("watch -w *((long*)&mine + %d) thread %s", i, tids[i]))
		if e := only(evs, "error"); len(e) > 0 {
			t.Fatalf("thread-scoped watch %d: %v", i, e)
		}
	}
	slots := only(l.do("info slots"), "result")[0]["slots"].(map[string]any)
	for i, tid := range tids {
		rows := slots[tid].([]any)
		used := 0
		for _, row := range rows {
			if row.(map[string]any)["enabled"] == true {
				used++
			}
		}
		want := 1
		if i == 2 {
			want = 2
		}
		if used != want {
			t.Errorf("thread %s has %d slots in use, want %d: %v", tid, used, want, rows)
		}
	}
	got := map[string]string{} // expr -> tid of the hit
	for k := 0; k < 10; k++ {
		evs := l.do("continue")
		if len(only(evs, "exit")) > 0 {
			break
		}
		for _, h := range only(evs, "watchpoint") {
			key := h["expr"].(string)
			if _, dup := got[key]; dup {
				t.Errorf("%s reported twice", key)
			}
			got[key] = fmt.Sprint(h["tid"])
		}
	}
	if got["&shared"] != tids[2] {
		t.Errorf("the watch on shared for thread %s was hit by %q", tids[2], got["&shared"])
	}
	for i := 0; i < 5; i++ {
		key := fmt.Sprintf("*((long*)&mine + %d)", i)
		if got[key] != tids[i] {
			t.Errorf("%s: hit by thread %q, want only its own thread %s (the neighbour writes it too)", key, got[key], tids[i])
		}
	}
	if len(got) != 6 {
		t.Errorf("want 6 hits, got %v", got)
	}
}

func TestBreakpointInLoop(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "loop", fixture.PIE)
	r := hwdbg(t, "break step\nwatch -w &total\nhbreak main\n"+strings.Repeat("continue\n", 17), bin)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	var seq []string
	for _, e := range r.events {
		switch e["event"] {
		case "breakpoint":
			seq = append(seq, "b"+fmt.Sprint(e["id"]))
		case "watchpoint":
			seq = append(seq, "w"+e["new"].(string))
		}
	}
	want := "b3 b1 w0 w1 b1 w2 w3 b1 w5 w6 b1 w9 w10 b1 w14 w15"
	if got := strings.Join(seq, " "); got != want {
		t.Errorf("stops %s\nwant  %s", got, want)
	}
	if !strings.Contains(r.output(), "total=15") {
		t.Errorf("the program's result changed under breakpoints:\n%s", r)
	}
	// tbreak stops once; start runs to main.
	r = hwdbg(t, "start\ntbreak step\ncontinue\ninfo watchpoints\ncontinue\n", bin)
	bps := r.byEvent("breakpoint")
	if len(bps) != 2 || bps[0]["func"] != "main" || bps[1]["func"] != "step" {
		t.Errorf("start + tbreak: %v\n%s", bps, r)
	}
	if wp := r.listed(0); wp != nil {
		t.Errorf("temporary breakpoints must be gone: %v", wp)
	}
}

func TestForkChildWithBreakpointRunsOn(t *testing.T) {
	bin := fixture.C(t, "forker", fixture.PIE)
	r := hwdbg(t, "break bump\ncontinue\ncontinue\n", bin)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	if !strings.Contains(r.output(), "child exited 0") {
		t.Errorf("the child ran into our breakpoint byte:\n%s", r)
	}
	if bps := r.byEvent("breakpoint"); len(bps) != 1 {
		t.Errorf("only the parent's bump stops: %v", bps)
	}
}

func TestExecOfAnotherProgram(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "execer", fixture.PIE)
	other := fixture.C(t, "access", fixture.PIE)
	r := hwdbg(t, "watch -w &marker\nbreak main\ncontinue\ncontinue\ncontinue\nbreak do_write\ncontinue\ncontinue\n", bin, other)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	var seq []string
	for _, e := range r.events {
		switch e["event"] {
		case "breakpoint", "watchpoint":
			seq = append(seq, fmt.Sprint(e["event"], " ", e["func"]))
		case "notice":
			seq = append(seq, e["message"].(string))
		}
	}
	got := strings.Join(seq, "\n")
	for _, want := range []string{
		"breakpoint main\nwatchpoint main\nprocess ", "is executing new program: " + other,
		`deleted watchpoint 1 (&marker): no symbol "marker"`,
		"breakpoint 2 (main) re-set", "re-set at 0x",
		"in the new program\nbreakpoint main\nbreakpoint do_write",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
}

func TestBreakpointSteppedOverWhileThreadsRun(t *testing.T) {
	for _, mode := range stepOverModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Setenv(debugger.StepOverEnv, mode.env)
			testBreakpointSteppedOverWhileThreadsRun(t)
		})
	}
}

func testBreakpointSteppedOverWhileThreadsRun(t *testing.T) {
	bin := fixture.C(t, "ticks", fixture.PIE)
	// Every call stops at the breakpoint (counted, resumed at once): the
	// stepping thread must not let another pass the address unseen while
	// the original instruction is back in place.
	r := hwdbg(t, "break tick\ncommands\nsilent\ncontinue\nend\ncontinue\ninfo watchpoints\n", bin)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	if !strings.Contains(r.output(), "total=4000") {
		t.Errorf("the program's own count is wrong under the breakpoint:\n%s", r)
	}
	wp := r.listed(0)
	if wp == nil || wp["hits"] != float64(4000) || wp["stops"] != float64(0) {
		t.Fatalf("want all 4000 calls seen and none stopping the program, got %v", wp)
	}
	if th := wp["thread_hits"].(map[string]any); len(th) != 4 {
		t.Errorf("hits by thread: %v", th)
	}
}

// TestSignalStormDuringStepOvers: signals that arrive while hwdbg steps a
// thread over a breakpoint (and, on arm64, over a trap-before watched
// store) are delivered after the step, so each call and each write is
// seen exactly once. Delivered with the step, the handler ran instead of
// the instruction, which then trapped again (5023 hits for 2000 calls).
//
// The ptrace engine is forced: a watch with silent+continue is otherwise
// judged in the kernel (amd64), which never stops the program, and the
// watch would have no step-over to be interrupted.
func TestSignalStormDuringStepOvers(t *testing.T) {
	needTraps(t)
	t.Setenv("HWDBG_ENGINE", "ptrace")
	for _, mode := range stepOverModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Setenv(debugger.StepOverEnv, mode.env)
			testSignalStormDuringStepOvers(t)
		})
	}
}

func testSignalStormDuringStepOvers(t *testing.T) {
	bin := fixture.C(t, "storm", fixture.PIE)
	const n = 2000
	script := "break tick\ncommands 1\nsilent\ncontinue\nend\nwatch -w &watched\ncommands 2\nsilent\ncontinue\nend\ncontinue\ninfo breakpoints\n"
	r := hwdbg(t, script, bin, strconv.Itoa(n))
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	for i, what := range []string{"breakpoint on tick", "watch on watched"} {
		if wp := r.listed(i); wp == nil || wp["hits"] != float64(n) {
			t.Errorf("%s: want exactly %d hits, got %v\n%s", what, n, wp, r)
		}
	}
	// The program saw every call, and the signals were delivered.
	out := r.output()
	m := regexp.MustCompile(`ticks=(\d+) watched=(\d+) sent=(\d+) handled=(\d+)`).FindStringSubmatch(out)
	if m == nil || m[1] != strconv.Itoa(n) || m[2] != strconv.Itoa(n) || m[4] == "0" {
		t.Fatalf("program output %q", out)
	}
	t.Logf("%s signals sent, %s handled", m[3], m[4])
}

// TestReadAndWriteWatchesOnOneVariable: two watchpoints of different
// kinds on one variable each see their own accesses, whichever is set
// first, on a loop of foo = global; global = foo + 1. Every slot an access
// hit is handled, even where the hardware names only one (QEMU's DR6, an
// arm64 trap's single address).
func TestReadAndWriteWatchesOnOneVariable(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "rw", fixture.PIE)
	const n = 3
	cmds := map[string]string{"read": "rwatch global", "write": "watch global", "rw": "awatch global"}
	want := map[string]int{"read": n, "write": n, "rw": 2 * n}
	for _, pair := range [][2]string{{"read", "write"}, {"write", "read"}, {"read", "rw"}, {"rw", "read"}, {"rw", "write"}, {"write", "rw"}} {
		t.Run(pair[0]+"+"+pair[1], func(t *testing.T) {
			script := cmds[pair[0]] + "\n" + cmds[pair[1]] + "\n" + strings.Repeat("continue\n", 2*n+1) + "info watchpoints\n"
			r := hwdbg(t, script, bin, strconv.Itoa(n))
			if r.code != 0 {
				t.Fatalf("exit %d\n%s", r.code, r)
			}
			for i, kind := range pair {
				id := float64(i + 1)
				got := 0
				for _, h := range r.byEvent("watchpoint") {
					if h["id"] == id {
						got++
						if h["access"] != kind {
							t.Errorf("watchpoint %v reported as %v", id, h["access"])
						}
					}
				}
				if got != want[kind] {
					t.Errorf("%s watch (%v): %d hits reported, want %d\n%s", kind, id, got, want[kind], r)
				}
				// Its hits are the accesses of its kind: a read watch in a
				// read-or-write slot does not count the writes.
				if wp := r.listed(i); wp == nil || wp["hits"] != float64(want[kind]) || wp["stops"] != float64(want[kind]) {
					t.Errorf("%s watch (%v): listed %v, want %d hits and stops", kind, id, wp, want[kind])
				}
			}
		})
	}
}

// TestFilteredWatchDoesNotHideTheOther: a write watch whose condition never
// holds and a read watch on one variable: the write watch's filter drops
// each of its hits (counted, not stopped), and the read watch still sees
// every read, on the ptrace engine where both are judged at the same trap
// (the condition would otherwise be judged in the kernel, amd64).
func TestFilteredWatchDoesNotHideTheOther(t *testing.T) {
	needTraps(t)
	t.Setenv("HWDBG_ENGINE", "ptrace")
	bin := fixture.C(t, "rw", fixture.PIE)
	const n = 3
	for _, first := range []bool{true, false} {
		script := "watch global if global < 0\nrwatch global\n"
		if !first {
			script = "rwatch global\nwatch global if global < 0\n"
		}
		r := hwdbg(t, script+strings.Repeat("continue\n", n+1)+"info watchpoints\n", bin, strconv.Itoa(n))
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r)
		}
		reads, writes := 0, 0
		for _, h := range r.byEvent("watchpoint") {
			switch h["access"] {
			case "read":
				reads++
			default:
				writes++
			}
		}
		if reads != n || writes != 0 {
			t.Errorf("%q: %d reads and %d writes reported, want %d and 0\n%s", script, reads, writes, n, r)
		}
		for i := 0; i < 2; i++ {
			w := r.listed(i)
			if w == nil || w["hits"] != float64(n) {
				t.Errorf("%q: watchpoint %d listed %v, want %d hits", script, i+1, w, n)
			}
		}
	}
}

// TestTrapOfADeletedWatchpointIsDropped: Ctrl-C under a stream of hits
// can leave a trap pending for a slot; once its watchpoint is deleted or
// disabled, that trap is dropped without a word, and continue runs on.
// On both engines: the stream is of ptrace stops on the ptrace engine,
// and of the kernel's counted accesses on the kernel engine (amd64), where
// a silent+continue watch goes by default.
func TestTrapOfADeletedWatchpointIsDropped(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "hot", fixture.PIE)
	engines := []string{"ptrace"}
	if kernelEngine() {
		engines = append(engines, "kernel")
	}
	for _, engine := range engines {
		for _, how := range []string{"delete 1", "disable 1"} {
			t.Run(engine+"/"+how, func(t *testing.T) {
				t.Setenv("HWDBG_ENGINE", engine)
				testTrapOfADeletedWatchpointIsDropped(t, bin, how)
			})
		}
	}
}

func testTrapOfADeletedWatchpointIsDropped(t *testing.T, bin, how string) {
	for round := 0; round < 3; round++ {
		l := startLive(t, bin, "100000000")
		l.send("watch -w &counter\ncommands 1\nsilent\ncontinue\nend")
		l.send("info threads")
		l.await(`"command":"info threads"`)
		l.send("continue")
		time.Sleep(200 * time.Millisecond)
		l.interrupt()
		l.send(how)
		l.send("continue")
		l.await(`"event":"exit"`)
		code, out := l.end()
		if code != 0 || strings.Contains(out, "matches no watchpoint") || strings.Count(out, `"event":"stop"`) != 1 {
			t.Fatalf("round %d: exit %d\n%s", round, code, out)
		}
	}
}

// TestBreakAfterPrologue: break FUNC stops where the function's body
// starts, after the prologue has saved the frame and spilled the
// arguments, as gdb and Delve do; *FUNC stays its first instruction. At the
// first instruction an argument's stack slot still held the previous
// call's value: `break step if i == 2` stopped in the call with i = 3.
func TestBreakAfterPrologue(t *testing.T) {
	bin := fixture.C(t, "loop", fixture.PIE)
	r := hwdbg(t, "break step if i == 2\ncontinue\nprint i\ncontinue\n", bin)
	bps := r.byEvent("breakpoint")
	if len(bps) != 1 || bps[0]["func"] != "step" || bps[0]["offset"] == float64(0) {
		t.Fatalf("want one stop in step, past its entry: %v\n%s", bps, r)
	}
	if p := r.results("print"); len(p) != 1 || p[0]["value"] != "2" {
		t.Errorf("print i at the stop: %v\n%s", p, r)
	}
	if r.code != 0 || len(r.byEvent("exit")) != 1 {
		t.Errorf("exit %d\n%s", r.code, r)
	}
	// Every call, with its own argument.
	r = hwdbg(t, "break step\n"+strings.Repeat("continue\nprint i\n", 5), bin)
	var got []string
	for _, p := range r.results("print") {
		got = append(got, p["value"].(string))
	}
	if strings.Join(got, ",") != "0,1,2,3,4" {
		t.Errorf("i at each stop: %v\n%s", got, r)
	}
	// *step is the entry itself.
	r = hwdbg(t, "break *step\ncontinue\n", bin)
	if bps := r.byEvent("breakpoint"); len(bps) != 1 || bps[0]["offset"] != float64(0) || hexArg(t, bps[0]["pc"]) != hexArg(t, r.results("break")[0]["addr"]) {
		t.Errorf("break *step: %v\n%s", bps, r)
	}
}

// TestBreakConditionCheckedWhenSet: a breakpoint's condition naming a
// symbol found neither among the locals where it stops nor among the
// globals, or an unknown type, is refused when it is set (as gdb does), not
// at the first stop; the refused breakpoint takes no id; a condition
// naming the function's parameter is kept and evaluated at each stop.
func TestBreakConditionCheckedWhenSet(t *testing.T) {
	bin := fixture.C(t, "loop", fixture.PIE)
	for _, c := range []struct{ script, want string }{
		{"break step if nosuch == 2\n", `no symbol "nosuch" in the scope of step (where the breakpoint stops)`},
		{"break step if (struct nosuch *)0 == 0\n", `unknown type "struct nosuch"`},
		{"break step\ncondition 1 i == nosuch\n", `no symbol "nosuch"`},
	} {
		r := hwdbg(t, c.script, bin)
		e := r.byEvent("error")
		if r.code != 1 || len(e) != 1 || !strings.Contains(fmt.Sprint(e[0]["message"]), c.want) || len(r.byEvent("breakpoint")) != 0 {
			t.Errorf("%q: exit %d, errors %v; want one error saying %s, at once\n%s", c.script, r.code, e, c.want, r)
		}
	}
	// A refused line of the init file ends the file, not the session: the
	// next breakpoint is 1, and its condition holds at the third call.
	home := homeWith(t, "break step if nosuch == 2\n")
	r := runScriptEnv(t, []string{"HOME=" + home}, "break step if i == 2\ncontinue\nprint i\n", "--json", "-q", bin)
	if b := r.results("break"); len(b) != 1 || b[0]["id"] != float64(1) {
		t.Errorf("the breakpoint after a refused one: %v, want id 1\n%s", b, r)
	}
	if p := r.results("print"); len(r.byEvent("breakpoint")) != 1 || len(p) != 1 || p[0]["value"] != "2" {
		t.Errorf("the kept condition stops once with i = 2\n%s", r)
	}
}

// TestSmallOnes: the small wrong answers of issue 9, each on its own.
func TestSmallOnes(t *testing.T) {
	needTraps(t)
	source := fixture.C(t, "source", fixture.PIE)
	t.Run("ids do not skip after a watch on a local", func(t *testing.T) {
		r := hwdbg(t, "break sum_local\ncontinue\nwatch local\nwatch -w &hidden\n", source)
		var ids []float64
		for _, e := range r.byEvent("result") {
			if e["command"] == "watch" || e["command"] == "break" {
				ids = append(ids, e["id"].(float64))
			}
		}
		if fmt.Sprint(ids) != "[1 2 3]" {
			t.Errorf("ids %v, want [1 2 3]\n%s", ids, r)
		}
	})
	t.Run("leaving a local's frame is a stop", func(t *testing.T) {
		r := hwdbg(t, "break sum_local\ncontinue\nwatch local\ndelete 1\n"+strings.Repeat("continue\n", 6), source)
		var kinds []string
		for _, e := range r.events {
			if e["event"] == "notice" || e["event"] == "stop" {
				kinds = append(kinds, fmt.Sprint(e["event"], ":", e["reason"]))
			}
		}
		if len(kinds) != 2 || kinds[0] != "notice:<nil>" || kinds[1] != "stop:scope" {
			t.Fatalf("want the notice then a scope stop, got %v\n%s", kinds, r)
		}
		if stop := r.byEvent("stop")[0]; stop["func"] != "outer" {
			t.Errorf("scope stop in %v, want outer", stop["func"])
		}
	})
	t.Run("a read hit shows one value", func(t *testing.T) {
		r := runScript(t, "rwatch hidden\ncontinue\n", "-q", source)
		text := strings.Join(r.text, "\n")
		if !strings.Contains(text, "Watchpoint 1 hit: -r hidden") || !strings.Contains(text, "  value = 4") || strings.Contains(text, "old =") {
			t.Errorf("read hit:\n%s", text)
		}
	})
	t.Run("hbreak where nothing is mapped", func(t *testing.T) {
		for _, loc := range []string{"*0", "*0x1"} {
			r := hwdbg(t, "hbreak "+loc+"\n", source)
			if e := r.byEvent("error"); r.code != 1 || len(e) != 1 || !strings.Contains(e[0]["message"].(string), "cannot set a hardware breakpoint at") {
				t.Errorf("hbreak %s: exit %d\n%s", loc, r.code, r)
			}
		}
	})
	t.Run("print of a function is its address, not our breakpoint's bytes", func(t *testing.T) {
		r := hwdbg(t, "break main\nprint main\n", source)
		p := r.results("print")
		if len(p) != 1 || !strings.HasPrefix(p[0]["value"].(string), "{function} 0x") || !strings.HasSuffix(p[0]["value"].(string), "<main>") {
			t.Errorf("print main: %v\n%s", p, r)
		}
	})
	t.Run("a condition with an unknown type is refused when it is set", func(t *testing.T) {
		r := hwdbg(t, "watch -w &hidden if (struct nosuch *)hidden == 0\n", source)
		if e := r.byEvent("error"); r.code != 1 || len(e) != 1 || !strings.Contains(e[0]["message"].(string), `unknown type "struct nosuch"`) || len(r.results("watch")) != 0 {
			t.Errorf("exit %d\n%s", r.code, r)
		}
	})
	t.Run("x examines what a pointer points to", func(t *testing.T) {
		bank := fixture.C(t, "bank", fixture.PIE)
		r := hwdbg(t, "break auditor\ncontinue\nx/1dg audit_log\n", bank)
		x := r.results("x")
		if len(x) != 1 || fmt.Sprint(x[0]["values"]) != "[70]" {
			t.Errorf("x/1dg audit_log (-> balance, 70): %v\n%s", x, r)
		}
	})
}
