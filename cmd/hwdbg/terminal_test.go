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

// TestTerminalPrompt runs hwdbg on a pseudo-terminal: the prompt, tab
// completion of a command and of a symbol, the continuation prompt of a
// commands block, and history saved in ~/.hwdbg_history.
func TestTerminalPrompt(t *testing.T) {
	bin := fixture.C(t, "bank", fixture.PIE)
	home := t.TempDir()
	master, slave := openPTY(t)
	defer master.Close()
	cmd := exec.Command(hwdbgBin, "-q", bin)
	cmd.Env = append(os.Environ(), "HOME="+home, "TERM=xterm")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	var mu sync.Mutex
	var out strings.Builder
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			mu.Lock()
			out.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	screen := func() string {
		mu.Lock()
		defer mu.Unlock()
		return out.String()
	}
	// waitFor waits until the screen shows want n times: keys typed before
	// the prompt would reach the terminal's line buffer, not the editor.
	waitFor := func(want string, n int) {
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if strings.Count(screen(), want) >= n {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("no %q on the terminal:\n%q", want, screen())
	}
	waitFor("(hwdbg) ", 1)
	master.Write([]byte("wat\t"))
	waitFor("watch ", 1)
	master.Write([]byte("-w &bal\t"))
	waitFor("&balance", 1)
	master.Write([]byte("\r"))
	waitFor("(hwdbg) ", 2)
	master.Write([]byte("info wat\r"))
	waitFor("(hwdbg) ", 3)
	// A commands block gets the continuation prompt.
	master.Write([]byte("commands 1\r"))
	waitFor("\n>", 1)
	master.Write([]byte("silent\r"))
	waitFor("\n>", 2)
	master.Write([]byte("end\r"))
	waitFor("(hwdbg) ", 4)
	master.Write([]byte("quit\r"))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("hwdbg on a terminal did not finish:\n%s", screen())
	}
	s := screen()
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
