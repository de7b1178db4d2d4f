//go:build linux && amd64

package amd64

import (
	"errors"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"hwdbg/arch"
)

// startTraced starts /bin/sleep under ptrace from the calling goroutine,
// which must be locked to its OS thread (ptrace requests must all come from
// the tracer thread), and waits for the stop at its execve.
func startTraced(t *testing.T) int {
	t.Helper()
	sleep := "/bin/sleep"
	if _, err := os.Stat(sleep); err != nil {
		t.Skipf("no %s to trace: %v", sleep, err)
	}
	p, err := os.StartProcess(sleep, []string{"sleep", "10"}, &os.ProcAttr{
		Files: []*os.File{nil, os.Stdout, os.Stderr},
		Sys:   &syscall.SysProcAttr{Ptrace: true},
	})
	if err != nil {
		t.Skipf("ptrace is not permitted here (starting a traced child failed: %v)", err)
	}
	pid := p.Pid
	t.Cleanup(func() {
		_ = unix.Kill(pid, unix.SIGKILL)
		var ws unix.WaitStatus
		_, _ = unix.Wait4(pid, &ws, 0, nil)
	})
	var ws unix.WaitStatus
	if _, err := unix.Wait4(pid, &ws, 0, nil); err != nil {
		t.Fatalf("wait for the traced child: %v", err)
	}
	if !ws.Stopped() || ws.StopSignal() != unix.SIGTRAP {
		t.Fatalf("traced child did not stop at exec: status %#x", uint32(ws))
	}
	return pid
}

func TestPtraceSlots(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pid := startTraced(t)
	b := New()

	r, err := b.GetRegs(pid)
	if err != nil {
		t.Fatalf("GetRegs: %v", err)
	}
	if err := b.SetRegs(pid, r); err != nil {
		t.Fatalf("SetRegs of unchanged registers: %v", err)
	}
	sp := r.SP() &^ 7
	if sp == 0 || r.PC() == 0 {
		t.Fatalf("implausible registers: pc %#x sp %#x", r.PC(), r.SP())
	}

	slots, err := b.ReadSlots(pid)
	if err != nil {
		t.Fatalf("ReadSlots on a fresh thread: %v", err)
	}
	for i, s := range slots {
		if s.Enabled {
			t.Errorf("fresh thread has DR%d enabled: %+v", i, s)
		}
	}

	check := func(want []arch.Slot) {
		t.Helper()
		if err := b.WriteSlots(pid, want); err != nil {
			t.Fatalf("WriteSlots(%+v): %v", want, err)
		}
		got, err := b.ReadSlots(pid)
		if err != nil {
			t.Fatalf("ReadSlots: %v", err)
		}
		for i := 0; i < NumSlots; i++ {
			var w arch.Slot
			if i < len(want) {
				w = want[i]
			}
			if w.Access == arch.Read {
				w.Access = arch.ReadWrite
			}
			g := got[i]
			if g.Enabled != w.Enabled {
				t.Errorf("DR%d: enabled %v, want %v", i, g.Enabled, w.Enabled)
			}
			if w.Enabled && (g.Addr != w.Addr || g.Len != w.Len || g.Access != w.Access) {
				t.Errorf("DR%d: read back %+v, wrote %+v", i, g, w)
			}
		}
	}

	// A write watch on the stack, then several slots, then moving and
	// shrinking a live slot (which needs the disable-first order).
	check([]arch.Slot{{Enabled: true, Addr: sp - 8, Len: 8, Access: arch.Write}})
	check([]arch.Slot{
		{Enabled: true, Addr: sp - 8, Len: 8, Access: arch.Write},
		{Enabled: true, Addr: sp + 1, Len: 1, Access: arch.Read},
		{Enabled: true, Addr: sp + 2, Len: 2, Access: arch.ReadWrite},
		{Enabled: true, Addr: r.PC(), Len: 1, Access: arch.Exec},
	})
	check([]arch.Slot{
		{Enabled: true, Addr: sp - 4, Len: 4, Access: arch.ReadWrite},
		{Enabled: true, Addr: sp + 1, Len: 1, Access: arch.Read},
	})

	if v, err := peekUser(pid, 7); err == nil {
		t.Logf("DR7 as the kernel reports it: %#x (%v)", v, DR7(v))
	}

	// Our own check refuses a misaligned slot, in one plain line.
	err = b.WriteSlots(pid, []arch.Slot{{Enabled: true, Addr: sp + 1, Len: 8, Access: arch.Write}})
	if err == nil || !strings.Contains(err.Error(), "not aligned") || strings.Contains(err.Error(), "\n") {
		t.Errorf("misaligned WriteSlots: %v", err)
	}

	// The kernel's refusal, bypassing our check, is a plain sentence too.
	cur, addrs, err := readState(pid)
	if err != nil {
		t.Fatal(err)
	}
	err = applySlots(pid, cur, addrs, []arch.Slot{{Enabled: true, Addr: sp + 1, Len: 8, Access: arch.Write}})
	if !errors.Is(err, unix.EINVAL) {
		t.Fatalf("kernel accepted a misaligned 8-byte slot: %v", err)
	}
	t.Logf("kernel refusal: %v", err)
	if msg := err.Error(); !strings.Contains(msg, "the kernel refused DR0=0x") ||
		!strings.Contains(msg, "address not aligned to length or not a user address") || strings.Contains(msg, "\n") {
		t.Errorf("kernel refusal reads %q", msg)
	}
	err = applySlots(pid, 0, [NumSlots]uint64{}, []arch.Slot{{}, {Enabled: true, Addr: 0xffff800000000000, Len: 1, Access: arch.Write}})
	if !errors.Is(err, unix.EINVAL) || !strings.Contains(err.Error(), "DR1=0xffff800000000000") {
		t.Errorf("kernel address: %v", err)
	}

	// Clear everything.
	check(nil)
}

func TestPtraceTrap(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pid := startTraced(t)
	b := New()

	r, err := b.GetRegs(pid)
	if err != nil {
		t.Fatalf("GetRegs: %v", err)
	}
	// At the execve stop RSP points at argc; the dynamic loader's (or a
	// static binary's) entry soon calls or pushes, writing the word below.
	slot := r.SP() - 8
	if err := b.WriteSlots(pid, []arch.Slot{{Enabled: true, Addr: slot, Len: 8, Access: arch.Write}}); err != nil {
		t.Fatalf("WriteSlots: %v", err)
	}
	if err := unix.PtraceCont(pid, 0); err != nil {
		t.Fatal(err)
	}
	var ws unix.WaitStatus
	if _, err := unix.Wait4(pid, &ws, 0, nil); err != nil {
		t.Fatal(err)
	}
	if !ws.Stopped() || ws.StopSignal() != unix.SIGTRAP {
		t.Fatalf("expected a SIGTRAP from the watchpoint, got status %#x", uint32(ws))
	}
	var si unix.Siginfo
	if _, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GETSIGINFO, uintptr(pid), 0, uintptrOf(&si), 0, 0); e != 0 {
		t.Fatalf("PTRACE_GETSIGINFO: %v", e)
	}
	tr, err := b.DecodeTrap(pid, si.Code, 0)
	if err != nil {
		t.Fatalf("DecodeTrap: %v", err)
	}
	if len(tr.Fired) != 1 || tr.Fired[0] != 0 || tr.Step {
		t.Errorf("trap = %+v, want DR0 fired", tr)
	}
	// A SIGTRAP that no debug exception sent (si_code SI_KERNEL, an
	// int3) decodes to nothing, whatever DR6 still holds.
	if tr2, err := b.DecodeTrap(pid, 0x80, 0); err != nil || len(tr2.Fired) != 0 || tr2.Step {
		t.Errorf("an int3's SIGTRAP: %+v, %v", tr2, err)
	}

	// A single step shows as BS.
	if err := b.WriteSlots(pid, nil); err != nil {
		t.Fatal(err)
	}
	if err := unix.PtraceSingleStep(pid); err != nil {
		t.Fatal(err)
	}
	if _, err := unix.Wait4(pid, &ws, 0, nil); err != nil {
		t.Fatal(err)
	}
	if !ws.Stopped() || ws.StopSignal() != unix.SIGTRAP {
		t.Fatalf("expected a SIGTRAP from the step, got status %#x", uint32(ws))
	}
	// The step's #DB started DR6 afresh: BS only, DR0's bit is gone.
	tr, err = b.DecodeTrap(pid, 2, 0)
	if err != nil || !tr.Step || len(tr.Fired) != 0 {
		t.Errorf("single step: %+v, %v", tr, err)
	}
}

func TestPtraceNotTraced(t *testing.T) {
	b := New()
	// Our own process is not traced by us: every request fails plainly.
	_, err := b.ReadSlots(os.Getpid())
	if err == nil {
		t.Fatal("ReadSlots of an untraced process succeeded")
	}
	if msg := err.Error(); !strings.Contains(msg, "is not stopped under our trace") || strings.Contains(msg, "\n") {
		t.Errorf("error reads %q", msg)
	}
	if err := b.SetRegs(1, nil); err == nil {
		t.Error("SetRegs(nil) succeeded")
	}
}

func uintptrOf(si *unix.Siginfo) uintptr { return uintptr(unsafe.Pointer(si)) }

// TestPtraceSlotsHeldByPerf: when perf_event hardware breakpoints hold
// every slot of the thread, writing a slot is refused with ENOSPC, in one
// plain sentence.
func TestPtraceSlotsHeldByPerf(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pid := startTraced(t)
	r, err := New().GetRegs(pid)
	if err != nil {
		t.Fatal(err)
	}
	addr := r.SP() &^ 7
	var fds []int
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	for i := 0; i < NumSlots; i++ {
		attr := unix.PerfEventAttr{
			Type:    unix.PERF_TYPE_BREAKPOINT,
			Size:    uint32(unsafe.Sizeof(unix.PerfEventAttr{})),
			Bp_type: 2, // HW_BREAKPOINT_W
			Ext1:    addr + uint64(8*i),
			Ext2:    8,
			Bits:    unix.PerfBitDisabled | unix.PerfBitExcludeKernel | unix.PerfBitExcludeHv,
		}
		fd, err := unix.PerfEventOpen(&attr, pid, -1, -1, unix.PERF_FLAG_FD_CLOEXEC)
		if err != nil {
			t.Skipf("perf_event_open of a hardware breakpoint is not permitted here: %v", err)
		}
		fds = append(fds, fd)
	}
	err = New().WriteSlots(pid, []arch.Slot{{Enabled: true, Addr: addr + 64, Len: 8, Access: arch.Write}})
	if !errors.Is(err, unix.ENOSPC) {
		t.Fatalf("with perf holding every slot: %v, want ENOSPC", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "another user (perf_event) already holds this thread's slots") || strings.Contains(msg, "\n") {
		t.Errorf("not one plain sentence: %q", msg)
	}
}
