package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// kernelLoop is the in-kernel filtering row: stop when target == N-1
// after N writes (testdata/hot.c's counter), hwdbg's kernel engine
// against its floor (floor/sigtrap.c: a perf breakpoint with sigtrap and
// sample_period N, no BPF program, the least the kernel does to stop at
// the N-th write) and against gdb's conditional watchpoint, which stops
// at every write to test the condition.
func (b *bins) kernelLoop(n, gdbN, runs int) error {
	const (
		floorRow = "floor (C: perf sigtrap, sample_period N)"
		hwdbgRow = "hwdbg watch if target == N-1 (kernel engine)"
		gdbRow   = "gdb watch target if target == N-1"
	)
	delivered, seen, err := b.traps()
	if err != nil || !delivered {
		fmt.Printf("\nin-kernel filtering (needs debug-register traps)\n\n")
		for _, row := range []string{floorRow, hwdbgRow, gdbRow} {
			fmt.Printf("  %-46s %s\n", row, notMeasurable)
		}
		if err == nil {
			fmt.Printf("  (hwdbg doctor --json: %s)\n", seen)
		}
		return err
	}
	fmt.Printf("\nin-kernel filtering (%s): stop at the last of %d writes, best of %d runs, per-write cost = (t(N) - t(0)) / N\n\n", where(), n, runs)
	addr, err := symbolAddr(b.hot, "counter")
	if err != nil {
		return err
	}
	floorHit, err := perHit(n, runs, func(k int) *exec.Cmd {
		return exec.Command(b.sigtrap, fmt.Sprintf("%#x", addr), strconv.Itoa(k), b.hot, strconv.Itoa(k))
	}, floorHits, 0)
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	fmt.Printf("  %-46s %8.2f us/write\n", floorRow, us(floorHit))
	hwHit, err := perHit(n, runs, func(k int) *exec.Cmd {
		script := filepath.Join(b.scratch, fmt.Sprintf("kernel%d.hwdbg", k))
		body := fmt.Sprintf("watch -w &counter if counter == %d\ncontinue\ninfo watchpoints\n", k-1)
		if k > 0 {
			body += "continue\n" // from the stop at the last write to the end
		}
		os.WriteFile(script, []byte(body), 0o644)
		c := exec.Command(b.hwdbg, "-q", "--json", "--batch", "-x", script, b.hot, strconv.Itoa(k))
		c.Env = append(os.Environ(), "HWDBG_ENGINE=kernel")
		return c
	}, kernelHits, 0)
	if err != nil {
		return fmt.Errorf("hwdbg: %w", err)
	}
	fmt.Printf("  %-46s %8.2f us/write   %.2fx the floor (goal <= 1.5x)\n", hwdbgRow, us(hwHit), ratio(hwHit, floorHit))
	if !haveGdb() {
		fmt.Printf("  gdb: not installed (or -gdb=false), no comparison\n")
		return nil
	}
	gdbHit, err := perHit(gdbN, min(runs, 3), func(k int) *exec.Cmd {
		script := filepath.Join(b.scratch, fmt.Sprintf("kernel%d.gdb", k))
		body := fmt.Sprintf("set pagination off\nwatch counter if counter == %d\nrun\n", k-1)
		if k > 0 {
			body += "continue\n"
		}
		os.WriteFile(script, []byte(body), 0o644)
		return exec.Command("gdb", "-q", "-batch", "-nx", "-x", script, "--args", b.hot, strconv.Itoa(k))
	}, func(out string) (int, error) { return gdbStoppedAtLast(out) }, 0)
	if err != nil {
		return fmt.Errorf("gdb: %w", err)
	}
	fmt.Printf("  %-46s %8.2f us/write   hwdbg is %.1fx faster (goal >= 10x)\n", gdbRow, us(gdbHit), ratio(gdbHit, hwHit))
	return nil
}

// kernelHits reads, from hwdbg's info watchpoints, the writes the kernel
// engine counted for watchpoint 1 (its hits: every access, whether or not
// the condition held); the watchpoint must be on the kernel engine.
func kernelHits(out string) (int, error) {
	w, err := watchpointOne(out)
	if err == nil && w.Engine != "kernel" {
		err = fmt.Errorf("watchpoint 1 is on the %s engine, not the kernel's: %s", w.Engine, w.EngineWhy)
	}
	return w.Hits, err
}

// gdbStoppedAtLast checks that gdb stopped once, at the last write, and
// that the program then ran to its end; it says how many writes that
// covers (hot's "counter=" line: the last value written, plus one).
func gdbStoppedAtLast(out string) (int, error) {
	i := strings.Index(out, "counter=")
	if i < 0 {
		return 0, fmt.Errorf("the program did not run to its end")
	}
	var last int
	fmt.Sscanf(out[i:], "counter=%d", &last)
	stops := strings.Count(out, "New value = ")
	if last == 0 {
		return 0, nil // hot 0 writes nothing
	}
	if stops != 1 || !strings.Contains(out, fmt.Sprintf("New value = %d", last)) {
		return 0, fmt.Errorf("gdb stopped %d times, not once at %d", stops, last)
	}
	return last + 1, nil
}
