package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
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
