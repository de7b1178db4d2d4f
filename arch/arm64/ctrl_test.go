package arm64

import (
	"strings"
	"testing"

	"hwdbg/arch"
)

func TestEncodeWatch(t *testing.T) {
	const base = 0x4a0050 // 8-byte aligned
	tests := []struct {
		slot arch.Slot
		addr uint64
		ctrl Ctrl
		err  string
	}{
		{arch.Slot{}, 0, 0, ""},
		{arch.Slot{Enabled: true, Addr: base, Len: 8, Access: arch.Write}, base, 0x1 | 0x4 | 0x10 | 0xff<<5, ""},
		{arch.Slot{Enabled: true, Addr: base, Len: 8, Access: arch.Read}, base, 0x1 | 0x4 | 0x08 | 0xff<<5, ""},
		{arch.Slot{Enabled: true, Addr: base, Len: 8, Access: arch.ReadWrite}, base, 0x1 | 0x4 | 0x18 | 0xff<<5, ""},
		// byte 3: the aligned address, BAS shifted (never both offsets)
		{arch.Slot{Enabled: true, Addr: base + 3, Len: 1, Access: arch.Write}, base, 0x15 | 0x08<<5, ""},
		{arch.Slot{Enabled: true, Addr: base + 4, Len: 4, Access: arch.Write}, base, 0x15 | 0xf0<<5, ""},
		{arch.Slot{Enabled: true, Addr: base + 1, Len: 3, Access: arch.Write}, base, 0x15 | 0x0e<<5, ""},
		{arch.Slot{Enabled: true, Addr: base + 2, Len: 6, Access: arch.Write}, base, 0x15 | 0xfc<<5, ""},
		{arch.Slot{Enabled: true, Addr: base + 4, Len: 8, Access: arch.Write}, 0, 0, "crosses an 8-byte boundary"},
		{arch.Slot{Enabled: true, Addr: base, Len: 9, Access: arch.Write}, 0, 0, "1 to 8 bytes"},
		{arch.Slot{Enabled: true, Addr: base, Len: 0, Access: arch.Write}, 0, 0, "1 to 8 bytes"},
		{arch.Slot{Enabled: true, Addr: base, Len: 4, Access: arch.Exec}, 0, 0, "cannot trap on execution"},
		{arch.Slot{Enabled: true, Addr: 0xffff000000001000, Len: 8, Access: arch.Write}, 0, 0, "not a user-space address"},
	}
	for _, tc := range tests {
		r, err := EncodeWatch(tc.slot)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%+v: error %v, want %q", tc.slot, err, tc.err)
			}
			continue
		}
		if err != nil || r.Addr != tc.addr || r.Ctrl != tc.ctrl {
			t.Errorf("%+v: %#x %v %v, want %#x %v", tc.slot, r.Addr, r.Ctrl, err, tc.addr, tc.ctrl)
			continue
		}
		back, err := DecodeWatch(r)
		if err != nil || back != tc.slot {
			t.Errorf("%+v: decodes back to %+v %v", tc.slot, back, err)
		}
	}
}

func TestDecodeWatch(t *testing.T) {
	tests := []struct {
		r    Reg
		slot arch.Slot
		err  string
	}{
		// the exact-address form the kernel also accepts
		{Reg{0x1003, 0x15 | 1<<5}, arch.Slot{Enabled: true, Addr: 0x1003, Len: 1, Access: arch.Write}, ""},
		// disabled, with bits left: kept, not enabled
		{Reg{0x1000, 0x14 | 0xff<<5}, arch.Slot{Addr: 0x1000, Len: 8, Access: arch.Write}, ""},
		{Reg{0x1000, 0x15 | 0x05<<5}, arch.Slot{}, "non-contiguous"},
		{Reg{0x1000, 0x5}, arch.Slot{}, "BAS=0"},
		{Reg{0x1000, 0x5 | 0xff<<5}, arch.Slot{}, "LSC=00"},
		{Reg{0x1004, 0x15 | 0xf0<<5}, arch.Slot{}, "mixes an unaligned address"},
		{Reg{0x1004, 0x15 | 0x1f<<5}, arch.Slot{}, "past the double word"},
	}
	for _, tc := range tests {
		s, err := DecodeWatch(tc.r)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%+v: error %v, want %q", tc.r, err, tc.err)
			}
			continue
		}
		if err != nil || s != tc.slot {
			t.Errorf("%+v: %+v %v, want %+v", tc.r, s, err, tc.slot)
		}
	}
}

func TestBreak(t *testing.T) {
	r, err := EncodeBreak(arch.Slot{Enabled: true, Addr: 0x400100, Len: 4, Access: arch.Exec})
	if err != nil || r.Addr != 0x400100 || r.Ctrl != Ctrl(0x5|0xf<<5) || r.Ctrl.LSC() != 0 {
		t.Fatalf("EncodeBreak: %+v %v", r, err)
	}
	if s, err := DecodeBreak(r); err != nil || s != (arch.Slot{Enabled: true, Addr: 0x400100, Len: 4, Access: arch.Exec}) {
		t.Errorf("DecodeBreak: %+v %v", s, err)
	}
	for _, bad := range []arch.Slot{
		{Enabled: true, Addr: 0x400102, Len: 4, Access: arch.Exec},
		{Enabled: true, Addr: 0x400100, Len: 4, Access: arch.Write},
	} {
		if _, err := EncodeBreak(bad); err == nil {
			t.Errorf("EncodeBreak(%+v) accepted", bad)
		}
	}
	if _, err := DecodeBreak(Reg{0x400100, 0x5 | 0x3<<5}); err == nil || !strings.Contains(err.Error(), "Thumb") {
		t.Errorf("a 2-byte breakpoint: %v", err)
	}
}

func TestDbgInfo(t *testing.T) {
	d := DbgInfo(0xa04)
	if d.Slots() != 4 || d.DebugArch() != 0xa {
		t.Errorf("%#x: %d slots, arch %#x", uint32(d), d.Slots(), d.DebugArch())
	}
}

func TestReadOnlySlots(t *testing.T) {
	if !New().ReadOnlySlots() {
		t.Error("ReadOnlySlots: an arm64 watchpoint can trap on loads alone (LSC=01)")
	}
}

func TestSlotInfosAndBanks(t *testing.T) {
	infos := slotInfos(4, 6)
	if len(infos) != 10 || infos[0].Name != "WP0" || infos[3].Name != "WP3" || infos[4].Name != "BP0" || infos[9].Name != "BP5" {
		t.Fatalf("names: %v", infos)
	}
	if infos[0].Can&arch.Read == 0 || infos[0].Can&arch.Exec != 0 || infos[4].Can != arch.Exec {
		t.Errorf("abilities: %v", infos)
	}
	slots := make([]arch.Slot, 10)
	slots[2] = arch.Slot{Enabled: true, Addr: 0x1008, Len: 8, Access: arch.Read}
	slots[5] = arch.Slot{Enabled: true, Addr: 0x400000, Len: 4, Access: arch.Exec}
	w, b, err := encodeSlots(4, 6, slots)
	if err != nil {
		t.Fatal(err)
	}
	var zero [MaxRegs]Reg
	// SETREGSET consumes from slot 0: changing WP2 sends WP0-WP2.
	if k := sendCount(&zero, &w, 4); k != 3 {
		t.Errorf("watch bank: send %d slots, want 3", k)
	}
	if k := sendCount(&zero, &b, 6); k != 2 {
		t.Errorf("break bank: send %d slots, want 2", k)
	}
	if k := sendCount(&w, &w, 4); k != 0 {
		t.Errorf("no change: send %d", k)
	}
	back, err := decodeSlots(4, 6, &w, &b)
	if err != nil {
		t.Fatal(err)
	}
	for i := range slots {
		if back[i] != slots[i] {
			t.Errorf("slot %d: %+v, want %+v", i, back[i], slots[i])
		}
	}
	if _, _, err := encodeSlots(4, 6, make([]arch.Slot, 11)); err == nil {
		t.Error("11 slots accepted")
	}
	slots[5].Access = arch.Write // a data access in a breakpoint slot
	if _, _, err := encodeSlots(4, 6, slots); err == nil || !strings.Contains(err.Error(), "BP1") {
		t.Errorf("write in BP1: %v", err)
	}
}

func TestSplit(t *testing.T) {
	b := New()
	tests := []struct {
		addr uint64
		n    int
		acc  arch.Access
		want []arch.Piece
		err  string
	}{
		{0x1000, 8, arch.Write, []arch.Piece{{Addr: 0x1000, Len: 8}}, ""},
		{0x1004, 12, arch.Write, []arch.Piece{{Addr: 0x1004, Len: 4}, {Addr: 0x1008, Len: 8}}, ""},
		{0x1001, 3, arch.Read, []arch.Piece{{Addr: 0x1001, Len: 3}}, ""},
		{0x1006, 4, arch.ReadWrite, []arch.Piece{{Addr: 0x1006, Len: 2}, {Addr: 0x1008, Len: 2}}, ""},
		{0x1000, 32, arch.Write, []arch.Piece{{Addr: 0x1000, Len: 8}, {Addr: 0x1008, Len: 8}, {Addr: 0x1010, Len: 8}, {Addr: 0x1018, Len: 8}}, ""},
		{0x400100, 1, arch.Exec, []arch.Piece{{Addr: 0x400100, Len: 4}}, ""},
		{0x400102, 1, arch.Exec, nil, "4-byte aligned"},
		{0x1000, 0, arch.Write, nil, "at least one byte"},
		{0xffffffff81000000, 8, arch.Write, nil, "not a user-space address"},
		{UserLimit - 4, 8, arch.Write, nil, "not a user-space address"},
	}
	for _, tc := range tests {
		got, err := b.Split(tc.addr, tc.n, tc.acc)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Split(%#x, %d): %v, want error %q", tc.addr, tc.n, err, tc.err)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) {
			t.Errorf("Split(%#x, %d) = %v %v, want %v", tc.addr, tc.n, got, err, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("Split(%#x, %d) = %v, want %v", tc.addr, tc.n, got, tc.want)
			}
		}
	}
}

// FuzzCtrl: a register pair that decodes is a valid slot that encodes to
// a pair watching the same bytes, which decodes to the same slot; and
// Split's pieces always encode.
func FuzzCtrl(f *testing.F) {
	f.Add(uint64(0x1000), uint32(0x15|0xff<<5), uint64(0x1003), 5)
	f.Add(uint64(0x1003), uint32(0x15|0x01<<5), uint64(0x1006), 9)
	f.Add(uint64(0x1000), uint32(0x0d|0x3c<<5), uint64(0xffff), 1)
	f.Fuzz(func(t *testing.T, addr uint64, ctrl uint32, splitAddr uint64, n int) {
		s, err := DecodeWatch(Reg{addr, Ctrl(ctrl)})
		if err == nil && s.Enabled && s.Addr < UserLimit-8 {
			r, err := EncodeWatch(s)
			if err != nil {
				t.Fatalf("%#x %#x decodes to %+v, which does not encode: %v", addr, ctrl, s, err)
			}
			if r.Addr&7 != 0 {
				t.Fatalf("%+v: encoded address %#x is not aligned", s, r.Addr)
			}
			back, err := DecodeWatch(r)
			if err != nil || back != s {
				t.Fatalf("%+v -> %+v -> %+v %v", s, r, back, err)
			}
		}
		if n < 1 || n > 4096 {
			return
		}
		pieces, err := New().Split(splitAddr, n, arch.Write)
		if err != nil {
			return
		}
		next := splitAddr
		for _, p := range pieces {
			if p.Addr != next {
				t.Fatalf("Split(%#x, %d): gap at %v", splitAddr, n, p)
			}
			next = p.End()
			if _, err := EncodeWatch(arch.Slot{Enabled: true, Addr: p.Addr, Len: p.Len, Access: arch.Write}); err != nil {
				t.Fatalf("Split(%#x, %d): piece %v does not encode: %v", splitAddr, n, p, err)
			}
		}
		if next != splitAddr+uint64(n) {
			t.Fatalf("Split(%#x, %d) ends at %#x", splitAddr, n, next)
		}
	})
}
