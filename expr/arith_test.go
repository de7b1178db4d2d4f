package expr

import (
	"strconv"
	"testing"
)

func TestParseArithmetic(t *testing.T) {
	for _, c := range []struct{ in, want, err string }{
		{in: "a * b + c", want: "((a * b) + c)"},
		{in: "a + b % c", want: "(a + (b % c))"},
		{in: "a / b / c", want: "((a / b) / c)"},
		{in: "a * *p", want: "(a * *p)"},
		{in: "a*-b", want: "(a * -b)"},
		{in: "x % 1000 == 999", want: "((x % 0x3e8) == 0x3e7)"},
		{in: "total/count", want: "(total / count)"},
		{in: "total/2", want: "(total / 0x2)"},
		{in: "net/http.DefaultClient", want: "net/http.DefaultClient"},
		{in: "example.com/pkg.limit / 2", want: "(example.com/pkg.limit / 0x2)"},
		{in: "(x)*y", want: "(x * y)"},
		{in: "(long)*p", want: "(long)*p"},
		{in: "$hits % 100 == 0", want: "(($hits % 0x64) == 0x0)"},
		{in: "$HITS > 3", want: "($hits > 0x3)"},
		{in: "x / 0", err: "division by zero: the divisor of (x / 0x0) is always 0"},
		{in: "x % (2 - 2)", err: "division by zero"},
		{in: "x / ((int)0x100000000)", err: "division by zero"},
		{in: "x / 'a' * 0", want: "((x / 'a') * 0x0)"},
		{in: "x / y", want: "(x / y)"},
		{in: "x %", err: "expression ends too soon"},
	} {
		e, err := Parse(c.in)
		if failed(t, strconv.Quote(c.in), err, c.err) {
			continue
		}
		if got := e.String(); got != c.want {
			t.Errorf("%q: parsed as %s, want %s", c.in, got, c.want)
		}
		reparse(t, c.in, e)
	}
}

func TestEvalArithmetic(t *testing.T) {
	for _, c := range []struct {
		in  string
		n   int64
		typ string
		err string
	}{
		{in: "counter % 5", n: 2, typ: "long"},
		{in: "counter / 5", n: 8, typ: "long"}, // a constant is a long
		{in: "(int)counter / (int)5", n: 8, typ: "int"},
		{in: "counter * 2 + 1 == 85", n: 1},
		{in: "-counter / 5", n: -8, typ: "long"},
		{in: "-counter % 5", n: -2, typ: "long"}, // the remainder has the dividend's sign
		{in: "(int)-7 / 2", n: -3, typ: "long"},
		{in: "(int)-7 % (int)3", n: -1, typ: "int"},
		{in: "(unsigned int)-7 / (int)2", n: 2147483644, typ: "unsigned int"},
		{in: "(unsigned char)200 * (char)2", n: 400, typ: "int"}, // promoted to int
		{in: "(unsigned int)3 * (int)-1", n: 4294967293, typ: "unsigned int"},
		{in: "(unsigned int)-1 * 2", n: 8589934590, typ: "long"}, // long holds every unsigned int
		{in: "(unsigned long)-1 / 2", n: 1<<63 - 1, typ: "unsigned long"},
		{in: "(int)0x80000000 / (int)-1", n: -1 << 31, typ: "int"},
		{in: "(int)0x7fffffff * (int)2", n: -2, typ: "int"}, // wraps as int
		{in: "arr[1] % 7 == 6", n: 1},
		{in: "counter / (counter - 42)", err: "division by zero in (counter / (counter - 0x2a))"},
		{in: "counter % (q - 11)", err: "division by zero"},
		{in: "head * 2", err: "cannot use the pointer struct node * in (head * 0x2)"},
		{in: "ratio / 2", err: "a double is not a number"},
		{in: "arr * 2", err: "is not a number"},
		{in: "$hits", err: "$hits is the hit count of a watch- or breakpoint: it has a value only in a condition"},
	} {
		v, n, err := evalInt(c.in, cScope(), false)
		if failed(t, c.in, err, c.err) {
			continue
		}
		if n != c.n || (c.typ != "" && v.Type.Name != c.typ) {
			t.Errorf("%s = %d (%s), want %d (%s)", c.in, n, v.Type.Name, c.n, c.typ)
		}
	}
	// In an ILP32 program an 8-byte result is a long long.
	if v, n, err := evalInt("(long long)counter * 3", bareScope(), false); err != nil || n != 126 || v.Type.Name != "long long" {
		t.Errorf("(long long)counter * 3 in ILP32: %d %v %v", n, v.Type, err)
	}
}

func TestHitsInACondition(t *testing.T) {
	for hits, want := range map[uint64]int64{999: 0, 1000: 1, 2000: 1, 2001: 0} {
		e, err := Parse("$hits % 1000 == 0 && counter == 42")
		if err != nil {
			t.Fatal(err)
		}
		s := withHits{cScope(), hits}
		b, err := Bind(e, s)
		if err != nil {
			t.Fatal(err)
		}
		v, err := b.Eval(s)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := v.Int(s); n != want {
			t.Errorf("$hits = %d: %d, want %d", hits, n, want)
		}
	}
}
