package main

// How hwdbg steps a thread over a breakpoint that does not stop the
// program. TestBreakpointSteppedOverWhileThreadsRun and
// TestSignalStormDuringStepOvers (semantics_test.go) run in every mode.

import (
	"strings"
	"testing"

	"hwdbg/internal/fixture"
)

// stepOverModes are the ways hwdbg steps a thread over a breakpoint: by
// default emulating the instruction where the machine's backend can
// (amd64), and a real single step (always, with
// HWDBG_STEP_OVER=single-step; on a machine that emulates nothing, the
// default already is).
var stepOverModes = func() []struct{ name, env string } {
	modes := []struct{ name, env string }{{"default", ""}}
	if emulatesStepOver {
		modes = append(modes, struct{ name, env string }{"single-step", "single-step"})
	}
	return modes
}()

// TestStepOverEmulated: where the backend emulates the instruction under
// a breakpoint (amd64), the step over it is no single step, in C
// programs (stack stores after the prologue, with threads running) and in
// Go (the frame's allocation). The trace log names every real step.
// Where the instruction writes a watched range it is a real step, which
// reports the hit (TestSourceLocalsGoOutOfScope's first hit).
func TestStepOverEmulated(t *testing.T) {
	if !emulatesStepOver {
		t.Skip("this machine's backend emulates no instruction: every step over a breakpoint is a single step")
	}
	t.Setenv("HWDBG_TRACE", "1")
	r := hwdbg(t, "break tick\ncommands\nsilent\ncontinue\nend\ncontinue\ninfo breakpoints\n", fixture.C(t, "ticks", fixture.PIE))
	if wp := r.listed(0); r.code != 0 || wp == nil || wp["hits"] != float64(4000) {
		t.Fatalf("exit %d, breakpoint %v\n%s", r.code, wp, r.text)
	}
	if n := strings.Count(r.stderr, "real step"); n != 0 {
		t.Errorf("%d of 4000 steps over tick were single steps", n)
	}
	r = hwdbg(t, "break main.writer\ncontinue\ncontinue\n", fixture.Go(t, "goprog"))
	if bps := r.byEvent("breakpoint"); r.code != 0 || len(bps) != 1 || len(r.byEvent("exit")) != 1 {
		t.Fatalf("exit %d, stops %v\n%s", r.code, bps, r.text)
	}
	if i := strings.Index(r.stderr, "real step"); i >= 0 {
		t.Errorf("the step over main.writer was a single step: %s", r.stderr[i:min(len(r.stderr), i+200)])
	}
}
