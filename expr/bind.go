package expr

import (
	"errors"
	"fmt"
)

// A condition binds its names where it was given, as gdb does: in the
// frame selected by the `watch` (or `condition`) command. `watch global if
// q > 10`, given in main where q is a local, reads main's q at every hit,
// also when the write comes from a callee, which has no q (or another q).
// A name that is a global there stays that global, even where a local of
// the hitting function shadows it.

// Bound is a condition with its names bound in the scope it was given in.
type Bound struct {
	X       Expr
	locals  map[string]bool   // locals and parameters of that frame
	statics map[string]Value  // static locals of its function
	globals map[string]string // globals, by the name that found them (main.x for x in Go)
}

// Bind binds the names of e in s: each is a local of s's frame (read in
// that frame at each evaluation), a static local of its function, or a
// global. A name found nowhere, or a cast to an unknown type, is refused
// now, naming the scope.
func Bind(e Expr, s Scope) (*Bound, error) {
	b := &Bound{X: e, locals: map[string]bool{}, statics: map[string]Value{}, globals: map[string]string{}}
	if err := newEvaluator(s).bindNames(e, b); err != nil {
		var ns *NoSymbolError
		if where := s.Where(); errors.As(err, &ns) && where != "" {
			return nil, fmt.Errorf("no symbol %q in the scope of %s nor among the program's globals%s", ns.Name, where, ns.suggest())
		}
		return nil, err
	}
	return b, nil
}

// Empty tells whether the condition reads no names (only registers and
// constants): it means the same wherever it is evaluated.
func (b *Bound) Empty() bool {
	return len(b.locals) == 0 && len(b.statics) == 0 && len(b.globals) == 0
}

// ReadsFrame tells whether the condition reads locals of the frame it was
// bound in: it cannot be evaluated once that frame has returned.
func (b *Bound) ReadsFrame() bool { return len(b.locals) > 0 }

// ReadsFunc tells whether the condition reads locals or static locals of
// the function it was bound in: names of that program image.
func (b *Bound) ReadsFunc() bool { return len(b.locals)+len(b.statics) > 0 }

// Eval evaluates the condition. Its locals are read in s, which must be
// the scope of the frame they were bound in; registers are s's.
func (b *Bound) Eval(s Scope) (Value, error) {
	ev := newEvaluator(s)
	ev.bound = b
	return ev.eval(b.X)
}

// bindNames binds every name e reads.
func (ev *evaluator) bindNames(e Expr, b *Bound) error {
	switch e := e.(type) {
	case nameExpr:
		return ev.bindName(e.name, b)
	case fieldExpr:
		// main.counter: a package-qualified Go global (see field).
		full := dottedName(e)
		global := func() bool {
			if full == "" {
				return false
			}
			_, ok := ev.qualifiedGlobal(full)
			return ok
		}
		if full != "" && ev.s.DebugInfo() && ev.s.Language() == "go" && global() {
			return nil
		}
		err := ev.bindNames(e.x, b)
		if err != nil && global() {
			return nil
		}
		return err
	case unaryExpr:
		return ev.bindNames(e.x, b)
	case castExpr:
		// An unknown type is refused now, not at the hit.
		if _, err := ev.resolveType(e.typ); err != nil {
			return err
		}
		return ev.bindNames(e.x, b)
	case indexExpr:
		if err := ev.bindNames(e.x, b); err != nil {
			return err
		}
		return ev.bindNames(e.i, b)
	case binaryExpr:
		if err := ev.bindNames(e.x, b); err != nil {
			return err
		}
		return ev.bindNames(e.y, b)
	}
	return nil
}

// bindName binds one name: a local of the scope's frame, a static local
// of its function, or a global.
func (ev *evaluator) bindName(name string, b *Bound) error {
	l, ok, err := ev.s.Local(name)
	switch {
	case ok && (l.Frame != nil || err != nil):
		// A local (perhaps not readable here, e.g. optimized out at this
		// pc): read in its frame at each evaluation.
		b.locals[name] = true
		return nil
	case ok:
		b.statics[name] = Value{Type: l.Type, Lvalue: true, Addr: l.Addr}
		return nil
	}
	_, found, err := ev.globalNamed(name)
	if err != nil {
		return err
	}
	b.globals[name] = found
	return nil
}

// boundName resolves a name of the condition being evaluated.
func (ev *evaluator) boundName(name string) (Value, error) {
	b := ev.bound
	if v, ok := b.statics[name]; ok {
		return v, nil
	}
	if b.locals[name] {
		l, ok, err := ev.s.Local(name)
		if !ok {
			return Value{}, fmt.Errorf("%s is not in scope in its frame now", name)
		}
		v := l.value()
		v.Frame = nil
		return v, err
	}
	if found, ok := b.globals[name]; ok {
		name = found
	}
	return ev.global(name)
}
