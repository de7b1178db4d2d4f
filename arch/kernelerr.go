package arch

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// KernelError is a kernel refusal of a debug-register request turned into
// one plain sentence. It unwraps to the errno, so errors.Is(err,
// unix.EINVAL) works.
type KernelError struct {
	Tid   int
	What  string // e.g. "DR0=0x1001 (write, 8 bytes)"
	Errno unix.Errno
	// Invalid says why this machine refuses a slot with EINVAL.
	Invalid string
}

func (e *KernelError) Error() string {
	var why string
	switch e.Errno {
	case unix.EINVAL:
		why = "the kernel refused " + e.What + ": " + e.Invalid
	case unix.ENOSPC:
		why = "no free debug register for " + e.What + ": another user (perf_event) already holds this thread's slots"
	case unix.ESRCH, unix.EPERM:
		why = fmt.Sprintf("thread %d is not stopped under our trace (%s)", e.Tid, e.What)
	case unix.EIO, unix.EFAULT, unix.ENODEV:
		why = "the kernel has no such register: " + e.What
	default:
		why = "the kernel refused " + e.What
	}
	return fmt.Sprintf("thread %d: %s (%v)", e.Tid, why, e.Errno)
}

func (e *KernelError) Unwrap() error { return e.Errno }

// NewKernelError wraps err from a ptrace request about what on thread
// tid; invalid is the machine's reason for EINVAL.
func NewKernelError(tid int, what string, err error, invalid string) error {
	var en unix.Errno
	if errors.As(err, &en) {
		return &KernelError{Tid: tid, What: what, Errno: en, Invalid: invalid}
	}
	return fmt.Errorf("thread %d: %s: %w", tid, what, err)
}
