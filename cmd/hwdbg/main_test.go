package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"hwdbg/internal/fixture"
)

// The tests here drive the real hwdbg binary against real programs from
// testdata, with the real CPU debug registers.

var hwdbgBin string

// testHome is the HOME of the hwdbg runScript runs: empty, so that no
// ~/.hwdbginit of whoever runs the tests changes what they see.
var testHome string

func TestMain(m *testing.M) {
	code := func() int {
		home, err := os.MkdirTemp("", "hwdbg-home-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(home)
		testHome = home
		if p := os.Getenv("HWDBG_BIN"); p != "" {
			hwdbgBin = p
			return m.Run()
		}
		dir, err := os.MkdirTemp("", "hwdbg-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		hwdbgBin = filepath.Join(dir, "hwdbg")
		out, err := exec.Command("go", "build", "-o", hwdbgBin, ".").CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "building hwdbg: %v\n%s", err, out)
			return 1
		}
		return m.Run()
	}()
	fixture.Cleanup()
	os.Exit(code)
}

// result is one hwdbg run.
type result struct {
	events []map[string]any // JSON lines
	text   []string         // other stdout lines (the program's own output)
	stdout string           // stdout as it came
	stderr string
	code   int
}

// byEvent returns the events of one kind.
func (r result) byEvent(kind string) []map[string]any {
	var out []map[string]any
	for _, e := range r.events {
		if e["event"] == kind {
			out = append(out, e)
		}
	}
	return out
}

// results returns the result objects of one command.
func (r result) results(command string) []map[string]any {
	var out []map[string]any
	for _, e := range r.byEvent("result") {
		if e["command"] == command {
			out = append(out, e)
		}
	}
	return out
}

// listed is the info watchpoints entry of the last such command, by
// position (nil when there is none).
func (r result) listed(i int) map[string]any {
	res := r.results("info watchpoints")
	if len(res) == 0 {
		return nil
	}
	wps := res[len(res)-1]["watchpoints"].([]any)
	if i >= len(wps) {
		return nil
	}
	return wps[i].(map[string]any)
}

// output is where the program's own output can be: stdout's lines that are
// not JSON, and stderr, where --json sends the program's standard output
// when hwdbg's is not a terminal (as in these tests).
func (r result) output() string { return strings.Join(r.text, "\n") + "\n" + r.stderr }

func (r result) String() string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // as hwdbg writes them
	for _, e := range r.events {
		enc.Encode(e)
	}
	for _, t := range r.text {
		b.WriteString("| " + t + "\n")
	}
	b.WriteString("stderr: " + r.stderr)
	return b.String()
}

// scriptTimeout bounds one hwdbg run: a minute natively, three in an
// emulated kernel (ARM64_VM, HWDBG_AMD64_VM), where every trap costs 20-50
// times more and the 10000-hit tests take 45 s on a busy 2-core host.
var scriptTimeout = map[bool]time.Duration{false: time.Minute, true: 3 * time.Minute}[os.Getenv("ARM64_VM") == "1" || os.Getenv("HWDBG_AMD64_VM") == "1"]

// hwdbg runs the binary with a script on stdin, in JSON mode.
func hwdbg(t *testing.T, script string, args ...string) result {
	t.Helper()
	return runScript(t, script, append([]string{"--json", "-q"}, args...)...)
}

func runScript(t *testing.T, script string, args ...string) result {
	t.Helper()
	return runScriptEnv(t, []string{"HOME=" + testHome}, script, args...)
}

// runScriptEnv is runScript with env added to the environment hwdbg runs
// in.
func runScriptEnv(t *testing.T, env []string, script string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, hwdbgBin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(script)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("hwdbg %v timed out\nstdout:\n%s\nstderr:\n%s", args, stdout.String(), stderr.String())
	}
	r := result{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
	if err != nil && r.code < 0 {
		t.Fatalf("hwdbg %v: %v", args, err)
	}
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 1<<22)
	for sc.Scan() {
		line := sc.Text()
		var obj map[string]any
		if strings.HasPrefix(line, "{") && json.Unmarshal([]byte(line), &obj) == nil {
			r.events = append(r.events, obj)
		} else {
			r.text = append(r.text, line)
		}
	}
	if strings.Contains(r.stderr, "panic:") || strings.Contains(r.stderr, "goroutine ") {
		t.Fatalf("hwdbg panicked:\n%s", r.stderr)
	}
	return r
}

func hexArg(t *testing.T, v any) uint64 {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("not a hex string: %v", v)
	}
	n, err := strconv.ParseUint(strings.TrimPrefix(s, "0x"), 16, 64)
	if err != nil {
		t.Fatalf("bad hex %q", s)
	}
	return n
}

// nmAddr is a symbol's link-time address from nm.
func nmAddr(t *testing.T, bin, sym string) uint64 {
	t.Helper()
	out := fixture.Tool(t, "nm", bin)
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[2] == sym {
			n, _ := strconv.ParseUint(f[0], 16, 64)
			return n
		}
	}
	t.Fatalf("nm: no %s in %s", sym, bin)
	return 0
}

func TestBankHitReport(t *testing.T) {
	needTraps(t)
	for _, v := range []fixture.Variant{fixture.PIE, fixture.NoPIE} {
		t.Run(string(v), func(t *testing.T) {
			bin := fixture.C(t, "bank", v)
			r := hwdbg(t, "watch -w &balance\n"+strings.Repeat("continue\n", 6), bin)
			if r.code != 0 {
				t.Fatalf("exit %d\n%s", r.code, r)
			}
			hits := r.byEvent("watchpoint")
			if len(hits) != 5 {
				t.Fatalf("want 5 hits, got %d\n%s", len(hits), r)
			}
			wantOld := []string{"100", "90", "80", "75", "70"}
			wantNew := []string{"90", "80", "75", "70", "1094795585"}
			for i, h := range hits {
				if h["old"] != wantOld[i] || h["new"] != wantNew[i] {
					t.Errorf("hit %d: old %v new %v, want %s -> %s", i+1, h["old"], h["new"], wantOld[i], wantNew[i])
				}
				if h["slot"] != slotName(0) || h["access"] != "write" || h["id"] != float64(1) || h["len"] != float64(8) {
					t.Errorf("hit %d: %v", i+1, h)
				}
			}
			// The accessing instruction, as objdump sees it, moved by the
			// load bias (the run-time minus the link-time address of balance).
			bias := hexArg(t, hits[0]["addr"]) - nmAddr(t, bin, "balance")
			if v == fixture.NoPIE && bias != 0 {
				t.Errorf("non-PIE bias %#x, want 0", bias)
			}
			want := objdumpStore(t, bin, "withdraw", "balance") + bias
			if pc := hexArg(t, hits[0]["pc"]); pc != want {
				t.Errorf("accessing instruction at %#x, objdump says %#x", pc, want)
			}
			if hits[0]["func"] != "withdraw" || !strings.HasPrefix(hits[0]["insn"].(string), withdrawStore) {
				t.Errorf("first hit: %v", hits[0])
			}
			last := hits[4]
			if last["func"] != "auditor" || last["insn"] != auditorStore {
				t.Errorf("corrupting write: %v", last)
			}
			if hits[0]["tid"] == last["tid"] {
				t.Errorf("teller and auditor reported as the same thread %v", last["tid"])
			}
			exits := r.byEvent("exit")
			if len(exits) != 1 || exits[0]["status"] != float64(0) {
				t.Errorf("exit events %v", exits)
			}
		})
	}
}

// TestTextReport checks the hit report's text form against SPEC's shape.
func TestTextReport(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "bank", fixture.PIE)
	r := runScript(t, "watch -w &balance\ncontinue\n", "-q", bin)
	out := strings.Join(r.text, "\n")
	re := regexp.MustCompile(`Watchpoint 1 hit: -w &balance \(8 bytes at 0x[0-9a-f]+\), thread \d+, slot ` + slotName(0) + `\n  old = 100\n  new = 90\n  by 0x[0-9a-f]+ ` + textReportBy)
	if !re.MatchString(out) {
		t.Fatalf("hit report does not match SPEC's form:\n%s\n%s", out, r.stderr)
	}
}

func TestThreadsOneWriter(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "threads", fixture.PIE)
	r := hwdbg(t, "watch -w &target\ncontinue\ncontinue\n", bin)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	hits := r.byEvent("watchpoint")
	if len(hits) != 1 {
		t.Fatalf("want 1 hit (the one writer), got %d\n%s", len(hits), r)
	}
	m := regexp.MustCompile(`writer tid (\d+)`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("the program did not print its writer's tid\n%s", r)
	}
	if tid := fmt.Sprint(hits[0]["tid"]); tid != m[1] {
		t.Errorf("hit reported on thread %s, the writer is %s", tid, m[1])
	}
	if hits[0]["old"] != "1" || hits[0]["new"] != "42" || hits[0]["func"] != "write_target" {
		t.Errorf("hit: %v", hits[0])
	}
	if e := r.byEvent("exit"); len(e) != 1 || e[0]["status"] != float64(0) {
		t.Errorf("exit: %v", e)
	}
}

func TestFifthSlotRefused(t *testing.T) {
	bin := fixture.C(t, "access", fixture.PIE)
	r := hwdbg(t, "watch &a1\nwatch &a2\nwatch &a3\nwatch &a4\nwatch &a5\ninfo watchpoints\n", bin)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (a failed scripted command)\n%s", r.code, r)
	}
	errs := r.byEvent("error")
	if len(errs) != 1 {
		t.Fatalf("want one error, got %v", errs)
	}
	want := fmt.Sprintf("not enough hardware slots: needs 1, 0 free: %s held by 1, %s by 2, %s by 3, %s by 4", slotName(0), slotName(1), slotName(2), slotName(3))
	if msg := errs[0]["message"].(string); !strings.HasPrefix(msg, want) {
		t.Errorf("error %q, want it to start with %q", msg, want)
	}
	if len(r.byEvent("result")) != 4 {
		t.Errorf("the four watches before it should have succeeded\n%s", r)
	}
	// A range that needs more slots than are free names the holders of
	// runs of slots.
	r = hwdbg(t, "watch &a1\nwatch &buf -s 16\nwatch (char*)&buf + 20 -s 12\n", bin)
	errs = r.byEvent("error")
	if len(errs) != 1 || !strings.Contains(errs[0]["message"].(string), fmt.Sprintf("needs 2, 1 free: %s held by 1, %s-%s by 2", slotName(0), slotName(1), slotName(2))) {
		t.Errorf("want the plan in the refusal, got %v\n%s", errs, r)
	}
}

func TestIdenticalPiecesShareASlot(t *testing.T) {
	bin := fixture.C(t, "access", fixture.PIE)
	// &buf -s 16 is buf+0 and buf+8 (8 bytes each); buf+4 -s 12 is buf+4
	// (4 bytes) and buf+8 (8 bytes): the second piece shares DR1.
	r := hwdbg(t, "watch &buf -s 16\nwatch (char*)&buf + 4 -s 12\ninfo slots\n", bin)
	res := r.byEvent("result")
	if len(res) != 3 {
		t.Fatalf("results: %s", r)
	}
	if got, want := fmt.Sprint(res[1]["slots"]), fmt.Sprintf("[%s %s]", slotName(2), slotName(1)); got != want {
		t.Errorf("second watch slots %s: want DR2 new and DR1 shared", got)
	}
	for tid, rows := range res[2]["slots"].(map[string]any) {
		dr1 := rows.([]any)[1].(map[string]any)
		if fmt.Sprint(dr1["owners"]) != "[1 2]" || dr1["len"] != float64(8) {
			t.Errorf("thread %s DR1: %v, want shared by 1 and 2", tid, dr1)
		}
	}
}

func TestMisalignedWideRange(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "access", fixture.PIE)
	r := hwdbg(t, "watch (char*)&buf + 4 -s 12\ninfo watchpoints\n"+strings.Repeat("continue\n", 4), bin)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	res := r.byEvent("result")
	if len(res) < 2 {
		t.Fatalf("no results\n%s", r)
	}
	if slots := fmt.Sprint(res[0]["slots"]); slots != fmt.Sprintf("[%s %s]", slotName(0), slotName(1)) {
		t.Errorf("12 bytes at an address 4 mod 8 should take 2 slots (4+8 bytes), got %s", slots)
	}
	wps := res[1]["watchpoints"].([]any)
	covers := wps[0].(map[string]any)["covers"].([]any)
	if len(covers) != 2 || covers[0].(map[string]any)["len"] != float64(4) || covers[1].(map[string]any)["len"] != float64(8) {
		t.Errorf("covers %v", covers)
	}
	hits := r.byEvent("watchpoint")
	if len(hits) != 3 {
		t.Fatalf("want 3 hits (bytes 4, 10, 15), got %d\n%s", len(hits), r)
	}
	wantSlot := []string{slotName(0), slotName(1), slotName(1)}
	for i, h := range hits {
		if h["func"] != "write_byte" || h["slot"] != wantSlot[i] {
			t.Errorf("hit %d: %v", i, h)
		}
	}
}

func TestReadWatchIgnoresWrites(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "access", fixture.PIE)
	r := hwdbg(t, "rwatch &val\n"+strings.Repeat("continue\n", 4), bin)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	hits := r.byEvent("watchpoint")
	// Reads: do_read twice and main's printf argument. Writes, including
	// a same-value write, are not reads.
	var reads []string
	for _, h := range hits {
		reads = append(reads, h["func"].(string))
		if h["access"] != "read" || h["old"] != h["new"] {
			t.Errorf("read hit: %v", h)
		}
	}
	if got := strings.Join(reads, " "); got != "do_read do_read main" {
		t.Fatalf("read hits in %q, want do_read do_read main\n%s", got, r)
	}
	r = hwdbg(t, "awatch &val\n"+strings.Repeat("continue\n", 7), bin)
	hits = r.byEvent("watchpoint")
	var funcs []string
	for _, h := range hits {
		funcs = append(funcs, h["func"].(string))
	}
	if got := strings.Join(funcs, " "); got != "do_write same_write do_read do_write do_read main" {
		t.Errorf("awatch hits: %s\n%s", got, r)
	}
}

func TestStepiOntoWatchedWrite(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "access", fixture.PIE)
	// *do_write: its first instruction, before the prologue.
	r := hwdbg(t, "watch -w &val\nhbreak *do_write\ncontinue\n"+strings.Repeat("stepi\n", stepsBeforeStore+1), bin)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	bps := r.byEvent("breakpoint")
	if len(bps) != 1 || bps[0]["func"] != "do_write" {
		t.Fatalf("want the hardware breakpoint at do_write, got %v\n%s", bps, r)
	}
	// do_write makes stepsBeforeStore steps, then stores to val.
	hits := r.byEvent("watchpoint")
	if len(hits) != 1 || hits[0]["old"] != "5" || hits[0]["new"] != "7" || hits[0]["func"] != "do_write" {
		t.Fatalf("stepi %d writes val: want its hit, got %v\n%s", stepsBeforeStore+1, hits, r)
	}
	if steps := r.byEvent("stop"); len(steps) != stepsBeforeStore {
		t.Errorf("want %d plain steps before the hit, got %v", stepsBeforeStore, steps)
	}
}

func TestForkedChildRunsOn(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "forker", fixture.PIE)
	r := hwdbg(t, "watch -w &watched\ncontinue\ncontinue\n", bin)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	if !strings.Contains(r.output(), "child exited 0") {
		t.Errorf("the forked child did not exit normally\n%s", r)
	}
	hits := r.byEvent("watchpoint")
	if len(hits) != 1 || hits[0]["old"] != "1" || hits[0]["new"] != "2" {
		t.Errorf("only the parent's write is ours: %v\n%s", hits, r)
	}
}

func TestProgramSignalHandlersRun(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "signals", fixture.PIE)
	r := hwdbg(t, "watch -w &counter\ncontinue\ncontinue\n", bin)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	if !strings.Contains(r.output(), "usr1 handler ran, chld handler ran") {
		t.Errorf("signal handlers did not run under hwdbg\n%s", r)
	}
	if len(r.byEvent("watchpoint")) != 1 {
		t.Errorf("want 1 hit\n%s", r)
	}
}

func TestCrashReported(t *testing.T) {
	bin := fixture.C(t, "crash", fixture.PIE)
	r := hwdbg(t, "continue\ncontinue\n", bin)
	stops := r.byEvent("stop")
	if len(stops) != 1 || stops[0]["signal"] != "SIGSEGV" || stops[0]["func"] != "main" {
		t.Fatalf("want a SIGSEGV stop in main, got %v\n%s", stops, r)
	}
	if e := r.byEvent("exit"); len(e) != 1 || e[0]["signal"] != "SIGSEGV" {
		t.Errorf("continuing delivers the SIGSEGV: %v", e)
	}
}

func TestBadInput(t *testing.T) {
	bin := fixture.C(t, "access", fixture.PIE)
	long := "print " + strings.Repeat("a", 100*1024)
	cases := []struct {
		name, line, want string
	}{
		{"unknown command", "wach &val", `unknown command "wach" (did you mean awatch, rwatch, watch?)`},
		{"unknown symbol", "watch &vall", `no symbol "vall" in the program (did you mean val`},
		{"kernel address", "watch 0xffffffff81000000 -s 8", "is not a user-space address"},
		{"unmapped", "watch 0x10 -s 8", "not mapped"},
		{"long line", long, "line too long"},
		{"missing expression", "watch", "watch needs an expression"},
		{"missing -s value", "watch &val -s", "-s needs a size"},
		{"missing x address", "x/4x", "x needs an address"},
		{"missing hbreak location", "hbreak", "hbreak needs a location"},
		{"bad number", "delete one", `"one" is not a watch/breakpoint number`},
		{"no such watchpoint", "delete 7", "no watchpoint or breakpoint 7"},
		{"bad expression", "print (val", "missing ')'"},
		{"too big", "watch &val -s 99999999999", "the size must be"},
		{"constant", "watch 1234", "is a value, not memory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runScript(t, c.line+"\ninfo threads\n", "-q", bin)
			if r.code != 1 {
				t.Errorf("exit %d, want 1", r.code)
			}
			var errLines []string
			for _, l := range r.text {
				if strings.HasPrefix(l, "error: ") {
					errLines = append(errLines, l)
				}
			}
			if len(errLines) != 1 || len(r.text) != 1 {
				t.Fatalf("want exactly one line, an error; got %q", r.text)
			}
			if !strings.Contains(errLines[0], c.want) {
				t.Errorf("got %q, want it to contain %q", errLines[0], c.want)
			}
		})
	}
}

func TestInteractiveErrorsKeepSession(t *testing.T) {
	// In a script, a failed command stops the script; with --json the
	// error is an event. Exit statuses: 0 all good, 1 failed, 2 usage.
	bin := fixture.C(t, "access", fixture.PIE)
	if r := hwdbg(t, "info threads\n", bin); r.code != 0 {
		t.Errorf("good script: exit %d", r.code)
	}
	if r := runScript(t, "", "--no-such-flag"); r.code != 2 {
		t.Errorf("usage error: exit %d, want 2", r.code)
	}
	if r := runScript(t, ""); r.code != 2 {
		t.Errorf("no program: exit %d, want 2", r.code)
	}
	r := hwdbg(t, "bogus\ninfo threads\n", bin)
	if r.code != 1 || len(r.byEvent("error")) != 1 || len(r.byEvent("result")) != 0 {
		t.Errorf("the script must stop at the failed command:\n%s", r)
	}
	if e := r.byEvent("error"); len(e) == 1 && e[0]["command"] != "bogus" {
		t.Errorf("error event names the command: %v", e[0])
	}
}

func TestExAndXFiles(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "bank", fixture.PIE)
	f := filepath.Join(t.TempDir(), "cmds")
	os.WriteFile(f, []byte("watch -w &balance\n"), 0o644)
	r := hwdbg(t, "", "--batch", "-x", f, "-ex", "continue", "-ex", "print balance", bin)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	res := r.byEvent("result")
	if len(res) != 2 || res[1]["value"] != "90" {
		t.Errorf("results %v", res)
	}
	if len(r.byEvent("watchpoint")) != 1 {
		t.Errorf("want the hit from -ex continue\n%s", r)
	}
}

func (l *live) send(line string) { fmt.Fprintln(l.in, line) }

// interrupt sends hwdbg SIGINT, as Ctrl-C does, until it reports the
// interrupt stop: under emulation the program may not be running yet when
// the first one comes, and a Ctrl-C at the prompt does nothing. Every
// SIGINT is sent from this goroutine, and again only after
// interruptResend without the stop, so none is still on its way once the
// stop is read: one sent as the stop was being reported would interrupt
// the next continue (which a user's second Ctrl-C rightly does).
func (l *live) interrupt() {
	l.t.Helper()
	deadline := time.Now().Add(scriptTimeout)
	for time.Now().Before(deadline) {
		l.cmd.Process.Signal(os.Interrupt)
		if _, ok := l.awaitWithin(`"reason":"interrupt"`, interruptResend); ok {
			return
		}
	}
	l.t.Fatalf("no interrupt stop within %v:\n%s", scriptTimeout, strings.Join(l.out, "\n"))
}

// interruptResend is how long interrupt waits for the stop before it sends
// SIGINT again: far longer than a stop takes once the program runs, even
// under emulation.
const interruptResend = 3 * time.Second

// await reads the output until a line holds want, and returns that line.
func (l *live) await(want string) string {
	l.t.Helper()
	line, ok := l.awaitWithin(want, scriptTimeout)
	if !ok {
		l.t.Fatalf("no %s within %v:\n%s", want, scriptTimeout, strings.Join(l.out, "\n"))
	}
	return line
}

// awaitWithin reads the output until a line holds want (true) or d has
// passed (false).
func (l *live) awaitWithin(want string, d time.Duration) (string, bool) {
	l.t.Helper()
	timeout := time.After(d)
	for {
		select {
		case line, ok := <-l.lines:
			if !ok {
				l.t.Fatalf("hwdbg ended before %s:\n%s", want, strings.Join(l.out, "\n"))
			}
			l.out = append(l.out, line)
			if strings.Contains(line, want) {
				return line, true
			}
		case <-timeout:
			return "", false
		}
	}
}

// end closes the input and returns hwdbg's exit status and all it printed.
func (l *live) end() (int, string) {
	l.t.Helper()
	l.in.Close()
	done := make(chan error, 1)
	go func() { done <- l.cmd.Wait() }()
	for line := range l.lines {
		l.out = append(l.out, line)
	}
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		l.t.Fatalf("hwdbg did not leave at the end of its input:\n%s", strings.Join(l.out, "\n"))
	}
	return l.cmd.ProcessState.ExitCode(), strings.Join(l.out, "\n")
}

func TestInterruptWhileRunning(t *testing.T) {
	bin := fixture.C(t, "spin", fixture.PIE)
	l := startLive(t, bin)
	// hwdbg is ready for SIGINT once it answers a command.
	l.send("info threads")
	l.await(`"command":"info threads"`)
	l.send("continue")
	time.Sleep(300 * time.Millisecond)
	l.interrupt()
	l.send("info slots")
	l.await(`"command":"info slots"`)
	if code, out := l.end(); code != 0 {
		t.Errorf("exit %d\n%s", code, out)
	}
}

func TestExecReResolvesWatchpoints(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "execer", fixture.PIE)
	r := hwdbg(t, "watch -w &marker\ncontinue\ncontinue\ncontinue\n", bin)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	hits := r.byEvent("watchpoint")
	if len(hits) != 2 || hits[0]["new"] != "5" || hits[1]["old"] != "1" || hits[1]["new"] != "2" {
		t.Fatalf("want a hit in each image (1->5, then 1->2 after exec), got %v\n%s", hits, r)
	}
	var notes []string
	for _, n := range r.byEvent("notice") {
		notes = append(notes, n["message"].(string))
	}
	all := strings.Join(notes, "\n")
	if !strings.Contains(all, "is executing new program") || !strings.Contains(all, "watchpoint 1 (&marker) re-set") {
		t.Errorf("exec notices: %q", all)
	}
	if e := r.byEvent("exit"); len(e) != 1 || e[0]["status"] != float64(0) {
		t.Errorf("exit: %v", e)
	}
}

func TestJobControlStop(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "stopper", fixture.PIE)
	cmd := exec.Command(hwdbgBin, "--json", "-q", bin)
	in, _ := cmd.StdinPipe()
	// With --json on a pipe the program writes on our stderr.
	progOut, _ := cmd.StderrPipe()
	var events bytes.Buffer
	cmd.Stdout = &events
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	fmt.Fprintln(in, "watch -w &state\ncontinue")
	lines := bufio.NewScanner(progOut)
	pid := 0
	for pid == 0 && lines.Scan() {
		fmt.Sscanf(lines.Text(), "pid %d", &pid)
	}
	if pid == 0 {
		t.Fatal("the program did not print its pid")
	}
	// It stays stopped, as it would without a debugger.
	time.Sleep(300 * time.Millisecond)
	if st := procState(t, pid); st != "t" && st != "T" {
		t.Fatalf("the program is in state %s, want stopped", st)
	}
	unix.Kill(pid, unix.SIGCONT)
	fmt.Fprintln(in, "continue")
	in.Close()
	var rest []string
	for lines.Scan() {
		rest = append(rest, lines.Text())
	}
	cmd.Wait()
	out := strings.Join(rest, "\n") + "\n" + events.String()
	if !strings.Contains(out, "resumed") || !strings.Contains(out, `"event":"watchpoint"`) || !strings.Contains(out, `"status":0`) {
		t.Errorf("after SIGCONT the program must run on, write state and exit 0:\n%s", out)
	}
}

func TestTwoWatchpointsOneInstruction(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "access", fixture.PIE)
	// A write watch on val and a read-or-write watch on its low half: the
	// store in do_write fires both slots at once.
	r := hwdbg(t, "watch -w &val\nwatch -rw &val -s 4\ncontinue\n", bin)
	hits := r.byEvent("watchpoint")
	if len(hits) != 2 {
		t.Fatalf("want both watchpoints reported for one store, got %d\n%s", len(hits), r)
	}
	if hits[0]["id"] != float64(1) || hits[1]["id"] != float64(2) || hits[0]["pc"] != hits[1]["pc"] ||
		hits[0]["slot"] != slotName(0) || hits[1]["slot"] != slotName(1) || hits[1]["new"] != "7" {
		t.Errorf("hits: %v", hits)
	}
}

func TestCastAddressAndInspect(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "access", fixture.NoPIE)
	addr := nmAddr(t, bin, "val")
	script := fmt.Sprintf("watch *(long*)%#x\nprint *(long*)%#x\nprint/x val\nx/2xg %#x\nx/2dw &val\ninfo registers %s %s\n"+
		"thread\ninfo threads\nhelp watch\ncontinue\nprint $%s\ndisassemble\nbacktrace\nkill\n", addr, addr, addr, pcReg, spReg, pcReg)
	r := hwdbg(t, script, bin)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	res := map[string][]map[string]any{}
	for _, e := range r.byEvent("result") {
		c := e["command"].(string)
		res[c] = append(res[c], e)
	}
	if w := res["watch"]; len(w) != 1 || hexArg(t, w[0]["addr"]) != addr || w[0]["len"] != float64(8) {
		t.Errorf("watch *(long*)ADDR: %v", w)
	}
	if p := res["print"]; len(p) != 3 || p[0]["value"] != "5" || p[1]["value"] != "0x5" {
		t.Errorf("print: %v", p)
	}
	if x := res["x"]; len(x) != 2 || fmt.Sprint(x[0]["values"]) != fmt.Sprintf("[0x0000000000000005 0x%016x]", fixture.FileWord(t, bin, addr+8)) || fmt.Sprint(x[1]["values"]) != "[5 0]" {
		t.Errorf("x: %v", x)
	}
	regs := res["info registers"][0]["registers"].(map[string]any)
	if len(regs) != 2 || regs[pcReg] == nil || regs[spReg] == nil {
		t.Errorf("info registers %s %s: %v", pcReg, spReg, regs)
	}
	if len(res["thread"]) != 1 || len(res["info threads"]) != 1 || len(res["help"]) != 1 {
		t.Errorf("thread/info threads/help: %v", res)
	}
	hit := r.byEvent("watchpoint")
	if len(hit) != 1 {
		t.Fatalf("no hit\n%s", r)
	}
	// After the hit, the pc is at the instruction after the store.
	rip := hexArg(t, regexp.MustCompile(`0x[0-9a-f]+`).FindString(res["print"][2]["value"].(string)))
	if rip != hexArg(t, hit[0]["pc"])+storeInsnLen {
		t.Errorf("$%s %#x, hit pc %v", pcReg, rip, hit[0]["pc"])
	}
	dis := res["disassemble"][0]["instructions"].([]any)
	if len(dis) < 3 || dis[0].(map[string]any)["func"] != "do_write" {
		t.Errorf("disassemble: %v", dis)
	}
	bt := res["backtrace"][0]["frames"].([]any)
	if len(bt) < 2 || bt[0].(map[string]any)["func"] != "do_write" || bt[1].(map[string]any)["func"] != "main" {
		t.Errorf("backtrace: %v", bt)
	}
	if len(res["kill"]) != 1 || len(r.byEvent("exit")) != 0 {
		t.Errorf("kill: %v", res["kill"])
	}
}
