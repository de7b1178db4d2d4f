package expr

import (
	"encoding/binary"
	"fmt"
)

// Multiplication, division and remainder, typed as C types them: each
// operand is promoted (a type narrower than int becomes int), then both
// are converted to a common type (the usual arithmetic conversions):
// unsigned when either operand's type is unsigned and at least as wide as
// the other's, else the wider type. The result has that type (int,
// unsigned int, long, unsigned long), and wraps around as it does.
//
// Division by zero is refused: when the divisor is a constant, by Parse;
// otherwise it is an error of the evaluation (a condition that meets it
// stops the program with the reason, as for any error in a condition).

// hitsName is the convenience variable of a condition that holds the hit
// count: $hits.
const hitsName = "hits"

// HitScope is a Scope in which a watch- or breakpoint's condition is
// evaluated at a hit: $hits is its hit count, every access to its range
// (or crossing of its location) so far, this one included.
type HitScope interface {
	Scope
	Hits() uint64
}

// hits is the value of $hits: a long.
func (ev *evaluator) hits() (Value, error) {
	h, ok := ev.s.(HitScope)
	if !ok {
		return Value{}, fmt.Errorf("$%s is the hit count of a watch- or breakpoint: it has a value only in a condition", hitsName)
	}
	return intVal(int64(h.Hits())), nil
}

// intType is an integer type as the usual arithmetic conversions make
// it: its size (4 or 8) and signedness.
type intType struct {
	size     int64
	unsigned bool
}

// promoted is t after C's integer promotion: narrower than int, an int.
func promoted(size int64, unsigned bool) intType {
	if size < 4 {
		return intType{4, false}
	}
	return intType{min(size, 8), unsigned}
}

// common is the type of x op y under the usual arithmetic conversions.
func common(x, y intType) intType {
	if x.unsigned == y.unsigned {
		return intType{max(x.size, y.size), x.unsigned}
	}
	u, s := x, y
	if y.unsigned {
		u, s = y, x
	}
	if u.size >= s.size {
		return u
	}
	return s // the signed type holds every value of the narrower unsigned one
}

// convert is n as a value of t, sign- or zero-extended to 64 bits.
func (t intType) convert(n uint64) uint64 {
	if t.size >= 8 {
		return n
	}
	shift := uint(64 - 8*t.size)
	if t.unsigned {
		return n << shift >> shift
	}
	return uint64(int64(n<<shift) >> shift)
}

// cType is t's C type in a program with pointers of ptrSize bytes.
func (t intType) cType(ptrSize int) *Type {
	name := "int"
	if t.size == 8 {
		name = "long"
		if ptrSize == 4 {
			name = "long long"
		}
	}
	if t.unsigned {
		name = "unsigned " + name
	}
	ct, _ := cType(name, ptrSize)
	return ct
}

// valueIntType is the promoted type of an integer value of type t.
func valueIntType(t *Type) intType { return promoted(t.Size, isUnsigned(t)) }

// mulDiv is x * y, x / y or x % y (a and b their integer values).
func (ev *evaluator) mulDiv(e binaryExpr, x, y Value, a, b int64) (Value, error) {
	for _, v := range []Value{x, y} {
		if v.Type.Kind == KindPointer {
			return Value{}, fmt.Errorf("cannot use the pointer %s in %s: * / and %% take numbers", v.Type.Name, e)
		}
	}
	t := common(valueIntType(x.Type), valueIntType(y.Type))
	r, err := t.apply(e.op, t.convert(uint64(a)), t.convert(uint64(b)))
	if err != nil {
		return Value{}, fmt.Errorf("%w in %s", err, e)
	}
	out := make([]byte, 8)
	binary.LittleEndian.PutUint64(out, r)
	return Value{Type: t.cType(ev.ptrSize), Bytes: out[:t.size]}, nil
}

// errDivZero is a division or remainder by zero.
var errDivZero = fmt.Errorf("division by zero")

// apply computes a op b for operands of type t (converted to it), the
// result converted to t.
func (t intType) apply(op string, a, b uint64) (uint64, error) {
	var r uint64
	switch {
	case op == "*":
		r = a * b
	case b == 0:
		return 0, errDivZero
	case t.unsigned && op == "/":
		r = a / b
	case t.unsigned:
		r = a % b
	case op == "/":
		r = uint64(int64(a) / int64(b)) // the most negative / -1 wraps to itself, as in C on every machine hwdbg runs on
	default:
		r = uint64(int64(a) % int64(b))
	}
	return t.convert(r), nil
}

// checkDivisors refuses a division or remainder whose divisor is a
// constant 0, when the expression is given rather than when it is first
// evaluated.
func checkDivisors(e Expr) error {
	var err error
	walk(e, func(e Expr) {
		b, ok := e.(binaryExpr)
		if !ok || err != nil || (b.op != "/" && b.op != "%") {
			return
		}
		if v, cerr := Eval(b.y, constScope{}); cerr == nil {
			if n, cerr := v.Int(constScope{}); cerr == nil && n == 0 {
				err = fmt.Errorf("division by zero: the divisor of %s is always 0", b)
			}
		}
	})
	return err
}

// walk calls f on e and every expression in it.
func walk(e Expr, f func(Expr)) {
	f(e)
	switch e := e.(type) {
	case unaryExpr:
		walk(e.x, f)
	case binaryExpr:
		walk(e.x, f)
		walk(e.y, f)
	case castExpr:
		walk(e.x, f)
	case indexExpr:
		walk(e.x, f)
		walk(e.i, f)
	case fieldExpr:
		walk(e.x, f)
	}
}

// constScope is a scope with nothing in it: what evaluates in it is a
// constant.
type constScope struct{}

var errNotConst = fmt.Errorf("not a constant")

func (constScope) ReadMemory(uint64, []byte) error       { return errNotConst }
func (constScope) Register(string) (uint64, bool, error) { return 0, false, errNotConst }
func (constScope) PtrSize() int                          { return 8 }
func (constScope) Language() string                      { return "" }
func (constScope) DebugInfo() bool                       { return false }
func (constScope) LookupType(string) (*Type, bool)       { return nil, false }
func (constScope) Local(string) (Local, bool, error)     { return Local{}, false, nil }
func (constScope) Global(string) (Global, bool)          { return Global{}, false }
func (constScope) Symbol(string) (Symbol, bool)          { return Symbol{}, false }
func (constScope) Func(string) (uint64, bool)            { return 0, false }
func (constScope) FrameFunc() string                     { return "" }
func (constScope) Closest(string) []string               { return nil }
func (constScope) Where() string                         { return "" }
