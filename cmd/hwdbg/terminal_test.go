package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"hwdbg/internal/fixture"
)

// openPTY opens a pseudo-terminal pair with a 120x40 window.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("needs /dev/ptmx for a pseudo-terminal: %v", err)
	}
	fd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("cannot unlock a pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Skipf("cannot name a pseudo-terminal: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("cannot open /dev/pts/%d: %v", n, err)
	}
	unix.IoctlSetWinsize(int(s.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 40, Col: 120})
	return m, s
}

// term is hwdbg running on a pseudo-terminal.
type term struct {
	t      *testing.T
	cmd    *exec.Cmd
	master *os.File
	mu     sync.Mutex
	out    strings.Builder
}

func startTerm(t *testing.T, env []string, args ...string) *term {
	t.Helper()
	master, slave := openPTY(t)
	tm := &term{t: t, master: master}
	tm.cmd = exec.Command(hwdbgBin, args...)
	tm.cmd.Env = append(append(os.Environ(), "TERM=xterm"), env...)
	tm.cmd.Stdin, tm.cmd.Stdout, tm.cmd.Stderr = slave, slave, slave
	tm.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := tm.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			tm.mu.Lock()
			tm.out.Write(buf[:n])
			tm.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { tm.cmd.Process.Kill(); master.Close() })
	return tm
}

func (tm *term) screen() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.out.String()
}

// waitFor waits until the screen shows want n times: keys typed before the
// prompt would reach the terminal's line buffer, not the line editor.
func (tm *term) waitFor(want string, n int) {
	tm.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Count(tm.screen(), want) >= n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	tm.t.Fatalf("no %q on the terminal:\n%q", want, tm.screen())
}

func (tm *term) keys(s string) { tm.master.Write([]byte(s)) }

// wait waits for hwdbg to end.
func (tm *term) wait() {
	tm.t.Helper()
	done := make(chan error, 1)
	go func() { done <- tm.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		tm.t.Fatalf("hwdbg on a terminal did not finish:\n%s", tm.screen())
	}
}

// TestTerminalPrompt runs hwdbg on a pseudo-terminal: the prompt, tab
// completion of a command and of a symbol, the continuation prompt of a
// commands block, and history saved in ~/.hwdbg_history.
func TestTerminalPrompt(t *testing.T) {
	bin := fixture.C(t, "bank", fixture.PIE)
	home := t.TempDir()
	tm := startTerm(t, []string{"HOME=" + home}, "-q", bin)
	tm.waitFor("(hwdbg) ", 1)
	tm.keys("wat\t")
	tm.waitFor("watch ", 1)
	tm.keys("-w &bal\t")
	tm.waitFor("&balance", 1)
	tm.keys("\r")
	tm.waitFor("(hwdbg) ", 2)
	tm.keys("info wat\r")
	tm.waitFor("(hwdbg) ", 3)
	// A commands block gets the continuation prompt.
	tm.keys("commands 1\r")
	tm.waitFor("\n>", 1)
	tm.keys("silent\r")
	tm.waitFor("\n>", 2)
	tm.keys("end\r")
	tm.waitFor("(hwdbg) ", 4)
	tm.keys("quit\r")
	tm.wait()
	s := tm.screen()
	for _, want := range []string{"Watchpoint 1: -w &balance (8 bytes at 0x", "1    write  y    &balance"} {
		if !strings.Contains(s, want) {
			t.Errorf("terminal output lacks %q:\n%q", want, s)
		}
	}
	hist, err := os.ReadFile(filepath.Join(home, ".hwdbg_history"))
	if err != nil || !strings.Contains(string(hist), "watch -w &balance") || !strings.Contains(string(hist), "info wat") {
		t.Errorf("history: %q, %v", hist, err)
	}
}

// TestTerminalCtrlC: Ctrl-C while the program runs stops it (program and
// hwdbg both get the SIGINT, as on a real terminal) and gives the prompt
// back; hwdbg is not killed by it.
func TestTerminalCtrlC(t *testing.T) {
	bin := fixture.C(t, "spin", fixture.PIE)
	tm := startTerm(t, []string{"HOME=" + t.TempDir()}, "-q", bin)
	tm.waitFor("(hwdbg) ", 1)
	tm.keys("continue\r")
	tm.waitFor("ready", 1)
	time.Sleep(200 * time.Millisecond)
	tm.keys("\x03")
	tm.waitFor("Interrupted: thread", 1)
	tm.waitFor("(hwdbg) ", 2)
	tm.keys("info threads\r")
	tm.waitFor("(hwdbg) ", 3)
	tm.keys("continue\r")
	time.Sleep(300 * time.Millisecond)
	if n := strings.Count(tm.screen(), "Interrupted"); n != 1 {
		t.Fatalf("the second continue stopped by itself (a stale interrupt):\n%s", tm.screen())
	}
	tm.keys("\x03")
	tm.waitFor("Interrupted: thread", 2)
	tm.waitFor("(hwdbg) ", 4)
	tm.keys("quit\r")
	tm.wait()
	if n := strings.Count(tm.screen(), "Interrupted"); n != 2 {
		t.Errorf("want 2 interrupts, got %d:\n%s", n, tm.screen())
	}
}
