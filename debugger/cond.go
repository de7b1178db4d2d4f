package debugger

import (
	"errors"
	"fmt"

	"hwdbg/debuginfo"
)

// A watchpoint's condition binds its names where it was given, as gdb
// does: in the frame selected by the `watch` (or `condition`) command.
// `watch global if q > 10`, given in main where q is a local, reads main's
// q at every hit, also when the write comes from a callee, which has no q
// (or another q). A name that is a global there stays that global, even
// where a local of the hitting function shadows it.

// condScope is what the names of a condition were bound to.
type condScope struct {
	// The frame selected when the condition was given: its thread, its
	// canonical frame address (its identity while it lives), its function
	// and its number then.
	tid   int
	cfa   uint64
	fn    string
	frame int
	when  string // "the watch was set" or "the condition was set"
	image int    // d.image then: exec replaces the program

	locals  map[string]bool   // locals and parameters of that frame
	statics map[string]Value  // static locals of its function
	globals map[string]string // globals, by the name that found them (main.x for x in Go)
}

// describe names the scope for messages: "main (frame #0 when the watch
// was set)".
func (s *condScope) describe() string {
	return fmt.Sprintf("%s (frame #%d when %s)", s.fn, s.frame, s.when)
}

// boundCond is a condition with its names bound; eval evaluates it in
// its scope, whichever thread and frame hit the watchpoint.
type boundCond struct {
	x     Expr
	scope *condScope
}

func (c boundCond) String() string { return c.x.String() }

// binding is a bound condition being evaluated: the frame its locals
// live in is found once per evaluation.
type binding struct {
	scope  *condScope
	frame  debuginfo.UnwoundFrame
	err    error
	looked bool
}

// maxCondFrames bounds the walk up a stack for a condition's frame.
const maxCondFrames = 1024

// bindCond parses a data watchpoint's condition and binds its names in
// the selected frame (see condScope). A name found neither there nor
// among the program's globals is refused now, naming the scope. It runs
// on the tracer thread.
func (d *Debugger) bindCond(src, when string) (Expr, error) {
	e, err := ParseExpr(src)
	if err != nil {
		return nil, fmt.Errorf("bad condition: %w", err)
	}
	s := &condScope{tid: d.Current, frame: d.frame, when: when, image: d.image,
		locals: map[string]bool{}, statics: map[string]Value{}, globals: map[string]string{}}
	if d.dwarf != nil {
		if fs, err := d.frames(d.Current, d.frame+1); err == nil && d.frame < len(fs) {
			f := fs[d.frame]
			s.cfa = f.CFA
			s.fn, _, _ = d.funcAt(f.LookupPC())
		}
	}
	if err := d.bindNames(e, s); err != nil {
		var ns *noSymbolError
		if errors.As(err, &ns) && s.fn != "" {
			return nil, fmt.Errorf("bad condition: no symbol %q in the scope of %s (frame #%d, where %s) nor among the program's globals%s",
				ns.name, s.fn, s.frame, when, ns.suggest())
		}
		return nil, fmt.Errorf("bad condition: %w", err)
	}
	if len(s.locals) == 0 && len(s.statics) == 0 && len(s.globals) == 0 {
		return e, nil // registers and constants: nothing to bind
	}
	return boundCond{x: e, scope: s}, nil
}

// bindNames binds every name e reads.
func (d *Debugger) bindNames(e Expr, s *condScope) error {
	switch e := e.(type) {
	case nameExpr:
		return d.bindName(e.name, s)
	case fieldExpr:
		// main.counter: a package-qualified Go global (see evalField).
		full := dottedName(e)
		global := func() bool {
			if full == "" {
				return false
			}
			if d.dwarf != nil {
				if _, ok := d.dwarf.LookupGlobal(full); ok {
					return true
				}
			}
			_, ok := d.lookup(full)
			return ok
		}
		if full != "" && d.dwarf != nil && d.dwarf.Language() == "go" && global() {
			return nil
		}
		err := d.bindNames(e.x, s)
		if err != nil && global() {
			return nil
		}
		return err
	case unaryExpr:
		return d.bindNames(e.x, s)
	case castExpr:
		// An unknown type is refused now, not at the hit.
		if _, err := d.resolveType(e.typ); err != nil {
			return err
		}
		return d.bindNames(e.x, s)
	case indexExpr:
		if err := d.bindNames(e.x, s); err != nil {
			return err
		}
		return d.bindNames(e.i, s)
	case binaryExpr:
		if err := d.bindNames(e.x, s); err != nil {
			return err
		}
		return d.bindNames(e.y, s)
	}
	return nil
}

// bindName binds one name: a local of the selected frame, a static local
// of its function, or a global.
func (d *Debugger) bindName(name string, s *condScope) error {
	v, scope, ok, err := d.local(name)
	switch {
	case ok && (scope != nil || err != nil):
		// A local (perhaps not readable here, e.g. optimized out at this
		// pc): read in its frame at each hit.
		s.locals[name] = true
		return nil
	case ok:
		s.statics[name] = v
		return nil
	}
	_, found, err := d.globalNamed(name)
	if err != nil {
		return err
	}
	s.globals[name] = found
	return nil
}

// evalBound evaluates a bound condition (see condScope). An error names
// the scope when the condition reads locals of a frame.
func (d *Debugger) evalBound(c boundCond) (Value, error) {
	s := c.scope
	if s.image != d.image && len(s.locals)+len(s.statics) > 0 {
		return Value{}, fmt.Errorf("in the scope of %s: that frame is gone: the program called exec since", s.describe())
	}
	saved := d.bound
	d.bound = &binding{scope: s}
	defer func() { d.bound = saved }()
	v, err := d.eval(c.x)
	if err != nil && len(s.locals) > 0 {
		return Value{}, fmt.Errorf("in the scope of %s: %w", s.describe(), err)
	}
	return v, err
}

// boundName resolves a name of the condition being evaluated.
func (d *Debugger) boundName(b *binding, name string) (Value, error) {
	s := b.scope
	if v, ok := s.statics[name]; ok {
		return v, nil
	}
	if s.locals[name] {
		if !b.looked {
			b.looked = true
			b.frame, b.err = d.condFrame(s)
		}
		if b.err != nil {
			return Value{}, fmt.Errorf("%s: %w", name, b.err)
		}
		v, _, ok, err := d.frameVar(b.frame, name)
		if !ok {
			return Value{}, fmt.Errorf("%s is not in scope where %s is now (%#x)", name, s.fn, b.frame.LookupPC())
		}
		return v, err
	}
	if found, ok := s.globals[name]; ok {
		name = found
	}
	return d.globalName(name)
}

// condFrame finds the frame a condition was bound to: in the thread that
// hit (a callee's write), else in the thread it was bound in, by its
// canonical frame address and function.
func (d *Debugger) condFrame(s *condScope) (debuginfo.UnwoundFrame, error) {
	if s.cfa == 0 {
		return debuginfo.UnwoundFrame{}, fmt.Errorf("that frame cannot be told apart from others (no call frame information where it was bound)")
	}
	tids := []int{d.Current}
	if s.tid != d.Current && d.HasThread(s.tid) {
		tids = append(tids, s.tid)
	}
	var unread error
	for _, tid := range tids {
		fs, err := d.frames(tid, maxCondFrames)
		if err != nil {
			unread = err
			continue
		}
		for _, f := range fs {
			if f.CFA != s.cfa {
				continue
			}
			if fn, _, _ := d.funcAt(f.LookupPC()); fn == s.fn {
				return f, nil
			}
		}
	}
	if unread != nil && s.tid != d.Current {
		return debuginfo.UnwoundFrame{}, fmt.Errorf("that frame is in thread %d, whose stack cannot be read now: %v", s.tid, unread)
	}
	return debuginfo.UnwoundFrame{}, fmt.Errorf("that frame has returned")
}
