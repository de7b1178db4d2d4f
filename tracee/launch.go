package tracee

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// We follow threads and exec; forks are traced only long enough for the
// debugger to take its breakpoint instructions out of the child, which
// then runs untraced (ReleaseChild).
const traceOptions = unix.PTRACE_O_TRACECLONE | unix.PTRACE_O_TRACEEXEC |
	unix.PTRACE_O_TRACEFORK | unix.PTRACE_O_TRACEVFORK | unix.PTRACE_O_TRACEVFORKDONE

// Launch starts path with args, stopped before its first instruction, on
// a tracer thread of its own. The program's standard input is stdin (nil:
// /dev/null); its output goes to ours. It dies with the tracer thread
// (PTRACE_O_EXITKILL).
func Launch(path string, args []string, stdin *os.File) (*Process, error) {
	return LaunchStdio(path, args, Stdio{In: stdin})
}

// LaunchStdio is Launch with the program's standard input, output and
// error given (Stdio).
func LaunchStdio(path string, args []string, stdio Stdio) (*Process, error) {
	exe, err := findExecutable(path)
	if err != nil {
		return nil, err
	}
	tr := newTracer()
	var p *Process
	start := time.Now()
	tr.do(func() { p, err = launch(tr, exe, args, stdio) })
	Tracef("launch %s: %v", exe, time.Since(start))
	if err != nil {
		tr.close()
		return nil, err
	}
	return p, nil
}

func findExecutable(path string) (string, error) {
	if !strings.Contains(path, "/") {
		if p, err := exec.LookPath(path); err == nil {
			path = p
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("cannot start %s: %w", path, errors.Unwrap(err))
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return "", fmt.Errorf("cannot start %s: not an executable file", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	return abs, nil
}

// launch starts the program under PTRACE_TRACEME (the only way to have it
// stop at its first instruction), then moves it to a PTRACE_SEIZE trace so
// that every thread, launched or attached, is handled the same way
// (PTRACE_INTERRUPT, PTRACE_EVENT_STOP for new threads and group-stops).
func launch(tr *tracer, exe string, args []string, stdio Stdio) (*Process, error) {
	files, closeNull, err := stdio.files()
	if err != nil {
		return nil, fmt.Errorf("cannot start %s: %w", exe, err)
	}
	defer closeNull()
	attr := &os.ProcAttr{
		Files: files,
		Sys:   &syscall.SysProcAttr{Ptrace: true},
	}
	proc, err := os.StartProcess(exe, append([]string{exe}, args...), attr)
	if err != nil {
		return nil, fmt.Errorf("cannot start %s: %w", exe, err)
	}
	pid := proc.Pid
	// The child stops with SIGTRAP once exec has loaded the program.
	if _, ws, err := wait4(pid); err != nil || !ws.Stopped() {
		unix.Kill(pid, unix.SIGKILL)
		wait4(pid)
		return nil, fmt.Errorf("cannot start %s: it did not stop after exec (status %v, %v)", exe, ws, err)
	}
	// Detach into a SIGSTOP (it stops before running one instruction),
	// then seize it.
	if err := ptraceDetach(pid, int(unix.SIGSTOP)); err != nil {
		unix.Kill(pid, unix.SIGKILL)
		return nil, fmt.Errorf("cannot start %s: detach: %w", exe, err)
	}
	if err := ptraceSeize(pid, traceOptions|unix.PTRACE_O_EXITKILL); err != nil {
		unix.Kill(pid, unix.SIGKILL)
		return nil, fmt.Errorf("cannot start %s: seize: %w", exe, err)
	}
	// A seized process already in group-stop reports it as an event stop.
	if err := waitInitialStop(pid, nil); err != nil {
		unix.Kill(pid, unix.SIGKILL)
		return nil, fmt.Errorf("cannot start %s: %w", exe, err)
	}
	if err := clearLaunchStop(pid); err != nil {
		unix.Kill(pid, unix.SIGKILL)
		return nil, fmt.Errorf("cannot start %s: %w", exe, err)
	}
	p := newProcess(tr, pid, exe, true)
	p.threads[pid] = &Thread{Tid: pid, stopped: true}
	return p, nil
}

// clearLaunchStop ends the job-control stop the launch left the process
// in, so that its threads are not reported as group-stopped later. SIGCONT
// clears the stop when it is sent; its delivery is then caught at the
// next resume, still before the program's first instruction, and dropped.
func clearLaunchStop(pid int) error {
	if err := unix.Kill(pid, unix.SIGCONT); err != nil {
		return err
	}
	for i := 0; i < 16; i++ {
		if err := ptraceCont(pid, 0); err != nil {
			return fmt.Errorf("resume after launch: %w", err)
		}
		_, ws, err := wait4(pid)
		if err != nil {
			return fmt.Errorf("wait after launch: %w", err)
		}
		Tracef("launch: %s", describeStatus(ws))
		if !ws.Stopped() {
			return fmt.Errorf("the program ended before its first instruction (%s)", describeStatus(ws))
		}
		if stopEvent(ws) == 0 && ws.StopSignal() == unix.SIGCONT {
			return nil
		}
	}
	return fmt.Errorf("the program did not stop after launch")
}

// waitInitialStop waits until tid, just seized and interrupted, reports a
// stop we can work from. th, when given, is told it is group-stopped: we
// attached to a stopped process, and it stays so.
func waitInitialStop(tid int, th *Thread) error {
	for {
		_, ws, err := wait4(tid)
		Tracef("initial stop of %d: %s (%v)", tid, describeStatus(ws), err)
		if err != nil {
			return fmt.Errorf("wait for thread %d: %w", tid, err)
		}
		if ws.Exited() || ws.Signaled() {
			return fmt.Errorf("thread %d ended while attaching", tid)
		}
		if ws.Stopped() && stopEvent(ws) == unix.PTRACE_EVENT_STOP {
			if th != nil && isStopSignal(ws.StopSignal()) {
				th.groupStop = true
			}
			return nil
		}
		// Any other stop (a signal that raced with us): keep the signal
		// for later delivery by re-queueing it, and wait again.
		if ws.Stopped() {
			sig := ws.StopSignal()
			if err := ptraceCont(tid, int(sig)); err != nil {
				return err
			}
			if err := ptraceInterrupt(tid); err != nil {
				return err
			}
		}
	}
}
