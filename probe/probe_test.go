package probe

import (
	"testing"

	"hwdbg/arch/native"
)

// These tests need a machine that delivers debug-register traps: `make
// test` runs this package natively where the trap probe says so, and in an
// emulated kernel where it does not.

func TestTrapsSeeEveryWrite(t *testing.T) {
	for _, n := range []int{1, 8, 200} {
		r, err := Traps(native.New(), n)
		if err != nil {
			t.Fatalf("Traps(%d): %v", n, err)
		}
		if !r.Delivered() || r.Seen != n || r.Expected != n {
			t.Fatalf("Traps(%d) = %s: want %d of %d", n, r, n, n)
		}
		if n > 1 && r.PerTrap <= 0 {
			t.Errorf("Traps(%d): no time per trap in %s", n, r)
		}
		if len(r.Slots) == 0 {
			t.Errorf("Traps(%d): no slots", n)
		}
		t.Logf("%s, probe took %v", r, r.Took)
	}
}

// TestSimulatedSeesNone is the path of a machine that never delivers its
// traps: the probe runs for real, on a variable nobody writes.
func TestSimulatedSeesNone(t *testing.T) {
	t.Setenv(SimulateEnv, "1")
	r, err := Traps(native.New(), 8)
	if err != nil {
		t.Fatal(err)
	}
	if r.Delivered() || r.Seen != 0 || r.Expected != 8 || !r.Simulated {
		t.Fatalf("simulated probe = %+v: want 0 of 8, simulated", r)
	}
	if p := PerfBreakpoints(100); p.Err != nil || p.Counted != 0 || p.Counts() {
		t.Fatalf("simulated perf probe = %+v: want 0 of 100 counted", p)
	}
}

func TestPerfBreakpointsCount(t *testing.T) {
	r := PerfBreakpoints(1000)
	if !r.Counts() {
		t.Fatalf("perf breakpoint counted %d of %d (%v)", r.Counted, r.Expected, r.Err)
	}
	t.Logf("perf breakpoint counted %d of %d", r.Counted, r.Expected)
}

func TestBPFAsRoot(t *testing.T) {
	s := ReadSystem()
	if s.UID != 0 {
		t.Skip("loading BPF programs needs root (or CAP_BPF and CAP_PERFMON); this test runs as uid", s.UID)
	}
	if err := BPF(); err != nil {
		t.Fatal(err)
	}
}

func TestReadSystem(t *testing.T) {
	s := ReadSystem()
	if s.Kernel == "" || s.Arch == "" || s.PerfParanoid < -1 {
		t.Fatalf("ReadSystem() = %+v", s)
	}
	if s.UID == 0 && len(s.Caps) == 0 {
		t.Errorf("root with no capabilities: %+v", s)
	}
}
