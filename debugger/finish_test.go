package debugger

import (
	"reflect"
	"strings"
	"testing"

	"hwdbg/arch"
	"hwdbg/debuginfo"
)

func TestValueLayout(t *testing.T) {
	i32 := &Type{Name: "int", Kind: debuginfo.Int, Size: 4}
	f64 := &Type{Name: "double", Kind: debuginfo.Float, Size: 8}
	f32 := &Type{Name: "float", Kind: debuginfo.Float, Size: 4}
	ptr := &Type{Name: "char *", Kind: debuginfo.Pointer, Size: 8}
	s := func(off, size int, float bool) arch.Scalar { return arch.Scalar{Offset: off, Size: size, Float: float} }
	for _, c := range []struct {
		name string
		t    *Type
		want []arch.Scalar
		err  string
	}{
		{"int", i32, []arch.Scalar{s(0, 4, false)}, ""},
		{"double", f64, []arch.Scalar{s(0, 8, true)}, ""},
		{"struct {int; double}", &Type{Name: "struct a", Kind: debuginfo.Struct, Size: 16,
			Fields: []debuginfo.Field{{Name: "i", Type: i32}, {Name: "d", Offset: 8, Type: f64}}},
			[]arch.Scalar{s(0, 4, false), s(8, 8, true)}, ""},
		{"float[3]", &Type{Name: "float[3]", Kind: debuginfo.Array, Size: 12, Elem: f32, Len: 3},
			[]arch.Scalar{s(0, 4, true), s(4, 4, true), s(8, 4, true)}, ""},
		{"complex double", &Type{Name: "complex double", Kind: debuginfo.Complex, Size: 16}, []arch.Scalar{s(0, 8, true), s(8, 8, true)}, ""},
		{"bitfields", &Type{Name: "struct b", Kind: debuginfo.Struct, Size: 4,
			Fields: []debuginfo.Field{{Name: "x", Type: i32, BitSize: 3}, {Name: "p", Offset: 0, Type: ptr, BitSize: 0}}},
			[]arch.Scalar{s(0, 1, false), s(0, 8, false)}, ""},
		{"no size", &Type{Name: "struct empty", Kind: debuginfo.Struct}, nil, "no size"},
		{"a Go string", &Type{Name: "string", Kind: debuginfo.GoString, Size: 16}, nil, "cannot tell"},
	} {
		v, err := valueLayout(c.t)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil || v.Size != int(c.t.Size) || !reflect.DeepEqual(v.Scalars, c.want) {
			t.Errorf("%s: %+v, %v; want %+v", c.name, v, err, c.want)
		}
	}
}

func TestStackPos(t *testing.T) {
	// C: the address; deeper frames are lower.
	hi, lo := uint64(0x7f00), uint64(0x7e00)
	outer, inner := stackPos{down: -hi}, stackPos{down: -lo}
	if !outer.outer(inner) || inner.outer(outer) || !outer.outer(outer) || !outer.same(outer) || outer.same(inner) {
		t.Errorf("C stack positions compare wrongly: %v %v", outer, inner)
	}
	// Go: the same distance from the top on another goroutine is not the
	// same place.
	g1, g2 := stackPos{g: 1, down: 0x100}, stackPos{g: 2, down: 0x100}
	if g1.same(g2) || g1.outer(g2) || !g1.outer(stackPos{g: 1, down: 0x200}) {
		t.Errorf("Go stack positions compare wrongly")
	}
}
