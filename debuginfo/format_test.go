package debuginfo

import (
	"testing"

	"hwdbg/debuginfo/internal/dwtest"
)

func FuzzFormat(f *testing.F) {
	i32 := &Type{Name: "int", Kind: Int, Size: 4}
	u8 := &Type{Name: "uint8", Kind: Uint, Size: 1, Go: true}
	ch := &Type{Name: "char", Kind: Char, Size: 1}
	types := []*Type{
		i32,
		{Name: "struct s", Kind: Struct, Size: 8, Fields: []Field{{Name: "a", Type: i32}, {Name: "b", Offset: 4, Type: i32, BitSize: 5, BitOffset: 3}}},
		{Name: "char [6]", Kind: Array, Size: 6, Len: 6, Elem: ch},
		{Name: "string", Kind: GoString, Size: 16, Go: true, Fields: []Field{{Name: "str", Type: &Type{Kind: Pointer, Size: 8, Elem: u8, Go: true}}, {Name: "len", Offset: 8, Type: &Type{Kind: Int, Size: 8, Go: true}}}},
		{Name: "[]uint8", Kind: GoSlice, Size: 24, Go: true, Elem: u8, Fields: []Field{{Name: "array", Type: &Type{Kind: Pointer, Size: 8, Elem: u8, Go: true}}, {Name: "len", Offset: 8, Type: &Type{Kind: Int, Size: 8, Go: true}}, {Name: "cap", Offset: 16, Type: &Type{Kind: Int, Size: 8, Go: true}}}},
		{Name: "char *", Kind: Pointer, Size: 8, Elem: ch},
		{Name: "enum e", Kind: Enum, Size: 4, Enumerators: map[int64]string{1: "ONE"}},
		{Name: "double", Kind: Float, Size: 8},
		{Name: "error", Kind: GoInterface, Size: 16, Go: true, Fields: []Field{{Name: "tab", Type: &Type{Kind: Pointer, Size: 8}}, {Name: "data", Offset: 8, Type: &Type{Kind: Pointer, Size: 8}}}},
	}
	f.Add([]byte("\x01\x00\x00\x00\xff\x00\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00"), int64(3), int64(5))
	f.Fuzz(func(t *testing.T, b []byte, bitOff, bits int64) {
		for _, ty := range types {
			Format(ty, b, dwtest.PatternMemory{})
		}
		if bitOff >= 0 && bitOff < 1<<20 && bits >= 0 && bits < 1<<10 {
			ExtractBits(b, bitOff, bits)
			FormatBits(i32, b, bitOff, bits)
		}
	})
}

func TestExtractBits(t *testing.T) {
	b := []byte{0b1011_0110, 0b0000_0001}
	for _, tc := range []struct {
		off, size int64
		want      uint64
	}{{0, 1, 0}, {1, 2, 3}, {4, 4, 0b1011}, {7, 2, 0b11}, {0, 16, 0x01b6}, {12, 8, 0}} {
		if got := ExtractBits(b, tc.off, tc.size); got != tc.want {
			t.Errorf("ExtractBits(%d, %d) = %#b, want %#b", tc.off, tc.size, got, tc.want)
		}
	}
	i8 := &Type{Name: "signed char", Kind: Int, Size: 1}
	if got := FormatBits(i8, []byte{0b1110_0000}, 5, 3); got != "-1" {
		t.Errorf("FormatBits(signed 3 bits 111) = %s, want -1", got)
	}
}
