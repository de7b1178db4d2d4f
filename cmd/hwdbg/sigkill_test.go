package main

import (
	"bufio"
	"encoding/json"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"hwdbg/guard"
	"hwdbg/internal/fixture"
)

// TestSIGKILLLeavesProgramRunning: hwdbg attached to a four-thread program
// with a watch armed on every thread is killed by SIGKILL (no chance to
// clean up), and the program runs on past the writes that would have
// trapped. On amd64 the slots are perf events owned by hwdbg's file
// descriptors, which the kernel removes; slots armed through ptrace (arm64,
// HWDBG_ARM=ptrace) are cleared by hwdbg's guardian. With neither, the
// kill leaves the slots armed and the program dies of SIGTRAP at its next
// watched write: the last case shows that the check sees it.
func TestSIGKILLLeavesProgramRunning(t *testing.T) {
	needTraps(t)
	for _, tc := range []struct {
		name, arm, noGuard string
		atPrompt           bool
		stepi              bool // a stepi after the hit: the thread waits in single-step mode
		survives           bool
	}{
		{"at the prompt after a hit", "", "", true, false, true},
		{"at the prompt after stepi", "", "", true, true, true},
		{"while the program runs", "", "", false, false, true},
		{"armed through ptrace, with the guardian", "ptrace", "", false, false, true},
		{"armed through ptrace, at the prompt, with the guardian", "ptrace", "", true, false, true},
		{"armed through ptrace, no guardian", "ptrace", "1", false, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("HWDBG_ARM", tc.arm)
			t.Setenv(guard.OffEnv, tc.noGuard)
			prog := exec.Command(fixture.C(t, "beat", fixture.PIE))
			out, _ := prog.StdoutPipe()
			if err := prog.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan syscall.WaitStatus, 1)
			go func() {
				prog.Wait()
				exited <- prog.ProcessState.Sys().(syscall.WaitStatus)
			}()
			t.Cleanup(func() { prog.Process.Kill() })
			if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || !strings.HasPrefix(line, "ready") {
				t.Fatalf("beat did not start: %q %v", line, err)
			}
			pid := prog.Process.Pid
			l := startLive(t, "-p", strconv.Itoa(pid))
			addr := beatAddr(t, l)
			if tc.atPrompt {
				l.send("watch -w beat\ncontinue")
				l.await(`"event":"watchpoint"`)
				if tc.stepi {
					l.send("stepi")
					l.await(`"reason":"step"`)
				}
			} else {
				// Never true: every write is a hit that hwdbg judges and
				// resumes; one write in 200 ms, so the kill comes while
				// the program runs, not while hwdbg holds a thread.
				l.send("watch -w beat if beat < 0\ninfo slots")
				l.await(`"command":"info slots"`)
				l.send("continue")
				time.Sleep(300 * time.Millisecond)
			}
			killed := time.Now()
			l.cmd.Process.Signal(syscall.SIGKILL)
			l.cmd.Wait()

			// Read before the wait; a program that is already dead reads
			// as 0 and is reported by the wait below.
			before, _ := peekWord(pid, addr)
			select {
			case ws := <-exited:
				if tc.survives {
					t.Fatalf("the program died %v after hwdbg's SIGKILL: %v", time.Since(killed).Round(time.Millisecond), ws)
				}
				if !ws.Signaled() || ws.Signal() != syscall.SIGTRAP {
					t.Fatalf("unguarded, the program ended with %v, want SIGTRAP", ws)
				}
				t.Logf("unguarded: the program died of SIGTRAP %v after hwdbg's SIGKILL", time.Since(killed).Round(time.Millisecond))
			case <-time.After(1200 * time.Millisecond):
				if !tc.survives {
					t.Fatal("unguarded, the program survived hwdbg's SIGKILL: the check cannot see armed slots")
				}
				// Six writes of beat later, the program still runs and writes.
				if after := readCounter(t, pid, addr); after <= before {
					t.Errorf("beat went from %d to %d in 1.2 s: the program is not running", before, after)
				}
				if st := procState(t, pid); st != "R" && st != "S" {
					t.Errorf("the program is in state %s", st)
				}
			}
		})
	}
}

// beatAddr asks hwdbg where beat is.
func beatAddr(t *testing.T, l *live) uint64 {
	t.Helper()
	for _, ev := range l.do("print &beat") {
		b, _ := json.Marshal(ev)
		if v, ok := ev["value"].(string); ok && ev["command"] == "print" {
			f := strings.Fields(v)
			for _, w := range f {
				if n, err := strconv.ParseUint(strings.TrimPrefix(w, "0x"), 16, 64); err == nil && strings.HasPrefix(w, "0x") {
					return n
				}
			}
			t.Fatalf("no address in %s", b)
		}
	}
	t.Fatal("print &beat gave no value")
	return 0
}

// TestThreadBlockingSIGTRAPArmedThroughPtrace: with slots armed as perf
// events (HWDBG_ARM=perf asks for it in a program hwdbg starts), a thread
// born with SIGTRAP blocked would never stop at its perf trap, which the
// kernel sends as an ordinary signal; it is armed through the debug
// registers instead, and its write is reported. At the prompt, the main
// thread, which blocked SIGTRAP after its slots were armed, is found out
// and re-armed the same way.
func TestThreadBlockingSIGTRAPArmedThroughPtrace(t *testing.T) {
	needTraps(t)
	t.Setenv("HWDBG_ARM", "perf")
	bin := fixture.C(t, "sigblock", fixture.PIE)
	l := startLive(t, bin)
	var pid string
	for _, ev := range l.do("info threads") { // before the program runs: one thread
		if ths, ok := ev["threads"].([]any); ok && len(ths) == 1 {
			pid = strconv.Itoa(int(ths[0].(map[string]any)["tid"].(float64)))
		}
	}
	l.send("watch -w target\ncontinue")
	hit := l.await(`"event":"watchpoint"`)
	if !strings.Contains(hit, `"new":"42"`) {
		t.Errorf("hit: %s", hit)
	}
	if pid != "" && strings.Contains(hit, `"thread":`+pid+`,`) {
		t.Errorf("the write was the writer thread's, not main's: %s", hit)
	}
	var armed map[string]any
	for _, ev := range l.do("info slots") {
		if a, ok := ev["armed"].(map[string]any); ok {
			armed = a
		}
	}
	if pid == "" || armed == nil {
		t.Fatalf("no pid (%q) or no armed in info slots", pid)
	}
	// arm64 arms every thread through ptrace (arming.go); amd64 says why.
	how, _ := armed[pid].(string)
	if !strings.Contains(how, "ptrace") || (runtime.GOARCH == "amd64" && !strings.Contains(how, "blocks SIGTRAP")) {
		t.Errorf("main thread, which blocks SIGTRAP, is armed through %q", how)
	}
	l.end()
}
