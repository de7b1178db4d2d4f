//go:build linux && arm64

package arm64

import (
	"encoding/binary"
	"os"
	"reflect"
	"runtime"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"hwdbg/arch"
)

// These tests trace a copy of the test binary itself (HWDBG_ARM64_CHILD
// names what the copy does) with the real kernel's NT_ARM_HW_WATCH and
// NT_ARM_HW_BREAK: under make test-arm64 they run in the arm64 VM.

// The tracee is the child's main thread: keep the main goroutine on it.
func init() { runtime.LockOSThread() }

// Watched data in a page of its own, 8-byte aligned.
var page [3 << 12]byte

func cell(off uintptr) unsafe.Pointer {
	base := unsafe.Pointer(&page[0])
	return unsafe.Add(base, (4096-uintptr(base)%4096)%4096+off)
}

func cellAddr(off uintptr) uint64 { return uint64(uintptr(cell(off))) }

//go:noinline
func st64(p unsafe.Pointer, v uint64) { *(*uint64)(p) = v }

//go:noinline
func ld64(p unsafe.Pointer) uint64 { return *(*uint64)(p) }

//go:noinline
func stPair(p unsafe.Pointer, a, b uint64) { *(*[2]uint64)(p) = [2]uint64{a, b} }

//go:noinline
func target(x uint64) uint64 { return x*3 + 1 }

var sink uint64

func TestMain(m *testing.M) {
	switch os.Getenv("HWDBG_ARM64_CHILD") {
	case "":
		os.Exit(m.Run())
	case "store":
		for i := uint64(1); i <= 3; i++ {
			st64(cell(0x100), i)
		}
	case "load":
		for i := 0; i < 3; i++ {
			sink += ld64(cell(0x200))
		}
		st64(cell(0x200), 9) // a store: never a read hit
	case "pair":
		stPair(cell(0x300), 1, 2)
	case "exec":
		for i := uint64(0); i < 3; i++ {
			sink += target(i)
		}
	}
	os.Exit(0)
}

// startChild starts a traced copy running phase, stopped at its exec.
// The tracer is the OS thread that forked, so the test's goroutine is
// locked to it for the rest of the test (the lock in init holds the
// child's main goroutine, not a test's).
func startChild(t *testing.T, phase string) int {
	t.Helper()
	runtime.LockOSThread()
	t.Cleanup(runtime.UnlockOSThread)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p, err := os.StartProcess(exe, []string{exe}, &os.ProcAttr{
		// no asynchronous preemption: no SIGURG stops in the tracee
		Env:   append(os.Environ(), "HWDBG_ARM64_CHILD="+phase, "GODEBUG=asyncpreemptoff=1"),
		Files: []*os.File{nil, os.Stdout, os.Stderr},
		Sys:   &syscall.SysProcAttr{Ptrace: true},
	})
	if err != nil {
		t.Skipf("ptrace is not permitted here: %v", err)
	}
	t.Cleanup(func() { p.Kill(); p.Wait() })
	var ws unix.WaitStatus
	if _, err := unix.Wait4(p.Pid, &ws, 0, nil); err != nil || !ws.Stopped() {
		t.Fatalf("child did not stop at exec: %v %v", ws, err)
	}
	return p.Pid
}

type stop struct {
	exited bool
	code   int32
	addr   uint64
	pc     uint64
}

func waitStop(t *testing.T, pid int) stop {
	t.Helper()
	var ws unix.WaitStatus
	if _, err := unix.Wait4(pid, &ws, 0, nil); err != nil {
		t.Fatal(err)
	}
	if ws.Exited() {
		return stop{exited: true}
	}
	if !ws.Stopped() || ws.StopSignal() != unix.SIGTRAP {
		t.Fatalf("unexpected status %v", ws)
	}
	var si [128]byte
	if _, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GETSIGINFO, uintptr(pid), 0, uintptr(unsafe.Pointer(&si[0])), 0, 0); e != 0 {
		t.Fatal(e)
	}
	var r unix.PtraceRegs
	if err := unix.PtraceGetRegs(pid, &r); err != nil {
		t.Fatal(err)
	}
	return stop{code: int32(binary.LittleEndian.Uint32(si[8:])), addr: binary.LittleEndian.Uint64(si[16:]), pc: r.Pc}
}

func run(t *testing.T, pid int, step bool) stop {
	t.Helper()
	req := unix.PTRACE_CONT
	if step {
		req = unix.PTRACE_SINGLESTEP
	}
	if _, _, e := unix.Syscall6(unix.SYS_PTRACE, uintptr(req), uintptr(pid), 0, 0, 0, 0); e != 0 {
		t.Fatal(e)
	}
	return waitStop(t, pid)
}

func peek(t *testing.T, pid int, addr uint64) uint64 {
	var b [8]byte
	if _, err := unix.PtracePeekData(pid, uintptr(addr), b[:]); err != nil {
		t.Fatal(err)
	}
	return binary.LittleEndian.Uint64(b[:])
}

// hits runs the child to its end with slots armed, stepping over every
// hit the way the debugger does (slots off, one step, slots on), and
// returns the decoded traps and the value under watch before each hit.
func hits(t *testing.T, b *Backend, pid int, slots []arch.Slot, watched uint64) (traps []arch.Trap, before []uint64) {
	t.Helper()
	if err := b.WriteSlots(pid, slots); err != nil {
		t.Fatal(err)
	}
	off := make([]arch.Slot, len(slots))
	for {
		s := run(t, pid, false)
		if s.exited {
			return traps, before
		}
		tr, err := b.DecodeTrap(pid, s.code, s.addr)
		if err != nil {
			t.Fatal(err)
		}
		traps = append(traps, tr)
		before = append(before, peek(t, pid, watched))
		if err := b.WriteSlots(pid, off); err != nil {
			t.Fatal(err)
		}
		if st := run(t, pid, true); st.code != arch.TrapTrace || st.pc != s.pc+4 {
			t.Fatalf("step over the hit at %#x: si_code %d pc %#x", s.pc, st.code, st.pc)
		}
		if tr, _ := b.DecodeTrap(pid, arch.TrapTrace, 0); !tr.Step {
			t.Fatal("TRAP_TRACE not decoded as a step")
		}
		if err := b.WriteSlots(pid, slots); err != nil {
			t.Fatal(err)
		}
		if len(traps) > 20 {
			t.Fatal("too many hits")
		}
	}
}

func TestKernelSlots(t *testing.T) {
	b := New()
	pid := startChild(t, "store")
	infos, err := b.Slots(pid)
	if err != nil {
		t.Fatal(err)
	}
	nw := 0
	for _, in := range infos {
		if in.Can&arch.Read != 0 {
			nw++
		}
	}
	t.Logf("%d slots: %d watchpoints, debug architecture %#x", len(infos), nw, b.arch)
	if nw < 2 || len(infos)-nw < 1 || infos[0].Name != "WP0" || infos[nw].Name != "BP0" {
		t.Fatalf("slots %v", infos)
	}
	// Write only the third slot (SETREGSET sends slots 0..2) and a
	// breakpoint; read back the aligned form.
	slots := make([]arch.Slot, len(infos))
	slots[2] = arch.Slot{Enabled: true, Addr: cellAddr(0x103), Len: 2, Access: arch.Read}
	slots[nw] = arch.Slot{Enabled: true, Addr: uint64(reflect.ValueOf(target).Pointer()), Len: 4, Access: arch.Exec}
	if err := b.WriteSlots(pid, slots); err != nil {
		t.Fatal(err)
	}
	_, raw, err := getBank(pid, NTArmHWWatch)
	if err != nil {
		t.Fatal(err)
	}
	if raw[2].Addr != cellAddr(0x100) || raw[2].Ctrl.BAS() != 0x18 || raw[2].Ctrl.LSC() != lscLoad || !raw[2].Ctrl.Enabled() || raw[0].Ctrl.Enabled() {
		t.Errorf("kernel holds %+v, want %#x BAS 0x18 load", raw[:3], cellAddr(0x100))
	}
	back, err := b.ReadSlots(pid)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, slots) {
		t.Errorf("read back %+v, want %+v", back, slots)
	}
	// Refusals are plain sentences.
	bad := make([]arch.Slot, len(infos))
	bad[0] = arch.Slot{Enabled: true, Addr: cellAddr(0x104), Len: 8, Access: arch.Write}
	if err := b.WriteSlots(pid, bad); err == nil {
		t.Error("a slot crossing a double word was accepted")
	}
}

func TestKernelWriteHits(t *testing.T) {
	b := New()
	pid := startChild(t, "store")
	slots := make([]arch.Slot, 2)
	slots[1] = arch.Slot{Enabled: true, Addr: cellAddr(0x100), Len: 8, Access: arch.Write}
	traps, before := hits(t, b, pid, slots, cellAddr(0x100))
	if len(traps) != 3 {
		t.Fatalf("%d hits, want 3: %+v", len(traps), traps)
	}
	for i, tr := range traps {
		if !reflect.DeepEqual(tr.Fired, []int{1}) || tr.Addr != cellAddr(0x100) {
			t.Errorf("hit %d: %+v, want WP1 at %#x", i, tr, cellAddr(0x100))
		}
		// The trap comes before the store: memory still holds the old value.
		if before[i] != uint64(i) {
			t.Errorf("hit %d: memory holds %d at the trap, want the old value %d", i, before[i], i)
		}
	}
}

func TestKernelReadOnly(t *testing.T) {
	b := New()
	pid := startChild(t, "load")
	slots := []arch.Slot{{Enabled: true, Addr: cellAddr(0x204), Len: 4, Access: arch.Read}}
	traps, _ := hits(t, b, pid, slots, cellAddr(0x200))
	if len(traps) != 3 {
		t.Fatalf("%d hits, want the 3 loads and not the store: %+v", len(traps), traps)
	}
	for _, tr := range traps {
		if !reflect.DeepEqual(tr.Fired, []int{0}) {
			t.Errorf("%+v, want WP0", tr)
		}
	}
}

func TestKernelPairHitsBothSlots(t *testing.T) {
	b := New()
	pid := startChild(t, "pair")
	slots := []arch.Slot{
		{Enabled: true, Addr: cellAddr(0x308), Len: 8, Access: arch.Write},
		{Enabled: true, Addr: cellAddr(0x300), Len: 8, Access: arch.Write},
	}
	traps, _ := hits(t, b, pid, slots, cellAddr(0x300))
	if len(traps) != 1 || !reflect.DeepEqual(traps[0].Fired, []int{0, 1}) {
		t.Fatalf("one stp over both watched double words: %+v", traps)
	}
}

func TestKernelBreakpoint(t *testing.T) {
	b := New()
	pid := startChild(t, "exec")
	infos, err := b.Slots(pid)
	if err != nil {
		t.Fatal(err)
	}
	nw := 0
	for _, in := range infos {
		if in.Can&arch.Read != 0 {
			nw++
		}
	}
	fn := uint64(reflect.ValueOf(target).Pointer())
	slots := make([]arch.Slot, len(infos))
	slots[nw+1] = arch.Slot{Enabled: true, Addr: fn, Len: 4, Access: arch.Exec}
	traps, _ := hits(t, b, pid, slots, fn)
	if len(traps) != 3 {
		t.Fatalf("%d breakpoint hits, want 3", len(traps))
	}
	for _, tr := range traps {
		if !reflect.DeepEqual(tr.Fired, []int{nw + 1}) || tr.Addr != fn {
			t.Errorf("%+v, want BP1 at %#x", tr, fn)
		}
	}
}
