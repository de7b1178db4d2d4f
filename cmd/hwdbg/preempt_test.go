package main

import (
	"fmt"
	"testing"
	"time"

	"hwdbg/internal/fixture"
)

// TestGoPreemptionIsNotASecondCrossing: a Go program held at a breakpoint
// for a while is preempted by its runtime (SIGURG) as soon as it runs
// again. On arm64 the breakpoint's line (a store to a package variable)
// is a restartable sequence, which the runtime resumes from its first
// instruction, the breakpoint's: that is the same crossing, not a second
// hit. Each of the 5 calls must stop exactly once, before its store.
func TestGoPreemptionIsNotASecondCrossing(t *testing.T) {
	bin := fixture.Go(t, "gopreempt")
	set := lineOf(t, "gopreempt/main.go", "set line")
	l := startLive(t, bin)
	l.do(fmt.Sprintf("break main.go:%d", set))
	for i := 0; i <= 5; i++ {
		// Long enough at the prompt for the runtime's monitor to want the
		// goroutine preempted (it asks after 10 ms of running).
		time.Sleep(60 * time.Millisecond)
		evs := l.do("continue")
		var hits []map[string]any
		exited := false
		for _, e := range evs {
			switch e["event"] {
			case "breakpoint":
				hits = append(hits, e)
			case "exit":
				exited = true
			}
		}
		if i == 5 {
			if !exited || len(hits) != 0 {
				t.Fatalf("after 5 crossings want the exit alone, got %v", evs)
			}
			return
		}
		if len(hits) != 1 || hits[0]["hits"] != float64(i+1) || hits[0]["stops"] != float64(i+1) {
			t.Fatalf("continue %d: want crossing %d of the breakpoint, got %v", i, i+1, evs)
		}
		// Call i stores i; before it, level holds call i-1's.
		if p := l.do("print level"); len(p) != 1 || p[0]["value"] != fmt.Sprint(max(i-1, 0)) {
			t.Fatalf("crossing %d: print level = %v, want %d", i+1, p, max(i-1, 0))
		}
	}
}
