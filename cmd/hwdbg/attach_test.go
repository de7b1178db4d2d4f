package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"hwdbg/internal/fixture"
)

// startSpin starts testdata/spin.c (two threads running forever) and
// waits until it has both threads.
func startSpin(t *testing.T) *exec.Cmd {
	t.Helper()
	bin := fixture.C(t, "spin", fixture.PIE)
	cmd := exec.Command(bin)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ready") {
		t.Fatalf("spin did not start: %q %v", line, err)
	}
	return cmd
}

func tasks(t *testing.T, pid int) []int {
	t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		t.Fatal(err)
	}
	var tids []int
	for _, e := range ents {
		n, _ := strconv.Atoi(e.Name())
		tids = append(tids, n)
	}
	return tids
}

// debugRegs reads the debug registers of every thread of pid as a second,
// independent tracer would: seize, interrupt, read (armedSlots), detach.
// A thread maps to "" when no slot is armed.
func debugRegs(t *testing.T, pid int) map[int]string {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	out := map[int]string{}
	for _, tid := range tasks(t, pid) {
		if _, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SEIZE, uintptr(tid), 0, 0, 0, 0); e != 0 {
			t.Fatalf("second tracer: seize %d: %v", tid, e)
		}
		if err := unix.PtraceInterrupt(tid); err != nil {
			t.Fatalf("interrupt %d: %v", tid, err)
		}
		var ws unix.WaitStatus
		if _, err := unix.Wait4(tid, &ws, unix.WALL, nil); err != nil {
			t.Fatalf("wait %d: %v", tid, err)
		}
		out[tid] = armedSlots(t, tid)
		unix.PtraceDetach(tid)
	}
	return out
}

func readCounter(t *testing.T, pid int, addr uint64) uint64 {
	t.Helper()
	v, err := peekWord(pid, addr)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// peekWord reads 8 bytes of process pid at addr.
func peekWord(pid int, addr uint64) (uint64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/mem", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var b [8]byte
	if _, err := f.ReadAt(b[:], int64(addr)); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}

func procState(t *testing.T, pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return f[0]
}

func TestAttachDetachLeavesNoSlots(t *testing.T) {
	needTraps(t)
	spin := startSpin(t)
	pid := spin.Process.Pid
	if n := len(tasks(t, pid)); n != 2 {
		t.Fatalf("spin has %d threads, want 2", n)
	}
	for _, leave := range []string{"detach", "quit", ""} {
		t.Run("by "+map[string]string{"": "end of input"}[leave]+leave, func(t *testing.T) {
			script := "watch -w &shared\nwatch -rw &counters\ninfo slots\ncontinue\n" + leave + "\n"
			r := hwdbg(t, script, "-p", strconv.Itoa(pid))
			if r.code != 0 {
				t.Fatalf("exit %d\n%s", r.code, r)
			}
			res := r.byEvent("result")
			slots := res[2]["slots"].(map[string]any)
			if len(slots) != 2 {
				t.Errorf("info slots shows %d threads, want 2", len(slots))
			}
			for tid, rows := range slots {
				dr0 := rows.([]any)[0].(map[string]any)
				if dr0["enabled"] != true || dr0["access"] != "write" {
					t.Errorf("thread %s DR0 not armed: %v", tid, dr0)
				}
			}
			if len(r.byEvent("watchpoint")) != 1 {
				t.Fatalf("want one hit while attached\n%s", r)
			}
			addr := hexArg(t, res[1]["addr"])
			// Still running, and both threads make progress.
			time.Sleep(50 * time.Millisecond)
			if st := procState(t, pid); st != "R" && st != "S" {
				t.Fatalf("after %q the process is in state %s", leave, st)
			}
			c0, c1 := readCounter(t, pid, addr), readCounter(t, pid, addr+8)
			time.Sleep(100 * time.Millisecond)
			if readCounter(t, pid, addr) == c0 || readCounter(t, pid, addr+8) == c1 {
				t.Fatalf("a thread stopped running after %q", leave)
			}
			for tid, armed := range debugRegs(t, pid) {
				if armed != "" {
					t.Errorf("thread %d: %s after %q, want no slot armed", tid, armed, leave)
				}
			}
		})
	}
}

func TestAttachErrors(t *testing.T) {
	r := hwdbg(t, "", "-p", "999999999")
	if r.code != 1 || len(r.byEvent("error")) != 1 || !strings.Contains(r.byEvent("error")[0]["message"].(string), "no such process") {
		t.Errorf("attach to a missing pid: %s", r)
	}
	spin := startSpin(t)
	// Another tracer holds it: the refusal says so.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pid := spin.Process.Pid
	if _, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SEIZE, uintptr(pid), 0, 0, 0, 0); e != 0 {
		t.Fatalf("seize: %v", e)
	}
	defer unix.PtraceDetach(pid)
	r = hwdbg(t, "", "-p", strconv.Itoa(pid))
	msg := ""
	if e := r.byEvent("error"); len(e) == 1 {
		msg = e[0]["message"].(string)
	}
	if want := fmt.Sprintf("already traced by process %d", os.Getpid()); !strings.Contains(msg, want) {
		t.Errorf("attach to a traced process: %q, want %q", msg, want)
	}
}

// TestAttachRefusalsSayWhy: each reason the kernel refuses an attach is
// named, never a bare "permission denied" or "no such process".
func TestAttachRefusalsSayWhy(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root, to run hwdbg and its targets as another user")
	}
	// hwdbg and the targets where user nobody can run them.
	dir, err := os.MkdirTemp("", "hwdbg-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	hw := placeFor(t, dir, hwdbgBin)
	undumpable := placeFor(t, dir, fixture.C(t, "undumpable", fixture.PIE))
	const nobody = 65534
	asNobody := func(c *exec.Cmd) *exec.Cmd {
		c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
		return c
	}
	attach := func(asUser bool, pid int) string {
		c := exec.Command(hw, "-q", "-p", strconv.Itoa(pid))
		if asUser {
			asNobody(c)
		}
		out, err := c.CombinedOutput()
		if err == nil {
			t.Fatalf("attach to %d succeeded:\n%s", pid, out)
		}
		return string(out)
	}
	start := func(c *exec.Cmd) int {
		out, _ := c.StdoutPipe()
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Process.Kill(); c.Wait() })
		if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || !strings.HasPrefix(line, "ready") {
			t.Fatalf("%s did not start: %q %v", c.Path, line, err)
		}
		return c.Process.Pid
	}

	t.Run("another user's process", func(t *testing.T) {
		pid := startSpin(t).Process.Pid
		if msg := attach(true, pid); !strings.Contains(msg, fmt.Sprintf("it runs as uid 0 and hwdbg as uid %d without CAP_SYS_PTRACE", nobody)) {
			t.Errorf("got %q", msg)
		}
	})
	t.Run("not dumpable", func(t *testing.T) {
		pid := start(asNobody(exec.Command(undumpable)))
		if msg := attach(true, pid); !strings.Contains(msg, "is not dumpable") {
			t.Errorf("got %q", msg)
		}
	})
	t.Run("zombie", func(t *testing.T) {
		c := exec.Command(undumpable)
		pid := start(c)
		c.Process.Signal(syscall.SIGTERM) // not reaped until the cleanup
		for i := 0; i < 100 && procState(t, pid) != "Z"; i++ {
			time.Sleep(10 * time.Millisecond)
		}
		if msg := attach(false, pid); !strings.Contains(msg, "a zombie") {
			t.Errorf("got %q", msg)
		}
	})
}
