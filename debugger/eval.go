package debugger

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"hwdbg/debuginfo"
	"hwdbg/symbols"
)

// Value is the result of evaluating an expression: an lvalue (memory at
// Addr, read on demand) or an rvalue held in Bytes.
type Value struct {
	Type   *Type
	Lvalue bool
	Addr   uint64
	Bytes  []byte
	// BitSize is non-zero for a bitfield: BitSize bits from BitOffset of
	// the bytes at Addr.
	BitOffset, BitSize int64
	// local is set when the value lives in a stack frame.
	local *localScope
	// fn is set when the value is a function's code (or its address), by
	// the function's name: no data to watch.
	fn string
	// ptrs are the pointers (as expressions) read from memory and followed
	// to reach the value: if one changes, the same expression designates
	// other memory. loaded is the expression in memory an rvalue was read
	// from (a cast of a pointer variable, pointer arithmetic on it).
	ptrs   []string
	loaded string
}

func intVal(v int64) Value {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, uint64(v))
	return Value{Type: cTypes["long"], Bytes: b}
}

// storage is how many bytes hold v in memory.
func (v Value) storage() int64 {
	if v.BitSize > 0 {
		return (v.BitOffset + v.BitSize + 7) / 8
	}
	return v.Type.Size
}

// load returns v's bytes, reading memory for an lvalue.
func (d *Debugger) load(v Value) ([]byte, error) {
	if !v.Lvalue {
		return v.Bytes, nil
	}
	n := v.storage()
	if n <= 0 || n > 1<<20 {
		return nil, fmt.Errorf("cannot read a value of %d bytes", n)
	}
	b := make([]byte, n)
	if err := readMemory(d.proc.Pid, v.Addr, b); err != nil {
		return nil, err
	}
	return b, nil
}

// toInt converts v to an integer (pointers to their address).
func (d *Debugger) toInt(v Value) (int64, error) {
	switch v.Type.Kind {
	case KindInt, KindUint, KindChar, KindBool, KindPointer, KindBytes, debuginfo.Enum:
	default:
		return 0, fmt.Errorf("a %s is not a number", v.Type.Name)
	}
	if v.Type.Size > 8 {
		return 0, fmt.Errorf("a value of %d bytes is not a number", v.Type.Size)
	}
	b, err := d.load(v)
	if err != nil {
		return 0, err
	}
	if v.BitSize > 0 {
		u := debuginfo.ExtractBits(b, v.BitOffset, v.BitSize)
		if !isUnsigned(v.Type) && v.BitSize < 64 && u&(1<<(v.BitSize-1)) != 0 {
			return int64(u) - 1<<v.BitSize, nil
		}
		return int64(u), nil
	}
	s, u := intValue(b)
	if isUnsigned(v.Type) {
		return int64(u), nil
	}
	return s, nil
}

// resolveType parses a cast's type: a C scalar type, or one the debug
// information defines ("struct node", "app::Config"), with '*'s.
func (d *Debugger) resolveType(s string) (*Type, error) {
	base := strings.TrimSpace(strings.TrimRight(s, "* "))
	stars := strings.Count(s[len(base):], "*")
	t, ok := d.cType(base)
	if !ok {
		if d.dwarf == nil {
			return nil, fmt.Errorf("unknown type %q (without debug information: C integer types such as int, long, uint32_t; float, double)", base)
		}
		var err error
		if t, err = d.dwarf.LookupType(base); err != nil {
			return nil, fmt.Errorf("unknown type %q", base)
		}
	}
	for i := 0; i < stars; i++ {
		t = d.pointerTo(t)
	}
	return t, nil
}

// eval evaluates e in the selected thread and frame. It runs on the
// tracer thread (registers are read with ptrace).
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
			val.Type = d.pointerTo(cTypes["void"])
			val.Bytes = val.Bytes[:d.ptrSize]
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
			if x.BitSize > 0 {
				return Value{}, fmt.Errorf("cannot take the address of the bitfield %s (watch it directly: watch %s)", e.x, e.x)
			}
			return Value{Type: d.pointerTo(x.Type), Bytes: d.addrBytes(x.Addr), local: x.local, fn: x.fn, ptrs: x.ptrs}, nil
		case "*":
			return d.deref(x, e.x.String())
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
		if x.Type.Kind == KindFloat || t.Kind == KindFloat || t.Size > 8 || t.Kind == debuginfo.Struct {
			// Reinterpret memory of the same size.
			if x.Lvalue && x.Type.Size == t.Size {
				return Value{Type: t, Lvalue: true, Addr: x.Addr, local: x.local, ptrs: x.ptrs}, nil
			}
			return Value{}, fmt.Errorf("cannot convert %s to %s", x.Type.Name, t.Name)
		}
		n, err := d.toInt(x)
		if err != nil {
			return Value{}, err
		}
		b := make([]byte, 8)
		binary.LittleEndian.PutUint64(b, uint64(n))
		return Value{Type: t, Bytes: b[:min(int(t.Size), 8)], local: x.local, ptrs: x.ptrs, loaded: loadedFrom(x, e.x)}, nil
	case indexExpr:
		return d.evalIndex(e)
	case fieldExpr:
		return d.evalField(e)
	case binaryExpr:
		return d.evalBinary(e)
	case boundCond:
		return d.evalBound(e)
	}
	return Value{}, fmt.Errorf("cannot evaluate %s", e)
}

// deref follows a pointer.
func (d *Debugger) deref(x Value, what string) (Value, error) {
	if x.Type.Kind != KindPointer {
		if d.dwarf == nil {
			return Value{}, fmt.Errorf("cannot dereference %s: its type is not known to be a pointer; cast it, e.g. *(long*)%s", what, what)
		}
		return Value{}, fmt.Errorf("cannot dereference %s: it is a %s, not a pointer", what, x.Type.Name)
	}
	if x.Type.Elem == nil || x.Type.Elem.Kind == debuginfo.Void {
		return Value{}, fmt.Errorf("cannot dereference %s: it is a void pointer; cast it, e.g. *(long*)%s", what, what)
	}
	addr, err := d.toInt(x)
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
	return Value{Type: x.Type.Elem, Lvalue: true, Addr: uint64(addr), ptrs: withPtr(x.ptrs, p)}, nil
}

// followed adds to x's pointers the one x itself holds, when it was read
// from memory (x is the value of the expression what).
func followed(x Value, what Expr) []string {
	return withPtr(x.ptrs, loadedFrom(x, what))
}

func withPtr(ptrs []string, p string) []string {
	if p == "" {
		return ptrs
	}
	return append(slices.Clip(ptrs), p)
}

// loadedFrom names the memory x's value was read from: what, for a value
// in memory; what an rvalue was computed from; "" for a constant.
func loadedFrom(x Value, what Expr) string {
	if x.Lvalue {
		return what.String()
	}
	return x.loaded
}

func (d *Debugger) evalIndex(e indexExpr) (Value, error) {
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
	switch x.Type.Kind {
	case debuginfo.Array:
		if !x.Lvalue {
			return Value{}, fmt.Errorf("cannot index %s: it is not in memory", e.x)
		}
		if x.Type.Len > 0 && (n < 0 || n >= x.Type.Len) {
			return Value{}, fmt.Errorf("index %d is out of range for %s (%d elements)", n, e.x, x.Type.Len)
		}
		el := x.Type.Elem
		return Value{Type: el, Lvalue: true, Addr: x.Addr + uint64(n*el.Size), local: x.local, ptrs: x.ptrs}, nil
	case debuginfo.GoSlice:
		b, err := d.load(x)
		if err != nil || len(b) < 16 {
			return Value{}, fmt.Errorf("cannot read the slice %s", e.x)
		}
		base, length := binary.LittleEndian.Uint64(b), int64(binary.LittleEndian.Uint64(b[8:]))
		if n < 0 || n >= length {
			return Value{}, fmt.Errorf("index %d is out of range for %s (len %d)", n, e.x, length)
		}
		el := x.Type.Elem
		return Value{Type: el, Lvalue: true, Addr: base + uint64(n*el.Size), ptrs: followed(x, e.x)}, nil
	case KindPointer:
		if x.Type.Elem == nil || x.Type.Elem.Kind == debuginfo.Void {
			return Value{}, fmt.Errorf("cannot index the void pointer %s", e.x)
		}
		base, err := d.toInt(x)
		if err != nil {
			return Value{}, err
		}
		return Value{Type: x.Type.Elem, Lvalue: true, Addr: uint64(base + n*x.Type.Elem.Size), ptrs: followed(x, e.x)}, nil
	}
	if d.dwarf == nil {
		return Value{}, fmt.Errorf("cannot index %s: its type is not known to be an array or pointer; cast it, e.g. ((int*)&%s)[%d]", e.x, e.x, n)
	}
	return Value{}, fmt.Errorf("cannot index %s: it is a %s", e.x, x.Type.Name)
}

// dottedName is "a.b.c" when e is a chain of plain names joined by '.'
// (a Go package path such as main.counter), "" otherwise.
func dottedName(e Expr) string {
	switch e := e.(type) {
	case nameExpr:
		return e.name
	case fieldExpr:
		if !e.arrow {
			if base := dottedName(e.x); base != "" {
				return base + "." + e.name
			}
		}
	}
	return ""
}

func (d *Debugger) evalField(e fieldExpr) (Value, error) {
	// main.counter, net/http.DefaultClient: a package-qualified global,
	// tried first when the program is Go (its index is per package, so
	// this is cheap, while resolving "main" alone would search everything).
	full := dottedName(e)
	if full != "" && d.dwarf != nil && d.dwarf.Language() == "go" {
		if v, ok := d.dwarf.LookupGlobal(full); ok {
			return globalValue(v), nil
		}
		if s, ok := d.lookup(full); ok {
			return d.symbolValue(s), nil
		}
	}
	x, err := d.eval(e.x)
	if err != nil {
		if full != "" {
			if d.dwarf != nil {
				if v, ok := d.dwarf.LookupGlobal(full); ok {
					return globalValue(v), nil
				}
			}
			if s, ok := d.lookup(full); ok {
				return d.symbolValue(s), nil
			}
			return Value{}, d.noSymbol(full)
		}
		return Value{}, err
	}
	if e.arrow || (x.Type.Kind == KindPointer && x.Type.Go) {
		// p->f, and Go's automatic dereference of p.f.
		if x, err = d.deref(x, e.x.String()); err != nil {
			return Value{}, err
		}
	}
	switch x.Type.Kind {
	case debuginfo.Struct, debuginfo.Union:
	default:
		if x.Type.Kind == KindPointer && !e.arrow {
			return Value{}, fmt.Errorf("%s is a pointer: use %s->%s", e.x, e.x, e.name)
		}
		if d.dwarf == nil {
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
	v := Value{Type: f.Type, Lvalue: true, Addr: x.Addr + uint64(f.Offset), local: x.local, ptrs: x.ptrs}
	if f.BitSize > 0 {
		v.BitOffset, v.BitSize = f.BitOffset, f.BitSize
	}
	return v, nil
}

// isAddressRegister: registers that hold addresses print as pointers.
func isAddressRegister(name string) bool {
	switch name {
	case "pc", "sp", "fp", "rip", "rsp", "rbp", "eip", "esp", "ebp", "lr":
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
	if x.Type.Kind == debuginfo.Array && x.Lvalue && (e.op == "+" || e.op == "-") {
		// An array in arithmetic is a pointer to its first element.
		x = Value{Type: d.pointerTo(x.Type.Elem), Bytes: d.addrBytes(x.Addr), local: x.local, ptrs: x.ptrs}
	}
	a, err := d.toInt(x)
	if err != nil {
		return Value{}, err
	}
	b, err := d.toInt(y)
	if err != nil {
		return Value{}, err
	}
	unsigned := isUnsigned(x.Type) || isUnsigned(y.Type)
	less := a < b
	if unsigned {
		less = uint64(a) < uint64(b)
	}
	switch e.op {
	case "+", "-":
		ptr := x.Type.Kind == KindPointer && y.Type.Kind != KindPointer
		if ptr && x.Type.Elem != nil && x.Type.Elem.Size > 0 {
			b *= x.Type.Elem.Size
		}
		r := a + b
		if e.op == "-" {
			r = a - b
		}
		if ptr {
			v := intVal(r)
			v.Type, v.local, v.ptrs, v.loaded = x.Type, x.local, x.ptrs, loadedFrom(x, e.x)
			if n := int(x.Type.Size); n > 0 && n < len(v.Bytes) {
				v.Bytes = v.Bytes[:n] // a 4-byte pointer
			}
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

func globalValue(v debuginfo.Variable) Value {
	return Value{Type: v.Type, Lvalue: true, Addr: v.Addr}
}

// evalName resolves a name: a local of the selected frame, a global from
// the debug information, then an ELF symbol (sized, untyped).
func (d *Debugger) evalName(name string) (Value, error) {
	if d.bound != nil {
		return d.boundName(d.bound, name)
	}
	if v, scope, ok, err := d.local(name); ok {
		v.local = scope
		return v, err
	}
	return d.globalName(name)
}

// globalName resolves a name that is not a local: a global from the debug
// information, then an ELF symbol. In a Go program a name not found as
// given is looked for as Delve does, in the package of the selected
// frame's function, then in main: counter is main.counter.
func (d *Debugger) globalName(name string) (Value, error) {
	v, _, err := d.globalNamed(name)
	return v, err
}

// globalNamed is globalName, and the name that found the value.
func (d *Debugger) globalNamed(name string) (Value, string, error) {
	qualified := d.goQualified(name)
	if d.dwarf != nil {
		for _, n := range append([]string{name}, qualified...) {
			if v, ok := d.dwarf.LookupGlobal(n); ok {
				if v.Const {
					return Value{}, n, fmt.Errorf("%s is a constant with no storage: nothing to watch or read", n)
				}
				return globalValue(v), n, nil
			}
		}
	}
	for _, n := range append([]string{name}, qualified...) {
		if s, ok := d.lookup(n); ok {
			v := d.symbolValue(s)
			if s.Kind == symbols.Func {
				v.fn = n
			}
			return v, n, nil
		}
	}
	if d.dwarf != nil {
		// A function the debug information knows and the symbol table
		// does not (a stripped symbol table).
		for _, n := range append([]string{name}, qualified...) {
			if entry, ok := d.dwarf.LookupFunc(n); ok {
				return Value{Type: bytesType(1), Lvalue: true, Addr: entry, fn: n}, n, nil
			}
		}
	}
	return Value{}, "", d.noSymbol(name)
}

// goQualified are the package-qualified names a Go program may mean by
// an unqualified name: in the package of the selected frame's function,
// then in main. None for other languages, or a name already qualified.
func (d *Debugger) goQualified(name string) []string {
	if d.dwarf == nil || d.dwarf.Language() != "go" || strings.ContainsAny(name, "./") {
		return nil
	}
	var out []string
	if pc, ok := d.selectedPC(); ok {
		if fn, _, ok := d.funcAt(pc); ok {
			if pkg := goPackage(fn); pkg != "" && pkg != "main" {
				out = append(out, pkg+"."+name)
			}
		}
	}
	return append(out, "main."+name)
}

// goPackage is the package path of a Go function's name:
// "net/http.(*Client).Do" is in net/http, "main.main.func1" in main; ""
// when the name is not qualified.
func goPackage(fn string) string {
	slash := strings.LastIndexByte(fn, '/')
	dot := strings.IndexByte(fn[slash+1:], '.')
	if dot <= 0 {
		return ""
	}
	return fn[:slash+1+dot]
}

// symbolValue is an ELF symbol's storage: sized, untyped.
func (d *Debugger) symbolValue(s symbols.Symbol) Value {
	size := int(s.Size)
	if size == 0 {
		size = 8
	}
	return Value{Type: bytesType(size), Lvalue: true, Addr: s.Addr}
}

func (d *Debugger) noSymbol(name string) error {
	e := &noSymbolError{name: name}
	if d.symtab() != nil {
		e.close = d.syms.Closest(name, 3)
	}
	return e
}

// noSymbolError is a name found nowhere, with the closest names there are.
type noSymbolError struct {
	name  string
	close []string
}

func (e *noSymbolError) Error() string {
	return fmt.Sprintf("no symbol %q in the program%s", e.name, e.suggest())
}

// suggest is " (did you mean a, b?)", or "" with nothing close.
func (e *noSymbolError) suggest() string {
	if len(e.close) == 0 {
		return ""
	}
	return " (did you mean " + strings.Join(e.close, ", ") + "?)"
}

// Region is memory an expression designates for a watchpoint.
type Region struct {
	Addr uint64
	Len  int
	Type *Type
	// BitOffset/BitSize: a bitfield inside the region.
	BitOffset, BitSize int64
	local              *localScope
	fn                 string   // a function's code (see Value.fn)
	ptrs               []string // pointers followed to it (see Value.ptrs)
}

// regionOf evaluates e to the memory it designates: &x and x both mean x's
// storage; an integer needs a size.
func (d *Debugger) regionOf(e Expr, size int) (Region, error) {
	if u, ok := e.(unaryExpr); ok && u.op == "&" {
		e = u.x
		x, err := d.eval(e)
		if err != nil {
			return Region{}, err
		}
		if !x.Lvalue {
			return Region{}, fmt.Errorf("cannot take the address of %s: it is not in memory", e)
		}
		return sized(regionOfValue(x), size), nil
	}
	v, err := d.eval(e)
	if err != nil {
		return Region{}, err
	}
	if v.Lvalue {
		return sized(regionOfValue(v), size), nil
	}
	addr, err := d.toInt(v)
	if err != nil {
		return Region{}, err
	}
	if size <= 0 {
		return Region{}, fmt.Errorf("%s is a value, not memory: to watch the memory at %#x, add -s SIZE or write *(long*)%#x", e, uint64(addr), uint64(addr))
	}
	return Region{Addr: uint64(addr), Len: size, Type: bytesType(size), local: v.local, ptrs: followed(v, e)}, nil
}

func regionOfValue(v Value) Region {
	return Region{Addr: v.Addr, Len: int(v.storage()), Type: v.Type, BitOffset: v.BitOffset, BitSize: v.BitSize, local: v.local, fn: v.fn, ptrs: v.ptrs}
}

func sized(r Region, size int) Region {
	if size > 0 && size != r.Len {
		r.Len = size
		r.Type = bytesType(size)
		r.BitOffset, r.BitSize = 0, 0
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
		if v.fn != "" && v.Lvalue && v.Type != nil && v.Type.Kind != KindPointer {
			// A function is its address, as gdb prints it; its bytes are
			// for x/i and disassemble.
			out, typ = fmt.Sprintf("{function} %#x <%s>", v.Addr, v.fn), v.Type
			return
		}
		var b []byte
		b, err = d.load(v)
		if err != nil {
			return
		}
		typ = v.Type
		if v.BitSize > 0 {
			out = debuginfo.FormatBits(v.Type, b, v.BitOffset, v.BitSize)
			return
		}
		out = d.formatValue(v.Type, b)
	})
	return out, typ, err
}

// formatValue renders a value, naming the symbol a pointer points into.
func (d *Debugger) formatValue(t *Type, b []byte) string {
	var s string
	if d.dwarf != nil && t != nil && t.Kind != KindBytes {
		s = d.dwarf.Format(t, b, d.mem())
	} else {
		s = FormatValue(t, b, d.mem())
	}
	if t != nil && t.Kind == KindPointer && !t.Go && (len(b) == 8 || len(b) == 4) {
		_, addr := intValue(b)
		if name, entry, ok := d.funcAt(addr); ok && addr != 0 {
			s += " <" + describe(name, addr-entry) + ">"
		} else if sym, ok := d.symbolAt(addr); ok && addr != 0 {
			s += " <" + describe(sym.BaseName(), addr-sym.Addr) + ">"
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
