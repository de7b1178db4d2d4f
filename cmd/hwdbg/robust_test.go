package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"hwdbg/internal/fixture"
)

// TestEndedWhileRunningDetachesClean: however hwdbg's session ends while
// the attached program runs under a watchpoint (SIGTERM, SIGHUP, Ctrl-\'s
// SIGQUIT, a reader of its output that went away, output it cannot
// write), the program is left running with no slot armed on any thread.
// Go's default for SIGQUIT and SIGPIPE killed hwdbg on the spot, and the
// program then died of SIGTRAP at its next watched write.
func TestEndedWhileRunningDetachesClean(t *testing.T) {
	needTraps(t)
	for _, how := range []string{"SIGTERM", "SIGHUP", "SIGQUIT", "closed pipe", "full disk"} {
		t.Run(how, func(t *testing.T) {
			spin := startSpin(t)
			pid := spin.Process.Pid
			setup := "watch -w &shared\nwatch -w &counters -s 4 thread " + strconv.Itoa(pid) + "\ndelete 2"
			var cmd *exec.Cmd
			var out bytes.Buffer
			switch how {
			case "closed pipe", "full disk":
				cmd = exec.Command(hwdbgBin, "--json", "-q", "-p", strconv.Itoa(pid))
				in, _ := cmd.StdinPipe()
				var stdout io.ReadCloser
				if how == "closed pipe" {
					stdout, _ = cmd.StdoutPipe()
				} else {
					f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
					if err != nil {
						t.Skip("no /dev/full:", err)
					}
					defer f.Close()
					cmd.Stdout = f
				}
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				defer cmd.Process.Kill()
				fmt.Fprintln(in, setup)
				if how == "closed pipe" {
					// Read up to the first answer, then go away: the next
					// thing hwdbg writes (a hit) meets a closed pipe.
					if _, err := bufio.NewReader(stdout).ReadString('\n'); err != nil {
						t.Fatal(err)
					}
					stdout.Close()
				}
				fmt.Fprintln(in, strings.Repeat("continue\n", 20))
			default:
				// The signal comes while the program runs, once hwdbg has
				// answered (and so handles signals).
				l := startLive(t, "-p", strconv.Itoa(pid))
				cmd = l.cmd
				l.send(setup + "\ninfo threads")
				l.await(`"command":"info threads"`)
				l.send("continue")
				time.Sleep(300 * time.Millisecond)
				cmd.Process.Signal(map[string]syscall.Signal{"SIGTERM": syscall.SIGTERM, "SIGHUP": syscall.SIGHUP, "SIGQUIT": syscall.SIGQUIT}[how])
				go func() {
					for range l.lines {
					}
				}()
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatalf("hwdbg did not end (%s):\n%s", how, out.String())
			}
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				t.Errorf("hwdbg was killed by %v, not ended cleanly", ws.Signal())
			}
			// The program goes on, past the writes that would have trapped.
			time.Sleep(300 * time.Millisecond)
			if st := procState(t, pid); st != "R" && st != "S" {
				t.Fatalf("after %s the program is in state %s", how, st)
			}
			for tid, armed := range debugRegs(t, pid) {
				if armed != "" {
					t.Errorf("thread %d: %s after %s, want no slot armed", tid, armed, how)
				}
			}
		})
	}
}

// TestDetachRemovesBreakpoints: a breakpoint in a loop the program keeps
// running must be gone after detach (a left-over int3 would kill it).
func TestDetachRemovesBreakpoints(t *testing.T) {
	spin := startSpin(t)
	pid := spin.Process.Pid
	line := lineOf(t, "spin.c", "counters[i]++")
	r := hwdbg(t, fmt.Sprintf("break spin.c:%d\ncontinue\ndetach\n", line), "-p", strconv.Itoa(pid))
	if bp := r.byEvent("breakpoint"); len(bp) != 1 || bp[0]["func"] != "spin" {
		t.Fatalf("no stop at spin.c:%d\n%s", line, r)
	}
	time.Sleep(200 * time.Millisecond)
	if st := procState(t, pid); st != "R" && st != "S" {
		t.Fatalf("after detach the program is in state %s (our breakpoint byte left behind?)", st)
	}
}

// TestInterruptBlockedStepi: a stepi over a system call that blocks
// (pause) is stopped by Ctrl-C, and the interrupt does not linger to stop
// the next continue at once.
func TestInterruptBlockedStepi(t *testing.T) {
	bin := fixture.C(t, "pauser", fixture.PIE)
	l := startLive(t, bin)
	l.do("start")
	l.do("break pause")
	if bp := only(l.do("continue"), "breakpoint"); len(bp) != 1 {
		t.Fatalf("no stop in pause: %v", bp)
	}
	// Step up to the system call instruction.
	for i := 0; ; i++ {
		x := only(l.do("x/1i $pc"), "result")
		if len(x) == 1 && x[0]["instructions"].([]any)[0].(map[string]any)["insn"] == syscallInsn {
			break
		}
		if i == 50 {
			t.Fatalf("no %q in pause within 50 instructions", syscallInsn)
		}
		l.do("stepi")
	}
	interrupt := func() {
		time.Sleep(300 * time.Millisecond)
		l.cmd.Process.Signal(syscall.SIGINT)
	}
	go interrupt()
	evs := l.do("stepi") // blocks in pause until the interrupt
	if len(only(evs, "stop")) != 1 {
		t.Fatalf("the blocked stepi did not come back with a stop: %v", evs)
	}
	// The next continue must block in pause again, not stop at once.
	start := time.Now()
	go interrupt()
	evs = l.do("continue")
	if time.Since(start) < 250*time.Millisecond {
		t.Errorf("continue stopped at once (a stale interrupt): %v", evs)
	}
	if st := only(evs, "stop"); len(st) != 1 || st[0]["reason"] != "interrupt" {
		t.Errorf("want the second Ctrl-C's interrupt: %v", evs)
	}
}

// TestProgramKilledAtThePrompt: a program killed from outside while hwdbg
// waits for a command is reported once, as its exit, and every command
// after that says in one plain line that it is gone; quit is quiet.
func TestProgramKilledAtThePrompt(t *testing.T) {
	bin := fixture.C(t, "spin", fixture.PIE)
	for _, next := range []string{"info slots", "info threads", "print shared", "quit"} {
		t.Run(next, func(t *testing.T) {
			l := startLive(t, bin)
			l.send("watch -w &shared\ninfo threads")
			l.await(`"command":"info threads"`)
			unix.Kill(l.cmd.Process.Pid, 0) // hwdbg itself is alive
			pid := 0
			for _, line := range l.out {
				if strings.Contains(line, `"command":"info threads"`) {
					var r struct{ Threads []struct{ Tid int } }
					json.Unmarshal([]byte(line), &r)
					pid = r.Threads[0].Tid
				}
			}
			if pid == 0 {
				t.Fatalf("no thread in %v", l.out)
			}
			unix.Kill(pid, unix.SIGKILL)
			time.Sleep(200 * time.Millisecond)
			l.send(next)
			code, out := l.end()
			if strings.Count(out, `"event":"exit"`) != 1 || !strings.Contains(out, `"signal":"SIGKILL"`) {
				t.Errorf("want one exit event by SIGKILL:\n%s", out)
			}
			errs := strings.Count(out, `"event":"error"`)
			switch {
			case next == "quit" && (code != 0 || errs != 0):
				t.Errorf("quit: exit %d, %d errors:\n%s", code, errs, out)
			case next != "quit" && (code != 1 || errs != 1 || !strings.Contains(out, "the program is not running")):
				t.Errorf("%s: exit %d, want one error saying the program is not running:\n%s", next, code, out)
			}
			if strings.Contains(out, "no such process") || strings.Contains(out, "not stopped under our trace") {
				t.Errorf("raw kernel errors:\n%s", out)
			}
		})
	}
}
