package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"hwdbg/internal/fixture"
)

// TestTerminatedWhileRunningDetachesClean: SIGTERM to hwdbg while the
// attached program runs under a watchpoint leaves it running, with no slot
// armed on any thread.
func TestTerminatedWhileRunningDetachesClean(t *testing.T) {
	spin := startSpin(t)
	pid := spin.Process.Pid
	cmd := exec.Command(hwdbgBin, "--json", "-q", "-p", strconv.Itoa(pid))
	in, _ := cmd.StdinPipe()
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(in, "watch -w &shared\nwatch -w &counters -s 4 thread "+strconv.Itoa(pid)+"\ndelete 2\ncontinue")
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("hwdbg did not end on SIGTERM:\n%s", out.String())
	}
	time.Sleep(50 * time.Millisecond)
	if st := procState(t, pid); st != "R" && st != "S" {
		t.Fatalf("after SIGTERM the program is in state %s", st)
	}
	for tid, armed := range debugRegs(t, pid) {
		if armed != "" {
			t.Errorf("thread %d: %s after SIGTERM, want no slot armed", tid, armed)
		}
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
