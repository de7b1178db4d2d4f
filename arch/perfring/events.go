package perfring

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"

	"hwdbg/arch"
	"hwdbg/arch/perfbp"
)

// bpType is the hw_breakpoint type that records acc.
func bpType(acc arch.Access) (uint32, error) {
	switch acc {
	case arch.Write:
		return perfbp.W, nil
	case arch.Read:
		return perfbp.Read, nil
	case arch.ReadWrite:
		return perfbp.R | perfbp.W, nil
	}
	return 0, fmt.Errorf("a trace records reads, writes or both, not %v accesses", acc)
}

// attr is the event that samples every acc access to piece into a ring
// whose reader is woken when watermark bytes are written; its samples
// carry the piece's address when the range has others (pieces). It
// starts disabled: the ring is set up first.
func attr(piece arch.Piece, acc arch.Access, watermark uint32, pieces bool) (unix.PerfEventAttr, error) {
	typ, err := bpType(acc)
	if err != nil {
		return unix.PerfEventAttr{}, err
	}
	st := uint64(sampleType)
	if pieces {
		st = sampleTypeAddr
	}
	return unix.PerfEventAttr{
		Type:        unix.PERF_TYPE_BREAKPOINT,
		Size:        uint32(unsafe.Sizeof(unix.PerfEventAttr{})),
		Sample:      1, // every access is a sample
		Sample_type: st,
		Bits: unix.PerfBitDisabled | unix.PerfBitExcludeKernel | unix.PerfBitExcludeHv |
			unix.PerfBitExcludeCallchainKernel | unix.PerfBitWatermark | unix.PerfBitUseClockID |
			perfbp.BitRemoveOnExec,
		Wakeup:  watermark,
		Clockid: unix.CLOCK_MONOTONIC,
		Bp_type: typ,
		Ext1:    piece.Addr,
		Ext2:    uint64(piece.Len),
	}, nil
}

// openEvent opens the event of piece on thread tid (disabled).
func openEvent(tid int, piece arch.Piece, acc arch.Access, watermark uint32, pieces bool) (int, error) {
	at, err := attr(piece, acc, watermark, pieces)
	if err != nil {
		return -1, err
	}
	fd, err := unix.PerfEventOpen(&at, tid, -1, -1, unix.PERF_FLAG_FD_CLOEXEC)
	if errors.Is(err, unix.EINVAL) {
		// A kernel before 5.13 has no remove_on_exec; the caller ends
		// the trace at an exec.
		at.Bits &^= perfbp.BitRemoveOnExec
		fd, err = unix.PerfEventOpen(&at, tid, -1, -1, unix.PERF_FLAG_FD_CLOEXEC)
	}
	if err != nil {
		return -1, refusal(tid, piece, acc, err)
	}
	return fd, nil
}

// count reads how many accesses event fd has seen: every one, whether
// its sample reached the ring or was lost.
func count(fd int) (uint64, error) {
	var b [8]byte
	n, err := unix.Read(fd, b[:])
	if err != nil {
		return 0, fmt.Errorf("read a perf breakpoint's count: %w", err)
	}
	if n != len(b) {
		return 0, fmt.Errorf("read a perf breakpoint's count: %d bytes", n)
	}
	return ne.Uint64(b[:]), nil
}
