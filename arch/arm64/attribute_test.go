package arm64

import (
	"fmt"
	"testing"

	"hwdbg/arch"
)

func TestAttribute(t *testing.T) {
	w := func(addr uint64, n int, a arch.Access) arch.Slot {
		return arch.Slot{Enabled: true, Addr: addr, Len: n, Access: a}
	}
	store := func(addr uint64, n int) *arch.Insn {
		return &arch.Insn{Mem: true, MemWrites: true, MemAddr: addr, MemLen: n}
	}
	load := func(addr uint64, n int) *arch.Insn {
		return &arch.Insn{Mem: true, MemReads: true, MemAddr: addr, MemLen: n}
	}
	slots := []arch.Slot{
		w(0x1000, 8, arch.Write),     // WP0
		w(0x1008, 8, arch.Write),     // WP1
		w(0x1104, 4, arch.Read),      // WP2
		w(0x1200, 8, arch.ReadWrite), // WP3
	}
	tests := []struct {
		name   string
		slots  []arch.Slot
		siAddr uint64
		insn   *arch.Insn
		want   []int
	}{
		{"inside, store", slots, 0x1003, store(0x1003, 1), []int{0}},
		{"inside, no insn", slots, 0x1010 - 1, nil, []int{1}},
		// stp x1, x2, [x0] at 0x1000 covers WP0 and WP1; si_addr is the
		// access's start (real cores) or the watched double word (QEMU).
		{"stp both", slots, 0x1000, store(0x1000, 16), []int{0, 1}},
		{"stp below the watch", slots[1:2], 0x1000, store(0x1000, 16), []int{0}},
		// dc zva over a 64-byte block reports the block's start
		{"dc zva", []arch.Slot{w(0x1218, 8, arch.Write)}, 0x1200, store(0x1200, 64), []int{0}},
		// a load never fires a store-only slot
		{"load in a write slot", slots[:1], 0x1000, load(0x1000, 8), nil},
		{"load in a read slot", slots, 0x1104, load(0x1104, 4), []int{2}},
		{"store in a read slot", slots[2:3], 0x1104, store(0x1104, 4), nil},
		{"rw slot, load", slots, 0x1200, load(0x1200, 8), []int{3}},
		// the access touches no slot: matches nothing, reported as such
		{"no overlap", slots, 0x5000, store(0x5000, 8), nil},
		// without the instruction: the closest slot, like the kernel
		{"closest below", slots, 0x0ff0, nil, []int{0}},
		{"closest between", slots, 0x1101, nil, []int{2}},
		{"closest above", slots, 0x1300, nil, []int{3}},
		{"width unknown", slots, 0x11f8, &arch.Insn{Mem: true, MemReads: true}, []int{3}},
		{"disabled ignored", []arch.Slot{{Addr: 0x1000, Len: 8, Access: arch.Write}, w(0x2000, 8, arch.Write)}, 0x1000, nil, []int{1}},
		{"nothing enabled", []arch.Slot{{}, {}}, 0x1000, nil, nil},
	}
	for _, tc := range tests {
		got := Attribute(tc.slots, tc.siAddr, tc.insn)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// FuzzAttribute: the slots named are enabled data slots, each named once,
// in order; one that holds si_addr and suits the access is always named;
// with no instruction, something is named whenever a slot is enabled.
func FuzzAttribute(f *testing.F) {
	f.Add(uint64(0x1000), uint8(8), uint8(2), uint64(0x1008), uint8(8), uint8(2), uint64(0x1000), true, uint64(0x1000), uint8(16), uint8(2))
	f.Add(uint64(0x1000), uint8(4), uint8(4), uint64(0x2000), uint8(1), uint8(6), uint64(0x1500), false, uint64(0), uint8(0), uint8(0))
	f.Fuzz(func(t *testing.T, a0 uint64, n0, acc0 uint8, a1 uint64, n1, acc1 uint8, si uint64, haveInsn bool, ma uint64, ml, dir uint8) {
		mk := func(a uint64, n, acc uint8) arch.Slot {
			return arch.Slot{Enabled: acc&1 == 0, Addr: a, Len: int(n % 9), Access: arch.Access(acc>>1) & arch.ReadWrite}
		}
		slots := []arch.Slot{mk(a0, n0, acc0), mk(a1, n1, acc1)}
		var insn *arch.Insn
		if haveInsn {
			insn = &arch.Insn{Mem: dir&3 != 0, MemReads: dir&1 != 0, MemWrites: dir&2 != 0, MemAddr: ma, MemLen: int(ml)}
		}
		got := Attribute(slots, si, insn)
		for k, i := range got {
			if i < 0 || i >= len(slots) || !slots[i].Enabled || slots[i].Len == 0 || slots[i].Access&arch.ReadWrite == 0 {
				t.Fatalf("named slot %d: %+v", i, slots)
			}
			if k > 0 && got[k-1] >= i {
				t.Fatalf("not in order or repeated: %v", got)
			}
		}
		for i, s := range slots {
			if !s.Enabled || s.Len == 0 || s.Access&arch.ReadWrite == 0 || si < s.Addr || si >= s.Addr+uint64(s.Len) || s.Addr+uint64(s.Len) < s.Addr {
				continue
			}
			if insn != nil && insn.Mem && ((s.Access == arch.Read && !insn.MemReads) || (s.Access == arch.Write && !insn.MemWrites)) {
				continue
			}
			found := false
			for _, g := range got {
				found = found || g == i
			}
			if !found {
				t.Fatalf("slot %d %+v holds si_addr %#x but was not named: %v", i, s, si, got)
			}
		}
		if insn == nil && len(got) == 0 {
			for _, s := range slots {
				if s.Enabled && s.Len > 0 && s.Access&arch.ReadWrite != 0 {
					t.Fatalf("no slot named with %+v enabled", slots)
				}
			}
		}
	})
}
