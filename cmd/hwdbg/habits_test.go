package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"hwdbg/internal/fixture"
	"hwdbg/repl"
)

// homeWith is a HOME whose .hwdbginit holds init.
func homeWith(t *testing.T, init string) string {
	t.Helper()
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, ".hwdbginit"), []byte(init), 0o644); err != nil {
		t.Fatal(err)
	}
	return home
}

// exprs is the expressions info watchpoints lists, in order.
func exprs(r result) []string {
	res := r.results("info watchpoints")
	if len(res) == 0 {
		return nil
	}
	var out []string
	for _, w := range res[len(res)-1]["watchpoints"].([]any) {
		out = append(out, w.(map[string]any)["expr"].(string))
	}
	return out
}

// TestHabitsInitFile: ~/.hwdbginit runs before -x and -ex; -nx (and -n)
// skip it; a failed line ends the file, not the session; a .hwdbginit in
// the current directory is not run.
func TestHabitsInitFile(t *testing.T) {
	bin := fixture.C(t, "bank", fixture.PIE)
	home := homeWith(t, "# set up\nbreak auditor\n")
	x := filepath.Join(t.TempDir(), "cmds")
	os.WriteFile(x, []byte("break withdraw\n"), 0o644)
	env := []string{"HOME=" + home}
	args := []string{"--json", "-q", "-x", x, "-ex", "tbreak teller", "-ex", "info watchpoints", bin}

	r := runScriptEnv(t, env, "", args...)
	if got := strings.Join(exprs(r), ","); r.code != 0 || got != "auditor,withdraw,teller" {
		t.Errorf("with the init file: exit %d, watchpoints %q, want auditor,withdraw,teller\n%s", r.code, got, r)
	}
	for _, nx := range []string{"-nx", "--nx", "-n"} {
		r = runScriptEnv(t, env, "", append([]string{nx}, args...)...)
		if got := strings.Join(exprs(r), ","); r.code != 0 || got != "withdraw,teller" {
			t.Errorf("%s: exit %d, watchpoints %q, want withdraw,teller\n%s", nx, r.code, got, r)
		}
	}

	// A failed line: an error, a warning naming the file and line, the
	// rest of the file skipped, the session and its exit status intact.
	bad := homeWith(t, "break auditor\nbogus\nbreak main\n")
	r = runScriptEnv(t, []string{"HOME=" + bad}, "info watchpoints\n", "--json", "-q", bin)
	w := r.byEvent("warning")
	if r.code != 0 || len(r.byEvent("error")) != 1 || len(w) != 1 ||
		!strings.Contains(w[0]["message"].(string), filepath.Join(bad, ".hwdbginit")+":2") {
		t.Errorf("a failed init line: exit %d\n%s", r.code, r)
	}
	if got := strings.Join(exprs(r), ","); got != "auditor" {
		t.Errorf("after a failed init line: watchpoints %q, want auditor", got)
	}

	// quit in the init file ends the session there.
	r = runScriptEnv(t, []string{"HOME=" + homeWith(t, "quit\n")}, "info watchpoints\n", "--json", "-q", bin)
	if r.code != 0 || len(r.results("info watchpoints")) != 0 {
		t.Errorf("quit in the init file: exit %d\n%s", r.code, r)
	}

	// The current directory's .hwdbginit is not run.
	dir := homeWith(t, "break auditor\n")
	cmd := exec.Command(hwdbgBin, "--json", "-q", "-ex", "info watchpoints", bin)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), "HOME="+testHome)
	out, err := cmd.Output()
	if err != nil || !strings.Contains(string(out), `"watchpoints":[]`) {
		t.Errorf("./.hwdbginit was run (or hwdbg failed: %v): %s", err, out)
	}
}

// TestHabitsHelpListsCommands: --help has the options of the program's
// channel and the init file, and a line for every command of the table.
func TestHabitsHelpListsCommands(t *testing.T) {
	r := runScript(t, "", "--help")
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	for _, opt := range []string{"--tty PATH", "--program-output FILE", "-nx", "~/.hwdbginit", "hwdbg's standard\n              error"} {
		if !strings.Contains(r.stdout, opt) {
			t.Errorf("--help does not say %q", opt)
		}
	}
	_, list, ok := strings.Cut(r.stdout, "\ncommands")
	if !ok {
		t.Fatalf("--help has no list of commands:\n%s", r.stdout)
	}
	for _, name := range repl.CommandNames() {
		if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(name) + ` +\S`).MatchString(list) {
			t.Errorf("--help lists no command %q:\n%s", name, list)
		}
	}
	for _, l := range strings.Split(strings.TrimSpace(list), "\n")[1:] {
		if !strings.HasPrefix(l, "  ") || len(strings.Fields(l)) < 2 {
			t.Errorf("not a command's line: %q", l)
		}
	}
}

// TestHabitsBanner: the banner says what to type next, and counts threads
// in the right number.
func TestHabitsBanner(t *testing.T) {
	bin := fixture.C(t, "bank", fixture.PIE)
	r := runScript(t, "", bin)
	if len(r.text) < 2 || r.text[1] != "Type help for commands, start to run to main, quit to leave." {
		t.Errorf("banner of a started program: %q", r.text)
	}
	if q := runScript(t, "", "-q", bin); strings.Contains(q.stdout, "Type help") {
		t.Errorf("-q still shows the banner: %q", q.stdout)
	}

	pauser := exec.Command(fixture.C(t, "pauser", fixture.PIE))
	if err := pauser.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { pauser.Process.Kill(); pauser.Wait() }()
	waitState(t, pauser.Process.Pid, 'S')
	r = runScript(t, "", "-p", strconv.Itoa(pauser.Process.Pid))
	want := fmt.Sprintf("attached to process %d (1 thread), stopped", pauser.Process.Pid)
	if r.code != 0 || len(r.text) < 2 || !strings.HasSuffix(r.text[0], want) ||
		r.text[1] != "Type help for commands, continue to let it run, quit to detach and leave." {
		t.Errorf("banner of an attached program: exit %d, %q, want %q", r.code, r.text, want)
	}
}

// waitState waits until process pid is in state (as /proc/PID/stat says).
func waitState(t *testing.T, pid int, state byte) {
	t.Helper()
	for i := 0; i < 500; i++ {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if i := strings.LastIndexByte(string(b), ')'); i > 0 && i+2 < len(b) && b[i+2] == state {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("process %d never reached state %c", pid, state)
}

// TestHabitsStartIsTemporary: start's stop at main is the temporary
// breakpoint's, named as gdb names it, and so is a tbreak's; a break's is
// a Breakpoint's.
func TestHabitsStartIsTemporary(t *testing.T) {
	bin := fixture.C(t, "bank", fixture.PIE)
	script := "start\ntbreak teller\nbreak withdraw\ncontinue\ncontinue\n"
	r := runScript(t, script, "-q", bin)
	out := strings.Join(r.text, "\n")
	for _, re := range []string{
		`(?m)^Temporary breakpoint 1 at 0x[0-9a-f]+ <main\+\d+>$`,
		`(?m)^Temporary breakpoint 1 hit: 0x[0-9a-f]+ main\+\d+ \(bank\.c:\d+\), thread \d+$`,
		`(?m)^Temporary breakpoint 2 hit: 0x[0-9a-f]+ teller\+\d+ \(bank\.c:\d+\), thread \d+$`,
		`(?m)^Breakpoint 3 hit: 0x[0-9a-f]+ withdraw\+\d+ \(bank\.c:\d+\), thread \d+$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("no line %s in:\n%s", re, out)
		}
	}
	if strings.Contains(out, "Breakpoint 1 hit") || strings.Contains(out, "Breakpoint 2 hit") {
		t.Errorf("a temporary breakpoint reported as a Breakpoint:\n%s", out)
	}
	js := hwdbg(t, script, bin)
	bps := js.byEvent("breakpoint")
	if len(bps) != 3 || bps[0]["temporary"] != true || bps[1]["temporary"] != true || bps[2]["temporary"] != false {
		t.Errorf("breakpoint events' temporary: %v", bps)
	}
}

// TestHabitsNoSlotForSoftwareBreakpoints: a software breakpoint shows no
// slot, in text or JSON; a hardware one does.
func TestHabitsNoSlotForSoftwareBreakpoints(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "bank", fixture.PIE)
	script := "break withdraw\ntbreak teller\ninfo watchpoints\ncontinue\ncontinue\n"
	r := runScript(t, script, "-q", bin)
	for _, l := range r.text {
		if strings.Contains(strings.ToLower(l), "slot") && !strings.HasPrefix(l, "Num ") {
			t.Errorf("a software breakpoint's line names a slot: %q", l)
		}
	}
	js := hwdbg(t, script, bin)
	for _, e := range js.events {
		if _, ok := e["slot"]; ok {
			t.Errorf("a software breakpoint's event has a slot: %v", e)
		}
		if _, ok := e["slots"]; ok {
			t.Errorf("a software breakpoint's result has slots: %v", e)
		}
	}
	for i := 0; i < 2; i++ {
		if w := js.listed(i); w == nil || w["slots"] != nil || w["covers"] != nil {
			t.Errorf("info watchpoints row %d: %v", i, w)
		}
	}
	hw := hwdbg(t, "hbreak withdraw\ncontinue\n", bin)
	if res := hw.results("hbreak"); len(res) != 1 || fmt.Sprint(res[0]["slots"]) != "["+hbreakSlot()+"]" {
		t.Errorf("hbreak result: %v", res)
	}
	if bp := hw.byEvent("breakpoint"); len(bp) != 1 || bp[0]["slot"] != hbreakSlot() {
		t.Errorf("hbreak hit: %v", bp)
	}
}

// hbreakSlot is the first slot a hardware breakpoint takes.
func hbreakSlot() string {
	if strings.HasPrefix(slotName(0), "WP") {
		return "BP0"
	}
	return slotName(0)
}

// TestHabitsSlotAccessNamed: info slots in JSON names every slot's access
// by name (none for a free slot), never by number.
func TestHabitsSlotAccessNamed(t *testing.T) {
	bin := fixture.C(t, "bank", fixture.PIE)
	r := hwdbg(t, "watch -w &balance\ninfo slots\n", bin)
	res := r.results("info slots")
	if len(res) != 1 || strings.Contains(r.stdout, "access(") {
		t.Fatalf("info slots:\n%s", r.stdout)
	}
	counts := map[string]int{}
	for _, rows := range res[0]["slots"].(map[string]any) {
		for _, row := range rows.([]any) {
			counts[row.(map[string]any)["access"].(string)]++
		}
	}
	if counts["write"] != 1 || counts["none"] == 0 || len(counts) != 2 {
		t.Errorf("accesses %v, want one write and the free slots none", counts)
	}
}

// TestHabitsPlurals: one is singular.
func TestHabitsPlurals(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "bank", fixture.PIE)
	r := runScript(t, "watch -w &balance\nignore 1 1\nignore 1 2\ninfo watchpoints\nignore 1 1\ninfo watchpoints\n", "-q", bin)
	out := strings.Join(r.text, "\n")
	for _, want := range []string{"Will ignore the next 1 crossing of 1.", "Will ignore the next 2 crossings of 1.",
		"ignore next 2 crossings", "ignore next 1 crossing\n"} {
		if !strings.Contains(out+"\n", want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	// At the first instruction the stack is one frame; a trace of one hit
	// on a program of one thread.
	if r := runScript(t, "frame 99\n", "-q", bin); !strings.Contains(r.stdout, "the stack has 1 frame (see backtrace)") {
		t.Errorf("frame 99 at _start: %q", r.stdout)
	}
	r = runScript(t, "start\ntrace -w &balance for 1\n", "-q", bin)
	out = strings.Join(r.text, "\n")
	if !regexp.MustCompile(`, 1 thread: running until 1 hit \(Ctrl-C ends it\)`).MatchString(out) || !strings.Contains(out, "ended: 1 hit counted") {
		t.Errorf("trace of one hit:\n%s", out)
	}
}

// TestHabitsMissingCommandFile: -x of a file that cannot be read fails
// with one line and exit 2 before the program is started.
func TestHabitsMissingCommandFile(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "never-started")
	b, err := os.ReadFile(fixture.C(t, "bank", fixture.PIE))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(bin, b, 0o755)
	missing := filepath.Join(t.TempDir(), "no-such-cmds")
	for _, args := range [][]string{{"-x", missing, bin}, {"--json", "-x", missing, bin}, {"-x", t.TempDir(), bin}} {
		r := runScriptEnv(t, []string{"HOME=" + testHome, "HWDBG_TRACE=1"}, "", args...)
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		if r.code != 2 || len(lines) != 1 || !strings.HasPrefix(lines[0], "hwdbg: -x "+args[len(args)-2]+": cannot read the command file: ") || r.stdout != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want exit 2 and one line", args, r.code, r.stderr, r.stdout)
		}
		if pids := running(t, bin); len(pids) > 0 {
			t.Errorf("%v: the program was started: %v", args, pids)
		}
	}
}

// running lists the processes whose executable is bin.
func running(t *testing.T, bin string) []int {
	t.Helper()
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err == nil && exe == bin {
			pids = append(pids, pid)
		}
	}
	return pids
}

// TestHabitsDeleteAsks: delete with no argument asks at the prompt (and
// only when there is something to delete), as gdb does; a script is not
// asked.
func TestHabitsDeleteAsks(t *testing.T) {
	bin := fixture.C(t, "bank", fixture.PIE)
	tm := startTerm(t, []string{"HOME=" + t.TempDir()}, "-q", bin)
	q := "Delete all watchpoints and breakpoints? (y or n) "
	tm.waitFor("(hwdbg) ", 1)
	tm.keys("watch -w &balance\r")
	tm.waitFor("(hwdbg) ", 2)
	tm.keys("delete\r")
	tm.waitFor(q, 1)
	tm.keys("maybe\r")
	tm.waitFor("Please answer y or n.", 1)
	tm.waitFor(q, 2)
	tm.keys("n\r")
	tm.waitFor("(hwdbg) ", 3)
	tm.keys("info watchpoints\r")
	tm.waitFor("(hwdbg) ", 4)
	if !strings.Contains(tm.screen(), "1    write  y    &balance") {
		t.Fatalf("n deleted the watchpoint:\n%s", tm.screen())
	}
	tm.keys("delete\r")
	tm.waitFor(q, 3)
	tm.keys("y\r")
	tm.waitFor("(hwdbg) ", 5)
	tm.keys("info watchpoints\r")
	tm.waitFor("No watchpoints or breakpoints.", 1)
	tm.waitFor("(hwdbg) ", 6)
	// Nothing to delete: no question.
	tm.keys("delete\r")
	tm.waitFor("(hwdbg) ", 7)
	tm.keys("quit\r")
	tm.wait()
	if n := strings.Count(tm.screen(), q); n != 3 {
		t.Errorf("asked %d times, want 3:\n%s", n, tm.screen())
	}

	for _, json := range []bool{false, true} {
		args := []string{"-q", bin}
		if json {
			args = append([]string{"--json"}, args...)
		}
		r := runScript(t, "watch -w &balance\nbreak withdraw\ndelete\ninfo watchpoints\n", args...)
		if r.code != 0 || strings.Contains(r.stdout, "Delete all") {
			t.Errorf("json %v: a script was asked (exit %d):\n%s", json, r.code, r.stdout)
		}
		if json && len(exprs(r)) != 0 || !json && !strings.Contains(r.stdout, "No watchpoints or breakpoints.") {
			t.Errorf("json %v: delete in a script did not delete:\n%s", json, r.stdout)
		}
	}
}
