package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// The non-stop tracing row: `trace -w counter` over hot.c's N writes (one
// global written by one function from main), each access a sample with
// its ip, thread, time and user callchain, the program never stopped;
// against floor/ring.c, the least a reader of the same perf ring does
// (one breakpoint, the same sample, drained on poll), on the same
// workload in the same run. Per-hit cost is (t(N) - t(0)) / N, the best of
// R runs each. Every run must have recorded every write and lost none
// (the ring's default size): a run that lost samples is refused, so the
// row's "0 lost" is measured, not assumed.

// traceLoop measures the row where debug-register traps are delivered
// (perf breakpoints count nothing elsewhere), and says where it ran.
func (b *bins) traceLoop(n, runs int) error {
	const (
		floorRow = "floor (C: one perf ring, drained on poll)"
		hwdbgRow = "hwdbg trace -w counter"
	)
	if ok, err := b.needTraps("\nnon-stop tracing, per recorded hit (needs debug-register traps; the emulated amd64 kernel of make test-amd64-vm delivers them)", floorRow, hwdbgRow); !ok {
		return err
	}
	fmt.Printf("\nnon-stop tracing, per recorded hit (%s): %d writes a run, best of %d runs, per-hit cost = (t(N) - t(0)) / N\n\n", where(), n, runs)
	addr, err := symbolAddr(b.hot, "counter")
	if err != nil {
		return err
	}
	script := filepath.Join(b.scratch, "trace.hwdbg")
	if err := os.WriteFile(script, []byte("trace -w counter\n"), 0o644); err != nil {
		return err
	}
	floorHit, floorCPU, err := perHitTimes(n, runs, func(k int) *exec.Cmd {
		return exec.Command(b.ring, fmt.Sprintf("%#x", addr), b.hot, strconv.Itoa(k))
	}, floorHits, 0, nil)
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	fmt.Printf("  %-44s %8.2f us/hit   (CPU, program and reader: %.2f us/hit)\n", floorRow, us(floorHit), us(floorCPU))
	hwHit, hwCPU, err := perHitTimes(n, runs, func(k int) *exec.Cmd {
		return exec.Command(b.hwdbg, "-q", "--json", "--batch", "-x", script, b.hot, strconv.Itoa(k))
	}, traceHits, 0, nil)
	if err != nil {
		return fmt.Errorf("hwdbg: %w", err)
	}
	fmt.Printf("  %-44s %8.2f us/hit   %.2fx the floor (goal <= 1.2x); 0 lost in every run (default ring)\n", hwdbgRow, us(hwHit), ratio(hwHit, floorHit))
	fmt.Printf("  %-44s %8.2f us/hit   %.2fx the floor's CPU (wall time on a busy machine is noisier)\n", "  its CPU, program and hwdbg", us(hwCPU), ratio(hwCPU, floorCPU))
	return nil
}

// where says how this machine runs the row: natively, or in an emulated
// kernel (the VM runners set HWDBG_AMD64_VM or ARM64_VM), and on how many
// CPUs (hwdbg's reader and the program share one when there is one).
func where() string {
	s := "native"
	if os.Getenv("HWDBG_AMD64_VM") == "1" || os.Getenv("ARM64_VM") == "1" {
		s = "emulated kernel"
	}
	return fmt.Sprintf("%s, %d CPUs", s, runtime.NumCPU())
}

// traceHits reads the hits of the trace event in hwdbg's --json output;
// lost samples are an error (the row claims none at the default size).
func traceHits(out string) (int, error) {
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var ev struct {
			Event string `json:"event"`
			Hits  int    `json:"hits"`
			Lost  int    `json:"lost"`
		}
		if json.Unmarshal(sc.Bytes(), &ev) != nil || ev.Event != "trace" {
			continue
		}
		if ev.Lost > 0 {
			return 0, fmt.Errorf("%d samples lost at the default ring size", ev.Lost)
		}
		return ev.Hits, nil
	}
	return 0, fmt.Errorf("no trace event")
}
