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
	"syscall"
	"time"
)

func main() {
	n := flag.Int("n", 100000, "watchpoint hits per run")
	gdbN := flag.Int("gdb-n", 10000, "hits per gdb run (gdb is slow)")
	runs := flag.Int("runs", 9, "runs per measurement; the best counts")
	flag.Parse()
	if err := run(*n, *gdbN, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if err := startup(*runs); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// startup measures, on a big Go binary with DWARF (the Go compiler,
// built here), the time from starting hwdbg on it to a watchpoint set on
// a global, and hwdbg's peak memory, against gdb setting the same watch.
func startup(runs int) error {
	dir, err := os.MkdirTemp("", "hwdbg-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	big := filepath.Join(dir, "compile")
	hwdbg := filepath.Join(dir, "hwdbg")
	for _, s := range [][]string{{"go", "build", "-o", big, "cmd/compile"}, {"go", "build", "-o", hwdbg, "./cmd/hwdbg"}} {
		if out, err := exec.Command(s[0], s[1:]...).CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v\n%s", strings.Join(s, " "), err, out)
		}
	}
	st, err := os.Stat(big)
	if err != nil {
		return err
	}
	fmt.Printf("\nstartup on a %.1f MB Go binary with DWARF (cmd/compile): start, set a watchpoint on os.Args, leave; best of %d\n\n", float64(st.Size())/1e6, runs)
	hw, rss, err := bestRun(runs, func() *exec.Cmd {
		return exec.Command(hwdbg, "-q", "--batch", "-ex", "watch -w &os.Args", big)
	}, "Watchpoint 1: -w &os.Args")
	if err != nil {
		return fmt.Errorf("hwdbg: %w", err)
	}
	fmt.Printf("  %-44s %8.1f ms   (goal <= 100 ms); peak memory %.1f MB, %.2fx the binary's size (goal < 1)\n",
		"hwdbg BIN; watch -w &os.Args", ms(hw), float64(rss)/1e6, float64(rss)/float64(st.Size()))
	if _, err := exec.LookPath("gdb"); err != nil {
		fmt.Printf("  gdb: not installed, no comparison\n")
		return nil
	}
	g, grss, err := bestRun(runs, func() *exec.Cmd {
		return exec.Command("gdb", "-batch", "-nx", "-ex", "watch 'os.Args'", big)
	}, "atchpoint 1")
	if err != nil {
		return fmt.Errorf("gdb: %w", err)
	}
	fmt.Printf("  %-44s %8.1f ms   hwdbg takes %.2fx gdb's time; gdb's peak memory %.1f MB\n", "gdb -batch -ex 'watch os.Args' BIN", ms(g), float64(hw)/float64(g), float64(grss)/1e6)
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// bestRun runs cmd runs times with no input and returns the best wall
// time and the largest peak resident size.
func bestRun(runs int, cmd func() *exec.Cmd, want string) (time.Duration, int64, error) {
	var best time.Duration
	var rss int64
	for i := 0; i < runs; i++ {
		c := cmd()
		start := time.Now()
		out, err := c.CombinedOutput()
		el := time.Since(start)
		if err != nil || !strings.Contains(string(out), want) {
			return 0, 0, fmt.Errorf("%v: %v\n%s", c.Args, err, out)
		}
		if i == 0 || el < best {
			best = el
		}
		if ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss*1024 > rss {
			rss = ru.Maxrss * 1024
		}
	}
	return best, rss, nil
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
