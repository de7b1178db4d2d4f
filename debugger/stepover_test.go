package debugger

import (
	"strings"
	"testing"

	"hwdbg/arch"
)

// TestEmulableAccess: when an emulated step over a breakpoint may make
// its access, and why not.
func TestEmulableAccess(t *testing.T) {
	const sp = 0x7ffc0000f000
	watch := func(addr uint64, n int, acc arch.Access) arch.Slot {
		return arch.Slot{Enabled: true, Addr: addr, Len: n, Access: acc}
	}
	stack := func(addr uint64, n int, write bool) arch.MemAccess {
		return arch.MemAccess{Addr: addr, Len: n, Write: write, Via: arch.ViaStack}
	}
	for _, tc := range []struct {
		name    string
		a       arch.MemAccess
		written []arch.Slot
		threads int
		why     string // "" when allowed
	}{
		{"stack store", stack(sp-8, 8, true), nil, 4, ""},
		{"stack load", stack(sp, 8, false), nil, 4, ""},
		{"push's slot", stack(sp-8, 8, true), nil, 4, ""},
		{"red zone's bottom", stack(sp-128, 8, true), nil, 4, ""},
		{"below the red zone", stack(sp-136, 8, true), nil, 4, "not in the stack at sp 0x7ffc0000f000"},
		{"a caller's frame", stack(sp+0x2000, 8, false), nil, 4, ""},
		{"the stack window's top", stack(sp+1<<20-8, 8, false), nil, 4, ""},
		{"above the stack window", stack(sp+1<<20, 8, false), nil, 4, "not in the stack"},
		{"frame pointer elsewhere", stack(0x5000, 8, true), nil, 4, "not in the stack"},
		{"thread-local load", arch.MemAccess{Addr: 0x7f0000000028, Len: 8, Via: arch.ViaThread}, nil, 4, ""},
		{"static store, one thread", arch.MemAccess{Addr: 0x404028, Len: 4, Write: true, Via: arch.ViaStatic}, nil, 1, ""},
		{"static store, threads", arch.MemAccess{Addr: 0x404028, Len: 4, Write: true, Via: arch.ViaStatic}, nil, 2, "static access at 0x404028 could be seen half done"},
		{"static load, threads", arch.MemAccess{Addr: 0x404028, Len: 8, Via: arch.ViaStatic}, nil, 2, "half done"},
		{"pointer store, one thread", arch.MemAccess{Addr: 0x5000, Len: 8, Write: true, Via: arch.ViaOther}, nil, 1, "pointer access"},
		{"pointer load, threads", arch.MemAccess{Addr: 0x5000, Len: 1, Via: arch.ViaOther}, nil, 3, "pointer access"},
		{"unknown via", arch.MemAccess{Addr: 0x5000, Len: 1}, nil, 1, "half done"},

		// An armed data slot over any byte of the access: the hardware
		// must see it, whatever the direction.
		{"store on a write watch", stack(sp-8, 8, true), []arch.Slot{watch(sp-8, 8, arch.Write)}, 1, "touches a watched range (0x7ffc0000eff8, 8 bytes)"},
		{"store over the watch's last byte", stack(sp-8, 8, true), []arch.Slot{{}, watch(sp-1, 1, arch.Write)}, 1, "touches a watched range"},
		{"store over the watch's first byte", stack(sp-8, 8, true), []arch.Slot{watch(sp-9, 2, arch.Write)}, 1, "touches a watched range"},
		{"load on a read watch", stack(sp, 4, false), []arch.Slot{watch(sp, 4, arch.Read)}, 1, "touches a watched range"},
		{"load on a read-write watch", stack(sp+2, 2, false), []arch.Slot{watch(sp, 4, arch.ReadWrite)}, 1, "touches a watched range"},
		{"load on a write watch", stack(sp, 8, false), []arch.Slot{watch(sp, 8, arch.Write)}, 1, "touches a watched range"},
		{"static store on a watch, one thread", arch.MemAccess{Addr: 0x404028, Len: 4, Write: true, Via: arch.ViaStatic}, []arch.Slot{watch(0x404028, 4, arch.Write)}, 1, "touches a watched range"},

		// Next to a watch, a disabled slot, an execute slot: allowed.
		{"store just below a watch", stack(sp-8, 8, true), []arch.Slot{watch(sp, 8, arch.Write)}, 1, ""},
		{"store just above a watch", stack(sp-8, 8, true), []arch.Slot{watch(sp-16, 8, arch.Write)}, 1, ""},
		{"disabled slot", stack(sp-8, 8, true), []arch.Slot{{Addr: sp - 8, Len: 8, Access: arch.Write}}, 1, ""},
		{"execute slot", stack(sp-8, 8, true), []arch.Slot{watch(sp-8, 1, arch.Exec)}, 1, ""},

		// Across a page boundary, or wrapping: never.
		{"across a page", stack(sp-4, 8, true), nil, 1, "crosses a page boundary"},
		{"page's last bytes", stack(sp-8, 8, true), nil, 1, ""},
		{"wrapping", stack(^uint64(0)-3, 8, false), nil, 1, "crosses a page boundary"},
		{"empty", stack(sp, 0, false), nil, 1, "crosses a page boundary"},
	} {
		err := emulableAccess(tc.a, tc.written, tc.threads, sp)
		switch {
		case tc.why == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.name, err)
		case tc.why != "" && err == nil:
			t.Errorf("%s: allowed, want refused (%s)", tc.name, tc.why)
		case tc.why != "" && !strings.Contains(err.Error(), tc.why):
			t.Errorf("%s: %q does not say %q", tc.name, err, tc.why)
		}
	}
}
