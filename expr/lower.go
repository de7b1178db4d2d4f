package expr

import (
	"errors"
	"fmt"

	"hwdbg/debuginfo"
)

// A condition lowered for a machine that evaluates it outside hwdbg (a
// BPF program run by the kernel at each hit): a tree of operations on
// 64-bit integers whose only inputs are constants and memory at fixed
// addresses. It means what Eval of the condition means, operator by
// operator: a value of fewer than 8 bytes is widened as its type says
// (sign-extended when signed), a comparison is unsigned when either side
// is, a mask is unsigned when either side is, and *, / and % are done in
// the type C's usual arithmetic conversions give (arith.go): operands
// converted to it, the result cut to it. $hits is the watch- or
// breakpoint's hit count, which the machine that evaluates keeps.
//
// Lower refuses what cannot be read at a fixed address or computed on
// integers, and says why: a local of a frame (its address depends on the
// frame), a register, memory reached through a pointer (the address
// depends on memory), floats, bitfields, values of more than 8 bytes.

// Low is a node of a lowered condition.
type Low interface{ low() }

// LowConst is a constant.
type LowConst struct{ V uint64 }

// LowLoad is Size bytes (1 to 8) of memory at Addr, little endian,
// sign-extended when Signed, else zero-extended.
type LowLoad struct {
	Addr   uint64
	Size   int
	Signed bool
}

// LowUnary is "!" (1 when X is 0, else 0) or "-" (negation).
type LowUnary struct {
	Op string
	X  Low
}

// LowTrunc is X cut to its low Size bytes (1 to 7), then sign-extended
// when Signed, else zero-extended: a cast to a narrower integer type.
type LowTrunc struct {
	X      Low
	Size   int
	Signed bool
}

// LowHits is the hit count, this hit included ($hits).
type LowHits struct{}

// LowBinary is X Op Y: a comparison ("==", "!=", "<", "<=", ">", ">=";
// 1 or 0, ordered as unsigned numbers when Unsigned), a mask ("&"),
// "+", "-", "*", "/" and "%" (64-bit; / and % unsigned when Unsigned,
// else signed, the quotient rounded toward zero and the remainder of the
// dividend's sign, as in C; a divisor of 0 is an error, as a read that
// faults), or "&&" and "||" (1 or 0; Y is not evaluated when X decides).
type LowBinary struct {
	Op       string
	X, Y     Low
	Unsigned bool
}

func (LowConst) low()  {}
func (LowLoad) low()   {}
func (LowUnary) low()  {}
func (LowTrunc) low()  {}
func (LowBinary) low() {}
func (LowHits) low()   {}

// NotLowered is Lower's refusal: what in the condition cannot be
// evaluated outside hwdbg, and why.
type NotLowered struct {
	What string // the part of the condition, as written canonically
	Why  string
}

func (e *NotLowered) Error() string { return e.What + ": " + e.Why }

// lowered is a node with what the operators above it need of its type.
type lowered struct {
	n        Low
	unsigned bool
	pointer  bool  // a pointer or an array: no arithmetic on it
	size     int64 // its type's size; 0 for a long (8)
}

// intType is l's type after promotion (arith.go).
func (l lowered) intType() intType {
	if l.size == 0 {
		return intType{8, l.unsigned}
	}
	return promoted(l.size, l.unsigned)
}

// Lower lowers condition e, bound as b (nil for a condition with no
// names), with globals, types and symbols found in s. It reads no
// memory and no register: an operand whose address would need either is
// refused.
func Lower(e Expr, b *Bound, s Scope) (Low, error) {
	ev := newEvaluator(fixedOnly{s})
	ev.bound = b
	l, err := ev.lower(e, 0)
	if err != nil {
		return nil, err
	}
	return l.n, nil
}

// maxLowerDepth bounds the nesting of a lowered condition (a BPF program
// keeps a stack slot per level).
const maxLowerDepth = 32

func (ev *evaluator) lower(e Expr, depth int) (lowered, error) {
	if depth > maxLowerDepth {
		return lowered{}, &NotLowered{e.String(), fmt.Sprintf("nested more than %d deep", maxLowerDepth)}
	}
	switch e := e.(type) {
	case numExpr:
		return lowered{n: LowConst{e.v}}, nil
	case regExpr:
		return lowered{}, &NotLowered{e.String(), "a register (only memory at fixed addresses and constants are read in the kernel)"}
	case hitsExpr:
		return lowered{n: LowHits{}}, nil
	case unaryExpr:
		switch e.op {
		case "!", "-":
			x, err := ev.lower(e.x, depth+1)
			if err != nil {
				return lowered{}, err
			}
			if x.pointer && e.op == "-" {
				return lowered{}, &NotLowered{e.String(), "arithmetic on a pointer"}
			}
			return lowered{n: LowUnary{e.op, x.n}}, nil
		}
	case castExpr:
		return ev.lowerCast(e, depth)
	case binaryExpr:
		return ev.lowerBinary(e, depth)
	}
	return ev.lowerOperand(e)
}

// lowerCast: a cast to an integer type narrows and widens; a cast that
// reinterprets memory (to a float, a struct) is an operand.
func (ev *evaluator) lowerCast(e castExpr, depth int) (lowered, error) {
	t, err := ev.resolveType(e.typ)
	if err != nil {
		return lowered{}, err
	}
	if t.Kind == KindFloat || t.Size > 8 || t.Kind == debuginfo.Struct || t.Size <= 0 {
		return ev.lowerOperand(e)
	}
	x, err := ev.lower(e.x, depth+1)
	if err != nil {
		return lowered{}, err
	}
	out := lowered{n: x.n, unsigned: isUnsigned(t), pointer: t.Kind == KindPointer, size: t.Size}
	if t.Size < 8 {
		out.n = LowTrunc{X: x.n, Size: int(t.Size), Signed: !out.unsigned}
	}
	return out, nil
}

func (ev *evaluator) lowerBinary(e binaryExpr, depth int) (lowered, error) {
	x, err := ev.lower(e.x, depth+1)
	if err != nil {
		return lowered{}, err
	}
	y, err := ev.lower(e.y, depth+1)
	if err != nil {
		return lowered{}, err
	}
	switch e.op {
	case "&&", "||":
		return lowered{n: LowBinary{Op: e.op, X: x.n, Y: y.n}}, nil
	case "==", "!=", "<", "<=", ">", ">=":
		return lowered{n: LowBinary{Op: e.op, X: x.n, Y: y.n, Unsigned: x.unsigned || y.unsigned}}, nil
	case "&":
		u := x.unsigned || y.unsigned
		return lowered{n: LowBinary{Op: e.op, X: x.n, Y: y.n, Unsigned: u}, unsigned: u}, nil
	case "+", "-":
		if x.pointer || y.pointer {
			return lowered{}, &NotLowered{e.String(), "arithmetic on a pointer"}
		}
		return lowered{n: LowBinary{Op: e.op, X: x.n, Y: y.n}}, nil
	case "*", "/", "%":
		if x.pointer || y.pointer {
			return lowered{}, &NotLowered{e.String(), "arithmetic on a pointer"}
		}
		t := common(x.intType(), y.intType())
		n := Low(LowBinary{Op: e.op, X: t.lowConvert(x), Y: t.lowConvert(y), Unsigned: t.unsigned})
		if t.size < 8 {
			n = LowTrunc{X: n, Size: int(t.size), Signed: !t.unsigned}
		}
		return lowered{n: n, unsigned: t.unsigned, size: t.size}, nil
	}
	return lowered{}, &NotLowered{e.String(), fmt.Sprintf("the operator %q", e.op)}
}

// lowerOperand lowers what designates memory (a name, a field, an element,
// a dereference) or an address (&x): evaluated now, it must need neither
// memory nor registers nor a frame.
func (ev *evaluator) lowerOperand(e Expr) (lowered, error) {
	v, err := ev.eval(e)
	var dep *dependsOn
	if errors.As(err, &dep) {
		return lowered{}, &NotLowered{e.String(), dep.why}
	}
	if err != nil {
		return lowered{}, err
	}
	not := func(why string) (lowered, error) { return lowered{}, &NotLowered{e.String(), why} }
	switch {
	case v.Frame != nil:
		return not("a local of a frame: its address depends on the frame")
	case v.Func != "":
		return not("a function's code")
	case v.BitSize > 0:
		return not("a bitfield")
	}
	switch v.Type.Kind {
	case KindInt, KindUint, KindChar, KindBool, KindPointer, KindBytes, debuginfo.Enum:
	case KindFloat:
		return not("a floating-point value")
	default:
		return not(fmt.Sprintf("a %s is not a number", v.Type.Name))
	}
	size := v.Type.Size
	if size < 1 || size > 8 {
		return not(fmt.Sprintf("a value of %d bytes", size))
	}
	u, p := isUnsigned(v.Type), v.Type.Kind == KindPointer
	if v.Lvalue {
		return lowered{n: LowLoad{Addr: v.Addr, Size: int(size), Signed: !u}, unsigned: u, pointer: p, size: size}, nil
	}
	n, err := v.Int(ev.s)
	if err != nil {
		return lowered{}, err
	}
	return lowered{n: LowConst{uint64(n)}, unsigned: u, pointer: p, size: size}, nil
}

// lowConvert is l converted to t: cut to t's size when its value may not
// already be a value of t.
func (t intType) lowConvert(l lowered) Low {
	if t.size >= 8 || l.intType() == t {
		return l.n
	}
	if c, ok := l.n.(LowConst); ok {
		return LowConst{t.convert(c.V)}
	}
	return LowTrunc{X: l.n, Size: int(t.size), Signed: !t.unsigned}
}

// dependsOn: an operand's address needs what a fixed address does not.
type dependsOn struct{ why string }

func (e *dependsOn) Error() string { return e.why }

// fixedOnly is a scope that refuses to read memory, registers and
// locals: what Lower evaluates must not need them.
type fixedOnly struct{ Scope }

func (fixedOnly) ReadMemory(addr uint64, buf []byte) error {
	return &dependsOn{fmt.Sprintf("its address depends on memory (%d bytes at %#x are read to find it: a pointer, or an index in memory)", len(buf), addr)}
}

func (fixedOnly) Register(name string) (uint64, bool, error) {
	return 0, true, &dependsOn{"it reads the register $" + name}
}

func (fixedOnly) Local(name string) (Local, bool, error) {
	return Local{}, true, &dependsOn{name + " is a local of a frame: its address depends on the frame"}
}
