package debuginfo

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// Expressions the location lists of the tests hold (DW_OP_reg0,
// DW_OP_fbreg): opaque bytes to the list decoders.
const (
	opReg0  = 0x50
	opFbreg = 0x91
)

func TestLocLists(t *testing.T) {
	le := binary.LittleEndian
	// DWARF 4: [0x10,0x20) -> reg0; base selection 0x1000; [0x0,0x8) -> fbreg 0; end.
	var loc []byte
	put := func(v uint64) { loc = le.AppendUint64(loc, v) }
	put(0x10)
	put(0x20)
	loc = append(loc, 1, 0, opReg0)
	put(^uint64(0))
	put(0x1000)
	put(0x0)
	put(0x8)
	loc = append(loc, 2, 0, opFbreg, 0)
	put(0)
	put(0)
	for _, tc := range []struct {
		pc   uint64
		want []byte
	}{{0x10 + 0x100, []byte{opReg0}}, {0x1004, []byte{opFbreg, 0}}, {0x1008, nil}, {0x5, nil}} {
		got, err := parseLoc(loc, 0, 0x100, tc.pc, 8, le)
		if string(got) != string(tc.want) || (tc.want == nil) != errors.Is(err, ErrOptimizedOut) {
			t.Errorf(".debug_loc at %#x = %x, %v; want %x", tc.pc, got, err, tc.want)
		}
	}
	// DWARF 5: offset_pair [4,8) from base 0x100; base_addressx 1 (0x4008);
	// startx_length 0 len 4; default fbreg 0.
	ll := []byte{lleOffsetPair, 4, 8, 1, opReg0, lleBaseAddrx, 1, lleOffsetPair, 0, 2, 1, opReg0 + 1,
		lleStartxLen, 0, 4, 1, opReg0 + 2, lleDefault, 2, opFbreg, 0, lleEnd}
	addrx := func(i uint64) (uint64, error) { return 0x4000 + 8*i, nil }
	for _, tc := range []struct {
		pc   uint64
		want []byte
	}{{0x104, []byte{opReg0}}, {0x4009, []byte{opReg0 + 1}}, {0x4002, []byte{opReg0 + 2}}, {0x9999, []byte{opFbreg, 0}}} {
		got, err := parseLocLists(ll, 0, 0x100, tc.pc, 8, le, addrx)
		if err != nil || string(got) != string(tc.want) {
			t.Errorf(".debug_loclists at %#x = %x, %v; want %x", tc.pc, got, err, tc.want)
		}
	}
}

// wantDecodeError checks that err is a DecodeError in section at off
// whose message contains msg.
func wantDecodeError(t *testing.T, what string, err error, section string, off uint64, msg string) {
	t.Helper()
	var de *DecodeError
	if !errors.As(err, &de) || de.Section != section || de.Offset != off || !strings.Contains(de.Err.Error(), msg) {
		t.Errorf("%s: %v; want a DecodeError in %s at %#x containing %q", what, err, section, off, msg)
	}
}

func TestLocListDecodeErrors(t *testing.T) {
	le := binary.LittleEndian
	addrx := func(i uint64) (uint64, error) {
		if i > 3 {
			return 0, errors.New("no such entry")
		}
		return 0x4000 + 8*i, nil
	}
	// A .debug_loc list whose second entry's expression runs past the end.
	var loc []byte
	loc = le.AppendUint64(loc, 0x10)
	loc = le.AppendUint64(loc, 0x20)
	loc = append(loc, 1, 0, opReg0)
	loc = le.AppendUint64(loc, 0x30)
	loc = le.AppendUint64(loc, 0x40)
	loc = append(loc, 9, 0, opReg0)
	for _, tc := range []struct {
		name, section string
		err           func() error
		off           uint64
		msg           string
	}{
		{"loc past the end", ".debug_loc", func() error { _, err := parseLoc(loc, 100, 0, 0x35, 8, le); return err }, 100, "past the end"},
		{"loc truncated pair", ".debug_loc", func() error { _, err := parseLoc(loc[:12], 0, 0, 0x35, 8, le); return err }, 8, "location list at 0x0: truncated data"},
		{"loc truncated expression", ".debug_loc", func() error { _, err := parseLoc(loc, 0, 0, 0x35, 8, le); return err }, 37, "truncated data"},
		{"loclists bad kind", ".debug_loclists", func() error {
			_, err := parseLocLists([]byte{lleOffsetPair, 0, 4, 1, opReg0, 0x42}, 0, 0, 0x10, 8, le, addrx)
			return err
		}, 5, "location list at 0x0: bad entry kind 0x42"},
		{"loclists truncated", ".debug_loclists", func() error {
			_, err := parseLocLists([]byte{0xff, lleStartLength, 1, 2, 3}, 1, 0, 0x10, 8, le, addrx)
			return err
		}, 2, "location list at 0x1: truncated data"},
		{"loclists no end", ".debug_loclists", func() error {
			_, err := parseLocLists([]byte{lleOffsetPair, 0, 4, 1, opReg0}, 0, 0, 0x10, 8, le, addrx)
			return err
		}, 5, "truncated data"},
		{"loclists bad index", ".debug_loclists", func() error {
			_, err := parseLocLists([]byte{lleStartxLen, 9, 4, 1, opReg0, lleEnd}, 0, 0, 0x10, 8, le, addrx)
			return err
		}, 2, "no such entry"},
		{"loclists past the end", ".debug_loclists", func() error { _, err := parseLocLists(nil, 1, 0, 0, 8, le, addrx); return err }, 1, "past the end"},
		{"table index", ".debug_addr", func() error { _, err := tableEntry(make([]byte, 24), ".debug_addr", 8, 2, 8, le); return err }, 8, "index 2 past the end"},
		{"table base", ".debug_loclists", func() error { _, err := tableEntry(make([]byte, 8), ".debug_loclists", 12, 0, 4, le); return err }, 12, "index 0 past the end"},
	} {
		wantDecodeError(t, tc.name, tc.err(), tc.section, tc.off, tc.msg)
	}
	// In range, the table gives its entries.
	tab := le.AppendUint64(le.AppendUint64(make([]byte, 8), 0x1111), 0x2222)
	if v, err := tableEntry(tab, ".debug_addr", 8, 1, 8, le); err != nil || v != 0x2222 {
		t.Errorf("tableEntry(1) = %#x, %v", v, err)
	}
	if v, err := tableEntry(tab, ".debug_addr", 8, 1, 4, le); err != nil || v != 0 {
		t.Errorf("tableEntry(1, 4-byte) = %#x, %v", v, err)
	}
}

func FuzzLocLists(f *testing.F) {
	f.Add([]byte{lleOffsetPair, 4, 8, 1, opReg0, lleEnd}, uint64(0x104))
	f.Add(make([]byte, 32), uint64(0))
	f.Fuzz(func(t *testing.T, b []byte, pc uint64) {
		addrx := func(i uint64) (uint64, error) { return 0x4000 + 8*i, nil }
		parseLocLists(b, 0, 0x100, pc, 8, binary.LittleEndian, addrx)
		parseLoc(b, 0, 0x100, pc, 8, binary.LittleEndian)
		parseLoc(b, 0, 0x100, pc, 4, binary.LittleEndian)
		tableEntry(b, ".debug_addr", pc%64, pc/64, 8, binary.LittleEndian)
		tableEntry(b, ".debug_loclists", 12, pc, 4, binary.LittleEndian)
	})
}
