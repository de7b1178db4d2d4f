package amd64

import (
	"reflect"
	"strings"
	"testing"

	"hwdbg/arch"
)

func TestDR7EncodeEveryCode(t *testing.T) {
	// Expected nibbles (LEN<<2 | RW) straight from the SDM table.
	lens := map[int]uint64{1: 0b00, 2: 0b01, 4: 0b11, 8: 0b10}
	rws := map[arch.Access]uint64{arch.Write: 0b01, arch.ReadWrite: 0b11, arch.Read: 0b11}
	for slot := 0; slot < NumSlots; slot++ {
		for n, lc := range lens {
			for acc, rc := range rws {
				slots := make([]arch.Slot, NumSlots)
				slots[slot] = arch.Slot{Enabled: true, Addr: 0x1000, Len: n, Access: acc}
				got, err := EncodeDR7(slots)
				if err != nil {
					t.Fatalf("slot %d len %d %v: %v", slot, n, acc, err)
				}
				want := DR7(1<<(2*slot) | (lc<<2|rc)<<(16+4*slot))
				if got != want {
					t.Errorf("slot %d len %d %v: got %#x, want %#x", slot, n, acc, uint64(got), uint64(want))
				}
				if got.RWBits(slot) != uint8(rc) || got.LenBits(slot) != uint8(lc) || !got.LocalEnable(slot) || got.GlobalEnable(slot) {
					t.Errorf("slot %d: bit helpers disagree with %#x", slot, uint64(got))
				}
				back, err := DecodeDR7(got)
				if err != nil {
					t.Fatal(err)
				}
				wantAcc := acc
				if acc == arch.Read {
					wantAcc = arch.ReadWrite // no read-only code on x86
				}
				if s := back[slot]; !s.Enabled || s.Len != n || s.Access != wantAcc {
					t.Errorf("slot %d len %d %v: decoded %+v", slot, n, acc, s)
				}
			}
		}
		// Execute: RW=00, LEN=00.
		slots := make([]arch.Slot, slot+1)
		slots[slot] = arch.Slot{Enabled: true, Addr: 0x401001, Len: 1, Access: arch.Exec}
		got, err := EncodeDR7(slots)
		if err != nil || got != DR7(1<<(2*slot)) {
			t.Errorf("exec slot %d: got %#x, %v", slot, uint64(got), err)
		}
	}
}

func TestDR7Literals(t *testing.T) {
	tests := []struct {
		dr7   DR7
		slots []arch.Slot // enabled ones only, by index
	}{
		{0, nil},
		{0x000d0001, []arch.Slot{{Enabled: true, Len: 4, Access: arch.Write}}},
		{0x000d0202, []arch.Slot{{Enabled: true, Len: 4, Access: arch.Write}}}, // global-enable form: G0 + GE
		{0x00b00004, []arch.Slot{{}, {Enabled: true, Len: 8, Access: arch.ReadWrite}}},
		{0x05000010, []arch.Slot{{}, {}, {Enabled: true, Len: 2, Access: arch.Write}}},
		{0x00000040, []arch.Slot{{}, {}, {}, {Enabled: true, Len: 1, Access: arch.Exec}}},
		{0xf9d10055, []arch.Slot{
			{Enabled: true, Len: 1, Access: arch.Write},
			{Enabled: true, Len: 4, Access: arch.Write},
			{Enabled: true, Len: 8, Access: arch.Write},
			{Enabled: true, Len: 4, Access: arch.ReadWrite},
		}},
	}
	for _, tc := range tests {
		got, err := DecodeDR7(tc.dr7)
		if err != nil {
			t.Errorf("%#x: %v", uint64(tc.dr7), err)
			continue
		}
		want := make([]arch.Slot, NumSlots)
		copy(want, tc.slots)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%#x: got %+v, want %+v", uint64(tc.dr7), got, want)
		}
	}
}

func TestDR7Refusals(t *testing.T) {
	bad := []struct {
		dr7  DR7
		want string
	}{
		{0x00020001, "I/O"},                // DR0 RW=10
		{0x20000040, "I/O"},                // DR3 RW=10
		{0x00080001, "length 8"},           // DR0 exec with LEN=10
		{0x00400004, "execute breakpoint"}, // DR1 exec with LEN=01
		{0x00020000, "I/O"},                // even when disabled
	}
	for _, tc := range bad {
		if _, err := DecodeDR7(tc.dr7); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("DecodeDR7(%#x) = %v, want an error about %q", uint64(tc.dr7), err, tc.want)
		}
	}
	enc := []struct {
		s    arch.Slot
		want string
	}{
		{arch.Slot{Enabled: true, Addr: 0x1000, Len: 3, Access: arch.Write}, "length 3 is not 1, 2, 4 or 8"},
		{arch.Slot{Enabled: true, Addr: 0x1000, Len: 16, Access: arch.Write}, "length 16"},
		{arch.Slot{Enabled: true, Addr: 0x1000, Len: 0, Access: arch.Write}, "length 0"},
		{arch.Slot{Enabled: true, Addr: 0x1000, Len: 4, Access: arch.Exec}, "execute breakpoint must have length 1"},
		{arch.Slot{Enabled: true, Addr: 0x1004, Len: 8, Access: arch.Write}, "not aligned to its length 8"},
		{arch.Slot{Enabled: true, Addr: 0x1001, Len: 2, Access: arch.ReadWrite}, "not aligned"},
		{arch.Slot{Enabled: true, Addr: 0x1000, Len: 4, Access: 0}, "is not exec, write, read or rw"},
		{arch.Slot{Enabled: true, Addr: 0xffffffff81000000, Len: 8, Access: arch.Write}, "not a user-space address"},
		{arch.Slot{Enabled: true, Addr: UserLimit - 4, Len: 8, Access: arch.Write}, "not aligned"},
		{arch.Slot{Enabled: true, Addr: UserLimit, Len: 1, Access: arch.Exec}, "not a user-space address"},
	}
	for _, tc := range enc {
		_, err := EncodeDR7([]arch.Slot{{}, tc.s})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "DR1") {
			t.Errorf("EncodeDR7(%+v) = %v, want an error naming DR1 about %q", tc.s, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("error is not one line: %q", err)
		}
	}
	if _, err := EncodeDR7(make([]arch.Slot, 5)); err == nil {
		t.Error("EncodeDR7 accepted five slots")
	}
	// A disabled slot is never checked against its address.
	if _, err := EncodeDR7([]arch.Slot{{Addr: 0xffffffffffffffff, Len: 8, Access: arch.Write}}); err != nil {
		t.Errorf("disabled slot refused: %v", err)
	}
}

func TestDR7HelpersOutOfRange(t *testing.T) {
	d := DR7(^uint64(0))
	for _, i := range []int{-1, 4, 100} {
		if d.LocalEnable(i) || d.GlobalEnable(i) || d.Enabled(i) || d.RWBits(i) != 0 || d.LenBits(i) != 0 || d.Clear(i) != d {
			t.Errorf("slot %d: helpers answered for a slot that does not exist", i)
		}
		if _, err := d.Slot(i); err == nil {
			t.Errorf("Slot(%d) did not fail", i)
		}
		if _, err := d.WithSlot(i, arch.Slot{}); err == nil {
			t.Errorf("WithSlot(%d) did not fail", i)
		}
	}
	if s := DR7(0x00b00004).String(); s != "DR7{DR1 rw 8}" {
		t.Errorf("String = %q", s)
	}
}

func TestDR6(t *testing.T) {
	tests := []struct {
		dr6   DR6
		fired []int
		step  bool
	}{
		{0, nil, false},
		{0x1, []int{0}, false},
		{0x8, []int{3}, false},
		{0x5, []int{0, 2}, false},
		{0x4000, nil, true},
		{0x4002, []int{1}, true},
		{0xffff0ff0, nil, false},             // reserved bits only, as Linux reports a clean DR6
		{0xffff4ff1, []int{0}, true},         // with reserved bits set
		{0x2000 | 0x8000 | 0x10, nil, false}, // BD, BT, reserved: not ours
	}
	for _, tc := range tests {
		tr := tc.dr6.Trap()
		if !reflect.DeepEqual(tr.Fired, tc.fired) || tr.Step != tc.step || tr.Addr != 0 {
			t.Errorf("DR6 %#x: got %+v, want fired %v step %v", uint64(tc.dr6), tr, tc.fired, tc.step)
		}
	}
}

func TestSplit(t *testing.T) {
	b := New()
	p := func(a uint64, n int) arch.Piece { return arch.Piece{Addr: a, Len: n} }
	tests := []struct {
		addr uint64
		n    int
		acc  arch.Access
		want []arch.Piece
	}{
		{0x1000, 1, arch.Write, []arch.Piece{p(0x1000, 1)}},
		{0x1003, 1, arch.Read, []arch.Piece{p(0x1003, 1)}},
		{0x1000, 8, arch.Write, []arch.Piece{p(0x1000, 8)}},
		{0x1000, 16, arch.ReadWrite, []arch.Piece{p(0x1000, 8), p(0x1008, 8)}},
		{0x1004, 12, arch.Write, []arch.Piece{p(0x1004, 4), p(0x1008, 8)}},
		{0x1001, 3, arch.Write, []arch.Piece{p(0x1001, 1), p(0x1002, 2)}},
		{0x1001, 8, arch.Write, []arch.Piece{p(0x1001, 1), p(0x1002, 2), p(0x1004, 4), p(0x1008, 1)}},
		{0x1006, 4, arch.Write, []arch.Piece{p(0x1006, 2), p(0x1008, 2)}},
		{0x1000, 6, arch.Write, []arch.Piece{p(0x1000, 4), p(0x1004, 2)}},
		{0x1000, 7, arch.Write, []arch.Piece{p(0x1000, 4), p(0x1004, 2), p(0x1006, 1)}},
		{0x1000, 40, arch.Write, []arch.Piece{p(0x1000, 8), p(0x1008, 8), p(0x1010, 8), p(0x1018, 8), p(0x1020, 8)}},
		{0x401123, 1, arch.Exec, []arch.Piece{p(0x401123, 1)}},
		{0x401123, 4, arch.Exec, []arch.Piece{p(0x401123, 1)}},
		{UserLimit - 8, 8, arch.Write, []arch.Piece{p(UserLimit-8, 8)}},
	}
	for _, tc := range tests {
		got, err := b.Split(tc.addr, tc.n, tc.acc)
		if err != nil {
			t.Errorf("Split(%#x, %d, %v): %v", tc.addr, tc.n, tc.acc, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Split(%#x, %d, %v) = %v, want %v", tc.addr, tc.n, tc.acc, got, tc.want)
		}
		// Every piece is naturally aligned, and they tile the range.
		next := tc.addr
		for _, pc := range got {
			if pc.Addr != next || pc.Addr%uint64(pc.Len) != 0 {
				t.Errorf("Split(%#x, %d): bad piece %v", tc.addr, tc.n, pc)
			}
			next = pc.End()
		}
	}
	bad := []struct {
		addr uint64
		n    int
		acc  arch.Access
		want string
	}{
		{0x1000, 0, arch.Write, "at least one byte"},
		{0x1000, -4, arch.Write, "at least one byte"},
		{0xffffffff81000000, 8, arch.Write, "0xffffffff81000000 is not a user-space address (the kernel refuses debug registers on kernel addresses)"},
		{UserLimit - 4, 8, arch.Write, "is not a user-space address"},
		{UserLimit, 1, arch.Exec, "is not a user-space address"},
		{0xfffffffffffffff8, 16, arch.Write, "is not a user-space address"}, // wraps around
		{0x1000, 4, 0, "is not exec, write, read or rw"},
		{0x1000, 4, arch.Access(9), "is not exec, write, read or rw"},
	}
	for _, tc := range bad {
		_, err := b.Split(tc.addr, tc.n, tc.acc)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Split(%#x, %d, %v) = %v, want error %q", tc.addr, tc.n, tc.acc, err, tc.want)
		}
	}
}

func TestSlotsAndConstants(t *testing.T) {
	b := New()
	s, err := b.Slots(1)
	if err != nil || len(s) != 4 {
		t.Fatalf("Slots = %v, %v", s, err)
	}
	for i, si := range s {
		if si.Name != "DR"+string(rune('0'+i)) || si.Can != arch.Exec|arch.Write|arch.ReadWrite {
			t.Errorf("slot %d = %+v", i, si)
		}
	}
	if b.Name() != "amd64" || !b.TrapAfter() || b.MaxInsnLen() != 15 || !reflect.DeepEqual(b.BreakInsn(), []byte{0xcc}) {
		t.Error("constant methods wrong")
	}
	if b.ReadOnlySlots() || New32().ReadOnlySlots() {
		t.Error("ReadOnlySlots: x86 has no read-only slot")
	}
}

func TestPlanWrites(t *testing.T) {
	w := func(n int, v uint64) regWrite { return regWrite{n, v} }
	none := [NumSlots]uint64{}
	tests := []struct {
		name  string
		cur   DR7
		addrs [NumSlots]uint64
		want  []arch.Slot
		plan  []regWrite
	}{
		{"set one", 0, none,
			[]arch.Slot{{Enabled: true, Addr: 0x1000, Len: 8, Access: arch.Write}},
			[]regWrite{w(0, 0x1000), w(7, 0x00090001)}},
		{"nothing to do", 0x00090202, [NumSlots]uint64{0x1000},
			[]arch.Slot{{Enabled: true, Addr: 0x1000, Len: 8, Access: arch.Write}},
			nil},
		{"move and shrink slot 0, keep slot 1", 0x00d90a0a, [NumSlots]uint64{0x1000, 0x2000},
			[]arch.Slot{
				{Enabled: true, Addr: 0x1004, Len: 4, Access: arch.Write},
				{Enabled: true, Addr: 0x2000, Len: 4, Access: arch.Write},
			},
			[]regWrite{w(7, 0x00d00004), w(0, 0x1004), w(7, 0x00dd0005)}},
		{"change access only", 0x00090202, [NumSlots]uint64{0x1000},
			[]arch.Slot{{Enabled: true, Addr: 0x1000, Len: 8, Access: arch.Read}},
			[]regWrite{w(7, 0), w(7, 0x000b0001)}},
		{"clear all", 0x00090202, [NumSlots]uint64{0x1000},
			nil,
			[]regWrite{w(7, 0)}},
		{"disable keeps address", 0x00090202, [NumSlots]uint64{0x1000},
			[]arch.Slot{{Enabled: false, Addr: 0x1000, Len: 8, Access: arch.Write}},
			[]regWrite{w(7, 0)}},
		{"unreadable current DR7", 0x00020001, none,
			[]arch.Slot{{Enabled: true, Addr: 0x1000, Len: 1, Access: arch.Exec}},
			[]regWrite{w(7, 0), w(0, 0x1000), w(7, 1)}},
	}
	for _, tc := range tests {
		got, err := planWrites(tc.cur, tc.addrs, tc.want)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.plan) {
			t.Errorf("%s: plan %v, want %v", tc.name, got, tc.plan)
		}
	}
	if _, err := planWrites(0, none, make([]arch.Slot, 5)); err == nil {
		t.Error("planWrites accepted five slots")
	}
}

func FuzzDR7(f *testing.F) {
	for _, v := range []uint64{0, 0xd0001, 0xd0202, 0xb00004, 0xf9d10055, 0x20001, 0x80001, ^uint64(0), 0x5555} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v uint64) {
		d := DR7(v)
		_ = d.String()
		slots, err := DecodeDR7(d)
		if err != nil {
			return
		}
		enc, err := EncodeDR7(slots)
		if err != nil {
			t.Fatalf("%#x decoded to %+v, which does not encode: %v", v, slots, err)
		}
		// The canonical form: G_i folded into L_i, other control bits dropped.
		var canon DR7
		for i := 0; i < NumSlots; i++ {
			if d.Enabled(i) {
				canon |= 1 << (2 * i)
			}
			canon |= d & (0xf << (16 + 4*i))
		}
		if enc != canon {
			t.Fatalf("%#x: encoded back as %#x, want %#x", v, uint64(enc), uint64(canon))
		}
		again, err := DecodeDR7(enc)
		if err != nil || !reflect.DeepEqual(again, slots) {
			t.Fatalf("%#x: re-decoded %+v (%v), want %+v", v, again, err, slots)
		}
	})
}
