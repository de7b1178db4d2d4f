package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"hwdbg/internal/fixture"
	"hwdbg/probe"
)

// The trap probe, as users meet it: `hwdbg doctor`, and the warning at a
// session's first watchpoint or hardware breakpoint. Each runs twice: as
// this machine is (these tests need one that delivers debug-register
// traps; `make test` runs them in an emulated kernel where it does not),
// and with probe.SimulateEnv, which makes the probe watch a variable its
// child never writes, as on a machine that never delivers the traps.

func doctorJSON(t *testing.T) (map[string]any, int) {
	t.Helper()
	out, err := exec.Command(hwdbgBin, "doctor", "--json").Output()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	var r map[string]any
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("doctor --json: %v\n%s", err, out)
	}
	return r, code
}

func TestDoctor(t *testing.T) {
	needTraps(t)
	r, code := doctorJSON(t)
	traps := r["traps"].(map[string]any)
	if traps["delivered"] != true || traps["seen"] != traps["expected"] || traps["seen"].(float64) < 100 || traps["us_per_trap"].(float64) <= 0 {
		t.Fatalf("traps: %v", traps)
	}
	if n := len(r["slots"].([]any)); n < 2 {
		t.Errorf("slots: %v", r["slots"])
	}
	if r["kernel"] == "" || r["arch"] == "" {
		t.Errorf("kernel %q arch %q", r["kernel"], r["arch"])
	}
	// Slots are perf events (they die with hwdbg) on amd64 only.
	if arming := r["arming"].(map[string]any); arming["perf"] != (runtime.GOARCH == "amd64") {
		t.Errorf("arming: %v", arming)
	}
	if want := map[bool]int{true: 0, false: 1}[r["usable"] == true]; code != want {
		t.Errorf("usable %v, exit %d", r["usable"], code)
	}
	out, _ := exec.Command(hwdbgBin, "doctor").Output()
	if !strings.Contains(string(out), "debug-register traps  delivered: ") {
		t.Errorf("doctor:\n%s", out)
	}

	t.Run("no traps", func(t *testing.T) {
		t.Setenv(probe.SimulateEnv, "1")
		r, code := doctorJSON(t)
		traps := r["traps"].(map[string]any)
		if code != 1 || r["usable"] != false || traps["delivered"] != false || traps["seen"] != float64(0) || traps["expected"].(float64) < 100 {
			t.Fatalf("exit %d, %v", code, r)
		}
		if perf := r["perf"].(map[string]any); perf["counts"] != false || perf["counted"] != float64(0) {
			t.Errorf("perf: %v", perf)
		}
		out, _ := exec.Command(hwdbgBin, "doctor").Output()
		for _, want := range []string{"NOT DELIVERED: 0 of", "never delivers their traps", "bare metal", "passes debug exceptions through"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("doctor does not say %q:\n%s", want, out)
			}
		}
	})

	if code := runScript(t, "", "doctor", "--frobnicate").code; code != 2 {
		t.Errorf("doctor --frobnicate: exit %d, want 2", code)
	}
}

func TestTrapWarningAtFirstWatch(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "bank", fixture.PIE)
	script := "watch -w &balance\nhbreak auditor\nwatch -w &audit_log\ncontinue\n"
	warnings := func(r result) []string {
		var w []string
		for _, e := range r.byEvent("warning") {
			w = append(w, e["message"].(string))
		}
		return w
	}

	// Traps arrive: no warning, and the watch fires.
	r := hwdbg(t, script, bin)
	if w := warnings(r); len(w) != 0 || len(r.byEvent("watchpoint")) != 1 {
		t.Fatalf("warnings %q, want none and one hit\n%s", w, r)
	}

	for _, first := range []string{"watchpoint 1", "hardware breakpoint 1"} {
		t.Run(first, func(t *testing.T) {
			t.Setenv(probe.SimulateEnv, "1")
			s := script
			if first != "watchpoint 1" {
				s = "hbreak auditor\nwatch -w &balance\n"
			}
			r := hwdbg(t, s, bin)
			w := warnings(r)
			if len(w) != 1 || !strings.Contains(w[0], "accepts debug registers but never delivers their traps") ||
				!strings.Contains(w[0], first+" is set but will not fire") || !strings.Contains(w[0], "hwdbg doctor") {
				t.Fatalf("warnings %q, want one about %s\n%s", w, first, r)
			}
			// The warning comes right after the first command's result, and
			// everything is still set.
			if len(r.events) < 2 || r.events[1]["event"] != "warning" || len(r.byEvent("result")) < 2 || r.code != 0 {
				t.Errorf("events:\n%s", r)
			}
			// And as text, on one line.
			text := runScript(t, s, "-q", bin)
			n := 0
			for _, l := range text.text {
				if strings.HasPrefix(l, "warning: this machine accepts debug registers") {
					n++
				}
			}
			if n != 1 {
				t.Errorf("text mode: %d warning lines\n%s", n, text)
			}
		})
	}
}

// needTraps marks a test that needs debug-register traps to be delivered:
// a watchpoint, a hardware breakpoint or a trace that must fire, or must
// be seen not to. It is the first line of such a test, and scripts/test
// reads it there: on a machine that does not deliver the traps, make test
// runs the tests that call it in the emulated amd64 kernel and every other
// test of this package natively. Run by hand on such a machine, the test
// fails at once with that explanation, rather than waiting for a hit that
// never comes.
func needTraps(t *testing.T) {
	t.Helper()
	trapsOnce.Do(func() { trapsHere, trapsWhy = probeTraps() })
	if !trapsHere {
		t.Fatalf("this test needs debug-register traps, and %s; make test runs it in the emulated amd64 kernel (scripts/test)", trapsWhy)
	}
}

var (
	trapsOnce sync.Once
	trapsHere bool
	trapsWhy  string
)

// probeTraps asks hwdbg doctor whether this machine delivers the traps,
// as scripts/traps-here does, without the simulation a test may have set.
func probeTraps() (bool, string) {
	cmd := exec.Command(hwdbgBin, "doctor", "--json")
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, probe.SimulateEnv+"=") })
	out, _ := cmd.Output() // doctor exits 1 when anything is unusable: its report is the answer
	var r struct {
		Traps struct {
			Delivered *bool  `json:"delivered"`
			Error     string `json:"error"`
		} `json:"traps"`
	}
	switch err := json.Unmarshal(out, &r); {
	case err != nil || r.Traps.Delivered == nil:
		return false, "hwdbg doctor --json gave no report of traps: " + string(out)
	case r.Traps.Error != "":
		return false, "the trap probe failed: " + r.Traps.Error
	case !*r.Traps.Delivered:
		return false, "this machine does not deliver them (hwdbg doctor)"
	}
	return true, ""
}
