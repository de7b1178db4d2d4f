package expr

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
)

// evalCase is an expression, the scope it is evaluated in, and what it
// must give: an error containing err, or a value (its integer, address
// when in memory, type name and the pointers followed to reach it).
type evalCase struct {
	scope func() *fakeScope
	in    string
	err   string
	n     int64
	noInt bool   // the value is not a number: do not check n
	addr  uint64 // 0: not checked
	typ   string // "": not checked
	ptrs  []string
	fn    string
	frame *Frame
}

var evalCases = []evalCase{
	// Names: locals, statics, globals, symbols, functions.
	{scope: cScope, in: "counter", n: 42, addr: 0x2000, typ: "int"},
	{scope: cScope, in: "&counter", n: 0x2000, typ: "int *"},
	{scope: cScope, in: "q", n: 11, addr: 0x7ffe0000 - 0x10, frame: mainFrame},
	{scope: cScope, in: "static_b", n: 5, addr: 0x2050},
	{scope: cScope, in: "opt", err: "opt: optimized out"},
	{scope: cScope, in: "LIMIT", err: "LIMIT is a constant with no storage: nothing to watch or read"},
	{scope: cScope, in: "nosuch", err: `no symbol "nosuch" in the program`},
	{scope: cScope, in: "coun", err: `no symbol "coun" in the program (did you mean counter?)`},
	{scope: cScope, in: "raw", n: -0x21524111, addr: 0x3000, typ: "int32"},
	{scope: cScope, in: "marker", noInt: true, addr: 0x401100, fn: "marker"},
	{scope: cScope, in: "&marker", n: 0x401100, fn: "marker"},
	{scope: cScope, in: "stripped_fn", noInt: true, addr: 0x401200, fn: "stripped_fn"},
	// Arithmetic, comparison, logic.
	{scope: cScope, in: "counter + 1", n: 43, typ: "long"},
	{scope: cScope, in: "counter - 50", n: -8},
	{scope: cScope, in: "-counter", n: -42},
	{scope: cScope, in: "!counter", n: 0},
	{scope: cScope, in: "!0", n: 1},
	{scope: cScope, in: "counter == 42 && q > 10", n: 1},
	{scope: cScope, in: "counter != 42 || q <= 10", n: 0},
	{scope: cScope, in: "q >= 11 && q < 12", n: 1},
	{scope: cScope, in: "0 || nosuch", err: `no symbol "nosuch"`},
	{scope: cScope, in: "1 || nosuch", n: 1}, // not evaluated
	{scope: cScope, in: "0 && nosuch", n: 0},
	{scope: cScope, in: "0 - 1 < 0", n: 1},
	{scope: cScope, in: "(unsigned int)counter > 0 - 1", n: 0}, // compared as unsigned
	{scope: cScope, in: "(unsigned char)300", n: 44, typ: "unsigned char"},
	{scope: cScope, in: "ratio", noInt: true, addr: 0x2070, typ: "double"},
	{scope: cScope, in: "ratio + 1", err: "a double is not a number"},
	{scope: cScope, in: "(int)ratio", err: "cannot convert double to int"},
	{scope: cScope, in: "(long)ratio", n: 0x3ff8000000000000, addr: 0x2070}, // its bits
	// Arrays, pointers, fields, bitfields.
	{scope: cScope, in: "arr[2]", n: 30, addr: 0x2020, typ: "long"},
	{scope: cScope, in: "arr[4]", err: "index 4 is out of range for arr (4 elements)"},
	{scope: cScope, in: "*(arr + 1)", n: 20, addr: 0x2018},
	{scope: cScope, in: "*(long*)&arr", n: 10},
	{scope: cScope, in: "p[1]", n: 20, addr: 0x2018, ptrs: []string{"p"}},
	{scope: cScope, in: "*(p + 2)", n: 30, ptrs: []string{"p"}},
	{scope: cScope, in: "*p", n: 10, ptrs: []string{"p"}},
	{scope: cScope, in: "head->val", n: 1, addr: 0x1000, ptrs: []string{"head"}},
	{scope: cScope, in: "head->next->val", n: 7, addr: 0x1100, ptrs: []string{"head", "head->next"}},
	{scope: cScope, in: "head->next->next->val", err: "cannot dereference head->next->next: it is a null pointer"},
	{scope: cScope, in: "head.val", err: "head is a pointer: use head->val"},
	{scope: cScope, in: "n1.next->val", n: 7, ptrs: []string{"n1.next"}},
	{scope: cScope, in: "n1.nope", err: `struct node has no field "nope" (fields: val, next, flags, sign)`},
	{scope: cScope, in: "counter.x", err: "counter is a int, which has no fields"},
	{scope: cScope, in: "n2.flags", n: 5, addr: 0x1110},
	{scope: cScope, in: "n2.sign", n: -3},
	{scope: cScope, in: "&n2.flags", err: "cannot take the address of the bitfield n2.flags"},
	{scope: cScope, in: "&(counter + 1)", err: "cannot take the address of (counter + 0x1): it is not in memory"},
	{scope: cScope, in: "*vp", err: "cannot dereference vp: it is a void pointer; cast it, e.g. *(long*)vp"},
	{scope: cScope, in: "vp[1]", err: "cannot index the void pointer vp"},
	{scope: cScope, in: "*counter", err: "cannot dereference counter: it is a int, not a pointer"},
	{scope: cScope, in: "counter[1]", err: "cannot index counter: it is a int"},
	{scope: cScope, in: "((struct node*)vp)->next->val", n: 7, ptrs: []string{"vp", "((struct node*)vp)->next"}},
	{scope: cScope, in: "(*(struct node*)vp).val", n: 1, ptrs: []string{"vp"}},
	{scope: cScope, in: "(struct nosuch*)vp", err: `unknown type "struct nosuch"`},
	{scope: cScope, in: "*(int*)0", err: "cannot dereference (int*)0x0: it is a null pointer"},
	{scope: cScope, in: "*(int*)0x9999", err: "input/output error"},
	{scope: cScope, in: "*name", n: 'h', typ: "char", ptrs: []string{"name"}},
	// Registers.
	{scope: cScope, in: "$rax", n: 0x1234, typ: "long"},
	{scope: cScope, in: "$rsp", n: 0x7ffe0000 - 0x20, typ: "void *"},
	{scope: cScope, in: "*(long*)($rsp + 0x18)", n: 0x2010},
	{scope: cScope, in: "$nosuch", err: "no register $nosuch"},

	// Without debug information: symbols of unknown type, 4-byte pointers.
	{scope: bareScope, in: "counter", n: 42, addr: 0x2000, typ: "int32"},
	{scope: bareScope, in: "&counter", n: 0x2000, typ: "int32 *"},
	{scope: bareScope, in: "buf", noInt: true, addr: 0x3000, typ: "[12]byte"},
	{scope: bareScope, in: "buf + 1", err: "a value of 12 bytes is not a number"},
	{scope: bareScope, in: "(long)counter", n: 42, typ: "long"},
	{scope: bareScope, in: "*(long*)&buf", n: -0x21524111},
	{scope: bareScope, in: "((char*)&buf)[4]", n: 1},
	{scope: bareScope, in: "*counter", err: "cannot dereference counter: its type is not known to be a pointer; cast it, e.g. *(long*)counter"},
	{scope: bareScope, in: "buf[1]", err: "cannot index buf: its type is not known to be an array or pointer; cast it, e.g. ((int*)&buf)[1]"},
	{scope: bareScope, in: "counter.x", err: `cannot read field "x": fields need debug information (DWARF), which this program lacks`},
	{scope: bareScope, in: "(struct node*)0x10", err: `unknown type "struct node" (without debug information: C integer types`},
	{scope: bareScope, in: "$esp", n: 0xffffd000, typ: "void *"},
	{scope: bareScope, in: "marker", noInt: true, addr: 0x8049100, fn: "marker"},
	{scope: bareScope, in: "q", err: `no symbol "q" in the program`},

	// Masks: "&" binds looser than "==", as in C.
	{scope: cScope, in: "counter & 0xf", n: 10},
	{scope: cScope, in: "(counter & 0x8) == 8", n: 1},
	{scope: cScope, in: "counter & 8 == 8", n: 0}, // counter & (8 == 8)
	{scope: cScope, in: "counter & 2 && arr[1] & 0x10", n: 1},
	{scope: cScope, in: "(counter & -1) < 0", n: 0},
	{scope: cScope, in: "(-1 & -1) > 0", n: 0},
	{scope: cScope, in: "(-1 & (unsigned long)-1) > 0", n: 1}, // an unsigned mask compares unsigned
	{scope: cScope, in: "&counter & 0xfff", n: 0},

	// Go: names as Delve takes them, slices, automatic dereference.
	{scope: goScope, in: "counter", n: 7, addr: 0x5000, typ: "int"},
	{scope: goScope, in: "main.counter", n: 7, addr: 0x5000},
	{scope: goScope, in: "limit", n: 3, addr: 0x5040},
	{scope: goScope, in: "example.com/pkg.limit", n: 3},
	{scope: goScope, in: "s[2]", n: 3, addr: 0x6010, ptrs: []string{"s"}},
	{scope: goScope, in: "main.s[0]", n: 1, ptrs: []string{"main.s"}},
	{scope: goScope, in: "s[3]", err: "index 3 is out of range for s (len 3)"},
	{scope: goScope, in: "p.B", n: 5, addr: 0x6108, ptrs: []string{"p"}},
	{scope: goScope, in: "p->A", n: 4, ptrs: []string{"p"}},
	{scope: goScope, in: "v", n: 99, frame: goopFrame},
	{scope: goScope, in: "runtime.x", noInt: true, addr: 0x5038, typ: "int64"},
	{scope: goScope, in: "main.nosuch", err: `no symbol "main.nosuch" in the program`},
	{scope: goScope, in: "nosuch.x", err: `no symbol "nosuch.x" in the program`},
}

func TestEval(t *testing.T) {
	for _, c := range evalCases {
		s := c.scope()
		v, n, err := evalInt(c.in, s, c.noInt)
		if failed(t, c.in, err, c.err) {
			continue
		}
		if !c.noInt && n != c.n {
			t.Errorf("%s = %d (%#x), want %d (%#x)", c.in, n, n, c.n, c.n)
		}
		if c.addr != 0 && (!v.Lvalue || v.Addr != c.addr) {
			t.Errorf("%s: at %#x (lvalue %v), want at %#x", c.in, v.Addr, v.Lvalue, c.addr)
		}
		if c.typ != "" && v.Type.Name != c.typ {
			t.Errorf("%s: type %q, want %q", c.in, v.Type.Name, c.typ)
		}
		if !slices.Equal(v.Ptrs, c.ptrs) {
			t.Errorf("%s: pointers followed %q, want %q", c.in, v.Ptrs, c.ptrs)
		}
		if v.Func != c.fn {
			t.Errorf("%s: function %q, want %q", c.in, v.Func, c.fn)
		}
		if v.Frame != c.frame {
			t.Errorf("%s: frame %+v, want %+v", c.in, v.Frame, c.frame)
		}
	}
}

// evalInt parses and evaluates src in s, and converts the value to an
// integer unless noInt.
func evalInt(src string, s Scope, noInt bool) (Value, int64, error) {
	e, err := Parse(src)
	if err != nil {
		return Value{}, 0, err
	}
	v, err := Eval(e, s)
	if err != nil || noInt {
		return v, 0, err
	}
	n, err := v.Int(s)
	return v, n, err
}

func TestEvalPointerSizes(t *testing.T) {
	// A pointer is 4 bytes in an i386 program: taking an address, casting
	// to a pointer, and pointer arithmetic keep that size.
	for _, src := range []string{"&counter", "(int*)0x10", "(char*)&buf + 4", "$esp"} {
		v, _, err := evalInt(src, bareScope(), false)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if v.Type.Kind != KindPointer || v.Type.Size != 4 || len(v.Bytes) != 4 {
			t.Errorf("%s: a %s of %d bytes (%d held), want a 4-byte pointer", src, v.Type.Name, v.Type.Size, len(v.Bytes))
		}
	}
	for _, src := range []string{"(long)counter", "(size_t)counter", "(unsigned long)counter"} {
		v, _, err := evalInt(src, bareScope(), false)
		if err != nil || v.Type.Size != 4 {
			t.Errorf("%s: %v, %+v; want 4 bytes in an ILP32 program", src, err, v.Type)
		}
		if v, _, err := evalInt(src, cScope(), false); err != nil || v.Type.Size != 8 {
			t.Errorf("%s: %v, %+v; want 8 bytes in an LP64 program", src, err, v.Type)
		}
	}
}

func TestRegionOf(t *testing.T) {
	cases := []struct {
		scope func() *fakeScope
		in    string
		size  int
		want  Region
		err   string
	}{
		{scope: cScope, in: "counter", want: Region{Addr: 0x2000, Len: 4, Type: tInt}},
		{scope: cScope, in: "&counter", want: Region{Addr: 0x2000, Len: 4, Type: tInt}},
		{scope: cScope, in: "counter", size: 8, want: Region{Addr: 0x2000, Len: 8, Type: BytesType(8)}},
		{scope: cScope, in: "arr", want: Region{Addr: 0x2010, Len: 32, Type: tArr}},
		{scope: cScope, in: "q", want: Region{Addr: 0x7ffe0000 - 0x10, Len: 4, Type: tInt, Frame: mainFrame}},
		{scope: cScope, in: "&q", want: Region{Addr: 0x7ffe0000 - 0x10, Len: 4, Type: tInt, Frame: mainFrame}},
		{scope: cScope, in: "static_b", want: Region{Addr: 0x2050, Len: 4, Type: tInt}},
		{scope: cScope, in: "head->next->val", want: Region{Addr: 0x1100, Len: 4, Type: tInt, Ptrs: []string{"head", "head->next"}}},
		{scope: cScope, in: "n2.sign", want: Region{Addr: 0x1110, Len: 1, Type: tInt, BitOffset: 3, BitSize: 4}},
		{scope: cScope, in: "n2.sign", size: 4, want: Region{Addr: 0x1110, Len: 4, Type: BytesType(4)}},
		{scope: cScope, in: "marker", want: Region{Addr: 0x401100, Len: 7, Type: BytesType(7), Func: "marker"}},
		{scope: cScope, in: "&marker", want: Region{Addr: 0x401100, Len: 7, Type: BytesType(7), Func: "marker"}},
		{scope: cScope, in: "(long)p", size: 8, want: Region{Addr: 0x2010, Len: 8, Type: BytesType(8), Frame: mainFrame, Ptrs: []string{"p"}}},
		{scope: cScope, in: "0x3000", size: 4, want: Region{Addr: 0x3000, Len: 4, Type: BytesType(4)}},
		{scope: cScope, in: "0x3000", err: "0x3000 is a value, not memory: to watch the memory at 0x3000, add -s SIZE or write *(long*)0x3000"},
		{scope: cScope, in: "&(counter + 1)", err: "cannot take the address of (counter + 0x1): it is not in memory"},
		{scope: cScope, in: "ratio + 1", size: 8, err: "a double is not a number"},
		{scope: goScope, in: "v", want: Region{Addr: 0xc00004ff00, Len: 8, Type: tGoInt, Frame: goopFrame}},
		{scope: goScope, in: "p.A", want: Region{Addr: 0x6100, Len: 8, Type: tGoInt, Ptrs: []string{"p"}}},
	}
	for _, c := range cases {
		e, err := Parse(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		r, err := RegionOf(e, c.size, c.scope())
		if failed(t, fmt.Sprintf("%s -s %d", c.in, c.size), err, c.err) {
			continue
		}
		if !reflect.DeepEqual(r, c.want) {
			t.Errorf("%s -s %d:\n got %+v\nwant %+v", c.in, c.size, r, c.want)
		}
	}
}

// FuzzEval evaluates whatever parses in each fake scope: it must never
// panic; a region is where the value is; a condition bound in a scope
// and evaluated there means what the expression means there.
func FuzzEval(f *testing.F) {
	for _, c := range evalCases {
		f.Add(c.in)
	}
	for _, s := range []string{"-s[1] + p->A", "(char)(long)&(*(int**)$rsp)[3]", "!!!&arr[1][2]", "((struct node)n1).next"} {
		f.Add(s)
	}
	scopes := []func() *fakeScope{cScope, bareScope, goScope}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Parse(src)
		if err != nil {
			return
		}
		reparse(t, src, e)
		for _, scope := range scopes {
			s := scope()
			v, err := Eval(e, s)
			if err == nil {
				v.Load(s)
				v.Int(s)
			}
			for _, size := range []int{0, 1, 8} {
				r, rerr := RegionOf(e, size, s)
				if rerr == nil && size > 0 && r.Len != size {
					t.Fatalf("%q -s %d: a region of %d bytes", src, size, r.Len)
				}
				if err == nil && v.Lvalue && size == 0 && (rerr != nil || r.Addr != v.Addr) {
					t.Fatalf("%q: at %#x, but its region is %+v, %v", src, v.Addr, r, rerr)
				}
			}
			b, berr := Bind(e, s)
			if berr != nil {
				continue
			}
			bv, berr := b.Eval(s)
			v.Frame, bv.Frame = nil, nil // a bound local is read in its frame, which it does not carry
			if (err == nil) != (berr == nil) || err == nil && !reflect.DeepEqual(v, bv) {
				t.Fatalf("%q: %+v, %v; bound there: %+v, %v", src, v, err, bv, berr)
			}
		}
	})
}
