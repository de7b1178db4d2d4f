package tracee

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"hwdbg/internal/procfs"
)

// Attach seizes every thread of process pid and stops them, on a tracer
// thread of its own. A refusal says why, in a plain sentence.
func Attach(pid int) (*Process, error) {
	if state := procfs.State(pid); state == "Z" || state == "X" {
		return nil, fmt.Errorf("cannot attach to %d: it has exited and waits for its parent to reap it (a zombie): there is nothing left to debug", pid)
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		switch {
		case os.IsNotExist(err):
			return nil, fmt.Errorf("cannot attach to %d: no such process", pid)
		case os.IsPermission(err):
			// The kernel's ptrace access check guards /proc/PID/exe too.
			return nil, attachError(pid, unix.EPERM)
		}
		return nil, fmt.Errorf("cannot attach to %d: %w", pid, errors.Unwrap(err))
	}
	tr := newTracer()
	p := newProcess(tr, pid, exe, false)
	tr.do(func() { err = p.attach() })
	if err != nil {
		tr.close()
		return nil, err
	}
	return p, nil
}

func (p *Process) attach() error {
	// Threads can appear while we attach: list /proc/PID/task until a
	// pass finds no thread we have not seized. Threads created after a
	// seize are traced automatically (PTRACE_O_TRACECLONE).
	for pass := 0; ; pass++ {
		tids, err := procfs.Tasks(p.Pid)
		if err != nil {
			p.Detach()
			return fmt.Errorf("cannot attach to %d: %w", p.Pid, err)
		}
		added := 0
		for _, tid := range tids {
			if _, ok := p.threads[tid]; ok {
				continue
			}
			if err := ptraceSeize(tid, traceOptions); err != nil {
				if err == unix.ESRCH && pass > 0 {
					continue // the thread exited meanwhile
				}
				p.Detach()
				return attachError(p.Pid, err)
			}
			p.threads[tid] = &Thread{Tid: tid}
			added++
		}
		if added == 0 {
			break
		}
	}
	for tid := range p.threads {
		ptraceInterrupt(tid)
	}
	for tid, th := range p.threads {
		if err := waitInitialStop(tid, th); err != nil {
			delete(p.threads, tid)
			continue
		}
		th.stopped = true
	}
	if len(p.threads) == 0 {
		return fmt.Errorf("cannot attach to %d: the process is gone", p.Pid)
	}
	return nil
}

func attachError(pid int, err error) error {
	switch err {
	case unix.EPERM:
		return fmt.Errorf("cannot attach to %d: %s", pid, attachRefusal(pid))
	case unix.ESRCH:
		return fmt.Errorf("cannot attach to %d: no such process", pid)
	}
	return fmt.Errorf("cannot attach to %d: %w", pid, err)
}

// capSysPtrace is CAP_SYS_PTRACE's bit (include/uapi/linux/capability.h).
const capSysPtrace = 19

// attachRefusal says why the kernel refused to let us trace pid, from
// what /proc tells: another tracer, another user's process, a process
// that is not dumpable or lives in a user namespace where we hold no
// capability, Yama's ptrace_scope.
func attachRefusal(pid int) string {
	if tracer := procfs.TracerOf(pid); tracer != 0 {
		reason := fmt.Sprintf("it is already traced by process %d", tracer)
		if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", tracer)); err == nil {
			reason += fmt.Sprintf(" (%s); detach that debugger first", strings.TrimSpace(string(comm)))
		}
		return reason
	}
	eff, _ := strconv.ParseUint(procfs.StatusValue("/proc/self/status", "CapEff:"), 16, 64)
	capable := eff&(1<<capSysPtrace) != 0
	uid, me := -1, os.Getuid()
	if f := strings.Fields(procfs.StatusValue(fmt.Sprintf("/proc/%d/status", pid), "Uid:")); len(f) > 0 {
		uid, _ = strconv.Atoi(f[0])
	}
	name := ""
	if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); err == nil {
		name = " (" + strings.TrimSpace(string(comm)) + ")"
	}
	scope := -1
	if b, err := os.ReadFile("/proc/sys/kernel/yama/ptrace_scope"); err == nil {
		scope, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	switch {
	case scope == 3:
		return "kernel.yama.ptrace_scope is 3: this kernel lets no process attach to another (programs hwdbg starts still work)"
	case !capable && uid >= 0 && uid != me:
		return fmt.Sprintf("it runs as uid %d and hwdbg as uid %d without CAP_SYS_PTRACE: run hwdbg as that user, or as root", uid, me)
	case !capable && scope == 2:
		return "kernel.yama.ptrace_scope is 2: attaching needs CAP_SYS_PTRACE (run hwdbg as root)"
	}
	if _, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/user", pid)); err != nil {
		// The kernel's access check fails even for reading it.
		what := "it"
		if pid == 1 {
			what = "pid 1" + name + ", the first process of its PID namespace,"
		}
		return what + " is not dumpable (a setuid program, or one that called prctl(PR_SET_DUMPABLE, 0)) or belongs to a user namespace in which hwdbg holds no CAP_SYS_PTRACE: the kernel lets only such a tracer attach"
	}
	if !capable && scope == 1 {
		return "kernel.yama.ptrace_scope is 1: only its ancestors may attach without CAP_SYS_PTRACE: run hwdbg as root, start the program under hwdbg, or set the sysctl to 0"
	}
	return "permission denied by the kernel (a security module?)"
}
