package expr

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct{ in, want, err string }{
		{in: "&balance", want: "&balance"},
		{in: "balance", want: "balance"},
		{in: "*(long*)0x10", want: "*(long*)0x10"},
		{in: "*(unsigned int *)0x10", want: "*(unsigned int*)0x10"},
		{in: "(char*)&buf + 4", want: "((char*)&buf + 0x4)"},
		{in: "x == 3 && y != 4 || z < 1", want: "(((x == 0x3) && (y != 0x4)) || (z < 0x1))"},
		{in: "p->next", want: "p->next"},
		{in: "s.f[3]", want: "s.f[0x3]"},
		{in: "app::config.limit", want: "app::config.limit"},
		{in: "$rax + 8", want: "($rax + 0x8)"},
		{in: "-(1)", want: "-0x1"},
		{in: "((struct node*)p)->next", want: "((struct node*)p)->next"},
		{in: "(*p).x", want: "(*p).x"},
		{in: "((char*)&buf)[4]", want: "((char*)&buf)[0x4]"},
		{in: "(char*)buf[4]", want: "(char*)buf[0x4]"},
		{in: "-a[1]", want: "-a[0x1]"},
		{in: "(x)", want: "x"},
		{in: "(", err: "expression ends too soon"},
		{in: "(x", err: "missing ')'"},
		{in: "a[1", err: "missing ']'"},
		{in: "a.", err: "a field name must follow"},
		{in: "$", err: "'$' must be followed"},
		{in: "x @ y", err: "unexpected character"},
		{in: "0xzz", err: "bad number"},
		{in: "x y", err: "unexpected"},
		{in: strings.Repeat("*", 1000) + "x", err: "nested too deeply"},
	}
	for _, c := range cases {
		e, err := Parse(c.in)
		if failed(t, strconv.Quote(c.in), err, c.err) {
			continue
		}
		if got := e.String(); got != c.want {
			t.Errorf("%q: parsed as %s, want %s", c.in, got, c.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"&x", "*(long*)0x10", "a->b.c[3] == 4 && !d", "(unsigned char)$rax", "x::y + -1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			return
		}
		reparse(t, s, e)
	})
}

// reparse checks that what e (parsed from src) prints parses again to
// the same tree.
func reparse(t *testing.T, src string, e Expr) {
	t.Helper()
	e2, err := Parse(e.String())
	if err != nil {
		t.Fatalf("%q printed as %q, which does not parse: %v", src, e.String(), err)
	}
	if !reflect.DeepEqual(e2, e) {
		t.Fatalf("%q: %q reparsed as another tree, printed %q", src, e.String(), e2.String())
	}
}

func TestFormatValue(t *testing.T) {
	cases := []struct {
		typ  string
		b    []byte
		want string
	}{
		{"long", []byte{0x9c, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "-100"},
		{"unsigned long", []byte{0x9c, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "18446744073709551516"},
		{"int", []byte{1, 0, 0, 0}, "1"},
		{"short", []byte{0xff, 0xff}, "-1"},
		{"unsigned char", []byte{200}, "200"},
		{"char", []byte{'A'}, "65 'A'"},
		{"char", []byte{0}, `0 '\000'`},
		{"_Bool", []byte{1}, "true"},
		{"double", []byte{0, 0, 0, 0, 0, 0, 0xf8, 0x3f}, "1.5"},
		{"float", []byte{0, 0, 0xc0, 0x3f}, "1.5"},
	}
	for _, c := range cases {
		typ, ok := lookupCType(c.typ)
		if !ok {
			t.Fatalf("no type %s", c.typ)
		}
		if got := FormatValue(typ, c.b, nil); got != c.want {
			t.Errorf("%s %v: %q, want %q", c.typ, c.b, got, c.want)
		}
	}
	if got := FormatValue(BytesType(3), []byte{1, 2, 3}, nil); got != "{0x01 0x02 0x03}" {
		t.Errorf("3 bytes: %q", got)
	}
}
