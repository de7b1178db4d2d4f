package debuginfo

import (
	"encoding/binary"
	"errors"
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

func FuzzLocLists(f *testing.F) {
	f.Add([]byte{lleOffsetPair, 4, 8, 1, opReg0, lleEnd}, uint64(0x104))
	f.Add(make([]byte, 32), uint64(0))
	f.Fuzz(func(t *testing.T, b []byte, pc uint64) {
		addrx := func(i uint64) (uint64, error) { return 0x4000 + 8*i, nil }
		parseLocLists(b, 0, 0x100, pc, 8, binary.LittleEndian, addrx)
		parseLoc(b, 0, 0x100, pc, 8, binary.LittleEndian)
		parseLoc(b, 0, 0x100, pc, 4, binary.LittleEndian)
	})
}
