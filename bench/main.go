// Command bench measures hwdbg against floors measured in the same run
// and prints ratios (`make bench`). Nothing here is a pass/fail test: the
// numbers are the claims. It never prints a number it did not measure:
// every loop checks that each tool counted every hit, and the rows that
// need debug-register traps say "not measurable here" on a machine that
// does not deliver them (as `hwdbg doctor --json` tells).
//
//	go run ./bench [-n HITS] [-gdb-n HITS] [-break-n HITS] [-gdb-break-n HITS] [-runs R] [-rows LIST] [-dir DIR [-prebuilt]]
//
// `make bench` runs scripts/bench, which runs every row natively where
// this machine delivers debug-register traps; where it does not, the rows
// that need them (watch, kernel, trace) run in the emulated amd64 kernel
// (scripts/amd64-vm), on programs built here (-dir, then -prebuilt
// there), and say so.
//
// -rows picks the rows to run, a comma-separated list of watch, kernel,
// break, trace, startup and first (all by default); -gdb=false leaves gdb
// out. The kernel row (kernel.go) stops at the last of N writes through
// the kernel engine, against floor/sigtrap.c and gdb's conditional watch.
//
// Non-stop tracing (needs debug-register traps): `trace` over N writes
// against floor/ring.c, a minimal reader of the same perf ring (trace.go).
//
// Watchpoint hit loop (needs debug-register traps): a program writes a
// watched variable N times; hwdbg runs with `commands` silent+continue
// (every hit counted, none shown). The floor is floor/floor.c, the least
// a ptrace tracer can do per hit (wait, resume). gdb with the same
// commands, when installed.
//
// Breakpoint stop loop (no trap from the debug registers; runs
// everywhere): a software breakpoint on a function called N times, with
// the same commands, in a C program (floor/calls.c) and in a Go program
// (floor/gocalls, whose runtime runs several threads). It goes through
// the same stop path as a watchpoint hit, so it holds that path to
// account where watchpoints cannot be measured. The floor is
// floor/int3.c, the least an int3 debugger does per hit (restore the
// byte, back up the pc, single-step, re-insert, resume), with its int3 on
// the instruction where hwdbg puts `break FUNC` (after the prologue: at a
// Go function's entry, the stack check re-runs the entry after a stack
// growth or a preemption, and the floor would count calls that were not
// made). On the Go program the floor follows every thread but stops none
// while one steps: a correct debugger must keep the others from running
// through the address while the byte is out (hwdbg stops them, or
// emulates the instruction and never takes the byte out), and only one
// goroutine calls the function, so the floor can skip that. It is a lower
// bound, and the fair floor for a program with threads.
//
// Per-hit cost is (time(N) - time(0)) / N, the best of R runs each, so
// start-up is left out.
//
// Start-up: the time to a watchpoint set on a global of a big Go binary
// and of a big C binary (generated, bigc.go), against gdb, and hwdbg's
// peak memory as a ratio to the binary's size. Setting a watchpoint
// writes the debug registers but needs no trap, so this runs everywhere.
//
// HWDBG_SIMULATE_NO_TRAPS=1 makes hwdbg's trap probe (and so `hwdbg
// doctor`) see no trap on a machine whose traps work: it tests the "not
// measurable here" path.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	n := flag.Int("n", 100000, "watchpoint hits per run")
	gdbN := flag.Int("gdb-n", 10000, "watchpoint hits per gdb run (gdb is slow)")
	breakN := flag.Int("break-n", 10000, "breakpoint hits per run (each costs a stop, a step and a resume)")
	gdbBreakN := flag.Int("gdb-break-n", 3000, "breakpoint hits per gdb run")
	runs := flag.Int("runs", 9, "runs per measurement; the best counts")
	traceN := flag.Int("trace-n", 100000, "writes per run of the non-stop tracing row")
	rows := flag.String("rows", "watch,kernel,break,trace,startup,first", "the rows to run (comma-separated)")
	dir := flag.String("dir", "", "build the programs into DIR and keep them (default: a temporary directory, removed at the end)")
	prebuilt := flag.Bool("prebuilt", false, "build nothing: run the programs an earlier run left in -dir")
	flag.BoolVar(&withGdb, "gdb", true, "measure gdb too, when installed")
	flag.Parse()
	want := map[string]bool{}
	for _, r := range strings.Split(*rows, ",") {
		switch r = strings.TrimSpace(r); r {
		case "": // -rows "" builds the programs and runs nothing
		case "watch", "kernel", "break", "trace", "startup", "first":
			want[r] = true
		default:
			fmt.Fprintf(os.Stderr, "bench: -rows: no row %q (watch, kernel, break, trace, startup, first)\n", r)
			os.Exit(2)
		}
	}
	if *prebuilt && *dir == "" {
		fmt.Fprintln(os.Stderr, "bench: -prebuilt needs -dir, the directory an earlier run built the programs into")
		os.Exit(2)
	}
	if !bench(*dir, *prebuilt, *n, *gdbN, *breakN, *gdbBreakN, *traceN, *runs, want) {
		os.Exit(1)
	}
}

// bench builds everything (into dir, or a temporary directory when dir is
// empty; nothing when prebuilt) and runs the rows asked for. A row that
// fails is reported on stderr and the others still run; it returns false
// if any failed.
func bench(dir string, prebuilt bool, n, gdbN, breakN, gdbBreakN, traceN, runs int, rows map[string]bool) bool {
	// The scripts and generated sources go to a scratch directory of
	// their own: in the emulated kernel, -dir is on the read-only /.
	scratch, err := os.MkdirTemp("", "hwdbg-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return false
	}
	defer os.RemoveAll(scratch)
	if dir == "" {
		dir = scratch
	} else if err = os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return false
	}
	ok := true
	fail := func(what string, err error) {
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: %s: %v\n", what, err)
			ok = false
		}
	}
	b, err := build(dir, prebuilt)
	if b != nil {
		b.scratch = scratch
	}
	if err != nil {
		fail("build", err)
		return false
	}
	if rows["watch"] {
		fail("watchpoint hit loop", b.watchLoop(n, gdbN, runs))
	}
	if rows["kernel"] {
		fail("in-kernel filtering", b.kernelLoop(n, gdbN, runs))
	}
	if rows["break"] {
		fail("breakpoint stop loop", b.breakLoop(breakN, gdbBreakN, runs))
	}
	if rows["trace"] {
		fail("non-stop tracing", b.traceLoop(traceN, runs))
	}
	if rows["startup"] {
		fail("startup", b.startup(runs))
	}
	if rows["first"] {
		fail("first watch", b.firstWatch(runs))
	}
	return ok
}

// needTraps says whether this machine delivers debug-register traps; when
// it does not (or cannot tell), it prints title and each row as not
// measurable here.
func (b *bins) needTraps(title string, rows ...string) (bool, error) {
	delivered, seen, err := b.traps()
	if err == nil && delivered {
		return true, nil
	}
	fmt.Printf("%s\n\n", title)
	why := notMeasurable
	if err != nil {
		why = "not measurable: cannot tell whether debug-register traps are delivered (hwdbg doctor failed)"
	}
	for _, row := range rows {
		fmt.Printf("  %-44s %s\n", row, why)
	}
	if err == nil {
		fmt.Printf("  (hwdbg doctor --json: %s)\n", seen)
	}
	return false, err
}

// watchLoop is the watchpoint hit loop: floor, hwdbg and gdb, when this
// machine delivers debug-register traps.
func (b *bins) watchLoop(n, gdbN, runs int) error {
	const (
		floorRow = "floor (C: waitpid + PTRACE_CONT)"
		hwdbgRow = "hwdbg commands silent+continue"
		gdbRow   = "gdb commands silent+continue"
	)
	if ok, err := b.needTraps("watchpoint hit loop (needs debug-register traps)", floorRow, hwdbgRow, gdbRow); !ok {
		return err
	}
	fmt.Printf("watchpoint hit loop (%s): %d hits a run, best of %d runs, per-hit cost = (t(N) - t(0)) / N\n\n", where(), n, runs)
	addr, err := symbolAddr(b.hot, "counter")
	if err != nil {
		return err
	}
	script := filepath.Join(b.scratch, "watch.hwdbg")
	if err := os.WriteFile(script, []byte("watch -w &counter\ncommands 1\nsilent\ncontinue\nend\ncontinue\ninfo watchpoints\n"), 0o644); err != nil {
		return err
	}
	gdbScript := filepath.Join(b.scratch, "watch.gdb")
	if err := os.WriteFile(gdbScript, []byte("set pagination off\nwatch counter\ncommands 1\nsilent\ncontinue\nend\nrun\ninfo watchpoints\n"), 0o644); err != nil {
		return err
	}
	floorHit, err := perHit(n, runs, func(k int) *exec.Cmd {
		return exec.Command(b.floor, fmt.Sprintf("%#x", addr), b.hot, strconv.Itoa(k))
	}, floorHits, 0)
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	fmt.Printf("  %-44s %8.2f us/hit\n", floorRow, us(floorHit))
	// The stop loop is the ptrace engine's: by default silent+continue
	// goes to the kernel engine where there is one, which never stops.
	hwdbgWith := func(engine string) func(k int) *exec.Cmd {
		return func(k int) *exec.Cmd {
			c := exec.Command(b.hwdbg, "-q", "--json", "--batch", "-x", script, b.hot, strconv.Itoa(k))
			c.Env = append(os.Environ(), "HWDBG_ENGINE="+engine)
			return c
		}
	}
	hwHit, err := perHit(n, runs, hwdbgWith("ptrace"), hwdbgHits, 0)
	if err != nil {
		return fmt.Errorf("hwdbg: %w", err)
	}
	fmt.Printf("  %-44s %8.2f us/hit   %.2fx the floor (goal <= 1.3x)\n", hwdbgRow+" (ptrace)", us(hwHit), ratio(hwHit, floorHit))
	kernHit, kernErr := perHit(n, runs, hwdbgWith("auto"), hwdbgHits, 0)
	if kernErr == nil {
		fmt.Printf("  %-44s %8.2f us/hit   %.2fx the floor (counted in the kernel where it can: no stop per hit)\n", hwdbgRow+" (default)", us(kernHit), ratio(kernHit, floorHit))
	}
	if !haveGdb() {
		fmt.Printf("  gdb: not installed (or -gdb=false), no comparison\n")
		return nil
	}
	// gdb counts only the writes that change the value: hot's first
	// write stores 0 over 0 (the trap is still taken, and timed).
	gdbHit, err := perHit(gdbN, min(runs, 3), func(k int) *exec.Cmd {
		return exec.Command("gdb", "-q", "-batch", "-nx", "-x", gdbScript, "--args", b.hot, strconv.Itoa(k))
	}, gdbHits, 1)
	if err != nil {
		return fmt.Errorf("gdb: %w", err)
	}
	fmt.Printf("  %-44s %8.2f us/hit   hwdbg on ptrace is %.1fx faster (goal >= 3x)", gdbRow, us(gdbHit), ratio(gdbHit, hwHit))
	if kernErr == nil {
		fmt.Printf(", by default %.1fx", ratio(gdbHit, kernHit))
	}
	fmt.Println()
	return nil
}

// breakLoop is the software-breakpoint stop loop: a breakpoint on a
// function called N times, with commands silent+continue, against the
// int3 floor and gdb, in a C and in a Go program. It needs no
// debug-register trap.
func (b *bins) breakLoop(n, gdbN, runs int) error {
	fmt.Printf("\nsoftware-breakpoint stop loop: break on a function called N times, %d hits a run, best of %d runs, per-hit cost = (t(N) - t(0)) / N\n", n, runs)
	err := b.breakRow("C program (floor/calls.c)", b.calls, "tick", 1.3, n, gdbN, runs)
	if gerr := b.breakRow("Go program (floor/gocalls)", b.gocalls, "main.tick", 1.5, n, gdbN, runs); err == nil {
		err = gerr
	}
	return err
}

// breakRow is the stop loop on one program: `break fn` in bin, whose
// argument is how many calls it makes.
func (b *bins) breakRow(what, bin, fn string, goal float64, n, gdbN, runs int) error {
	fmt.Printf("\n  %s, break %s\n", what, fn)
	addr, err := b.breakAddr(bin, fn)
	if err != nil {
		return err
	}
	script := filepath.Join(b.scratch, "break.hwdbg")
	if err := os.WriteFile(script, []byte("break "+fn+"\ncommands 1\nsilent\ncontinue\nend\ncontinue\ninfo breakpoints\n"), 0o644); err != nil {
		return err
	}
	gdbScript := filepath.Join(b.scratch, "break.gdb")
	if err := os.WriteFile(gdbScript, []byte("set pagination off\nbreak "+fn+"\ncommands 1\nsilent\ncontinue\nend\nrun\ninfo breakpoints\n"), 0o644); err != nil {
		return err
	}
	floorHit, err := perHit(n, runs, func(k int) *exec.Cmd {
		return exec.Command(b.int3, fmt.Sprintf("%#x", addr), bin, strconv.Itoa(k))
	}, floorHits, 0)
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	fmt.Printf("    %-42s %8.2f us/hit\n", "floor (C: int3, restore, step, re-insert)", us(floorHit))
	hwHit, err := perHit(n, runs, func(k int) *exec.Cmd {
		return exec.Command(b.hwdbg, "-q", "--json", "--batch", "-x", script, bin, strconv.Itoa(k))
	}, hwdbgHits, 0)
	if err != nil {
		return fmt.Errorf("hwdbg: %w", err)
	}
	fmt.Printf("    %-42s %8.2f us/hit   %.2fx the floor (goal <= %.1fx)\n", "hwdbg break + commands silent+continue", us(hwHit), ratio(hwHit, floorHit), goal)
	if !haveGdb() {
		fmt.Printf("    gdb: not installed (or -gdb=false), no comparison\n")
		return nil
	}
	// gdb counts a few calls twice in the Go program: a signal (the Go
	// runtime's SIGURG) during its step over the breakpoint.
	over := 0
	gdbHit, err := perHitOver(gdbN, min(runs, 3), func(k int) *exec.Cmd {
		return exec.Command("gdb", "-q", "-batch", "-nx", "-x", gdbScript, "--args", bin, strconv.Itoa(k))
	}, gdbHits, 0, &over)
	if err != nil {
		return fmt.Errorf("gdb: %w", err)
	}
	fmt.Printf("    %-42s %8.2f us/hit   %.2fx the floor; hwdbg is %.1fx faster\n", "gdb break + commands silent+continue", us(gdbHit), ratio(gdbHit, floorHit), ratio(gdbHit, hwHit))
	if over > 0 {
		fmt.Printf("    (gdb counted up to %d hits more than the %d calls made)\n", over, gdbN)
	}
	return nil
}

// breakAddr asks the hwdbg just built where `break fn` goes in bin (a
// non-PIE program: the address is the same in every run).
func (b *bins) breakAddr(bin, fn string) (uint64, error) {
	c := exec.Command(b.hwdbg, "-q", "--json", "--batch", "-ex", "break "+fn, bin)
	out, err := c.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("%v: %v\n%s", c.Args, err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		var r struct {
			Event   string `json:"event"`
			Command string `json:"command"`
			Addr    string `json:"addr"`
		}
		if json.Unmarshal([]byte(line), &r) == nil && r.Event == "result" && r.Command == "break" {
			return strconv.ParseUint(strings.TrimPrefix(r.Addr, "0x"), 16, 64)
		}
	}
	return 0, fmt.Errorf("%v: no break result\n%s", c.Args, out)
}

// startup measures, on a big Go binary with DWARF (the Go compiler,
// built here) and on a big C binary with DWARF (generated, bigc.go), the
// time from starting hwdbg on it to a watchpoint set on a global, and
// hwdbg's peak memory, against gdb setting the same watch.
func (b *bins) startup(runs int) error {
	bigC, err := buildBigC(b.scratch)
	if err != nil {
		return fmt.Errorf("build the C program: %w", err)
	}
	fmt.Printf("\nstartup: start the program, set a watchpoint on a global, leave; best of %d, peak memory as a ratio to the binary's size\n", runs)
	rows := []struct {
		what, bin, watch, gdbWatch string
	}{
		{"Go binary with DWARF (cmd/compile)", b.big, "&os.Args", "'os.Args'"},
		{"C binary with DWARF (generated, gcc -g)", bigC, "&" + bigCWatched, bigCWatched},
	}
	for _, r := range rows {
		if err := b.startupRow(runs, r.what, r.bin, r.watch, r.gdbWatch); err != nil {
			return err
		}
	}
	return nil
}

// startupRow is one binary's start-up: hwdbg, then gdb when installed.
func (b *bins) startupRow(runs int, what, bin, watch, gdbWatch string) error {
	st, err := os.Stat(bin)
	if err != nil {
		return err
	}
	size := float64(st.Size())
	fmt.Printf("\n  on a %.1f MB %s\n", size/1e6, what)
	hw, rss, err := bestRun(runs, func() *exec.Cmd {
		return exec.Command(b.hwdbg, "-q", "--batch", "-ex", "watch -w "+watch, bin)
	}, "Watchpoint 1: -w "+watch)
	if err != nil {
		return fmt.Errorf("hwdbg: %w", err)
	}
	fmt.Printf("  %-44s %8.1f ms   (goal <= 100 ms); peak memory %.1f MB, %.2fx the binary's size (goal < 1)\n",
		"hwdbg BIN; watch -w "+watch, ms(hw), float64(rss)/1e6, float64(rss)/size)
	if !haveGdb() {
		fmt.Printf("  gdb: not installed (or -gdb=false), no comparison\n")
		return nil
	}
	g, grss, err := bestRun(runs, func() *exec.Cmd {
		return exec.Command("gdb", "-batch", "-nx", "-ex", "watch "+gdbWatch, bin)
	}, "atchpoint 1")
	if err != nil {
		return fmt.Errorf("gdb: %w", err)
	}
	fmt.Printf("  %-44s %8.1f ms   hwdbg takes %.2fx gdb's time; gdb's peak memory %.1f MB, %.2fx the binary's size\n",
		"gdb -batch -ex \"watch "+gdbWatch+"\" BIN", ms(g), ratio(hw, g), float64(grss)/1e6, float64(grss)/size)
	return nil
}

// firstWatch measures what a session's first watchpoint adds to it: the
// trap probe (a scratch child whose armed slot must trap), run once per
// session. It is t(start, watch, leave) - t(start, print the same
// address, leave), best of runs each, on a small program. It needs no
// trap: where they are not delivered the probe still runs, and sees none.
func (b *bins) firstWatch(runs int) error {
	runs = max(runs, 15)
	fmt.Printf("\nfirst watchpoint of a session (the trap probe, once a session): t(watch) - t(print), best of %d\n\n", runs)
	watch, _, err := bestRun(runs, func() *exec.Cmd {
		return exec.Command(b.hwdbg, "-q", "--batch", "-ex", "watch -w &counter", "-ex", "kill", b.hot, "0")
	}, "Watchpoint 1: -w &counter")
	if err != nil {
		return fmt.Errorf("hwdbg: %w", err)
	}
	print, _, err := bestRun(runs, func() *exec.Cmd {
		return exec.Command(b.hwdbg, "-q", "--batch", "-ex", "print &counter", "-ex", "kill", b.hot, "0")
	}, "counter")
	if err != nil {
		return fmt.Errorf("hwdbg: %w", err)
	}
	fmt.Printf("  %-44s %8.2f ms   (goal < 5 ms; the session: %.1f ms)\n", "hwdbg watch -w &counter (probe included)", ms(watch-print), ms(watch))
	return nil
}

// withGdb is -gdb: measure gdb too.
var withGdb = true

// haveGdb says whether gdb is to be measured: asked for and installed.
func haveGdb() bool {
	_, err := exec.LookPath("gdb")
	return withGdb && err == nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }

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

// perHit times cmd(n) and cmd(0), best of runs each, and returns the
// cost of one hit. hits reads, from a run's output, how many hits the
// tool counted: every run must have counted the k hits it was given
// (less uncounted, hits the tool takes but by design does not count), or
// the time is not the time of those hits and is refused.
func perHit(n, runs int, cmd func(int) *exec.Cmd, hits func(out string) (int, error), uncounted int) (time.Duration, error) {
	return perHitOver(n, runs, cmd, hits, uncounted, nil)
}

// perHitOver is perHit for a tool that may count a hit more than once
// (gdb on a program with threads): with over not nil, a run may count
// more hits than it was given, and *over is the most extra hits a run
// counted. The time is still that of the hits the program made.
func perHitOver(n, runs int, cmd func(int) *exec.Cmd, hits func(out string) (int, error), uncounted int, over *int) (time.Duration, error) {
	wall, _, err := perHitTimes(n, runs, cmd, hits, uncounted, over)
	return wall, err
}

// perHitTimes is perHitOver's measure, in wall time and in CPU time (user
// and system, of the command and the children it waited for: the
// program and its tracer), the best of runs each.
func perHitTimes(n, runs int, cmd func(int) *exec.Cmd, hits func(out string) (int, error), uncounted int, over *int) (wall, cpu time.Duration, err error) {
	if n <= 0 {
		return 0, 0, fmt.Errorf("%d hits a run: need at least one", n)
	}
	best := func(k int) (time.Duration, time.Duration, error) {
		var b, bc time.Duration
		for i := 0; i < runs; i++ {
			c := cmd(k)
			start := time.Now()
			out, err := c.CombinedOutput()
			el := time.Since(start)
			if err != nil {
				return 0, 0, fmt.Errorf("%v: %v\n%s", c.Args, err, out)
			}
			got, err := hits(string(out))
			if err != nil {
				return 0, 0, fmt.Errorf("%v: %v\n%s", c.Args, err, out)
			}
			want := max(k-uncounted, 0)
			if over != nil && got > want {
				*over = max(*over, got-want)
				got = want
			}
			if got != want {
				return 0, 0, fmt.Errorf("%v: counted %d hits, not %d (the program made %d, %d of which the tool does not count)\n%s",
					c.Args, got, want, k, min(k, uncounted), out)
			}
			used := c.ProcessState.UserTime() + c.ProcessState.SystemTime()
			if i == 0 || el < b {
				b = el
			}
			if i == 0 || used < bc {
				bc = used
			}
		}
		return b, bc, nil
	}
	t0, c0, err := best(0)
	if err != nil {
		return 0, 0, err
	}
	tn, cn, err := best(n)
	if err != nil {
		return 0, 0, err
	}
	if tn <= t0 {
		// Noise larger than n hits: no cost was measured.
		return 0, 0, fmt.Errorf("%d hits took no longer than 0 (%v against %v): too few hits to measure; raise the count", n, tn, t0)
	}
	return (tn - t0) / time.Duration(n), max(cn-c0, 0) / time.Duration(n), nil
}

var floorHitsLine = regexp.MustCompile(`(?m)^(\d+) hits$`)

// floorHits reads the "N hits" line floor.c and int3.c print at the end.
func floorHits(out string) (int, error) {
	m := floorHitsLine.FindStringSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf(`no "N hits" line`)
	}
	return strconv.Atoi(m[1])
}

// hwdbgHits reads the hit count of watch/breakpoint 1 from the result of
// the script's final `info watchpoints` (or `info breakpoints`) in
// hwdbg's --json output.
func hwdbgHits(out string) (int, error) {
	w, err := watchpointOne(out)
	return w.Hits, err
}

// listedWatchpoint is watch/breakpoint 1 as hwdbg's info watchpoints
// lists it in JSON.
type listedWatchpoint struct {
	ID        int    `json:"id"`
	Hits      int    `json:"hits"`
	Engine    string `json:"engine"`
	EngineWhy string `json:"engine_why"`
}

// watchpointOne finds watch/breakpoint 1 in the result of the script's
// final info watchpoints.
func watchpointOne(out string) (listedWatchpoint, error) {
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r struct {
			Event       string             `json:"event"`
			Watchpoints []listedWatchpoint `json:"watchpoints"`
		}
		if json.Unmarshal(sc.Bytes(), &r) != nil || r.Event != "result" || r.Watchpoints == nil {
			continue
		}
		for _, w := range r.Watchpoints {
			if w.ID == 1 {
				return w, nil
			}
		}
	}
	return listedWatchpoint{}, fmt.Errorf("no info watchpoints result with watch/breakpoint 1")
}

var gdbHitsLine = regexp.MustCompile(`already hit (\d+) times?`)

// gdbHits reads the hit count from the script's final `info watchpoints`
// (or `info breakpoints`): gdb prints "breakpoint already hit N times",
// or nothing when N is 0; it must still list the watch/breakpoint.
func gdbHits(out string) (int, error) {
	m := gdbHitsLine.FindStringSubmatch(out)
	if m == nil {
		if !strings.Contains(out, "Num ") {
			return 0, fmt.Errorf("no info breakpoints table")
		}
		return 0, nil
	}
	return strconv.Atoi(m[1])
}

func symbolAddr(bin, sym string) (uint64, error) {
	out, err := exec.Command("nm", bin).Output()
	if err != nil {
		return 0, fmt.Errorf("nm %s: %w", bin, err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[2] == sym {
			return strconv.ParseUint(f[0], 16, 64)
		}
	}
	return 0, fmt.Errorf("no %s in %s", sym, bin)
}
