package main

import (
	"bufio"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"hwdbg/internal/fixture"
)

// A trace on a terminal: its live line, rewritten in place while it runs
// and cleared at its end, and Ctrl-C, which ends it with its report and
// leaves the program as it is (stopped at the prompt, or running on after
// a detach).

// liveLine is the live line as the terminal receives it: rewritten in
// place (a carriage return, the line cleared), hits, rate, lost, time.
var liveLine = regexp.MustCompile(`\r\x1b\[Ktrace 1: \d+ hits, [0-9.]+[kM]?/s, \d+ lost, [0-9.]+ s`)

// checkLive checks a terminal's output: the live line shown more than
// once, then cleared before the report.
func checkLive(t *testing.T, screen string) {
	t.Helper()
	if n := len(liveLine.FindAllString(screen, -1)); n < 2 {
		t.Errorf("the live line was shown %d times, want it refreshed:\n%q", n, screen)
	}
	report := strings.LastIndex(screen, "Trace 1: -w target")
	last := liveLine.FindAllStringIndex(screen, -1)
	if report < 0 || len(last) == 0 || last[len(last)-1][1] > report || !strings.HasPrefix(screen[last[len(last)-1][1]:report], "\r\x1b[K") {
		t.Errorf("the live line is not cleared before the report:\n%q", screen)
	}
}

// TestTraceTerminalCtrlC: a trace of a started program runs until Ctrl-C
// with its live line; Ctrl-C ends it with its report, and the program
// stays stopped under hwdbg.
func TestTraceTerminalCtrlC(t *testing.T) {
	bin := fixture.C(t, "tracespin", fixture.PIE)
	tm := startTerm(t, []string{"HOME=" + t.TempDir()}, "-q", bin)
	tm.waitFor("(hwdbg) ", 1)
	tm.keys("trace target\r")
	tm.waitFor("ready", 1)
	tm.waitFor(" hits, ", 2)
	tm.keys("\x03")
	tm.waitFor("ended: interrupted", 1)
	tm.waitFor("(hwdbg) ", 2)
	// The program is there, stopped: its threads and its variable.
	tm.keys("info threads\r")
	tm.waitFor("(hwdbg) ", 3)
	tm.keys("print target > 0\r")
	tm.waitFor("(hwdbg) ", 4)
	tm.keys("quit\r")
	tm.wait()
	s := tm.screen()
	checkLive(t, s)
	if strings.Contains(s, "exited") || !strings.Contains(s, "tracespin") || !strings.Contains(s, "\n1\r\n") {
		t.Errorf("the program did not stay stopped under hwdbg after Ctrl-C:\n%q", s)
	}
}

// TestTraceTerminalAttached: a trace of an attached program ends at
// Ctrl-C with its report; after detach the program runs on.
func TestTraceTerminalAttached(t *testing.T) {
	bin := fixture.C(t, "tracespin", fixture.PIE)
	prog := exec.Command(bin)
	out, _ := prog.StdoutPipe()
	if err := prog.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prog.Process.Kill(); prog.Wait() })
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	ready := strings.Fields(<-lines)
	if len(ready) != 2 || ready[0] != "ready" {
		t.Fatalf("tracespin: %q", ready)
	}
	tm := startTerm(t, []string{"HOME=" + t.TempDir()}, "-q", "-p", ready[1])
	tm.waitFor("(hwdbg) ", 1)
	tm.keys("trace target\r")
	tm.waitFor(" hits, ", 2)
	tm.keys("\x03")
	tm.waitFor("ended: interrupted", 1)
	tm.waitFor("(hwdbg) ", 2)
	tm.keys("detach\r")
	tm.wait()
	checkLive(t, tm.screen())
	// Detached, it runs on: it says so every 100000 writes.
	for drained := false; !drained; {
		select {
		case <-lines:
		default:
			drained = true
		}
	}
	select {
	case l, ok := <-lines:
		if !ok || l != "alive" {
			t.Fatalf("tracespin after the detach: %q (open %v)", l, ok)
		}
	case <-time.After(scriptTimeout):
		t.Fatal("tracespin does not run on after the trace and the detach")
	}
}

// TestTraceNoLiveLineInScripts: a script's trace, text or JSON, has no
// live line.
func TestTraceNoLiveLineInScripts(t *testing.T) {
	bin := fixture.C(t, "writers", fixture.PIE)
	for _, args := range [][]string{{"-q"}, {"-q", "--json"}} {
		r := runScript(t, "trace target\n", append(args, bin, "two", "nowait")...)
		all := strings.Join(r.text, "\n") + r.String()
		if strings.Contains(all, "\r") || strings.Contains(all, "trace 1: ") {
			t.Errorf("hwdbg %v: a live line in a script:\n%s", args, all)
		}
	}
}
