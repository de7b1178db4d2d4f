// Package perfslots arms a thread's hardware slots as perf_event hardware
// breakpoints (PERF_TYPE_BREAKPOINT) that belong to this process's file
// descriptors, instead of through ptrace's debug-register interface.
//
// The difference that matters is ownership. A slot written through ptrace
// belongs to the traced thread: if the debugger dies by SIGKILL, the kernel
// leaves it armed and the program dies of SIGTRAP at its next access. A
// perf event belongs to the file descriptor that opened it: when the
// debugger dies, the kernel closes its descriptors and removes the
// breakpoints, and the program runs on.
//
// Each event is opened with sigtrap and remove_on_exec (Linux 5.13+): an
// access sends the thread a synchronous SIGTRAP whose si_code is TRAP_PERF
// and whose si_perf_data is the value given here, which names the slot (see
// SlotOf). A traced thread reports it as an ordinary signal-delivery-stop.
// The kernel sends that SIGTRAP like any other signal: a thread that
// blocks SIGTRAP would not stop at the access, so the caller arms such a
// thread through ptrace instead.
package perfslots

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"

	"hwdbg/arch"
	"hwdbg/arch/perfbp"
)

// tag marks si_perf_data as ours: "hwdb" in the high 32 bits, the slot
// index in the low byte.
const tag = 0x68776462 << 32

// FilterTag marks the si_perf_data of events opened with filters
// (NewFiltered): "hwdk" in the high 32 bits.
const FilterTag = 0x6877646b << 32

// SlotOf is the slot a TRAP_PERF SIGTRAP's si_perf_data names, if the
// event is one this package opened without filters.
func SlotOf(perfData uint64) (int, bool) { return slotOf(tag, perfData) }

func slotOf(tag, perfData uint64) (int, bool) {
	if perfData&^0xff != tag {
		return 0, false
	}
	return int(perfData & 0xff), true
}

// Filter is what a slot's event does besides signalling: a BPF program
// that decides which accesses overflow, and a period.
type Filter struct {
	// Prog is the file descriptor of a BPF program of type PERF_EVENT,
	// attached with PERF_EVENT_IOC_SET_BPF: the event overflows (and
	// signals) only when it returns non-zero (Linux 6.10; before, every
	// overflow still signals). 0: none (descriptor 0 is standard input).
	Prog int
	// Period: the event overflows at every Period-th access (0: every
	// one).
	Period uint64
	// Serial tells programs apart: once a program's descriptor is closed
	// its number goes to the next one opened, which must not be taken
	// for the program an event already holds.
	Serial uint64
}

// Arm holds the events of every thread it armed. Its methods issue
// syscalls only (no ptrace): any goroutine may call them, one at a time.
type Arm struct {
	n       int
	tag     uint64
	filter  func(tid, slot int) Filter // nil: none
	threads map[int]*thread
}

type thread struct {
	fds     []int       // -1: no event for that slot
	slots   []arch.Slot // what each open event is programmed for
	filters []Filter    // and with what filter
	on      []bool      // whether each open event is enabled
}

// New returns an Arm for a machine with n slots.
func New(n int) *Arm { return &Arm{n: n, tag: tag, threads: map[int]*thread{}} }

// NewFiltered returns an Arm whose events are opened with the filter
// filter gives for the thread and slot (asked at each Write; an event
// whose filter changed is opened again), and signal with FilterTag.
func NewFiltered(n int, filter func(tid, slot int) Filter) *Arm {
	return &Arm{n: n, tag: FilterTag, filter: filter, threads: map[int]*thread{}}
}

// SlotOf is the slot a TRAP_PERF SIGTRAP's si_perf_data names, if one of
// a's events raised it.
func (a *Arm) SlotOf(perfData uint64) (int, bool) { return slotOf(a.tag, perfData) }

func (a *Arm) thread(tid int) *thread {
	t := a.threads[tid]
	if t == nil {
		t = &thread{fds: make([]int, a.n), slots: make([]arch.Slot, a.n), filters: make([]Filter, a.n), on: make([]bool, a.n)}
		for i := range t.fds {
			t.fds[i] = -1
		}
		a.threads[tid] = t
	}
	return t
}

// Write programs thread tid's slots (index = slot; missing ones off). A
// slot turned off keeps its event, disabled, so turning it on again with
// the same range (a step over a hit) is one ioctl; a slot given another
// range gets a new event.
func (a *Arm) Write(tid int, want []arch.Slot) error {
	t := a.thread(tid)
	var errs []error
	filters := make([]Filter, a.n)
	for i := 0; a.filter != nil && i < a.n && i < len(want); i++ {
		if want[i].Enabled {
			filters[i] = a.filter(tid, i)
		}
	}
	// Turn off and close first: the kernel counts a thread's breakpoint
	// events against its slots whether they are enabled or not.
	for i := 0; i < a.n; i++ {
		var w arch.Slot
		if i < len(want) {
			w = want[i]
		}
		fd := t.fds[i]
		if fd < 0 {
			continue
		}
		switch {
		case w.Enabled && w == t.slots[i] && filters[i] == t.filters[i]:
			// Same range: kept, enabled below if it is off.
		case w.Enabled:
			unix.Close(fd)
			t.fds[i], t.on[i] = -1, false
		case t.on[i]:
			if err := unix.IoctlSetInt(fd, unix.PERF_EVENT_IOC_DISABLE, 0); err != nil {
				errs = append(errs, fmt.Errorf("disable the perf breakpoint of slot %d: %w", i, err))
				continue
			}
			t.on[i] = false
		}
	}
	for i := 0; i < a.n && i < len(want); i++ {
		w := want[i]
		if !w.Enabled {
			continue
		}
		if t.fds[i] >= 0 {
			if !t.on[i] {
				if err := unix.IoctlSetInt(t.fds[i], unix.PERF_EVENT_IOC_ENABLE, 0); err != nil {
					errs = append(errs, fmt.Errorf("enable the perf breakpoint of slot %d: %w", i, err))
					continue
				}
				t.on[i] = true
			}
			continue
		}
		fd, err := open(tid, i, w, a.tag, filters[i])
		if err != nil {
			errs = append(errs, fmt.Errorf("slot %d: %w", i, err))
			continue
		}
		t.fds[i], t.slots[i], t.filters[i], t.on[i] = fd, w, filters[i], true
	}
	return errors.Join(errs...)
}

// Read is what thread tid's slots are programmed for (from this Arm's
// record: the kernel has no call that reads a perf event's range back).
func (a *Arm) Read(tid int) []arch.Slot {
	out := make([]arch.Slot, a.n)
	if t := a.threads[tid]; t != nil {
		for i := range out {
			if t.fds[i] >= 0 && t.on[i] {
				out[i] = t.slots[i]
			}
		}
	}
	return out
}

// Forget closes thread tid's events (it exited, or exec removed them).
func (a *Arm) Forget(tid int) {
	if t := a.threads[tid]; t != nil {
		for _, fd := range t.fds {
			if fd >= 0 {
				unix.Close(fd)
			}
		}
		delete(a.threads, tid)
	}
}

// Close closes every event.
func (a *Arm) Close() {
	for tid := range a.threads {
		a.Forget(tid)
	}
}

// attr is the perf event for slot i programmed as s, whose signal
// carries tag, overflowing every period accesses (0: every one).
func attr(i int, s arch.Slot, tag, period uint64) (unix.PerfEventAttr, error) {
	if period == 0 {
		period = 1 // every access overflows, so every access signals
	}
	at := unix.PerfEventAttr{
		Type:     unix.PERF_TYPE_BREAKPOINT,
		Size:     uint32(unsafe.Sizeof(unix.PerfEventAttr{})),
		Sample:   period,
		Bits:     unix.PerfBitExcludeKernel | unix.PerfBitExcludeHv | perfbp.BitRemoveOnExec | perfbp.BitSigtrap,
		Ext1:     s.Addr,
		Ext2:     uint64(s.Len),
		Sig_data: tag | uint64(i),
	}
	switch s.Access {
	case arch.Exec:
		at.Bp_type = perfbp.X
		// The kernel takes an instruction breakpoint's length as the
		// size of a long (amd64) or of an instruction (arm64).
		at.Ext2 = execLen
	case arch.Write:
		at.Bp_type = perfbp.W
	case arch.Read:
		at.Bp_type = perfbp.Read
	case arch.ReadWrite:
		at.Bp_type = perfbp.R | perfbp.W
	default:
		return at, fmt.Errorf("no perf breakpoint type for access %v", s.Access)
	}
	return at, nil
}

func open(tid, i int, s arch.Slot, tag uint64, f Filter) (int, error) {
	at, err := attr(i, s, tag, f.Period)
	if err != nil {
		return -1, err
	}
	fd, err := unix.PerfEventOpen(&at, tid, -1, -1, unix.PERF_FLAG_FD_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("open a perf breakpoint (%s %d bytes at %#x) on thread %d: %w", s.Access, s.Len, s.Addr, tid, err)
	}
	if f.Prog != 0 {
		// The thread is stopped: no access overflows before the program
		// is attached.
		if err := unix.IoctlSetInt(fd, unix.PERF_EVENT_IOC_SET_BPF, f.Prog); err != nil {
			unix.Close(fd)
			return -1, fmt.Errorf("attach the condition's BPF program to the perf breakpoint on thread %d: %w", tid, err)
		}
	}
	return fd, nil
}

// Available says whether this kernel arms slots as perf events for this
// process: it opens one (disabled) on the calling thread and closes it.
func Available() error { return AvailableFiltered(Filter{}) }

// AvailableFiltered says whether this kernel arms slots as perf events
// with filter f for this process: it opens one (disabled) on the calling
// thread, attaches f's program, and closes it.
func AvailableFiltered(f Filter) error {
	var x uint64
	at, _ := attr(0, arch.Slot{Enabled: true, Addr: uint64(uintptr(unsafe.Pointer(&x))), Len: 8, Access: arch.Write}, tag, f.Period)
	at.Bits |= unix.PerfBitDisabled
	fd, err := unix.PerfEventOpen(&at, 0, -1, -1, unix.PERF_FLAG_FD_CLOEXEC)
	if err != nil {
		if err == unix.EINVAL {
			return fmt.Errorf("perf breakpoints with sigtrap are refused (Linux 5.13 or later has them): %w", err)
		}
		return fmt.Errorf("perf breakpoints are refused: %w", err)
	}
	defer unix.Close(fd)
	if f.Prog != 0 {
		if err := unix.IoctlSetInt(fd, unix.PERF_EVENT_IOC_SET_BPF, f.Prog); err != nil {
			return fmt.Errorf("a BPF program cannot be attached to a perf breakpoint: %w", err)
		}
	}
	return nil
}
