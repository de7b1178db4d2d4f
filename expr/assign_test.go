package expr

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"hwdbg/debuginfo"
)

func TestParseAssignment(t *testing.T) {
	cases := []struct{ in, want, err string }{
		{in: "x = 3", want: "x = 0x3"},
		{in: "*p = -1", want: "*p = -0x1"},
		{in: "s.f=2", want: "s.f = 0x2"},
		{in: "a[i == 1] = 'c'", want: "a[(i == 0x1)] = 'c'"},
		{in: "r = 2.5", want: "r = 2.5"},
		{in: "c = '\\n'", want: "c = '\\n'"},
		{in: "c = '\\101'", want: "c = 'A'"},
		{in: "x == 3", err: "no '='"},
		{in: "x = y = 3", err: "one '=' at a time"},
		{in: "x += 3", err: "+= is not supported"},
		{in: "= 3", err: "nothing before '='"},
		{in: "x =", err: "nothing after '='"},
		{in: "x = 'ab'", err: "bad character constant"},
		{in: "x = ''", err: "bad character constant"},
	}
	for _, c := range cases {
		a, err := ParseAssignment(c.in)
		if failed(t, c.in, err, c.err) {
			continue
		}
		if a.String() != c.want {
			t.Errorf("%q: parsed as %s, want %s", c.in, a, c.want)
		}
	}
	if _, err := Parse("x = 3"); err == nil || !strings.Contains(err.Error(), "compare with '=='") {
		t.Errorf("an '=' in an expression: %v", err)
	}
	if !IsAssignment("x = 3") || IsAssignment("x == 3") || IsAssignment("x <= 3") {
		t.Errorf("IsAssignment tells '=' from '==' and '<='")
	}
}

func FuzzParseAssignment(f *testing.F) {
	for _, s := range []string{"x = 3", "*(long*)0x10 = 'a'", "a[1].b = 2.5e3", "p->q = &r", "c = '\\x41'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAssignment(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error has more than one line: %q", err)
			}
			return
		}
		b, err := ParseAssignment(a.String())
		if err != nil || b.String() != a.String() {
			t.Fatalf("%q printed as %q, which reparses as %v (%v)", s, a, b, err)
		}
		Assign(a, cScope()) // must not panic
	})
}

func TestAssign(t *testing.T) {
	cases := []struct {
		in   string
		addr uint64
		want []byte
		reg  string
		err  string
	}{
		{in: "counter = 7", addr: 0x2000, want: le32(7)},
		{in: "counter = -1", addr: 0x2000, want: le32(0xffffffff)},
		{in: "counter = 'A'", addr: 0x2000, want: le32(65)},
		{in: "counter = 2.9", addr: 0x2000, want: le32(2)},
		{in: "arr[2] = counter + 1", addr: 0x2020, want: le64(43)},
		{in: "ratio = 0.25", addr: 0x2070, want: le64(math.Float64bits(0.25))},
		{in: "ratio = 3", addr: 0x2070, want: le64(math.Float64bits(3))},
		{in: "head = &n2", addr: 0x2040, want: le64(0x1100)},
		{in: "head = arr", addr: 0x2040, want: le64(0x2010)},
		{in: "n1.val = 9", addr: 0x1000, want: le32(9)},
		{in: "head->val = 8", addr: 0x1000, want: le32(8)},
		{in: "*(char*)0x3000 = 'z'", addr: 0x3000, want: []byte{'z'}},
		// flags is 3 bits at bit 0 of n2's word at 0x1100+16 (sign's 4
		// bits above are kept).
		{in: "n2.flags = 2", addr: 0x1110, want: []byte{2 | 0xd<<3}},
		{in: "q = 12", addr: 0x7ffe0000 - 0x10, want: le32(12)},
		{in: "r = 5", reg: "rbx", want: le64(5)},
		{in: "n1 = n2", addr: 0x1000},
		{in: "3 = 4", err: "it is a value"},
		{in: "marker = 1", err: "it is the function marker"},
		{in: "n1 = 3", err: "takes a value of its own type"},
		{in: "counter = name == 0", addr: 0x2000, want: le32(0)},
		{in: "ratio = name", err: "cannot assign name to ratio"},
		{in: "nosuch = 1", err: `no symbol "nosuch"`},
	}
	for _, c := range cases {
		s := cScope()
		s.locals["r"] = Local{Type: tLong, Reg: "rbx", Bytes: le64(3), Frame: mainFrame}
		st, err := Assign(mustAssign(t, c.in), s)
		if failed(t, c.in, err, c.err) {
			continue
		}
		if c.reg != "" {
			if st.Reg != c.reg || st.RegValue != binary.LittleEndian.Uint64(c.want) || st.Frame != mainFrame {
				t.Errorf("%s: store %+v, want register %s = %x", c.in, st, c.reg, c.want)
			}
			continue
		}
		if st.Reg != "" || st.Addr != c.addr || (c.want != nil && !bytes.Equal(st.Bytes, c.want)) {
			t.Errorf("%s: store %d bytes % x at %#x, want % x at %#x", c.in, len(st.Bytes), st.Bytes, st.Addr, c.want, c.addr)
		}
	}
}

func TestAssignEnum(t *testing.T) {
	color := &Type{Name: "enum color", Kind: debuginfo.Enum, Size: 4, Enumerators: map[int64]string{0: "RED", 5: "GREEN"}}
	s := cScope()
	s.globals["hue"] = Global{Type: color, Addr: 0x2000}
	st, err := Assign(mustAssign(t, "hue = GREEN"), s)
	if err != nil || !bytes.Equal(st.Bytes, le32(5)) {
		t.Errorf("hue = GREEN: % x, %v", st.Bytes, err)
	}
}

// A variable in a register reads as its value and is not watched.
func TestRegisterLocal(t *testing.T) {
	s := cScope()
	s.locals["r"] = Local{Type: tLong, Reg: "rbx", Bytes: le64(3), Frame: mainFrame}
	if _, n, err := evalInt("r + 1", s, false); err != nil || n != 4 {
		t.Errorf("r + 1 = %d, %v", n, err)
	}
	e, _ := Parse("r")
	if _, err := RegionOf(e, 0, s); err == nil || !strings.Contains(err.Error(), "lives in register rbx") {
		t.Errorf("watch r: %v", err)
	}
	if _, err := Eval(mustParse(t, "&r"), s); err == nil || !strings.Contains(err.Error(), "not in memory") {
		t.Errorf("&r: %v", err)
	}
}

func TestLiterals(t *testing.T) {
	for _, c := range []struct {
		in   string
		want float64
	}{{"2.5", 2.5}, {"1.0e-3", 0.001}, {"10.25E2", 1025}, {"'a'", 97}, {"'\\t'", 9}, {"'\\0'", 0}, {"'\\x7f'", 127}} {
		v, err := Eval(mustParse(t, c.in), cScope())
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if f, err := v.Float(cScope()); err != nil || f != c.want {
			t.Errorf("%s = %v (%v), want %v", c.in, f, err, c.want)
		}
	}
	if _, _, err := evalInt("2.5 + 1", cScope(), false); err == nil {
		t.Errorf("2.5 + 1: a double is not an integer")
	}
}

func mustAssign(t *testing.T, s string) Assignment {
	t.Helper()
	a, err := ParseAssignment(s)
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return a
}

func mustParse(t *testing.T, s string) Expr {
	t.Helper()
	e, err := Parse(s)
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return e
}
