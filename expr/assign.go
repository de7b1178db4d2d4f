package expr

import (
	"encoding/binary"
	"fmt"
	"math"

	"hwdbg/debuginfo"
)

// Assignment is LHS = RHS, as set var and print take it.
type Assignment struct {
	LHS, RHS Expr
}

func (a Assignment) String() string { return a.LHS.String() + " = " + a.RHS.String() }

// ParseAssignment parses "LHS = RHS": one '=' outside parentheses and
// brackets. It never panics.
func ParseAssignment(s string) (Assignment, error) {
	toks, err := lexExpr(s)
	if err != nil {
		return Assignment{}, err
	}
	eq, depth := -1, 0
	for i, t := range toks {
		if t.kind != 'o' {
			continue
		}
		switch t.text {
		case "(", "[":
			depth++
		case ")", "]":
			depth--
		case "=":
			if depth == 0 && eq < 0 {
				eq = i
			} else if depth == 0 {
				return Assignment{}, fmt.Errorf("one '=' at a time: %q", s)
			}
		}
	}
	if eq < 0 {
		return Assignment{}, fmt.Errorf("no '=' in %q: write NAME = VALUE", s)
	}
	if eq > 0 && toks[eq-1].kind == 'o' && isCompound(toks[eq-1].text) {
		return Assignment{}, fmt.Errorf("%s= is not supported: write x = x %s y", toks[eq-1].text, toks[eq-1].text)
	}
	side := func(ts []token, what string) (Expr, error) {
		if len(ts) == 0 {
			return nil, fmt.Errorf("nothing %s '=' in %q", what, s)
		}
		p := &exprParser{toks: ts}
		e, err := p.or(0)
		if err != nil {
			return nil, err
		}
		if p.pos < len(p.toks) {
			return nil, fmt.Errorf("unexpected %q in %q", p.toks[p.pos].text, s)
		}
		return e, nil
	}
	lhs, err := side(toks[:eq], "before")
	if err != nil {
		return Assignment{}, err
	}
	rhs, err := side(toks[eq+1:], "after")
	if err != nil {
		return Assignment{}, err
	}
	return Assignment{LHS: lhs, RHS: rhs}, nil
}

// IsAssignment tells whether s has an assignment's '=' (not '==', '<='
// or the like): print x = 3 assigns.
func IsAssignment(s string) bool {
	toks, err := lexExpr(s)
	if err != nil {
		return false
	}
	for _, t := range toks {
		if t.kind == 'o' && t.text == "=" {
			return true
		}
	}
	return false
}

func isCompound(op string) bool {
	switch op {
	case "+", "-", "*", "&", "<", ">", "!":
		return true
	}
	return false
}

// Store is what an assignment writes: bytes to memory at Addr, or a
// register's new value. The caller writes it (expr reads the program
// only).
type Store struct {
	// Target is the object assigned: its type, where it is.
	Target Value
	// Addr and Bytes: the memory to write (for a bitfield, the bytes that
	// hold it, the other bits as they were).
	Addr  uint64
	Bytes []byte
	// Reg is the register to set to RegValue, for a variable that lives in
	// one; Frame is the frame the variable belongs to.
	Reg      string
	RegValue uint64
	Frame    *Frame
}

// Assign evaluates an assignment in s: the place LHS designates and RHS's
// value converted to its type. Integers, characters, booleans, enums (by
// enumerator name too), pointers and floating-point numbers convert among
// themselves as C converts them; a struct, union or array takes a value of
// its own type only.
func Assign(a Assignment, s Scope) (Store, error) {
	ev := newEvaluator(s)
	x, err := ev.eval(a.LHS)
	if err != nil {
		return Store{}, err
	}
	switch {
	case x.Func != "":
		return Store{}, fmt.Errorf("cannot assign to %s: it is the function %s", a.LHS, x.Func)
	case x.Reg == "" && !x.Lvalue:
		return Store{}, fmt.Errorf("cannot assign to %s: it is a value, not a variable or memory", a.LHS)
	}
	b, err := ev.converted(a, x)
	if err != nil {
		return Store{}, err
	}
	if x.Reg != "" {
		var w [8]byte
		copy(w[:], b)
		return Store{Target: x, Reg: x.Reg, RegValue: binary.LittleEndian.Uint64(w[:]), Frame: x.Frame}, nil
	}
	if x.BitSize > 0 {
		if b, err = ev.withBits(x, b); err != nil {
			return Store{}, err
		}
	}
	return Store{Target: x, Addr: x.Addr, Bytes: b, Frame: x.Frame}, nil
}

// converted is RHS's value as bytes of LHS's type (x is LHS's value).
func (ev *evaluator) converted(a Assignment, x Value) ([]byte, error) {
	t := x.Type
	size := int(t.Size)
	switch t.Kind {
	case KindInt, KindUint, KindChar, KindBool, KindPointer, debuginfo.Enum:
		if size <= 0 || size > 8 {
			return nil, fmt.Errorf("cannot assign to %s: a %d-byte %s", a.LHS, size, t.Name)
		}
		n, err := ev.integer(a.RHS, t)
		if err != nil {
			return nil, fmt.Errorf("cannot assign %s to %s (%s): %w", a.RHS, a.LHS, t.Name, err)
		}
		if t.Kind == KindBool && n != 0 {
			n = 1
		}
		return addrBytes(uint64(n), 8)[:size], nil
	case KindFloat:
		y, err := ev.eval(a.RHS)
		if err != nil {
			return nil, err
		}
		if y.Type.Kind == KindPointer {
			return nil, fmt.Errorf("cannot assign %s to %s (%s): a pointer is not a number", a.RHS, a.LHS, t.Name)
		}
		f, err := y.Float(ev.s)
		if err != nil {
			return nil, fmt.Errorf("cannot assign %s to %s (%s): %w", a.RHS, a.LHS, t.Name, err)
		}
		switch size {
		case 4:
			return binary.LittleEndian.AppendUint32(nil, math.Float32bits(float32(f))), nil
		case 8:
			return binary.LittleEndian.AppendUint64(nil, math.Float64bits(f)), nil
		}
		return nil, fmt.Errorf("cannot assign to %s: hwdbg writes 4- and 8-byte floating-point numbers, not a %d-byte %s", a.LHS, size, t.Name)
	case debuginfo.Struct, debuginfo.Union, debuginfo.Array:
		y, err := ev.eval(a.RHS)
		if err != nil {
			return nil, err
		}
		if y.Type.Name != t.Name || y.Type.Size != t.Size || !y.Lvalue {
			return nil, fmt.Errorf("cannot assign %s to %s: a %s takes a value of its own type; assign its members one by one (set var %s.member = ...)", a.RHS, a.LHS, t.Name, a.LHS)
		}
		return y.Load(ev.s)
	}
	return nil, fmt.Errorf("cannot assign to %s: hwdbg does not write a %s", a.LHS, t.Name)
}

// integer evaluates e as an integer for a variable of type t: an
// enumerator of t by name, an array as its address, a floating-point
// number truncated.
func (ev *evaluator) integer(e Expr, t *Type) (int64, error) {
	if n, ok := e.(nameExpr); ok && t.Kind == debuginfo.Enum {
		for v, name := range t.Enumerators {
			if name == n.name {
				return v, nil
			}
		}
	}
	y, err := ev.eval(e)
	if err != nil {
		return 0, err
	}
	switch {
	case y.Type.Kind == debuginfo.Array && y.Lvalue:
		return int64(y.Addr), nil
	case y.Type.Kind == KindFloat:
		f, err := y.Float(ev.s)
		return int64(f), err
	case y.Type.Kind == KindPointer && t.Kind != KindPointer && t.Size < int64(ev.ptrSize):
		return 0, fmt.Errorf("a pointer does not fit in %d bytes", t.Size)
	}
	return y.Int(ev.s)
}

// withBits puts the low BitSize bits of b into the bytes that hold the
// bitfield x, its other bits as they are.
func (ev *evaluator) withBits(x Value, b []byte) ([]byte, error) {
	cur, err := x.Load(ev.s)
	if err != nil {
		return nil, err
	}
	var w [8]byte
	copy(w[:], b)
	v := binary.LittleEndian.Uint64(w[:])
	out := append([]byte(nil), cur...)
	for i := int64(0); i < x.BitSize; i++ {
		p := x.BitOffset + i
		if p/8 >= int64(len(out)) {
			break
		}
		mask := byte(1) << (p % 8)
		if v>>i&1 != 0 {
			out[p/8] |= mask
		} else {
			out[p/8] &^= mask
		}
	}
	return out, nil
}
