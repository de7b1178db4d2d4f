// Package guard keeps an attached program alive when hwdbg dies without
// detaching (SIGKILL, a crash).
//
// Slots armed through ptrace belong to the traced threads: the kernel
// leaves them armed when their tracer dies, and the program dies of
// SIGTRAP at its next watched access. (Slots armed as perf events,
// arch/perfslots, need no guard: the kernel removes them with hwdbg's
// descriptors.) A guardian is a copy of hwdbg, detached from it (its own
// session, not its child), that holds the read end of a pipe. If hwdbg
// detaches cleanly it says so (Done) and the guardian leaves. If the pipe
// reaches end of file first, hwdbg is dying: the guardian takes every
// thread of the program as soon as the kernel lets go of it, clears its
// slots, and lets it run on.
package guard

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"hwdbg/arch"
	"hwdbg/arch/native"
	"hwdbg/internal/procfs"
)

const (
	// pidEnv, in a copy of this program, makes it a guardian of that
	// pid; stageEnv says which of its two processes it is (see init).
	pidEnv   = "HWDBG_GUARD_PID"
	stageEnv = "HWDBG_GUARD_STAGE"
	// OffEnv=1 starts no guardian (for tests that show what it prevents).
	OffEnv = "HWDBG_NO_GUARDIAN"
	// done is what hwdbg writes when it detached cleanly.
	done = 'd'
	// patience is how long a guardian waits for the kernel to let go of
	// the program's threads.
	patience = 2 * time.Second
)

// init turns a copy of this program started by Start into a guardian. The
// first copy starts the second in a session of its own and exits, so the
// guardian is nobody's child in hwdbg (whose wait for any traced thread
// must never see it).
func init() {
	pid, err := strconv.Atoi(os.Getenv(pidEnv))
	if err != nil {
		return
	}
	pipe := os.NewFile(3, "guard")
	switch os.Getenv(stageEnv) {
	case "1":
		cmd := exec.Command("/proc/self/exe")
		cmd.Env = append(os.Environ(), stageEnv+"=2")
		cmd.ExtraFiles = []*os.File{pipe}
		cmd.SysProcAttr = &unix.SysProcAttr{Setsid: true}
		if cmd.Start() != nil {
			os.Exit(1)
		}
		os.Exit(0)
	case "2":
		guard(pid, pipe)
		os.Exit(0)
	}
}

// A Guard is hwdbg's end of a guardian's pipe.
type Guard struct{ w *os.File }

// Start starts a guardian for process pid. Nil and no error when guards
// are turned off (OffEnv).
func Start(pid int) (*Guard, error) {
	if os.Getenv(OffEnv) == "1" {
		return nil, nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("start a guardian: %w", err)
	}
	defer r.Close()
	cmd := exec.Command("/proc/self/exe")
	cmd.Env = append(os.Environ(), pidEnv+"="+strconv.Itoa(pid), stageEnv+"=1")
	cmd.ExtraFiles = []*os.File{r}
	if err := cmd.Run(); err != nil {
		w.Close()
		return nil, fmt.Errorf("start a guardian: %w", err)
	}
	return &Guard{w: w}, nil
}

// Done tells the guardian that hwdbg let go of the program cleanly.
func (g *Guard) Done() {
	if g == nil || g.w == nil {
		return
	}
	g.w.Write([]byte{done})
	g.w.Close()
	g.w = nil
}

// guard waits for hwdbg's word or its death, and after a death clears
// the slots of every thread of pid.
//
// It runs on one OS thread throughout, which sleeps and wakes in the
// kernel (a blocking read, nanosleep), not in Go's scheduler: ptrace
// requests must come from the thread that seized, and that thread has
// the priority (hurry).
func guard(pid int, pipe *os.File) {
	runtime.LockOSThread()
	hurry()
	fd := int(pipe.Fd()) // Fd puts the descriptor in blocking mode
	var b [1]byte
	for {
		n, err := unix.Read(fd, b[:])
		if err == unix.EINTR {
			continue
		}
		if n == 1 && b[0] == done {
			return
		}
		break
	}
	seized := seizeAll(pid)
	b2 := native.New()
	for _, tid := range seized {
		var ws unix.WaitStatus
		if _, err := unix.Wait4(tid, &ws, unix.WALL, nil); err != nil || !ws.Stopped() {
			continue
		}
		if infos, err := b2.Slots(tid); err == nil {
			b2.WriteSlots(tid, make([]arch.Slot, len(infos)))
		}
		unix.PtraceDetach(tid)
	}
}

// hurry makes the guardian's thread run the moment hwdbg dies, ahead of the
// program: between the kernel's letting go of the program's threads and
// the guardian's clearing their slots, a watched access kills the
// program. The guardian sleeps until then, so a real-time priority costs
// the machine nothing. Where that is refused (no CAP_SYS_NICE), the
// highest ordinary priority, else none.
func hurry() {
	attr := unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_FIFO, Priority: 1}
	if unix.SchedSetAttr(0, &attr, 0) != nil {
		unix.Setpriority(unix.PRIO_PROCESS, 0, -20)
	}
}

// seizeAll seizes and interrupts every thread of pid as soon as the dying
// tracer's hold on it is gone (until then the kernel answers EPERM).
func seizeAll(pid int) []int {
	seized := map[int]bool{}
	var order []int
	deadline := time.Now().Add(patience)
	for time.Now().Before(deadline) {
		tids, err := procfs.Tasks(pid)
		if err != nil {
			break // the program is gone
		}
		waiting := false
		for _, tid := range tids {
			if seized[tid] {
				continue
			}
			err := unix.PtraceSeize(tid)
			if err == nil {
				unix.PtraceInterrupt(tid)
				seized[tid] = true
				order = append(order, tid)
				continue
			}
			if errors.Is(err, unix.EPERM) {
				waiting = true
			}
		}
		if !waiting {
			break
		}
		unix.Nanosleep(&unix.Timespec{Nsec: 50_000}, nil)
	}
	return order
}
