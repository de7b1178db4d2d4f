package expr

import (
	"encoding/binary"
	"fmt"
	"strings"

	"hwdbg/debuginfo"
)

// Eval evaluates e in s.
func Eval(e Expr, s Scope) (Value, error) { return newEvaluator(s).eval(e) }

// evaluator evaluates expressions in one scope; bound, when set, is the
// condition being evaluated, whose names were bound where it was given.
type evaluator struct {
	s       Scope
	ptrSize int
	bound   *Bound
}

func newEvaluator(s Scope) *evaluator {
	ptrSize := s.PtrSize()
	if ptrSize != 4 {
		ptrSize = 8
	}
	return &evaluator{s: s, ptrSize: ptrSize}
}

// pointerTo is the type of a pointer to t in the program.
func (ev *evaluator) pointerTo(t *Type) *Type { return PointerTo(t, ev.ptrSize) }

func (ev *evaluator) eval(e Expr) (Value, error) {
	switch e := e.(type) {
	case numExpr:
		return intVal(int64(e.v)), nil
	case floatExpr:
		return floatVal(e.v), nil
	case charExpr:
		return charVal(e.c), nil
	case nameExpr:
		return ev.name(e.name)
	case regExpr:
		return ev.register(e.name)
	case hitsExpr:
		return ev.hits()
	case unaryExpr:
		return ev.unary(e)
	case castExpr:
		return ev.cast(e)
	case indexExpr:
		return ev.index(e)
	case fieldExpr:
		return ev.field(e)
	case binaryExpr:
		return ev.binary(e)
	}
	return Value{}, fmt.Errorf("cannot evaluate %s", e)
}

func (ev *evaluator) register(name string) (Value, error) {
	v, ok, err := ev.s.Register(name)
	if err != nil {
		return Value{}, fmt.Errorf("read registers: %w", err)
	}
	if !ok {
		return Value{}, fmt.Errorf("no register $%s", name)
	}
	val := intVal(int64(v))
	if isAddressRegister(name) {
		val.Type = ev.pointerTo(cTypes["void"])
		val.Bytes = val.Bytes[:ev.ptrSize]
	}
	return val, nil
}

// isAddressRegister: registers that hold addresses print as pointers.
func isAddressRegister(name string) bool {
	switch name {
	case "pc", "sp", "fp", "rip", "rsp", "rbp", "eip", "esp", "ebp", "lr":
		return true
	}
	return false
}

func (ev *evaluator) unary(e unaryExpr) (Value, error) {
	x, err := ev.eval(e.x)
	if err != nil {
		return Value{}, err
	}
	switch e.op {
	case "&":
		if !x.Lvalue {
			return Value{}, fmt.Errorf("cannot take the address of %s: it is not in memory", e.x)
		}
		if x.BitSize > 0 {
			return Value{}, fmt.Errorf("cannot take the address of the bitfield %s (watch it directly: watch %s)", e.x, e.x)
		}
		return Value{Type: ev.pointerTo(x.Type), Bytes: addrBytes(x.Addr, ev.ptrSize), Frame: x.Frame, Func: x.Func, Ptrs: x.Ptrs}, nil
	case "*":
		return ev.deref(x, e.x.String())
	case "-", "!":
		n, err := x.Int(ev.s)
		if err != nil {
			return Value{}, err
		}
		if e.op == "!" {
			return boolVal(n == 0), nil
		}
		return intVal(-n), nil
	}
	return Value{}, fmt.Errorf("unknown operator %q", e.op)
}

// resolveType parses a cast's type: a C scalar type, or one the debug
// information defines ("struct node", "app::Config"), with '*'s.
func (ev *evaluator) resolveType(s string) (*Type, error) {
	base := strings.TrimSpace(strings.TrimRight(s, "* "))
	stars := strings.Count(s[len(base):], "*")
	t, ok := cType(base, ev.ptrSize)
	if !ok {
		if !ev.s.DebugInfo() {
			return nil, fmt.Errorf("unknown type %q (without debug information: C integer types such as int, long, uint32_t; float, double)", base)
		}
		if t, ok = ev.s.LookupType(base); !ok {
			return nil, fmt.Errorf("unknown type %q", base)
		}
	}
	for i := 0; i < stars; i++ {
		t = ev.pointerTo(t)
	}
	return t, nil
}

func (ev *evaluator) cast(e castExpr) (Value, error) {
	t, err := ev.resolveType(e.typ)
	if err != nil {
		return Value{}, err
	}
	x, err := ev.eval(e.x)
	if err != nil {
		return Value{}, err
	}
	if x.Type.Kind == KindFloat || t.Kind == KindFloat || t.Size > 8 || t.Kind == debuginfo.Struct {
		// Reinterpret memory of the same size.
		if x.Lvalue && x.Type.Size == t.Size {
			return Value{Type: t, Lvalue: true, Addr: x.Addr, Frame: x.Frame, Ptrs: x.Ptrs}, nil
		}
		return Value{}, fmt.Errorf("cannot convert %s to %s", x.Type.Name, t.Name)
	}
	if t.Size < 0 {
		return Value{}, fmt.Errorf("cannot convert %s to %s, a type of unknown size", x.Type.Name, t.Name)
	}
	n, err := x.Int(ev.s)
	if err != nil {
		return Value{}, err
	}
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, uint64(n))
	return Value{Type: t, Bytes: b[:min(int(t.Size), 8)], Frame: x.Frame, Ptrs: x.Ptrs, loaded: loadedFrom(x, e.x)}, nil
}

// deref follows a pointer (x is the value of the expression what).
func (ev *evaluator) deref(x Value, what string) (Value, error) {
	if x.Type.Kind != KindPointer {
		if !ev.s.DebugInfo() {
			return Value{}, fmt.Errorf("cannot dereference %s: its type is not known to be a pointer; cast it, e.g. *(long*)%s", what, what)
		}
		return Value{}, fmt.Errorf("cannot dereference %s: it is a %s, not a pointer", what, x.Type.Name)
	}
	if x.Type.Elem == nil || x.Type.Elem.Kind == debuginfo.Void {
		return Value{}, fmt.Errorf("cannot dereference %s: it is a void pointer; cast it, e.g. *(long*)%s", what, what)
	}
	addr, err := x.Int(ev.s)
	if err != nil {
		return Value{}, err
	}
	if addr == 0 {
		return Value{}, fmt.Errorf("cannot dereference %s: it is a null pointer", what)
	}
	p := x.loaded
	if x.Lvalue {
		p = what
	}
	return Value{Type: x.Type.Elem, Lvalue: true, Addr: uint64(addr), Ptrs: withPtr(x.Ptrs, p)}, nil
}

func (ev *evaluator) index(e indexExpr) (Value, error) {
	x, err := ev.eval(e.x)
	if err != nil {
		return Value{}, err
	}
	i, err := ev.eval(e.i)
	if err != nil {
		return Value{}, err
	}
	n, err := i.Int(ev.s)
	if err != nil {
		return Value{}, err
	}
	switch x.Type.Kind {
	case debuginfo.Array:
		if !x.Lvalue {
			return Value{}, fmt.Errorf("cannot index %s: it is not in memory", e.x)
		}
		if x.Type.Len > 0 && (n < 0 || n >= x.Type.Len) {
			return Value{}, fmt.Errorf("index %d is out of range for %s (%d elements)", n, e.x, x.Type.Len)
		}
		el := x.Type.Elem
		return Value{Type: el, Lvalue: true, Addr: x.Addr + uint64(n*el.Size), Frame: x.Frame, Ptrs: x.Ptrs}, nil
	case debuginfo.GoSlice:
		b, err := x.Load(ev.s)
		if err != nil || len(b) < 16 {
			return Value{}, fmt.Errorf("cannot read the slice %s", e.x)
		}
		base, length := binary.LittleEndian.Uint64(b), int64(binary.LittleEndian.Uint64(b[8:]))
		if n < 0 || n >= length {
			return Value{}, fmt.Errorf("index %d is out of range for %s (len %d)", n, e.x, length)
		}
		el := x.Type.Elem
		return Value{Type: el, Lvalue: true, Addr: base + uint64(n*el.Size), Ptrs: followed(x, e.x)}, nil
	case KindPointer:
		if x.Type.Elem == nil || x.Type.Elem.Kind == debuginfo.Void {
			return Value{}, fmt.Errorf("cannot index the void pointer %s", e.x)
		}
		base, err := x.Int(ev.s)
		if err != nil {
			return Value{}, err
		}
		return Value{Type: x.Type.Elem, Lvalue: true, Addr: uint64(base + n*x.Type.Elem.Size), Ptrs: followed(x, e.x)}, nil
	}
	if !ev.s.DebugInfo() {
		return Value{}, fmt.Errorf("cannot index %s: its type is not known to be an array or pointer; cast it, e.g. ((int*)&%s)[%d]", e.x, e.x, n)
	}
	return Value{}, fmt.Errorf("cannot index %s: it is a %s", e.x, x.Type.Name)
}

func (ev *evaluator) field(e fieldExpr) (Value, error) {
	// main.counter, net/http.DefaultClient: a package-qualified global,
	// tried first when the program is Go (its index is per package, so
	// this is cheap, while resolving "main" alone would search everything).
	full := dottedName(e)
	if full != "" && ev.s.DebugInfo() && ev.s.Language() == "go" {
		if v, ok := ev.qualifiedGlobal(full); ok {
			return v, nil
		}
	}
	x, err := ev.eval(e.x)
	if err != nil {
		if full != "" {
			if v, ok := ev.qualifiedGlobal(full); ok {
				return v, nil
			}
			return Value{}, ev.noSymbol(full)
		}
		return Value{}, err
	}
	if e.arrow || (x.Type.Kind == KindPointer && x.Type.Go) {
		// p->f, and Go's automatic dereference of p.f.
		if x, err = ev.deref(x, e.x.String()); err != nil {
			return Value{}, err
		}
	}
	return ev.member(x, e)
}

// member is field e.name of the struct or union x.
func (ev *evaluator) member(x Value, e fieldExpr) (Value, error) {
	switch x.Type.Kind {
	case debuginfo.Struct, debuginfo.Union:
	default:
		if x.Type.Kind == KindPointer && !e.arrow {
			return Value{}, fmt.Errorf("%s is a pointer: use %s->%s", e.x, e.x, e.name)
		}
		if !ev.s.DebugInfo() {
			return Value{}, fmt.Errorf("cannot read field %q: fields need debug information (DWARF), which this program lacks", e.name)
		}
		return Value{}, fmt.Errorf("%s is a %s, which has no fields", e.x, x.Type.Name)
	}
	f, ok := x.Type.Field(e.name)
	if !ok {
		var names []string
		for _, f := range x.Type.Fields {
			names = append(names, f.Name)
		}
		return Value{}, fmt.Errorf("%s has no field %q (fields: %s)", x.Type.Name, e.name, strings.Join(names, ", "))
	}
	if !x.Lvalue {
		return Value{}, fmt.Errorf("cannot read field %s of a value not in memory", e.name)
	}
	v := Value{Type: f.Type, Lvalue: true, Addr: x.Addr + uint64(f.Offset), Frame: x.Frame, Ptrs: x.Ptrs}
	if f.BitSize > 0 {
		v.BitOffset, v.BitSize = f.BitOffset, f.BitSize
	}
	return v, nil
}

func (ev *evaluator) binary(e binaryExpr) (Value, error) {
	x, err := ev.eval(e.x)
	if err != nil {
		return Value{}, err
	}
	if e.op == "&&" || e.op == "||" {
		return ev.logical(e, x)
	}
	y, err := ev.eval(e.y)
	if err != nil {
		return Value{}, err
	}
	if x.Type.Kind == debuginfo.Array && x.Lvalue && (e.op == "+" || e.op == "-") {
		// An array in arithmetic is a pointer to its first element.
		x = Value{Type: ev.pointerTo(x.Type.Elem), Bytes: addrBytes(x.Addr, ev.ptrSize), Frame: x.Frame, Ptrs: x.Ptrs}
	}
	a, err := x.Int(ev.s)
	if err != nil {
		return Value{}, err
	}
	b, err := y.Int(ev.s)
	if err != nil {
		return Value{}, err
	}
	if e.op == "+" || e.op == "-" {
		return ev.arith(e, x, y, a, b), nil
	}
	if e.op == "*" || e.op == "/" || e.op == "%" {
		return ev.mulDiv(e, x, y, a, b)
	}
	if e.op == "&" {
		// A mask: unsigned when either operand is (the result of C's
		// usual conversions, at 64 bits).
		v := intVal(a & b)
		if isUnsigned(x.Type) || isUnsigned(y.Type) {
			v.Type = cTypes["unsigned long"]
		}
		return v, nil
	}
	less := a < b
	if isUnsigned(x.Type) || isUnsigned(y.Type) {
		less = uint64(a) < uint64(b)
	}
	switch e.op {
	case "==":
		return boolVal(a == b), nil
	case "!=":
		return boolVal(a != b), nil
	case "<":
		return boolVal(less), nil
	case ">=":
		return boolVal(!less), nil
	case ">":
		return boolVal(a != b && !less), nil
	case "<=":
		return boolVal(a == b || less), nil
	}
	return Value{}, fmt.Errorf("unknown operator %q", e.op)
}

// logical evaluates && and || (x is the left operand's value): the right
// operand only when the left does not decide.
func (ev *evaluator) logical(e binaryExpr, x Value) (Value, error) {
	a, err := x.Int(ev.s)
	if err != nil {
		return Value{}, err
	}
	if (e.op == "&&" && a == 0) || (e.op == "||" && a != 0) {
		return boolVal(a != 0), nil
	}
	y, err := ev.eval(e.y)
	if err != nil {
		return Value{}, err
	}
	b, err := y.Int(ev.s)
	if err != nil {
		return Value{}, err
	}
	return boolVal(b != 0), nil
}

// arith is x + y or x - y (a and b their integer values): pointer
// arithmetic counts in elements.
func (ev *evaluator) arith(e binaryExpr, x, y Value, a, b int64) Value {
	ptr := x.Type.Kind == KindPointer && y.Type.Kind != KindPointer
	if ptr && x.Type.Elem != nil && x.Type.Elem.Size > 0 {
		b *= x.Type.Elem.Size
	}
	r := a + b
	if e.op == "-" {
		r = a - b
	}
	if !ptr {
		return intVal(r)
	}
	v := intVal(r)
	v.Type, v.Frame, v.Ptrs, v.loaded = x.Type, x.Frame, x.Ptrs, loadedFrom(x, e.x)
	if n := int(x.Type.Size); n > 0 && n < len(v.Bytes) {
		v.Bytes = v.Bytes[:n] // a 4-byte pointer
	}
	return v
}
