package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"hwdbg/internal/fixture"
)

// The kernel engine: watchpoints whose conditions and ignore counts a BPF
// program judges in the kernel (debugger/kernel.go). It exists on amd64;
// elsewhere every watchpoint falls back to ptrace, which these tests check
// instead.

// kernelEngine tells whether this machine has the kernel engine, as the
// watchpoint of a run says ("kernel" in info watchpoints).
func kernelEngine() bool { return runtime.GOARCH == "amd64" }

// TestConditionsOnBothEngines runs every behaviour test of conditions and
// ignore counts with each engine forced (HWDBG_ENGINE).
func TestConditionsOnBothEngines(t *testing.T) {
	needTraps(t)
	if !kernelEngine() {
		// Every watchpoint is on ptrace here, forced or not: the tests
		// themselves ran on it, and TestKernelEngineFallsBackWithoutBPF checks the
		// reason info watchpoints gives.
		t.Logf("no kernel engine on %s: the condition tests ran on ptrace alone", runtime.GOARCH)
		return
	}
	for _, engine := range []string{"ptrace", "kernel"} {
		for name, test := range map[string]func(*testing.T){
			"ConditionStopsOnceIn100000":        TestConditionStopsOnceIn100000,
			"ConditionCommandAndErrors":         TestConditionCommandAndErrors,
			"IgnoreCount":                       TestIgnoreCount,
			"CommandsSilentContinueCountsEvery": TestCommandsSilentContinueCountsEveryHit,
			"ConditionBindsLocalsOfItsFrame":    TestConditionBindsLocalsOfItsFrame,
			"ThreadScopedWatchpoints":           TestThreadScopedWatchpoints,
			"ModifyMode":                        TestModifyMode,
			"Every1000th":                       TestConditionEvery1000th,
			"HitsEvery1000th":                   TestHitsConditionEvery1000th,
			"HitCountCondition":                 TestHitCountCondition,
			"DivisionInConditions":              TestDivisionInConditions,
			"HitsAmongThreads":                  TestHitsAmongThreads,
		} {
			t.Run(engine+"/"+name, func(t *testing.T) {
				t.Setenv("HWDBG_ENGINE", engine)
				test(t)
			})
		}
	}
}

// conditionWrites is how many writes the tests of conditions the kernel
// can judge make: hotWrites (100000 where traps are native) where the
// kernel engine judges them, 2000 where every write is a stop of ours
// under emulation (arm64, ~9 ms each).
func conditionWrites() int {
	if kernelEngine() {
		return hotWrites
	}
	return 2000
}

// noKernelEngine says whether this machine has no kernel engine, and logs
// why the test has nothing to run here (what it would run on ptrace costs
// why).
func noKernelEngine(t *testing.T, why string) bool {
	if kernelEngine() {
		return false
	}
	t.Logf("no kernel engine on %s, and on ptrace this test is too slow to run under emulation (%s)", runtime.GOARCH, why)
	return true
}

// listedEngine checks the engine info watchpoints names for entry i.
func listedEngine(t *testing.T, r result, i int, want string) map[string]any {
	t.Helper()
	wp := r.listed(i)
	if wp == nil {
		t.Fatalf("no watchpoint %d listed\n%s", i, r)
	}
	if !kernelEngine() && want == "kernel" {
		want = "ptrace"
	}
	if wp["engine"] != want {
		t.Fatalf("watchpoint %d: engine %v (%v), want %s\n%s", i, wp["engine"], wp["engine_why"], want, r)
	}
	return wp
}

// TestKernelConditionAtTheLastWrite: a condition true only at the last
// of 200000 writes stops once, at that write; every write is a hit.
func TestKernelConditionAtTheLastWrite(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "hot", fixture.PIE)
	n := 200000
	if !kernelEngine() {
		n = 2000 // on ptrace every write is a trap and a stop of ours
	}
	r := hwdbg(t, "watch -w &counter if counter == "+strconv.Itoa(n-1)+"\ncontinue\ninfo watchpoints\ncontinue\n", bin, strconv.Itoa(n))
	hits := r.byEvent("watchpoint")
	if r.code != 0 || len(hits) != 1 || hits[0]["new"] != strconv.Itoa(n-1) || hits[0]["old"] != strconv.Itoa(n-2) ||
		hits[0]["stops"] != float64(1) || hits[0]["hits"] != float64(n) {
		t.Fatalf("want one stop at the last write, its %dth hit: exit %d, %v\n%s", n, r.code, hits, r)
	}
	wp := listedEngine(t, r, 0, "kernel")
	if wp["stops"] != float64(1) || wp["hits"] != float64(n) {
		t.Errorf("counts: stops %v, hits %v; want 1 and %d", wp["stops"], wp["hits"], n)
	}
	if len(r.byEvent("exit")) != 1 {
		t.Errorf("the program must run to its end after the stop\n%s", r)
	}
}

// TestConditionEvery1000th: a condition true at every 1000th write
// (counter % 1000 == 999, a signed remainder) stops exactly N/1000 times,
// each time at such a write.
func TestConditionEvery1000th(t *testing.T) {
	needTraps(t)
	testEveryKth(t, "counter % 1000 == 999", 1000)
}

// TestHitsConditionEvery1000th: $hits in a condition is the hit count,
// this hit included: $hits % 1000 == 0 stops at writes 1000, 2000, ...
func TestHitsConditionEvery1000th(t *testing.T) {
	needTraps(t)
	testEveryKth(t, "$hits % 1000 == 0", 1000)
}

// testEveryKth runs hot with a watch on counter whose condition cond holds
// at every k-th write (counter = k-1, 2k-1, ...), printing counter at each
// stop: exactly n/k stops, where the condition holds, and n hits.
func testEveryKth(t *testing.T, cond string, k int) {
	bin := fixture.C(t, "hot", fixture.PIE)
	n := conditionWrites()
	script := "watch -w &counter if " + cond + "\ncommands 1\nsilent\nprint counter\ncontinue\nend\ncontinue\ninfo watchpoints\n"
	r := hwdbg(t, script, bin, strconv.Itoa(n))
	prints := r.results("print")
	if r.code != 0 || len(prints) != n/k {
		t.Fatalf("%s: want %d stops, got %d (exit %d)\n%s", cond, n/k, len(prints), r.code, r)
	}
	for i, p := range prints {
		if p["value"] != strconv.Itoa((i+1)*k-1) {
			t.Fatalf("%s: stop %d at counter = %v, want %d", cond, i, p["value"], (i+1)*k-1)
		}
	}
	wp := listedEngine(t, r, 0, forcedEngine())
	if wp["stops"] != float64(n/k) || wp["hits"] != float64(n) {
		t.Errorf("%s: counts: stops %v, hits %v; want %d and %d", cond, wp["stops"], wp["hits"], n/k, n)
	}
}

// forcedEngine is the engine a watchpoint with a condition the kernel can
// judge is on: the one HWDBG_ENGINE forces, else the kernel's.
func forcedEngine() string {
	if os.Getenv("HWDBG_ENGINE") == "ptrace" {
		return "ptrace"
	}
	return "kernel"
}

// TestHitCountCondition: Delve's condition -hitcount N OP K stops only
// where the hit count OP K holds (% K: every K-th hit), together with the
// watchpoint's condition; condition -clear removes both.
func TestHitCountCondition(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "hot", fixture.PIE)
	n := conditionWrites()
	// Hits n-9 to n: the last 10 writes.
	r := hwdbg(t, "watch -w &counter\ncondition -hitcount 1 > "+strconv.Itoa(n-10)+"\ncommands 1\nsilent\nprint counter\ncontinue\nend\ncontinue\ninfo watchpoints\n",
		bin, strconv.Itoa(n))
	prints := r.results("print")
	if r.code != 0 || len(prints) != 10 || prints[0]["value"] != strconv.Itoa(n-10) || prints[9]["value"] != strconv.Itoa(n-1) {
		t.Fatalf("-hitcount 1 > %d: want the last 10 writes, got %v\n%s", n-10, prints, r)
	}
	wp := listedEngine(t, r, 0, forcedEngine())
	if wp["hit_cond"] != "$hits > "+strconv.Itoa(n-10) || wp["stops"] != float64(10) || wp["hits"] != float64(n) {
		t.Errorf("info watchpoints: %v", wp)
	}
	// Every k-th hit where counter < 3k: hits k, 2k, 3k. Then cleared: the
	// next write stops.
	k := n / 10
	r = hwdbg(t, fmt.Sprintf("watch -w &counter if counter < %d\ncondition -hitcount 1 %% %d\ncontinue\ncontinue\ncontinue\ninfo watchpoints\n", 3*k, k)+
		"condition -clear 1\ncontinue\ninfo watchpoints\nkill\n", bin, strconv.Itoa(n))
	var got []string
	for _, h := range r.byEvent("watchpoint") {
		got = append(got, fmt.Sprintf("%v@%v", h["new"], h["hits"]))
	}
	want := fmt.Sprintf("[%d@%d %d@%d %d@%d %d@%d]", k-1, k, 2*k-1, 2*k, 3*k-1, 3*k, 3*k, 3*k+1)
	if fmt.Sprint(got) != want {
		t.Fatalf("-hitcount 1 %% %d with counter < %d, then -clear: value@hits %v, want %s\n%s", k, 3*k, got, want, r)
	}
	listings := r.results("info watchpoints")
	if wp := listings[0]["watchpoints"].([]any)[0].(map[string]any); wp["cond"] != fmt.Sprintf("counter < %d", 3*k) ||
		wp["hit_cond"] != fmt.Sprintf("$hits %% %d == 0", k) || wp["stops"] != float64(3) {
		t.Errorf("both conditions listed: %v", wp)
	}
	if wp := r.listed(0); wp["cond"] != "" || wp["hit_cond"] != nil || wp["stops"] != float64(4) {
		t.Errorf("after condition -clear: %v", wp)
	}
	// A refusal says what to give.
	for script, want := range map[string]string{
		"watch -w &counter\ncondition -hitcount 1 % 0\n": "more than 0 after %",
		"watch -w &counter\ncondition -hitcount 7 > 1\n": "no watchpoint or breakpoint 7",
	} {
		r = hwdbg(t, script, bin, "10")
		if errs := r.byEvent("error"); len(errs) != 1 || !strings.Contains(errs[0]["message"].(string), want) {
			t.Errorf("%q: %v, want %q", script, errs, want)
		}
	}
}

// TestHitCountOnBreakpoint: a breakpoint's hits are its crossings:
// condition -hitcount N == 5 stops at the fifth, $hits in its condition
// counts every crossing, the condition true or not.
func TestHitCountOnBreakpoint(t *testing.T) {
	bin := fixture.C(t, "stepping", fixture.PIE)
	r := hwdbg(t, "break "+at(t, "loop-body")+"\ncondition -hitcount 1 == 3\nrun\nprint i\ninfo breakpoints\nkill\n", bin)
	bps := r.byEvent("breakpoint")
	if p := r.results("print"); len(bps) != 1 || bps[0]["hits"] != float64(3) || bps[0]["stops"] != float64(1) || len(p) != 1 || p[0]["value"] != "2" {
		t.Fatalf("-hitcount 1 == 3 stops at the third crossing (i = 2): %v %v\n%s", bps, p, r)
	}
	r = hwdbg(t, "break "+at(t, "loop-body")+" if i != 1 && $hits % 2 == 0\nrun\nprint i\nkill\n", bin)
	if p := r.results("print"); len(p) != 1 || p[0]["value"] != "3" {
		t.Fatalf("i != 1 && $hits %% 2 == 0: the second crossing has i = 1, the fourth i = 3: %v\n%s", p, r)
	}
}

// TestDivisionInConditions: / and % in conditions, signed as C divides
// (toward zero, the remainder of the dividend's sign); a constant divisor
// of 0 is refused when the watch is set, one that is 0 at a hit stops
// with the reason.
func TestDivisionInConditions(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "hot", fixture.PIE)
	n := conditionWrites()
	// -counter / 7 == -(n/7) - k: the writes counter = 7*(n/7)...; and
	// -counter % 7 == -3 among the last 20.
	q := n/7 - 1
	cond := fmt.Sprintf("-counter / 7 == %d || (-counter %% 7 == -3 && counter >= %d)", -q, n-20)
	var want []string
	for c := 0; c < n; c++ {
		if -c/7 == -q || (-c%7 == -3 && c >= n-20) {
			want = append(want, strconv.Itoa(c))
		}
	}
	r := hwdbg(t, "watch -w &counter if "+cond+"\ncommands\nsilent\nprint counter\ncontinue\nend\ncontinue\ninfo watchpoints\n", bin, strconv.Itoa(n))
	var got []string
	for _, p := range r.results("print") {
		got = append(got, p["value"].(string))
	}
	if r.code != 0 || strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("%s: stops at %v, want %v\n%s", cond, got, want, r)
	}
	listedEngine(t, r, 0, forcedEngine())
	r = hwdbg(t, "watch -w &counter if counter / (2 - 2) == 1\n", bin, "10")
	if e := r.byEvent("error"); len(e) != 1 || !strings.Contains(e[0]["message"].(string), "division by zero: the divisor of (counter / (0x2 - 0x2)) is always 0") {
		t.Errorf("a constant divisor of 0: %v", e)
	}
	// counter = 0, the first write: the condition cannot be evaluated.
	r = hwdbg(t, "watch -w &counter if 1000 % counter == 0\ncontinue\ncontinue\n", bin, "10")
	hits, notes := r.byEvent("watchpoint"), r.byEvent("notice")
	if len(hits) < 1 || hits[0]["new"] != "0" || len(notes) < 1 || !strings.Contains(notes[0]["message"].(string), "error in the condition of 1 (1000 % counter == 0): division by zero") {
		t.Errorf("a divisor of 0 at a hit stops with the reason: %v %v\n%s", hits, notes, r)
	}
	if len(hits) != 2 || hits[1]["new"] != "1" {
		t.Errorf("then 1000 %% counter == 0 holds at counter = 1: %v", hits)
	}
}

// TestKernelEngineThreadsStartedLater: threads created after the watch was
// set get the kernel's events: the one stop comes from the last thread
// started, and the watchpoint's hits count every thread's writes. (One
// watchpoint: QEMU's amd64 names one debug register of two that match
// an access, so a second kernel watchpoint on the same bytes would see
// only some of the hits there; a real CPU names both.)
func TestKernelEngineThreadsStartedLater(t *testing.T) {
	needTraps(t)
	if noKernelEngine(t, "65000 writes, each a stop of ours on ptrace") {
		return
	}
	bin := fixture.C(t, "writers", fixture.PIE)
	// T1 writes target = 0..9999, T2 0..19999, main 0..4999, then T3,
	// started last, 0..29999: only T3 writes 29999.
	r := hwdbg(t, "watch -w &target if target == 29999\ncontinue\ncontinue\ninfo watchpoints\n", bin, "threads", "nowait")
	hits := r.byEvent("watchpoint")
	if len(hits) != 1 || hits[0]["id"] != float64(1) || hits[0]["new"] != "29999" || hits[0]["old"] != "29998" {
		t.Fatalf("want one stop of watchpoint 1 at 29999: %v\n%s", hits, r)
	}
	// The program prints "PID T1 T2", then T3's tid.
	var t3 string
	for _, l := range strings.Split(r.output(), "\n") {
		if f := strings.Fields(l); len(f) == 1 {
			if _, err := strconv.Atoi(f[0]); err == nil {
				t3 = f[0]
			}
		}
	}
	if tid := strconv.Itoa(int(hits[0]["tid"].(float64))); tid != t3 {
		t.Errorf("the stop is thread %s's, want T3 %q (started last)\n%s", tid, t3, r)
	}
	wp := listedEngine(t, r, 0, "kernel")
	th := wp["thread_hits"].(map[string]any)
	var sum float64
	for _, n := range th {
		sum += n.(float64)
	}
	if wp["hits"] != float64(65000) || wp["stops"] != float64(1) || sum != 65000 || len(th) != 4 || th[t3] != float64(30000) {
		t.Errorf("hits %v, stops %v, per thread %v; want 65000 over 4 threads, 30000 by T3 %s, and one stop", wp["hits"], wp["stops"], th, t3)
	}
}

// TestHitsAmongThreads: $hits numbers the hits of every thread; among
// two threads writing at once, $hits == 20000 stops once, at the 20000th
// write, and the stop's hits is that number, on either engine (the kernel
// keeps each thread's last number: the total has moved on by the time
// hwdbg looks).
func TestHitsAmongThreads(t *testing.T) {
	needTraps(t)
	if os.Getenv("HWDBG_ENGINE") != "ptrace" && noKernelEngine(t, "65000 writes, each a stop of ours on ptrace: the amd64 run with the engine forced to ptrace covers it") {
		return
	}
	bin := fixture.C(t, "writers", fixture.PIE)
	// T1 and T2 write 10000 and 20000 times at once, main 5000, T3 30000.
	r := hwdbg(t, "watch -w &target if $hits == 20000\ncontinue\ncontinue\ninfo watchpoints\n", bin, "threads", "nowait")
	hits := r.byEvent("watchpoint")
	if len(hits) != 1 || hits[0]["hits"] != float64(20000) || hits[0]["stops"] != float64(1) {
		t.Fatalf("want one stop, the 20000th hit: %v\n%s", hits, r)
	}
	wp := listedEngine(t, r, 0, forcedEngine())
	if wp["hits"] != float64(65000) || wp["stops"] != float64(1) {
		t.Errorf("after the end: hits %v, stops %v; want 65000 and 1", wp["hits"], wp["stops"])
	}
}

// TestKernelEngineFallsBackWithoutBPF: hwdbg run without CAP_BPF and
// CAP_SYS_ADMIN (as nobody, keeping CAP_PERFMON: perf breakpoints are
// allowed, BPF programs are not) keeps a conditional watchpoint on ptrace,
// says why, and stops where the condition holds.
func TestKernelEngineFallsBackWithoutBPF(t *testing.T) {
	needTraps(t)
	hw, prog := nobodyCopies(t)
	cmd := asNobody(exec.Command(hw, "--json", "-q", prog, "1000"))
	cmd.Stdin = strings.NewReader("watch -w &counter if counter == 500\ncontinue\ninfo watchpoints\nkill\n")
	out, err := cmd.CombinedOutput()
	r := parseOutput(string(out))
	hits := r.byEvent("watchpoint")
	if err != nil || len(hits) != 1 || hits[0]["new"] != "500" {
		t.Fatalf("as nobody without CAP_BPF: %v; hits %v\n%s", err, hits, out)
	}
	wp := listedEngine(t, r, 0, "ptrace")
	why, _ := wp["engine_why"].(string)
	if kernelEngine() && !strings.Contains(why, "BPF refused") {
		t.Errorf("the reason must name BPF's refusal: %q", why)
	}
	if !kernelEngine() && !strings.Contains(why, "traps before the access") {
		t.Errorf("the reason must name the machine: %q", why)
	}
}

// TestDoctorKernelEngine: hwdbg doctor says whether the kernel engine is
// usable here and, when not, why: HWDBG_ENGINE=ptrace, the machine, BPF
// refused (as nobody without CAP_BPF).
func TestDoctorKernelEngine(t *testing.T) {
	// doctor runs hwdbg doctor (--json, then as text) as mk makes it.
	doctor := func(mk func(args ...string) *exec.Cmd) (usable bool, why, text string) {
		t.Helper()
		out, _ := mk("doctor", "--json").Output() // exit status 1 when something is not usable
		var r struct {
			KernelEngine struct {
				Usable bool
				Error  string
			} `json:"kernel_engine"`
		}
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("doctor --json: %v\n%s", err, out)
		}
		b, _ := mk("doctor").Output()
		return r.KernelEngine.Usable, r.KernelEngine.Error, string(b)
	}
	usable, why, text := doctor(func(args ...string) *exec.Cmd { return exec.Command(hwdbgBin, args...) })
	if usable != kernelEngine() || (usable && !strings.Contains(text, "kernel engine         usable: data watchpoints' conditions")) {
		t.Errorf("here: usable %v (%q), want %v\n%s", usable, why, kernelEngine(), text)
	}
	if !kernelEngine() && (!strings.Contains(why, "traps before the access") || !strings.Contains(text, "kernel engine         NOT USABLE: on ")) {
		t.Errorf("on %s the reason must name the machine: %q\n%s", runtime.GOARCH, why, text)
	}
	usable, why, text = doctor(func(args ...string) *exec.Cmd {
		cmd := exec.Command(hwdbgBin, args...)
		cmd.Env = append(os.Environ(), "HWDBG_ENGINE=ptrace")
		return cmd
	})
	if usable || why != "HWDBG_ENGINE=ptrace" || !strings.Contains(text, "kernel engine         NOT USABLE: HWDBG_ENGINE=ptrace; hwdbg judges conditions at each stop") {
		t.Errorf("HWDBG_ENGINE=ptrace: usable %v, %q\n%s", usable, why, text)
	}
	if !kernelEngine() {
		return
	}
	hw, _ := nobodyCopies(t)
	usable, why, text = doctor(func(args ...string) *exec.Cmd { return asNobody(exec.Command(hw, args...)) })
	if usable || !strings.Contains(why, "BPF refused") || !strings.Contains(text, "kernel engine         NOT USABLE: BPF refused") {
		t.Errorf("as nobody without CAP_BPF: usable %v, %q\n%s", usable, why, text)
	}
}

// nobodyCopies copies hwdbg and hot where nobody may run them.
func nobodyCopies(t *testing.T) (hw, prog string) {
	if os.Getuid() != 0 {
		t.Skip("needs root, to run hwdbg as nobody with chosen capabilities")
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o755)
	return placeFor(t, dir, hwdbgBin), placeFor(t, dir, fixture.C(t, "hot", fixture.PIE))
}

// placeFor copies the program src into dir, executable by anyone (the
// emulated machines have no cp).
func placeFor(t *testing.T, dir, src string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, filepath.Base(src))
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return dst
}

// asNobody runs cmd as nobody with CAP_PERFMON alone (perf breakpoints
// allowed, BPF programs not), in the directory of its program.
func asNobody(cmd *exec.Cmd) *exec.Cmd {
	cmd.Env = append(os.Environ(), "HWDBG_ENGINE=")
	cmd.Dir = filepath.Dir(cmd.Path)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential:  &syscall.Credential{Uid: 65534, Gid: 65534},
		AmbientCaps: []uintptr{unix.CAP_PERFMON},
	}
	return cmd
}

// parseOutput splits hwdbg's JSON lines from the rest.
func parseOutput(out string) result {
	var r result
	for _, line := range strings.Split(out, "\n") {
		var obj map[string]any
		if strings.HasPrefix(line, "{") && json.Unmarshal([]byte(line), &obj) == nil {
			r.events = append(r.events, obj)
		} else if line != "" {
			r.text = append(r.text, line)
		}
	}
	return r
}

// TestKernelEngineThreadBlockingSIGTRAP: the kernel engine's stop is a
// SIGTRAP perf sends as an ordinary signal, which a thread that blocks it
// never takes (the kernel counts the hit and holds the signal pending).
// sigblock.c's writer is born with every signal blocked.
//   - Stopped at the writer's entry, then watched: hwdbg unblocks
//     SIGTRAP in the threads the engine arms, as the kernel does for a
//     forced debug-register trap, and the write stops on the kernel engine.
//     (At the entry, not on the store after the prologue: a step over a
//     breakpoint on a store that a kernel engine slot watches is a single
//     step onto a watched store, which hangs QEMU's amd64 guest.)
//   - Watched from the start: the writer blocks SIGTRAP again as it starts
//     (glibc restores its creator's mask), after hwdbg armed it; its stop
//     never arrives. hwdbg says so when the program ends, and the next run
//     has the watchpoint on ptrace, which reports the write.
func TestKernelEngineThreadBlockingSIGTRAP(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "sigblock", fixture.PIE)
	r := hwdbg(t, "break *writer\ncontinue\nwatch -w target if target == 42\ncontinue\ninfo watchpoints\n", bin)
	hits := r.byEvent("watchpoint")
	if r.code != 0 || len(hits) != 1 || hits[0]["new"] != "42" {
		t.Fatalf("watched at the writer's breakpoint: exit %d, want its write of 42 reported once\n%s", r.code, r)
	}
	if wp := listedEngine(t, r, 1, "kernel"); wp["hits"] != float64(1) || wp["stops"] != float64(1) {
		t.Errorf("watched at the writer's breakpoint: listed %v, want 1 hit and 1 stop", wp)
	}

	r = hwdbg(t, "watch -w target if target == 42\ncontinue\nrun\ninfo watchpoints\n", bin)
	if r.code != 0 {
		t.Fatalf("watched from the start: exit %d\n%s", r.code, r)
	}
	hits = r.byEvent("watchpoint")
	var missed []string
	for _, w := range r.byEvent("warning") {
		if m := fmt.Sprint(w["message"]); strings.Contains(m, "never took the stop") {
			missed = append(missed, m)
		}
	}
	if !kernelEngine() {
		// On ptrace from the start: both runs report the write.
		if len(hits) != 2 || len(missed) != 0 {
			t.Errorf("want the write in both runs, no warning\n%s", r)
		}
		return
	}
	if len(hits) != 1 || hits[0]["new"] != "42" || len(missed) != 1 || len(r.byEvent("exit")) != 1 {
		t.Fatalf("want the first run's missed stop said once as it ended, the second run's write reported\n%s", r)
	}
	if wp := listedEngine(t, r, 0, "ptrace"); !strings.Contains(fmt.Sprint(wp["engine_why"]), "blocks SIGTRAP") {
		t.Errorf("the second run's engine: %v (%v), want ptrace, saying a thread blocks SIGTRAP", wp["engine"], wp["engine_why"])
	}
}
