package main

import (
	"encoding/json"
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
		} {
			t.Run(engine+"/"+name, func(t *testing.T) {
				t.Setenv("HWDBG_ENGINE", engine)
				test(t)
			})
		}
	}
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
// of 200000 writes stops once, at that write; the kernel counted every
// write.
func TestKernelConditionAtTheLastWrite(t *testing.T) {
	bin := fixture.C(t, "hot", fixture.PIE)
	const n = 200000
	r := hwdbg(t, "watch -w &counter if counter == "+strconv.Itoa(n-1)+"\ncontinue\ninfo watchpoints\ncontinue\n", bin, strconv.Itoa(n))
	hits := r.byEvent("watchpoint")
	if r.code != 0 || len(hits) != 1 || hits[0]["new"] != strconv.Itoa(n-1) || hits[0]["old"] != strconv.Itoa(n-2) || hits[0]["hits"] != float64(1) {
		t.Fatalf("want one stop at the last write: exit %d, %v\n%s", r.code, hits, r)
	}
	wp := listedEngine(t, r, 0, "kernel")
	if wp["hits"] != float64(1) || (kernelEngine() && wp["accesses"] != float64(n)) {
		t.Errorf("counts: hits %v, accesses %v; want 1 and %d", wp["hits"], wp["accesses"], n)
	}
	if len(r.byEvent("exit")) != 1 {
		t.Errorf("the program must run to its end after the stop\n%s", r)
	}
}

// TestKernelConditionEvery1024th: a mask true at every 1024th write stops
// exactly N/1024 times, each time at such a write.
func TestKernelConditionEvery1024th(t *testing.T) {
	bin := fixture.C(t, "hot", fixture.PIE)
	const n, every = 102400, 1024
	script := "watch -w &counter if (counter & 1023) == 1023\ncommands 1\nsilent\nprint counter\ncontinue\nend\ncontinue\ninfo watchpoints\n"
	r := hwdbg(t, script, bin, strconv.Itoa(n))
	prints := r.results("print")
	if r.code != 0 || len(prints) != n/every {
		t.Fatalf("want %d stops, got %d (exit %d)\n%s", n/every, len(prints), r.code, r)
	}
	for k, p := range prints {
		if p["value"] != strconv.Itoa((k+1)*every-1) {
			t.Fatalf("stop %d at counter = %v, want %d", k, p["value"], (k+1)*every-1)
		}
	}
	wp := listedEngine(t, r, 0, "kernel")
	if wp["hits"] != float64(n/every) || (kernelEngine() && wp["accesses"] != float64(n)) {
		t.Errorf("counts: hits %v, accesses %v", wp["hits"], wp["accesses"])
	}
}

// TestKernelEngineThreadsStartedLater: threads created after the watch was
// set get the kernel's events: the one stop comes from the last thread
// started, and a counting watchpoint sees every thread's writes.
func TestKernelEngineThreadsStartedLater(t *testing.T) {
	bin := fixture.C(t, "writers", fixture.PIE)
	// T1 writes target = 0..9999, T2 0..19999, main 0..4999, then T3,
	// started last, 0..29999: only T3 writes 29999.
	script := "watch -w &target if target == 29999\nwatch -w &target if target >= 0\ncommands 2\nsilent\ncontinue\nend\n" +
		"continue\ninfo watchpoints\ncontinue\ninfo watchpoints\n"
	r := hwdbg(t, script, bin, "threads", "nowait")
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
	listedEngine(t, r, 0, "kernel")
	counting := listedEngine(t, r, 1, "kernel")
	th := counting["thread_hits"].(map[string]any)
	var sum float64
	for _, n := range th {
		sum += n.(float64)
	}
	if counting["hits"] != float64(65000) || sum != 65000 || len(th) != 4 || th[t3] != float64(30000) {
		t.Errorf("the counting watchpoint: hits %v, per thread %v; want 65000 over 4 threads, 30000 by T3 %s", counting["hits"], th, t3)
	}
}

// TestKernelEngineFallsBackWithoutBPF: hwdbg run without CAP_BPF and
// CAP_SYS_ADMIN (as nobody, keeping CAP_PERFMON: perf breakpoints are
// allowed, BPF programs are not) keeps a conditional watchpoint on ptrace,
// says why, and stops where the condition holds.
func TestKernelEngineFallsBackWithoutBPF(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root, to run hwdbg as nobody with chosen capabilities")
	}
	dir, err := os.MkdirTemp("", "hwdbg-nobpf-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	hw, prog := filepath.Join(dir, "hwdbg"), filepath.Join(dir, "hot")
	for from, to := range map[string]string{hwdbgBin: hw, fixture.C(t, "hot", fixture.PIE): prog} {
		if out, err := exec.Command("cp", from, to).CombinedOutput(); err != nil {
			t.Fatalf("cp: %v %s", err, out)
		}
		os.Chmod(to, 0o755)
	}
	cmd := exec.Command(hw, "--json", "-q", prog, "1000")
	cmd.Env = append(os.Environ(), "HWDBG_ENGINE=")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader("watch -w &counter if counter == 500\ncontinue\ninfo watchpoints\nkill\n")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential:  &syscall.Credential{Uid: 65534, Gid: 65534},
		AmbientCaps: []uintptr{unix.CAP_PERFMON},
	}
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
