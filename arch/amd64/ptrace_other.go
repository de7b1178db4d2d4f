//go:build !(linux && amd64)

package amd64

import (
	"fmt"
	"runtime"

	"hwdbg/arch"
)

// On other systems the package still builds (codecs, Split, Decode), but
// nothing can reach an x86-64 thread's registers.

func errNoPtrace(tid int, what string) error {
	return fmt.Errorf("thread %d: %s needs ptrace on linux/amd64; this is %s/%s", tid, what, runtime.GOOS, runtime.GOARCH)
}

// ReadSlots is only available on linux/amd64.
func (*Backend) ReadSlots(tid int) ([]arch.Slot, error) {
	return nil, errNoPtrace(tid, "reading debug registers")
}

// WriteSlots is only available on linux/amd64.
func (*Backend) WriteSlots(tid int, slots []arch.Slot) error {
	return errNoPtrace(tid, "writing debug registers")
}

// DecodeTrap is only available on linux/amd64.
func (*Backend) DecodeTrap(tid int, siCode int32, siAddr uint64) (arch.Trap, error) {
	return arch.Trap{}, errNoPtrace(tid, "reading DR6")
}

// GetRegs is only available on linux/amd64.
func (*Backend) GetRegs(tid int) (arch.Regs, error) {
	return nil, errNoPtrace(tid, "reading registers")
}

// SetRegs is only available on linux/amd64.
func (*Backend) SetRegs(tid int, r arch.Regs) error {
	return errNoPtrace(tid, "writing registers")
}

func readXMM01(tid int) ([2][]byte, error) {
	return [2][]byte{}, errNoPtrace(tid, "reading xmm registers")
}
