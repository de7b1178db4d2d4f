package tracee

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"hwdbg/arch/native"
	"hwdbg/internal/procfs"
)

// These tests run a copy of the test binary (child_test.go) under the
// package's tracer, with the real kernel: threads, stops, events,
// signals, interrupts, detach and kill. They need ptrace, not debug
// registers.

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		child(mode)
	}
	os.Exit(m.Run())
}

// launchChild starts a child doing mode, stopped before its first
// instruction, and ends it with the test.
func launchChild(t *testing.T, mode string) *Process {
	t.Helper()
	t.Setenv(childEnv, mode)
	t.Setenv("GODEBUG", "asyncpreemptoff=1") // no SIGURG stops
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p, err := Launch(exe, nil, nil)
	if err != nil {
		t.Skipf("cannot trace here: %v", err)
	}
	if !p.Launched || p.Path != exe || !slices.Equal(p.Threads(), []int{p.Pid}) || !p.Thread(p.Pid).Stopped() {
		t.Fatalf("launched %+v: threads %v", p, p.Threads())
	}
	watchdog := time.AfterFunc(time.Minute, func() { unix.Kill(p.Pid, unix.SIGKILL) })
	t.Cleanup(func() {
		watchdog.Stop()
		if !p.Exited() {
			p.Do(p.Kill)
		}
		p.Close()
	})
	return p
}

// run resumes every stopped thread and returns the first stop want takes.
// It passes on the others as a debugger that wants none of them would:
// signals are delivered, a fork's child is released, every other stop
// resumed. want runs on the tracer thread: it must not fail the test.
func run(t *testing.T, p *Process, want func(Stop) bool) Stop {
	t.Helper()
	var st Stop
	var err error
	var found bool
	p.Do(func() {
		p.SetRunning(true)
		defer p.SetRunning(false)
		if err = p.ResumeAll(); err != nil {
			return
		}
		for {
			if st, err = p.Wait(); err != nil {
				return
			}
			if found = want(st); found || p.Exited() {
				return
			}
			if st.Ended() {
				continue
			}
			if err = pass(p, st); err != nil {
				return
			}
		}
	})
	if err != nil {
		t.Fatalf("waiting: %v", err)
	}
	if !found {
		t.Fatalf("the program ended (%v) before the stop the test waits for", st)
	}
	return st
}

// pass resumes the thread of st as run does. A thread that is gone
// (killed with its process as it stopped) is no error.
func pass(p *Process, st Stop) error {
	th := p.Thread(st.Tid)
	switch st.Kind {
	case SignalStop:
		th.SetSignal(int(st.Signal))
	case ForkEvent, VForkEvent:
		child, err := p.ForkChild(st.Tid)
		if err != nil {
			return err
		}
		if err := p.ReleaseChild(child); err != nil {
			return err
		}
	}
	if err := p.Resume(th); err != nil && err != unix.ESRCH {
		return err
	}
	return nil
}

func signalStop(sig unix.Signal) func(Stop) bool {
	return func(st Stop) bool { return st.Kind == SignalStop && st.Signal == sig }
}

func processExit(p *Process) func(Stop) bool {
	return func(st Stop) bool { return st.Ended() && st.Tid == p.Pid }
}

func TestLaunchExit(t *testing.T) {
	p := launchChild(t, "exit")
	st := run(t, p, processExit(p))
	if st.Kind != Exited || st.Status != 7 || !p.Exited() || p.NumThreads() != 0 {
		t.Fatalf("end: %v, exited %v, threads %v", st, p.Exited(), p.Threads())
	}
	var err error
	p.Do(func() { _, err = p.Wait() })
	if err == nil {
		t.Errorf("a wait after the end did not fail")
	}
}

// TestUnblockSignal: SIGTRAP is taken out of a stopped thread's blocked
// signals, and nothing else; a second time there is nothing to do.
func TestUnblockSignal(t *testing.T) {
	p := launchChild(t, "exit")
	var set, first, second error
	var was1, was2, trapBefore, trapAfter, usr1After bool
	p.Do(func() {
		set = ptraceSetSigmask(p.Pid, 1<<(unix.SIGTRAP-1)|1<<(unix.SIGUSR1-1))
		trapBefore = p.SignalBlocked(p.Pid, unix.SIGTRAP)
		was1, first = p.UnblockSignal(p.Pid, unix.SIGTRAP)
		was2, second = p.UnblockSignal(p.Pid, unix.SIGTRAP)
		trapAfter = p.SignalBlocked(p.Pid, unix.SIGTRAP)
		usr1After = p.SignalBlocked(p.Pid, unix.SIGUSR1)
	})
	if err := errors.Join(set, first, second); err != nil {
		t.Fatal(err)
	}
	if !trapBefore || !was1 || was2 || trapAfter || !usr1After {
		t.Errorf("blocked before %v, unblocked %v then %v, blocked after %v, SIGUSR1 still blocked %v",
			trapBefore, was1, was2, trapAfter, usr1After)
	}
	if st := run(t, p, processExit(p)); st.Kind != Exited || st.Status != 7 {
		t.Errorf("end: %v", st)
	}
}

func TestLaunchRefusals(t *testing.T) {
	text := t.TempDir() + "/text"
	if err := os.WriteFile(text, []byte("not a program\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{"/nonexistent/program", "cannot start /nonexistent/program: no such file or directory"},
		{t.TempDir(), "not an executable file"},
		{text, "cannot start " + text + ": not an executable file"},
	} {
		p, err := Launch(tc.path, nil, nil)
		if err == nil {
			p.Do(p.Kill)
			p.Close()
			t.Errorf("%s: launched", tc.path)
		} else if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.path, err, tc.want)
		}
	}
}

// TestThreads: new threads are announced (clone, first stop); StopAll
// stops every running thread and holds a stop that came meanwhile, which
// Wait then returns first; a signal passed on is delivered.
func TestThreads(t *testing.T) {
	p := launchChild(t, "threads")
	cloned, started := map[int]bool{}, map[int]bool{}
	note := func(st Stop) {
		switch {
		case st.Kind == CloneEvent:
			cloned[st.Child] = true
		case st.NewThread:
			started[st.Tid] = true
		}
	}
	run(t, p, func(st Stop) bool {
		note(st)
		return signalStop(sigReady)(st)
	})
	if len(started) < 4 {
		t.Errorf("threads started: %v", started)
	}

	// The leader goes on to raise sigWant, and stops there, while the
	// other threads run: StopAll finds its stop and holds it.
	leader := p.Thread(p.Pid)
	var ended []Stop
	var err error
	p.Do(func() {
		if err = p.Resume(leader); err == nil {
			time.Sleep(200 * time.Millisecond)
			ended = p.StopAll()
			for _, st := range ended {
				note(st)
			}
		}
	})
	if err != nil || slices.ContainsFunc(ended, Stop.Ended) {
		t.Fatalf("resume %v, stop-all reported %v", err, ended)
	}
	if p.AnyRunning() {
		t.Fatalf("a thread runs after StopAll")
	}
	for _, tid := range p.Threads() {
		if s := taskState(p.Pid, tid); s != "t" {
			t.Errorf("thread %d is in state %q after StopAll, want t (traced)", tid, s)
		}
	}
	if !leader.Held() {
		t.Fatalf("the leader's stop was not held")
	}
	// Held stops come first, by thread: the leader's, then any other
	// thread's (a clone event that came while it was interrupted).
	var st Stop
	p.Do(func() { st, err = p.Wait() })
	if err != nil || st.Tid != p.Pid || !signalStop(sigWant)(st) || leader.Held() {
		t.Fatalf("first stop after StopAll: %v (%v), want the leader's held %v", st, err, sigWant)
	}
	if st.Info != (Siginfo{}) || st.InfoErr != nil {
		t.Errorf("siginfo read for a signal that says nowhere: %+v %v", st.Info, st.InfoErr)
	}
	p.Do(func() {
		for slices.ContainsFunc(p.Threads(), func(tid int) bool { return p.Thread(tid).Held() }) {
			var held Stop
			if held, err = p.Wait(); err != nil {
				return
			}
			note(held)
		}
	})
	// Every thread stopped and every held stop taken, each thread was
	// announced both ways: its parent's clone event, and its own first
	// stop.
	if err != nil || !mapsEqual(cloned, started) {
		t.Errorf("threads cloned %v, started %v (%v)", cloned, started, err)
	}
	if tasks, err := procfs.Tasks(p.Pid); err != nil || !slices.Equal(tasks, p.Threads()) {
		t.Errorf("tasks %v (%v), threads %v", tasks, err, p.Threads())
	}
	p.Do(func() { err = pass(p, st) })
	if err != nil {
		t.Fatal(err)
	}
	// The child exits 3 when the signal reaches it.
	if st := run(t, p, processExit(p)); st.Kind != Exited || st.Status != 3 {
		t.Errorf("end: %v, want exit 3 (the signal delivered)", st)
	}
}

func mapsEqual(a, b map[int]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// taskState is the state letter of a thread.
func taskState(pid, tid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/stat", pid, tid))
	if err != nil {
		return ""
	}
	s := string(b)
	if f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]); len(f) > 0 {
		return f[0]
	}
	return ""
}

func TestThreadExit(t *testing.T) {
	p := launchChild(t, "thread-exit")
	st := run(t, p, func(st Stop) bool { return st.Ended() })
	if st.Tid == p.Pid || st.Kind != Exited || p.Exited() || p.Thread(st.Tid) != nil {
		t.Fatalf("first end: %v, process exited %v, threads %v", st, p.Exited(), p.Threads())
	}
	if st := run(t, p, processExit(p)); st.Kind != Exited || st.Status != 0 {
		t.Errorf("end: %v", st)
	}
}

// TestExec: a thread that is not the leader execs; it is then the only
// thread, under the process's id.
func TestExec(t *testing.T) {
	p := launchChild(t, "exec")
	exe := p.Path
	st := run(t, p, func(st Stop) bool { return st.Kind == ExecEvent })
	if st.Tid != p.Pid || st.Former == p.Pid || st.Former == 0 {
		t.Errorf("exec: %+v (pid %d): want the former thread id", st, p.Pid)
	}
	if !slices.Equal(p.Threads(), []int{p.Pid}) || !p.Thread(p.Pid).Stopped() || p.Path != exe {
		t.Errorf("after exec: threads %v, path %s", p.Threads(), p.Path)
	}
	if st := run(t, p, processExit(p)); st.Kind != Exited || st.Status != 7 {
		t.Errorf("end: %v, want the new program's exit 7", st)
	}
}

// TestVfork: the child of a vfork is released, runs untraced, and its
// exit status comes back through its parent.
func TestVfork(t *testing.T) {
	p := launchChild(t, "vfork")
	var kinds []Kind
	st := run(t, p, func(st Stop) bool {
		if st.Kind == ForkEvent || st.Kind == VForkEvent || st.Kind == VForkDoneEvent {
			kinds = append(kinds, st.Kind)
		}
		return processExit(p)(st)
	})
	if st.Kind != Exited || st.Status != 7 {
		t.Errorf("end: %v, want the child's exit status 7", st)
	}
	// Go starts a process with a vfork (and may probe for pidfds with
	// another first).
	vforks, dones := 0, 0
	for _, k := range kinds {
		switch k {
		case VForkEvent:
			vforks++
		case VForkDoneEvent:
			dones++
		}
	}
	if vforks == 0 || vforks != dones || vforks+dones != len(kinds) {
		t.Errorf("fork events %v", kinds)
	}
}

func TestFaultSiginfo(t *testing.T) {
	p := launchChild(t, "segv")
	st := run(t, p, signalStop(unix.SIGSEGV))
	if st.InfoErr != nil || st.Info.Signo != int32(unix.SIGSEGV) || st.Info.Addr != segvAddr {
		t.Errorf("SIGSEGV siginfo %+v (%v), want the address %#x", st.Info, st.InfoErr, segvAddr)
	}
	p.Do(p.Kill)
	if !p.Exited() || procfs.State(p.Pid) != "" {
		t.Errorf("after kill: exited %v, state %q", p.Exited(), procfs.State(p.Pid))
	}
}

// TestInterrupt: an interrupt stops a running program with our SIGSTOP,
// told from the program's own; one is sent a run, none after it; Park
// moves the thread into an event stop.
func TestInterrupt(t *testing.T) {
	p := launchChild(t, "spin")
	go func() {
		for {
			if r, on := p.Running(); on {
				time.Sleep(50 * time.Millisecond)
				p.InterruptRun(r, p.Pid)
				p.InterruptRun(r, p.Pid) // once a run
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	var ours bool
	st := run(t, p, func(st Stop) bool {
		if signalStop(unix.SIGSTOP)(st) {
			ours = p.TakeInterrupt()
			return true
		}
		return false
	})
	if !ours || st.Tid != p.Pid || p.Interrupting() {
		t.Fatalf("stop %v: ours %v, still interrupting %v", st, ours, p.Interrupting())
	}
	r, on := p.Running()
	if on {
		t.Fatalf("running after the run")
	}
	p.InterruptRun(r, p.Pid) // too late: no run
	if p.Interrupting() {
		t.Errorf("an interrupt was sent between runs")
	}
	var ended []Stop
	var before, after Siginfo
	p.Do(func() {
		p.StopAll()
		before, _ = p.Siginfo(p.Pid)
		ended = p.Park()
		after, _ = p.Siginfo(p.Pid)
	})
	if len(ended) != 0 || before.Code >= 0x100 || after.Code>>8 != unix.PTRACE_EVENT_STOP {
		t.Errorf("park: ended %v, si_code before %#x, after %#x (want an event stop)", ended, before.Code, after.Code)
	}
}

// TestDrainInterrupts: an interrupt sent as the program stopped for
// another reason is taken, not left to stop the next run.
func TestDrainInterrupts(t *testing.T) {
	p := launchChild(t, "exit")
	p.SetRunning(true)
	r, _ := p.Running()
	p.InterruptRun(r, p.Pid) // the thread is stopped: the SIGSTOP waits
	p.SetRunning(false)
	if !procfs.SigPending(p.Pid, p.Pid, int(unix.SIGSTOP)) || !p.Interrupting() {
		t.Fatalf("no interrupt pending")
	}
	p.Do(p.DrainInterrupts)
	if procfs.SigPending(p.Pid, p.Pid, int(unix.SIGSTOP)) || p.Interrupting() || !p.Thread(p.Pid).Stopped() {
		t.Fatalf("after the drain: pending %v, interrupting %v", procfs.SigPending(p.Pid, p.Pid, int(unix.SIGSTOP)), p.Interrupting())
	}
	if st := run(t, p, func(st Stop) bool { return st.Ended() || signalStop(unix.SIGSTOP)(st) }); st.Kind != Exited || st.Status != 7 {
		t.Errorf("the run after the drain: %v, want exit 7", st)
	}
}

// TestGroupStop: a program that stops itself stays stopped, under trace,
// until SIGCONT.
func TestGroupStop(t *testing.T) {
	p := launchChild(t, "stopself")
	run(t, p, func(st Stop) bool { return st.Kind == GroupStop && st.Tid == p.Pid && st.Signal == unix.SIGSTOP })
	var err error
	p.Do(func() { err = p.ResumeAll() })
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if s := procfs.State(p.Pid); s != "t" && s != "T" {
		t.Errorf("state %q in its group-stop", s)
	}
	unix.Kill(p.Pid, unix.SIGCONT)
	if st := run(t, p, processExit(p)); st.Kind != Exited || st.Status != 5 {
		t.Errorf("end: %v, want exit 5", st)
	}
}

// TestSingleStep: an internal step moves the pc and leaves the thread
// stopped; Step and WaitThread do the same for a step the program sees.
func TestSingleStep(t *testing.T) {
	p := launchChild(t, "exit")
	regs := native.New()
	th := p.Thread(p.Pid)
	var pcs []uint64
	var st Stop
	var err error
	pc := func() {
		if r, e := regs.GetRegs(th.Tid); e == nil {
			pcs = append(pcs, r.PC())
		} else {
			err = e
		}
	}
	p.Do(func() {
		pc()
		if err = p.SingleStep(th); err != nil {
			return
		}
		pc()
		if err = p.Step(th, 0); err != nil {
			return
		}
		if st, err = p.WaitThread(th); err != nil {
			return
		}
		pc()
	})
	if err != nil || len(pcs) != 3 || pcs[0] == pcs[1] || pcs[1] == pcs[2] {
		t.Fatalf("pcs %#x, %v", pcs, err)
	}
	if !signalStop(unix.SIGTRAP)(st) || !th.Stopped() || st.InfoErr != nil {
		t.Errorf("after Step: %v (%v), stopped %v", st, st.InfoErr, th.Stopped())
	}
}

func TestDetach(t *testing.T) {
	p := launchChild(t, "spin")
	var err error
	p.Do(func() { err = p.Detach() })
	if err != nil || !p.Exited() {
		t.Fatalf("detach: %v", err)
	}
	time.Sleep(100 * time.Millisecond)
	if tr, s := procfs.TracerOf(p.Pid), procfs.State(p.Pid); tr != 0 || (s != "R" && s != "S") {
		t.Errorf("after detach: tracer %d, state %q, want it running untraced", tr, s)
	}
	unix.Kill(p.Pid, unix.SIGKILL)
	var ws unix.WaitStatus
	unix.Wait4(p.Pid, &ws, 0, nil)
}

// TestAttach: every thread of a running program is seized and stopped;
// a second tracer is refused with the reason.
func TestAttach(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	proc, err := os.StartProcess(exe, []string{exe}, &os.ProcAttr{
		Env:   append(childEnviron("spin"), "GODEBUG=asyncpreemptoff=1"),
		Files: []*os.File{nil, os.Stdout, os.Stderr},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer proc.Wait()
	defer proc.Kill()
	time.Sleep(200 * time.Millisecond)
	p, err := Attach(proc.Pid)
	if err != nil {
		t.Skipf("cannot attach here: %v", err)
	}
	defer p.Close()
	tasks, _ := procfs.Tasks(proc.Pid)
	if p.Launched || p.Path != exe || !slices.Equal(p.Threads(), tasks) || p.AnyRunning() || len(tasks) < 3 {
		t.Errorf("attached %+v: threads %v, tasks %v", p, p.Threads(), tasks)
	}
	for _, tid := range p.Threads() {
		if s := taskState(proc.Pid, tid); s != "t" {
			t.Errorf("thread %d in state %q, want t", tid, s)
		}
	}
	if q, err := Attach(proc.Pid); err == nil {
		q.Close()
		t.Errorf("a second tracer attached")
	} else if want := fmt.Sprintf("cannot attach to %d: it is already traced by process %d", proc.Pid, os.Getpid()); !strings.HasPrefix(err.Error(), want) {
		t.Errorf("second attach: %v, want %q", err, want)
	}
	p.Do(func() { err = p.Detach() })
	if err != nil || procfs.TracerOf(proc.Pid) != 0 {
		t.Errorf("detach: %v, tracer %d", err, procfs.TracerOf(proc.Pid))
	}
}

func TestAttachRefusals(t *testing.T) {
	if _, err := Attach(1 << 30); err == nil || err.Error() != fmt.Sprintf("cannot attach to %d: no such process", 1<<30) {
		t.Errorf("no such process: %v", err)
	}
	exe, _ := os.Executable()
	proc, err := os.StartProcess(exe, []string{exe}, &os.ProcAttr{Env: childEnviron("exit")})
	if err != nil {
		t.Fatal(err)
	}
	defer proc.Wait()
	// Not reaped yet: a zombie.
	var info unix.Siginfo
	unix.Waitid(unix.P_PID, proc.Pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
	if _, err := Attach(proc.Pid); err == nil || !strings.Contains(err.Error(), "a zombie") {
		t.Errorf("zombie: %v", err)
	}
}
