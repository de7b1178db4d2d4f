package expr

import (
	"errors"
	"strings"
	"testing"
)

// interpret evaluates a lowered condition over s's memory, as the kernel
// would: the reference the lowering is checked against (Eval).
func interpret(t testing.TB, n Low, s Scope) (uint64, error) {
	switch n := n.(type) {
	case LowConst:
		return n.V, nil
	case LowHits:
		h, ok := s.(HitScope)
		if !ok {
			return 0, errors.New("no hit count")
		}
		return h.Hits(), nil
	case LowLoad:
		b := make([]byte, n.Size)
		if err := s.ReadMemory(n.Addr, b); err != nil {
			return 0, err
		}
		si, u := IntValue(b)
		if n.Signed {
			return uint64(si), nil
		}
		return u, nil
	case LowUnary:
		x, err := interpret(t, n.X, s)
		if n.Op == "!" {
			return b2u(x == 0), err
		}
		return -x, err
	case LowTrunc:
		x, err := interpret(t, n.X, s)
		shift := uint(64 - 8*n.Size)
		if n.Signed {
			return uint64(int64(x<<shift) >> shift), err
		}
		return x << shift >> shift, err
	case LowBinary:
		x, err := interpret(t, n.X, s)
		if err != nil {
			return 0, err
		}
		if n.Op == "&&" && x == 0 || n.Op == "||" && x != 0 {
			return b2u(x != 0), nil
		}
		y, err := interpret(t, n.Y, s)
		if err != nil {
			return 0, err
		}
		less := int64(x) < int64(y)
		if n.Unsigned {
			less = x < y
		}
		switch n.Op {
		case "&&", "||":
			return b2u(y != 0), nil
		case "==":
			return b2u(x == y), nil
		case "!=":
			return b2u(x != y), nil
		case "<":
			return b2u(less), nil
		case ">=":
			return b2u(!less), nil
		case ">":
			return b2u(!less && x != y), nil
		case "<=":
			return b2u(less || x == y), nil
		case "&":
			return x & y, nil
		case "+":
			return x + y, nil
		case "-":
			return x - y, nil
		case "*":
			return x * y, nil
		case "/", "%":
			if y == 0 {
				return 0, errors.New("division by zero")
			}
			if n.Unsigned && n.Op == "/" {
				return x / y, nil
			} else if n.Unsigned {
				return x % y, nil
			} else if n.Op == "/" {
				return uint64(int64(x) / int64(y)), nil
			}
			return uint64(int64(x) % int64(y)), nil
		}
	}
	t.Fatalf("interpret: unknown node %#v", n)
	return 0, nil
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// lowerIn parses, binds (in s) and lowers src.
func lowerIn(src string, s Scope) (Low, error) {
	e, err := Parse(src)
	if err != nil {
		return nil, err
	}
	b, err := Bind(e, s)
	if err != nil {
		return nil, err
	}
	return Lower(e, b, s)
}

func TestLower(t *testing.T) {
	for _, c := range []struct {
		in  string
		err string // "" when it lowers
	}{
		{in: "counter == 42"},
		{in: "counter != 41 && arr[2] >= 30"},
		{in: "n1.val == 1 || n2.val < 0"},
		{in: "(counter & 0x2) != 0"},
		{in: "static_b == 5"},
		{in: "*(int*)0x2000 == 42"},
		{in: "(unsigned char)counter > 40"},
		{in: "(short)-1 < 0"},
		{in: "(unsigned short)-1 > 0"},
		{in: "!counter"},
		{in: "-counter < 0"},
		{in: "counter + 1 == 43"},
		{in: "head != 0"},
		{in: "&counter == 0x2000"},
		{in: "arr == 0x2010", err: "long [4] is not a number"},
		{in: "raw == 1"},
		{in: "q > 10", err: "q: q is a local of a frame"},
		{in: "head->val == 1", err: "its address depends on memory"},
		{in: "arr[counter] == 1", err: "its address depends on memory"},
		{in: "$rax == 1", err: "a register"},
		{in: "ratio > 1", err: "a floating-point value"},
		{in: "n2.flags == 5", err: "a bitfield"},
		{in: "n1 == 1", err: "struct node is not a number"},
		{in: "marker == 1", err: "a function's code"},
		{in: "head + 1 == 0", err: "arithmetic on a pointer"},
		{in: strings.Repeat("!", 40) + "counter", err: "nested more than"},
		// *, / and %: in C's types, signed or unsigned.
		{in: "counter % 5 == 2"},
		{in: "counter * 3 / 4"},
		{in: "-counter / 5"},
		{in: "-counter % 5"},
		{in: "(int)-7 % 3"},
		{in: "(int)-7 / 2"},
		{in: "(unsigned int)-7 / 2"},
		{in: "(unsigned int)counter * -1"},
		{in: "(unsigned char)200 * 2"},
		{in: "(unsigned int)-1 * (long)2"},
		{in: "(unsigned long)-1 / 2"},
		{in: "(int)0x80000000 / -1"},
		{in: "(long)0x8000000000000000 / -1"},
		{in: "(short)-300 % (unsigned char)7"},
		{in: "raw % 1000"},
		{in: "counter / (counter - 42)"}, // a divisor of 0 at the hit: an error, as a faulting read
		{in: "head * 2", err: "arithmetic on a pointer"},
		{in: "$hits % 1000 == 0 && counter == 42"},
		{in: "$hits / 7 > counter"},
	} {
		s := withHits{cScope(), 3000}
		l, err := lowerIn(c.in, s)
		if c.err != "" {
			var nl *NotLowered
			if err == nil || !strings.Contains(err.Error(), c.err) || !errors.As(err, &nl) {
				t.Errorf("%s: err %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		checkLowered(t, c.in, l, s)
	}
}

// checkLowered compares the lowered condition's value with Eval's.
func checkLowered(t testing.TB, src string, l Low, s Scope) {
	e, _ := Parse(src)
	v, err := Eval(e, s)
	var want int64
	if err == nil {
		want, err = v.Int(s)
	}
	got, gotErr := interpret(t, l, s)
	if (err != nil) != (gotErr != nil) {
		t.Fatalf("%s: Eval err %v, lowered err %v", src, err, gotErr)
	}
	if err == nil && uint64(want) != got {
		t.Fatalf("%s: Eval %d, lowered %d (%#v)", src, want, got, l)
	}
}

// FuzzLower: Lower never panics, and a condition it lowers means what
// Eval says it means, in the C and the symbols-only program.
func FuzzLower(f *testing.F) {
	for _, s := range []string{"counter == 42", "arr[1] & 0x10 && n1.val", "(unsigned char)counter > -1",
		"(short)counter - 50 < 0", "!(counter >= 42) || static_b", "*(long*)0x2010 <= 10", "-(int)arr[3] > head",
		"$hits % 1000 == 999", "(unsigned)counter / -3 * (short)arr[1] % 7", "-counter % (int)arr[2]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		for _, s := range []Scope{withHits{cScope(), 12345}, withHits{bareScope(), 7}} {
			l, err := lowerIn(src, s)
			if err != nil {
				continue
			}
			checkLowered(t, src, l, s)
		}
	})
}

// withHits is a scope at a hit: $hits is n.
type withHits struct {
	Scope
	n uint64
}

func (s withHits) Hits() uint64 { return s.n }
