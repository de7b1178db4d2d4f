package perfring

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"hwdbg/arch"
)

func TestExplain(t *testing.T) {
	for _, tc := range []struct {
		errno unix.Errno
		p     perms
		want  string
	}{
		{unix.EACCES, perms{paranoid: 3}, "kernel.perf_event_paranoid is 3"},
		{unix.EPERM, perms{paranoid: 4}, "CAP_PERFMON"},
		{unix.EACCES, perms{paranoid: 2}, "the right to trace its process"},
		{unix.EACCES, perms{paranoid: 3, privileged: true}, "even with CAP_PERFMON"},
		{unix.ENOSPC, perms{}, "every hardware breakpoint slot of the thread is taken"},
		{unix.ENOENT, perms{}, "no hardware breakpoints"},
		{unix.EOPNOTSUPP, perms{}, "no hardware breakpoints"},
		{unix.ENODEV, perms{}, "no hardware breakpoints"},
		{unix.ENOSYS, perms{}, "no perf events"},
		{unix.EINVAL, perms{}, "aligned to its length"},
		{unix.ESRCH, perms{}, "gone"},
		{unix.EMFILE, perms{}, "ulimit -n"},
		{unix.EIO, perms{}, "perf_event_open failed"},
	} {
		if got := explain(tc.errno, tc.p); !strings.Contains(got, tc.want) {
			t.Errorf("explain(%v, %+v) = %q, want %q in it", tc.errno, tc.p, got, tc.want)
		}
	}
	err := refusal(12, arch.Piece{Addr: 0x1000, Len: 8}, arch.Write, unix.ENOSPC)
	if !errors.Is(err, unix.ENOSPC) || err.Error() != "cannot trace write accesses to 8 bytes at 0x1000 on thread 12: "+explain(unix.ENOSPC, perms{})+" (no space left on device)" {
		t.Errorf("refusal: %v", err)
	}
	if err := mmapRefusal(256, unix.EPERM); !errors.Is(err, unix.EPERM) || !strings.Contains(err.Error(), "locked-memory limit") {
		t.Errorf("mmapRefusal: %v", err)
	}
	if readPerms().paranoid < -1 {
		t.Errorf("kernel.perf_event_paranoid not read")
	}
}

func TestOpenRefused(t *testing.T) {
	p := []arch.Piece{{Addr: 0x1000, Len: 8}}
	for _, tc := range []struct {
		pieces []arch.Piece
		acc    arch.Access
		opt    Options
		want   string
	}{
		{nil, arch.Write, Options{}, "needs a range"},
		{p, arch.Write, Options{}, "needs a handler"},
		{p, arch.Exec, Options{}, "not exec accesses"},
		{p, arch.Write, Options{Pages: 3}, "power of two pages, not 3"},
		{p, arch.Write, Options{Pages: -4}, "power of two pages, not -4"},
	} {
		var h Handler = &counter{}
		if tc.want == "needs a handler" {
			h = nil
		}
		if _, err := Open(tc.pieces, tc.acc, h, tc.opt); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%v, %v, %+v) = %v, want %q", tc.pieces, tc.acc, tc.opt, err, tc.want)
		}
	}
}

// slotsTaken are more 8-byte variables than any machine has slots (arm64
// has at most 16 watchpoints).
var slotsTaken [17]uint64

// TestAddThreadRefused: the kernel's refusals, on this test's own thread,
// come back as sentences, and leave nothing of the thread open.
func TestAddThreadRefused(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := unix.Gettid()
	base := uint64(uintptr(unsafe.Pointer(&slotsTaken[0])))
	var all []arch.Piece
	for i := range slotsTaken {
		all = append(all, arch.Piece{Addr: base + 8*uint64(i), Len: 8})
	}
	for _, tc := range []struct {
		pieces []arch.Piece
		tid    int
		errno  unix.Errno
		want   string
	}{
		{all, tid, unix.ENOSPC, "every hardware breakpoint slot of the thread is taken"},
		{[]arch.Piece{{Addr: base + 1, Len: 8}}, tid, unix.EINVAL, "aligned to its length"},
		{[]arch.Piece{{Addr: base, Len: 8}}, 1 << 30, unix.ESRCH, "the thread is gone"},
	} {
		r, err := Open(tc.pieces, arch.Write, &counter{}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		err = r.AddThread(tc.tid)
		var oe *OpenError
		if !errors.As(err, &oe) || oe.Errno != tc.errno || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("AddThread(%d) with %d pieces = %v, want %v: %q", tc.tid, len(tc.pieces), err, tc.errno, tc.want)
		}
		if len(r.Threads()) != 0 {
			t.Errorf("a refused thread is traced: %v", r.Threads())
		}
		r.Close()
	}
	// The refused thread's slots were all given back.
	r, err := Open(all[:1], arch.Write, &counter{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.AddThread(tid); err != nil {
		t.Fatalf("after the refusals: %v", err)
	}
}
