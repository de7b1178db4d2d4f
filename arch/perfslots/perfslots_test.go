package perfslots

import (
	"runtime"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"hwdbg/arch"
	"hwdbg/arch/perfbp"
)

func TestSlotOf(t *testing.T) {
	for _, tc := range []struct {
		data uint64
		slot int
		ok   bool
	}{
		{tag | 0, 0, true},
		{tag | 3, 3, true},
		{tag | 0xff, 0xff, true},
		{0, 0, false},           // another tool's event, or none
		{3, 0, false},           // a slot index without our tag
		{tag | 0x100, 0, false}, // stray bits above the index
		{0x68776463<<32 | 1, 0, false},
	} {
		slot, ok := SlotOf(tc.data)
		if ok != tc.ok || (ok && slot != tc.slot) {
			t.Errorf("SlotOf(%#x) = %d, %v; want %d, %v", tc.data, slot, ok, tc.slot, tc.ok)
		}
	}
}

func TestAttr(t *testing.T) {
	for _, tc := range []struct {
		slot    arch.Slot
		bpType  uint32
		bpLen   uint64
		refused bool
	}{
		{arch.Slot{Enabled: true, Addr: 0x1000, Len: 8, Access: arch.Write}, perfbp.W, 8, false},
		{arch.Slot{Enabled: true, Addr: 0x1000, Len: 4, Access: arch.ReadWrite}, perfbp.R | perfbp.W, 4, false},
		{arch.Slot{Enabled: true, Addr: 0x1000, Len: 2, Access: arch.Read}, perfbp.Read, 2, false},
		{arch.Slot{Enabled: true, Addr: 0x1000, Len: 1, Access: arch.Exec}, perfbp.X, execLen, false},
		{arch.Slot{Enabled: true, Addr: 0x1000, Len: 1, Access: 0}, 0, 0, true},
	} {
		at, err := attr(2, tc.slot, tag, 0)
		if (err != nil) != tc.refused {
			t.Errorf("%+v: err %v", tc.slot, err)
			continue
		}
		if tc.refused {
			continue
		}
		if at.Bp_type != tc.bpType || at.Ext2 != tc.bpLen || at.Ext1 != tc.slot.Addr {
			t.Errorf("%+v: type %d len %d addr %#x", tc.slot, at.Bp_type, at.Ext2, at.Ext1)
		}
		if at.Sample != 1 || at.Bits&perfbp.BitSigtrap == 0 || at.Bits&perfbp.BitRemoveOnExec == 0 {
			t.Errorf("%+v: every access must signal, and the event go at exec: sample %d bits %#x", tc.slot, at.Sample, at.Bits)
		}
		if slot, ok := SlotOf(at.Sig_data); !ok || slot != 2 {
			t.Errorf("%+v: sig_data %#x names slot %d, %v", tc.slot, at.Sig_data, slot, ok)
		}
	}
}

// TestAvailable: this kernel takes perf breakpoints with sigtrap (the
// project's machines and emulated kernels are all Linux 6).
func TestAvailable(t *testing.T) {
	if err := Available(); err != nil {
		t.Fatal(err)
	}
}

// TestFilteredAttr: a filtered Arm's events signal with FilterTag, which
// the unfiltered SlotOf does not take, and overflow every Period accesses.
func TestFilteredAttr(t *testing.T) {
	s := arch.Slot{Enabled: true, Addr: 0x1000, Len: 8, Access: arch.Write}
	at, err := attr(1, s, FilterTag, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if at.Sample != 1000 || at.Bits&perfbp.BitSigtrap == 0 {
		t.Errorf("period 1000: sample %d bits %#x", at.Sample, at.Bits)
	}
	a := NewFiltered(4, func(int, int) Filter { return Filter{} })
	if slot, ok := a.SlotOf(at.Sig_data); !ok || slot != 1 {
		t.Errorf("filtered SlotOf(%#x) = %d, %v", at.Sig_data, slot, ok)
	}
	if _, ok := SlotOf(at.Sig_data); ok {
		t.Errorf("the unfiltered SlotOf took a filtered event's %#x", at.Sig_data)
	}
	if _, ok := a.SlotOf(tag | 1); ok {
		t.Errorf("a filtered Arm took an unfiltered event's signal")
	}
}

// TestFilterChangeReopens: a slot whose filter changed gets a new event,
// also when only the program's serial did (its descriptor's number was
// reused), and keeps its event when nothing changed.
func TestFilterChangeReopens(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := unix.Gettid()
	var probe uint64
	s := arch.Slot{Enabled: true, Addr: uint64(uintptr(unsafe.Pointer(&probe))), Len: 8, Access: arch.Write}
	serial := uint64(1)
	a := NewFiltered(4, func(int, int) Filter { return Filter{Serial: serial} })
	defer a.Close()
	fd := func() int {
		if err := a.Write(tid, []arch.Slot{s}); err != nil {
			t.Fatal(err)
		}
		return a.threads[tid].fds[0]
	}
	first := fd()
	if again := fd(); again != first {
		t.Errorf("the same filter: event %d reopened as %d", first, again)
	}
	serial = 2
	// The old event is closed before the new one opens: the kernel may
	// give the new one the same number, so compare what it holds.
	if fd(); a.threads[tid].filters[0].Serial != 2 {
		t.Errorf("a new program's serial: the event still holds %+v", a.threads[tid].filters[0])
	}
}
