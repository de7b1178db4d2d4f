//go:build !(linux && arm64)

package arm64

import (
	"fmt"
	"runtime"

	"hwdbg/arch"
)

// On other systems the package still builds (codecs, Split, Attribute,
// Decode), but nothing can reach an arm64 thread's registers.

func errNoPtrace(tid int, what string) error {
	return fmt.Errorf("thread %d: %s needs ptrace on linux/arm64; this is %s/%s", tid, what, runtime.GOOS, runtime.GOARCH)
}

// Slots is only available on linux/arm64.
func (*Backend) Slots(tid int) ([]arch.SlotInfo, error) {
	return nil, errNoPtrace(tid, "counting debug registers")
}

// ReadSlots is only available on linux/arm64.
func (*Backend) ReadSlots(tid int) ([]arch.Slot, error) {
	return nil, errNoPtrace(tid, "reading debug registers")
}

// WriteSlots is only available on linux/arm64.
func (*Backend) WriteSlots(tid int, slots []arch.Slot) error {
	return errNoPtrace(tid, "writing debug registers")
}

// DecodeTrap is only available on linux/arm64.
func (*Backend) DecodeTrap(tid int, siCode int32, siAddr uint64) (arch.Trap, error) {
	return arch.Trap{}, errNoPtrace(tid, "decoding a trap")
}

// GetRegs is only available on linux/arm64.
func (*Backend) GetRegs(tid int) (arch.Regs, error) {
	return nil, errNoPtrace(tid, "reading registers")
}

// SetRegs is only available on linux/arm64.
func (*Backend) SetRegs(tid int, r arch.Regs) error {
	return errNoPtrace(tid, "writing registers")
}

func readV(tid int) ([4][]byte, error) {
	return [4][]byte{}, errNoPtrace(tid, "reading vector registers")
}
