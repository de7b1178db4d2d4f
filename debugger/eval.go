package debugger

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Value is the result of evaluating an expression: an lvalue (memory at
// Addr, read on demand) or an rvalue held in Bytes.
type Value struct {
	Type   *Type
	Lvalue bool
	Addr   uint64
	Bytes  []byte
}

func intVal(v int64) Value {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, uint64(v))
	return Value{Type: cTypes["long"], Bytes: b}
}

// load returns v's bytes, reading memory for an lvalue.
func (d *Debugger) load(v Value) ([]byte, error) {
	if !v.Lvalue {
		return v.Bytes, nil
	}
	if v.Type.Size <= 0 || v.Type.Size > 1<<20 {
		return nil, fmt.Errorf("cannot read a value of %d bytes", v.Type.Size)
	}
	b := make([]byte, v.Type.Size)
	if err := readMemory(d.proc.Pid, v.Addr, b); err != nil {
		return nil, err
	}
	return b, nil
}

// toInt converts v to an integer (pointers to their address).
func (d *Debugger) toInt(v Value) (int64, error) {
	switch v.Type.Kind {
	case KindInt, KindUint, KindChar, KindBool, KindPointer, KindBytes:
	default:
		return 0, fmt.Errorf("a %s is not an integer", v.Type.Name)
	}
	if v.Type.Kind == KindBytes && v.Type.Size > 8 {
		return 0, fmt.Errorf("a value of %d bytes is not an integer", v.Type.Size)
	}
	b, err := d.load(v)
	if err != nil {
		return 0, err
	}
	s, u := intValue(v.Type, b)
	if v.Type.Kind == KindUint || v.Type.Kind == KindPointer {
		return int64(u), nil
	}
	return s, nil
}

// resolveType parses a cast's type: a C scalar type with '*'s.
func (d *Debugger) resolveType(s string) (*Type, error) {
	base := strings.TrimRight(s, "*")
	stars := len(s) - len(base)
	t, ok := lookupCType(base)
	if !ok {
		return nil, fmt.Errorf("unknown type %q (known: C integer types such as int, long, uint32_t; float, double)", strings.TrimSpace(base))
	}
	for i := 0; i < stars; i++ {
		t = pointerTo(t)
	}
	return t, nil
}

// eval evaluates e in the selected thread. It runs on the tracer thread
// (registers are read with ptrace).
func (d *Debugger) eval(e Expr) (Value, error) {
	switch e := e.(type) {
	case numExpr:
		return intVal(int64(e.v)), nil
	case nameExpr:
		return d.evalName(e.name)
	case regExpr:
		regs, err := d.arch.GetRegs(d.Current)
		if err != nil {
			return Value{}, fmt.Errorf("read registers: %w", err)
		}
		v, ok := regs.Get(e.name)
		if !ok {
			return Value{}, fmt.Errorf("no register $%s", e.name)
		}
		val := intVal(int64(v))
		if isAddressRegister(e.name) {
			val.Type = pointerTo(cTypes["void"])
		}
		return val, nil
	case unaryExpr:
		x, err := d.eval(e.x)
		if err != nil {
			return Value{}, err
		}
		switch e.op {
		case "&":
			if !x.Lvalue {
				return Value{}, fmt.Errorf("cannot take the address of %s: it is not in memory", e.x)
			}
			b := make([]byte, 8)
			binary.LittleEndian.PutUint64(b, x.Addr)
			return Value{Type: pointerTo(x.Type), Bytes: b}, nil
		case "*":
			if x.Type.Kind != KindPointer {
				return Value{}, fmt.Errorf("cannot dereference %s: its type is not known to be a pointer; cast it, e.g. *(long*)%s", e.x, e.x)
			}
			addr, err := d.toInt(x)
			if err != nil {
				return Value{}, err
			}
			return Value{Type: x.Type.Elem, Lvalue: true, Addr: uint64(addr)}, nil
		case "-":
			n, err := d.toInt(x)
			if err != nil {
				return Value{}, err
			}
			return intVal(-n), nil
		case "!":
			n, err := d.toInt(x)
			if err != nil {
				return Value{}, err
			}
			return boolVal(n == 0), nil
		}
	case castExpr:
		t, err := d.resolveType(e.typ)
		if err != nil {
			return Value{}, err
		}
		x, err := d.eval(e.x)
		if err != nil {
			return Value{}, err
		}
		if x.Type.Kind == KindFloat || t.Kind == KindFloat {
			if x.Lvalue && x.Type.Size == t.Size {
				return Value{Type: t, Lvalue: true, Addr: x.Addr}, nil
			}
			return Value{}, fmt.Errorf("cannot convert %s to %s", x.Type.Name, t.Name)
		}
		n, err := d.toInt(x)
		if err != nil {
			return Value{}, err
		}
		b := make([]byte, 8)
		binary.LittleEndian.PutUint64(b, uint64(n))
		return Value{Type: t, Bytes: b[:min(t.Size, 8)]}, nil
	case indexExpr:
		x, err := d.eval(e.x)
		if err != nil {
			return Value{}, err
		}
		i, err := d.eval(e.i)
		if err != nil {
			return Value{}, err
		}
		n, err := d.toInt(i)
		if err != nil {
			return Value{}, err
		}
		if x.Type.Kind != KindPointer {
			return Value{}, fmt.Errorf("cannot index %s: its type is not known to be an array or pointer; cast it, e.g. ((int*)&%s)[%d]", e.x, e.x, n)
		}
		base, err := d.toInt(x)
		if err != nil {
			return Value{}, err
		}
		return Value{Type: x.Type.Elem, Lvalue: true, Addr: uint64(base + n*int64(x.Type.Elem.Size))}, nil
	case fieldExpr:
		return Value{}, fmt.Errorf("cannot read field %q: fields need debug information (DWARF), which this program lacks", e.name)
	case binaryExpr:
		return d.evalBinary(e)
	}
	return Value{}, fmt.Errorf("cannot evaluate %s", e)
}

// isAddressRegister: registers that hold addresses print as pointers.
func isAddressRegister(name string) bool {
	switch name {
	case "pc", "sp", "fp", "rip", "rsp", "rbp", "lr":
		return true
	}
	return false
}

func boolVal(b bool) Value {
	if b {
		return intVal(1)
	}
	return intVal(0)
}

func (d *Debugger) evalBinary(e binaryExpr) (Value, error) {
	x, err := d.eval(e.x)
	if err != nil {
		return Value{}, err
	}
	if e.op == "&&" || e.op == "||" {
		a, err := d.toInt(x)
		if err != nil {
			return Value{}, err
		}
		if (e.op == "&&" && a == 0) || (e.op == "||" && a != 0) {
			return boolVal(a != 0), nil
		}
		y, err := d.eval(e.y)
		if err != nil {
			return Value{}, err
		}
		b, err := d.toInt(y)
		if err != nil {
			return Value{}, err
		}
		return boolVal(b != 0), nil
	}
	y, err := d.eval(e.y)
	if err != nil {
		return Value{}, err
	}
	a, err := d.toInt(x)
	if err != nil {
		return Value{}, err
	}
	b, err := d.toInt(y)
	if err != nil {
		return Value{}, err
	}
	unsigned := x.Type.Kind == KindUint || x.Type.Kind == KindPointer || y.Type.Kind == KindUint || y.Type.Kind == KindPointer
	less := a < b
	if unsigned {
		less = uint64(a) < uint64(b)
	}
	switch e.op {
	case "+", "-":
		if x.Type.Kind == KindPointer && y.Type.Kind != KindPointer {
			b *= int64(x.Type.Elem.Size)
		}
		r := a + b
		if e.op == "-" {
			r = a - b
		}
		if x.Type.Kind == KindPointer && y.Type.Kind != KindPointer {
			v := intVal(r)
			v.Type = x.Type
			return v, nil
		}
		return intVal(r), nil
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

// evalName resolves a symbol to its storage.
func (d *Debugger) evalName(name string) (Value, error) {
	{
		if s, ok := d.lookup(name); ok {
			size := int(s.Size)
			if size == 0 {
				size = 8
			}
			return Value{Type: bytesType(size), Lvalue: true, Addr: s.Addr}, nil
		}
	}
	return Value{}, d.noSymbol(name)
}

func (d *Debugger) noSymbol(name string) error {
	msg := fmt.Sprintf("no symbol %q in the program", name)
	if d.syms != nil {
		if close := d.syms.Closest(name, 3); len(close) > 0 {
			msg += " (did you mean " + strings.Join(close, ", ") + "?)"
		}
	}
	return fmt.Errorf("%s", msg)
}

// Region is memory an expression designates for a watchpoint.
type Region struct {
	Addr uint64
	Len  int
	Type *Type
}

// regionOf evaluates e to the memory it designates: &x and x both mean x's
// storage; an integer needs a size.
func (d *Debugger) regionOf(e Expr, size int) (Region, error) {
	if u, ok := e.(unaryExpr); ok && u.op == "&" {
		x, err := d.eval(u.x)
		if err != nil {
			return Region{}, err
		}
		if !x.Lvalue {
			return Region{}, fmt.Errorf("cannot take the address of %s: it is not in memory", u.x)
		}
		return sized(Region{x.Addr, x.Type.Size, x.Type}, size), nil
	}
	v, err := d.eval(e)
	if err != nil {
		return Region{}, err
	}
	if v.Lvalue {
		return sized(Region{v.Addr, v.Type.Size, v.Type}, size), nil
	}
	addr, err := d.toInt(v)
	if err != nil {
		return Region{}, err
	}
	if size <= 0 {
		return Region{}, fmt.Errorf("%s is a value, not memory: to watch the memory at %#x, add -s SIZE or write *(long*)%#x", e, uint64(addr), uint64(addr))
	}
	return Region{uint64(addr), size, bytesType(size)}, nil
}

func sized(r Region, size int) Region {
	if size > 0 && size != r.Len {
		r.Len = size
		r.Type = bytesType(size)
	}
	return r
}

// Evaluate evaluates an expression for `print`: its value as text and
// its type.
func (d *Debugger) Evaluate(src string) (string, *Type, error) {
	if d.proc.exited {
		return "", nil, ErrExited
	}
	e, err := ParseExpr(src)
	if err != nil {
		return "", nil, err
	}
	var out string
	var typ *Type
	d.tr.do(func() {
		var v Value
		v, err = d.eval(e)
		if err != nil {
			return
		}
		var b []byte
		b, err = d.load(v)
		if err != nil {
			return
		}
		typ = v.Type
		out = d.formatValue(v.Type, b)
	})
	return out, typ, err
}

// formatValue renders a value, naming the symbol a pointer points into.
func (d *Debugger) formatValue(t *Type, b []byte) string {
	s := FormatValue(t, b)
	if t.Kind == KindPointer && len(b) == 8 {
		addr := binary.LittleEndian.Uint64(b)
		if sym, ok := d.symbolAt(addr); ok {
			s += " <" + describe(sym.Name, addr-sym.Addr) + ">"
		}
	}
	return s
}

func describe(name string, off uint64) string {
	if off == 0 {
		return name
	}
	return fmt.Sprintf("%s+%d", name, off)
}
