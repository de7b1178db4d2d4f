package dwread

import (
	"encoding/binary"
	"errors"
	"testing"
)

func TestLEB128(t *testing.T) {
	for _, tc := range []struct {
		b []byte
		u uint64
		s int64
	}{
		{[]byte{2}, 2, 2},
		{[]byte{0x7f}, 127, -1},
		{[]byte{0x80, 1}, 128, 128},
		{[]byte{0xe5, 0x8e, 0x26}, 624485, 624485},
		{[]byte{0xc0, 0xbb, 0x78}, 1973696, -123456},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, ^uint64(0), -1},
	} {
		if u := New(tc.b, 0, binary.LittleEndian).Uleb(); u != tc.u {
			t.Errorf("Uleb(%x) = %d, want %d", tc.b, u, tc.u)
		}
		if s := New(tc.b, 0, binary.LittleEndian).Sleb(); s != tc.s {
			t.Errorf("Sleb(%x) = %d, want %d", tc.b, s, tc.s)
		}
	}
}

// TestErrorPosition checks that the first error sticks with the position
// of the read that failed, and that reads after it give zero.
func TestErrorPosition(t *testing.T) {
	r := New([]byte{1, 2, 3, 4, 5, 0x80}, 1, binary.LittleEndian)
	if v := r.U16(); v != 0x0302 || r.Err() != nil {
		t.Fatalf("U16 = %#x, %v", v, r.Err())
	}
	if v := r.U32(); v != 0 || !errors.Is(r.Err(), ErrShort) || r.ErrAt() != 3 {
		t.Fatalf("U32 past the end = %#x, %v at %d", v, r.Err(), r.ErrAt())
	}
	if v := r.U8(); v != 0 || r.ErrAt() != 3 {
		t.Errorf("U8 after the error = %#x, error at %d", v, r.ErrAt())
	}
	err := r.Error(".debug_frame", 0x100, "FDE at 0x40")
	var de *DecodeError
	if !errors.As(err, &de) || de.Offset != 0x103 || de.Section != ".debug_frame" ||
		err.Error() != "decoding .debug_frame at offset 0x103: FDE at 0x40: truncated data" {
		t.Errorf("Error = %v", err)
	}
	if !errors.Is(err, ErrShort) {
		t.Error("the DecodeError does not wrap ErrShort")
	}
	r = New([]byte{0x80, 0x80}, 0, binary.LittleEndian)
	if r.Uleb(); r.ErrAt() != 2 {
		t.Errorf("unterminated LEB128 fails at %d, want 2", r.ErrAt())
	}
	r = New([]byte{1, 2}, 0, binary.LittleEndian)
	if b := r.Bytes(3); b != nil || r.ErrAt() != 0 || r.Error("x", 0, "") == nil {
		t.Errorf("Bytes(3) of 2 = %x, error at %d", b, r.ErrAt())
	}
	if r = New([]byte{1}, 0, binary.LittleEndian); r.Addr(3) != 0 || r.Err() == nil {
		t.Error("Addr(3) without an error")
	}
	if New(nil, 0, binary.LittleEndian).Error("x", 0, "") != nil {
		t.Error("an error without a failed read")
	}
}

func FuzzReader(f *testing.F) {
	f.Add([]byte{0x80, 0x80, 1, 2, 3}, uint8(0))
	f.Fuzz(func(t *testing.T, b []byte, ops uint8) {
		r := New(b, 0, binary.LittleEndian)
		for i := 0; i < 16 && r.More(); i++ {
			switch (int(ops) + i) % 6 {
			case 0:
				r.Uleb()
			case 1:
				r.Sleb()
			case 2:
				r.Bytes(uint64(r.U8()))
			case 3:
				r.Addr(int(ops) % 9)
			case 4:
				r.Seek(int(r.U16()))
			case 5:
				r.U64()
			}
			if r.Pos() < 0 || r.Pos() > r.Len() {
				t.Fatalf("position %d outside [0, %d]", r.Pos(), r.Len())
			}
		}
	})
}
