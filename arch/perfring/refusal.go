package perfring

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"hwdbg/arch"
)

// OpenError is the kernel's refusal of a perf breakpoint on one thread,
// as one sentence that says why and what to do. It unwraps to the errno.
type OpenError struct {
	Tid    int
	Piece  arch.Piece
	Access arch.Access
	Errno  unix.Errno
	// Why is the reason, and the way out, for this errno on this
	// machine (see explain).
	Why string
}

func (e *OpenError) Error() string {
	return fmt.Sprintf("cannot trace %s accesses to %d bytes at %#x on thread %d: %s (%v)",
		e.Access, e.Piece.Len, e.Piece.Addr, e.Tid, e.Why, e.Errno)
}

func (e *OpenError) Unwrap() error { return e.Errno }

// perms is what decides a permission refusal: kernel.perf_event_paranoid
// and whether this process has CAP_PERFMON or CAP_SYS_ADMIN.
type perms struct {
	paranoid   int // -2 when it could not be read
	privileged bool
}

// readPerms reads them from /proc.
func readPerms() perms {
	p := perms{paranoid: -2}
	if b, err := os.ReadFile("/proc/sys/kernel/perf_event_paranoid"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			p.paranoid = n
		}
	}
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if hex, ok := strings.CutPrefix(line, "CapEff:"); ok {
				caps, _ := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
				const capSysAdmin, capPerfmon = 21, 38
				p.privileged = caps&(1<<capSysAdmin|1<<capPerfmon) != 0
			}
		}
	}
	return p
}

// explain says why perf_event_open refused a breakpoint with errno, and
// what to do about it; p matters for a permission refusal only.
func explain(errno unix.Errno, p perms) string {
	switch errno {
	case unix.EACCES, unix.EPERM:
		if !p.privileged && p.paranoid > 2 {
			return fmt.Sprintf("kernel.perf_event_paranoid is %d, which allows perf events only to processes with CAP_PERFMON or CAP_SYS_ADMIN: run hwdbg as root or give it CAP_PERFMON, or set the sysctl kernel.perf_event_paranoid=2", p.paranoid)
		}
		if !p.privileged {
			return "perf events on a thread need the right to trace its process (the same user, or CAP_SYS_PTRACE), and CAP_PERFMON where kernel.perf_event_paranoid forbids the rest: run hwdbg as the program's user, as root, or with CAP_PERFMON"
		}
		return "the kernel forbids perf events on this process even with CAP_PERFMON (a security module, or a process that is not dumpable): check the kernel log"
	case unix.ENOSPC:
		return "every hardware breakpoint slot of the thread is taken (by watchpoints or breakpoints set through ptrace, or by another tool's perf breakpoints): delete a watchpoint or trace a smaller range"
	case unix.ENOENT, unix.EOPNOTSUPP, unix.ENODEV:
		return "this kernel or machine has no hardware breakpoints for perf events (a kernel built without CONFIG_HAVE_HW_BREAKPOINT, or a virtual machine without debug registers): `hwdbg doctor` says what this machine allows"
	case unix.ENOSYS:
		return "this kernel has no perf events (built without CONFIG_PERF_EVENTS)"
	case unix.EINVAL:
		return "the kernel refused the range: it must be aligned to its length, of a length the hardware has, and in user space"
	case unix.ESRCH:
		return "the thread is gone"
	case unix.EMFILE, unix.ENFILE:
		return "out of file descriptors (each traced thread takes one per slot): raise the limit (ulimit -n)"
	case unix.EOVERFLOW:
		return "the callchain depth asked for exceeds kernel.perf_event_max_stack"
	}
	return "perf_event_open failed"
}

// refusal turns perf_event_open's error for piece on thread tid into an
// OpenError when the kernel gave an errno.
func refusal(tid int, piece arch.Piece, acc arch.Access, err error) error {
	var errno unix.Errno
	if !errors.As(err, &errno) {
		return fmt.Errorf("cannot trace %s accesses to %d bytes at %#x on thread %d: %w", acc, piece.Len, piece.Addr, tid, err)
	}
	var p perms
	if errno == unix.EACCES || errno == unix.EPERM {
		p = readPerms()
	}
	return &OpenError{Tid: tid, Piece: piece, Access: acc, Errno: errno, Why: explain(errno, p)}
}

// memlockError is a ring the locked-memory limit refused.
type memlockError struct {
	kb  int
	err error
}

func (e *memlockError) Error() string {
	return fmt.Sprintf("cannot map a perf ring of %d KiB: over the locked-memory limit (kernel.perf_event_mlock_kb, then RLIMIT_MEMLOCK; every traced thread has a ring): choose fewer ring pages, raise `ulimit -l`, or run with CAP_IPC_LOCK (%v)", e.kb, e.err)
}

func (e *memlockError) Unwrap() error { return e.err }

// mmapRefusal explains a failed mmap of a ring of pages data pages.
func mmapRefusal(pages int, err error) error {
	kb := (1 + pages) * os.Getpagesize() / 1024
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.ENOMEM) {
		return &memlockError{kb, err}
	}
	return fmt.Errorf("cannot map a perf ring of %d KiB: %w", kb, err)
}
