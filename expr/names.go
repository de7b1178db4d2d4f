package expr

import (
	"fmt"
	"strings"
)

// name resolves a name: a local of the scope's frame, a global from the
// debug information, then a symbol (sized, untyped). In a condition, the
// names were bound where it was given (see Bound).
func (ev *evaluator) name(name string) (Value, error) {
	if ev.bound != nil {
		return ev.boundName(name)
	}
	l, ok, err := ev.s.Local(name)
	if ok {
		return l.value(), err
	}
	return ev.global(name)
}

// global resolves a name that is not a local: a global from the debug
// information, then a symbol. In a Go program a name not found as given
// is looked for as Delve does, in the package of the scope's function,
// then in main: counter is main.counter.
func (ev *evaluator) global(name string) (Value, error) {
	v, _, err := ev.globalNamed(name)
	return v, err
}

// globalNamed is global, and the name that found the value.
func (ev *evaluator) globalNamed(name string) (Value, string, error) {
	names := append([]string{name}, ev.goQualified(name)...)
	if ev.s.DebugInfo() {
		for _, n := range names {
			if g, ok := ev.s.Global(n); ok {
				if g.Const {
					return Value{}, n, fmt.Errorf("%s is a constant with no storage: nothing to watch or read", n)
				}
				return Value{Type: g.Type, Lvalue: true, Addr: g.Addr}, n, nil
			}
		}
	}
	for _, n := range names {
		if sym, ok := ev.s.Symbol(n); ok {
			v := symbolValue(sym)
			if sym.Func {
				v.Func = n
			}
			return v, n, nil
		}
	}
	if ev.s.DebugInfo() {
		// A function the debug information knows and the symbol table
		// does not (a stripped symbol table).
		for _, n := range names {
			if entry, ok := ev.s.Func(n); ok {
				return Value{Type: BytesType(1), Lvalue: true, Addr: entry, Func: n}, n, nil
			}
		}
	}
	return Value{}, "", ev.noSymbol(name)
}

// qualifiedGlobal finds a package-qualified Go global (main.counter) by
// its full name: a global of the debug information, else a symbol.
func (ev *evaluator) qualifiedGlobal(full string) (Value, bool) {
	if ev.s.DebugInfo() {
		if g, ok := ev.s.Global(full); ok {
			return Value{Type: g.Type, Lvalue: true, Addr: g.Addr}, true
		}
	}
	if sym, ok := ev.s.Symbol(full); ok {
		return symbolValue(sym), true
	}
	return Value{}, false
}

// goQualified are the package-qualified names a Go program may mean by
// an unqualified name: in the package of the scope's function, then in
// main. None for other languages, or a name already qualified.
func (ev *evaluator) goQualified(name string) []string {
	if !ev.s.DebugInfo() || ev.s.Language() != "go" || strings.ContainsAny(name, "./") {
		return nil
	}
	var out []string
	if pkg := goPackage(ev.s.FrameFunc()); pkg != "" && pkg != "main" {
		out = append(out, pkg+"."+name)
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

// symbolValue is a symbol's storage: sized, untyped.
func symbolValue(s Symbol) Value {
	size := int(s.Size)
	if size == 0 {
		size = 8
	}
	return Value{Type: BytesType(size), Lvalue: true, Addr: s.Addr}
}

func (ev *evaluator) noSymbol(name string) error { return NoSymbol(name, ev.s) }

// NoSymbol is the error for a name found nowhere in s, with the closest
// names there are.
func NoSymbol(name string, s Scope) error {
	return &NoSymbolError{Name: name, Close: s.Closest(name)}
}

// NoSymbolError is a name found nowhere, with the closest names there are.
type NoSymbolError struct {
	Name  string
	Close []string
}

func (e *NoSymbolError) Error() string {
	return fmt.Sprintf("no symbol %q in the program%s", e.Name, e.suggest())
}

// suggest is " (did you mean a, b?)", or "" with nothing close.
func (e *NoSymbolError) suggest() string {
	if len(e.Close) == 0 {
		return ""
	}
	return " (did you mean " + strings.Join(e.Close, ", ") + "?)"
}
