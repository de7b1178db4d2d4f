package debuginfo

import (
	"encoding/binary"
	"testing"
)

// unitBytes is a unit of .debug_info in 32-bit DWARF: its length, then
// header (from the version on) and the rest.
func unitBytes(header ...byte) []byte {
	return append(binary.LittleEndian.AppendUint32(nil, uint32(len(header))), header...)
}

func TestUnitHeaders(t *testing.T) {
	le := binary.LittleEndian
	v4 := unitBytes(4, 0, 0, 0, 0, 0, 8, 1, 0)                                                  // version, abbrev offset, address size, a DIE
	v5 := unitBytes(5, 0, utCompile, 8, 0, 0, 0, 0, 1, 0)                                       // version, unit type, address size, abbrev offset
	v5type := unitBytes(append([]byte{5, 0, utType, 8, 0, 0, 0, 0}, make([]byte, 13)...)...)    // + signature, type offset
	v5skel := unitBytes(append([]byte{5, 0, utSkeleton, 8, 0, 0, 0, 0}, make([]byte, 9)...)...) // + dwo id
	dwarf64 := append(le.AppendUint64([]byte{0xff, 0xff, 0xff, 0xff}, 13), 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 1, 0)
	info := append(append(append(append(append([]byte{}, v4...), v5...), v5type...), v5skel...), dwarf64...)
	hs, err := unitHeaders(info, le)
	if err != nil {
		t.Fatal(err)
	}
	o2 := uint64(len(v4))
	o3 := o2 + uint64(len(v5))
	o4 := o3 + uint64(len(v5type))
	o5 := o4 + uint64(len(v5skel))
	want := []unitHeader{
		{off: 0, end: o2, version: 4, kind: utCompile, die: 11, offSize: 4, addrSize: 8},
		{off: o2, end: o3, version: 5, kind: utCompile, die: o2 + 12, offSize: 4, addrSize: 8},
		{off: o3, end: o4, version: 5, kind: utType, die: o3 + 24, offSize: 4, addrSize: 8},
		{off: o4, end: o5, version: 5, kind: utSkeleton, die: o4 + 20, offSize: 4, addrSize: 8},
		{off: o5, end: o5 + 25, version: 4, kind: utCompile, die: o5 + 23, offSize: 8, addrSize: 8},
	}
	if len(hs) != len(want) {
		t.Fatalf("%d units: %+v", len(hs), hs)
	}
	for i, w := range want {
		if hs[i] != w {
			t.Errorf("unit %d = %+v, want %+v", i, hs[i], w)
		}
	}
}

func TestUnitHeaderErrors(t *testing.T) {
	le := binary.LittleEndian
	v4 := unitBytes(4, 0, 0, 0, 0, 0, 8, 1, 0)
	for _, tc := range []struct {
		name  string
		info  []byte
		off   uint64
		msg   string
		units int // read before the error
	}{
		{"reserved length", append(append([]byte{}, v4...), 0xf0, 0xff, 0xff, 0xff, 4, 0), uint64(len(v4)), "bad length 0xfffffff0", 1},
		{"past the end", append(append([]byte{}, v4...), 0x20, 0, 0, 0, 4, 0), uint64(len(v4)), "length 0x20 past the end", 1},
		{"no version", []byte{1, 0, 0, 0, 4}, 0, "length 0x1 past the end", 0},
		{"truncated 64-bit length", []byte{0xff, 0xff, 0xff, 0xff, 1, 2}, 4, "unit at 0x0: header: truncated data", 0},
		{"truncated v5 header", unitBytes(5, 0, 1), 6, "unit at 0x0: truncated header", 0},
	} {
		hs, err := unitHeaders(tc.info, le)
		wantDecodeError(t, tc.name, err, ".debug_info", tc.off, tc.msg)
		if len(hs) != tc.units {
			t.Errorf("%s: %d units before the error, want %d", tc.name, len(hs), tc.units)
		}
	}
}

func FuzzUnitHeaders(f *testing.F) {
	f.Add(unitBytes(4, 0, 0, 0, 0, 0, 8, 1, 0))
	f.Add(unitBytes(5, 0, utType, 8, 0, 0, 0, 0, 1, 2, 3))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 0, 0, 0, 0, 4})
	f.Fuzz(func(t *testing.T, info []byte) {
		hs, _ := unitHeaders(info, binary.LittleEndian)
		prev := uint64(0)
		for _, h := range hs {
			if h.off < prev || h.end <= h.off || h.end > uint64(len(info)) {
				t.Fatalf("unit %+v outside [%#x, %#x)", h, prev, len(info))
			}
			prev = h.end
		}
	})
}
