// Command bench measures hwdbg against floors measured in the same run
// and prints ratios (`make bench`). Nothing here is a pass/fail test: the
// numbers are the claims.
//
//	go run ./bench [-n HITS] [-runs R]
//
// Hit loop: a program writes a watched variable N times; hwdbg runs with
// `commands` silent+continue (every hit counted, none shown). The floor is
// floor.c, the least a ptrace tracer can do per hit (wait, resume). gdb
// with the same commands, when installed. Per-hit cost is
// (time(N) - time(0)) / N, the best of R runs, so start-up is left out.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func main() {
	n := flag.Int("n", 100000, "watchpoint hits per run")
	gdbN := flag.Int("gdb-n", 10000, "hits per gdb run (gdb is slow)")
	runs := flag.Int("runs", 5, "runs per measurement; the best counts")
	flag.Parse()
	if err := run(*n, *gdbN, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(n, gdbN, runs int) error {
	dir, err := os.MkdirTemp("", "hwdbg-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	hot := filepath.Join(dir, "hot")
	floor := filepath.Join(dir, "floor")
	hwdbg := filepath.Join(dir, "hwdbg")
	steps := [][]string{
		{"gcc", "-g", "-O0", "-no-pie", "-o", hot, "testdata/hot.c"},
		{"gcc", "-O2", "-o", floor, "bench/floor/floor.c"},
		{"go", "build", "-o", hwdbg, "./cmd/hwdbg"},
	}
	for _, s := range steps {
		if out, err := exec.Command(s[0], s[1:]...).CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v\n%s", strings.Join(s, " "), err, out)
		}
	}
	addr, err := symbolAddr(hot, "counter")
	if err != nil {
		return err
	}
	script := filepath.Join(dir, "silent.hwdbg")
	os.WriteFile(script, []byte("watch -w &counter\ncommands 1\nsilent\ncontinue\nend\ncontinue\n"), 0o644)
	gdbScript := filepath.Join(dir, "silent.gdb")
	os.WriteFile(gdbScript, []byte("set pagination off\nwatch counter\ncommands 1\nsilent\ncontinue\nend\nrun\n"), 0o644)

	fmt.Printf("watchpoint hit loop: %d hits a run, best of %d runs, per-hit cost = (t(N) - t(0)) / N\n\n", n, runs)
	floorHit, err := perHit(n, runs, func(k int) *exec.Cmd {
		return exec.Command(floor, fmt.Sprintf("%#x", addr), hot, strconv.Itoa(k))
	}, "100000 hits")
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	hwHit, err := perHit(n, runs, func(k int) *exec.Cmd {
		return exec.Command(hwdbg, "-q", "--batch", "-x", script, hot, strconv.Itoa(k))
	}, "")
	if err != nil {
		return fmt.Errorf("hwdbg: %w", err)
	}
	fmt.Printf("  %-44s %8.2f us/hit\n", "floor (C: waitpid + PTRACE_CONT)", us(floorHit))
	fmt.Printf("  %-44s %8.2f us/hit   %.2fx the floor (goal <= 1.3x)\n", "hwdbg commands silent+continue", us(hwHit), float64(hwHit)/float64(floorHit))
	if _, err := exec.LookPath("gdb"); err != nil {
		fmt.Printf("  gdb: not installed, no comparison\n")
		return nil
	}
	gdbHit, err := perHit(gdbN, min(runs, 3), func(k int) *exec.Cmd {
		return exec.Command("gdb", "-q", "-batch", "-nx", "-x", gdbScript, "--args", hot, strconv.Itoa(k))
	}, "")
	if err != nil {
		return fmt.Errorf("gdb: %w", err)
	}
	fmt.Printf("  %-44s %8.2f us/hit   hwdbg is %.1fx faster (goal >= 3x)\n", "gdb commands silent+continue", us(gdbHit), float64(gdbHit)/float64(hwHit))
	return nil
}

func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }

// perHit times cmd(n) and cmd(0), best of runs each.
func perHit(n, runs int, cmd func(int) *exec.Cmd, wantOut string) (time.Duration, error) {
	best := func(k int) (time.Duration, error) {
		var b time.Duration
		for i := 0; i < runs; i++ {
			c := cmd(k)
			start := time.Now()
			out, err := c.CombinedOutput()
			el := time.Since(start)
			if err != nil {
				return 0, fmt.Errorf("%v: %v\n%s", c.Args, err, out)
			}
			if k == n && wantOut != "" && !strings.Contains(string(out), strings.Replace(wantOut, "100000", strconv.Itoa(n), 1)) {
				return 0, fmt.Errorf("%v: unexpected output\n%s", c.Args, out)
			}
			if i == 0 || el < b {
				b = el
			}
		}
		return b, nil
	}
	t0, err := best(0)
	if err != nil {
		return 0, err
	}
	tn, err := best(n)
	if err != nil {
		return 0, err
	}
	return (tn - t0) / time.Duration(n), nil
}

func symbolAddr(bin, sym string) (uint64, error) {
	out, err := exec.Command("nm", bin).Output()
	if err != nil {
		return 0, fmt.Errorf("nm: %w", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[2] == sym {
			return strconv.ParseUint(f[0], 16, 64)
		}
	}
	return 0, fmt.Errorf("no %s in %s", sym, bin)
}
