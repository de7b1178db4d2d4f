package debuginfo

import (
	"bytes"
	"debug/dwarf"
	"fmt"
	"strings"

	"hwdbg/debuginfo/dwarfexpr"
)

// Variable is a global, a local or a parameter.
type Variable struct {
	Name  string
	Type  *Type
	Addr  uint64 // globals: run-time address (bias applied); 0 for locals
	Param bool   // a formal parameter
	// Func is the function a local or parameter belongs to.
	Func string
	// Const is set for a variable that has a value but no storage
	// (DW_AT_const_value): it cannot be watched.
	Const bool

	loc location
}

// IsGlobal tells whether the variable has a fixed address.
func (v Variable) IsGlobal() bool { return v.Addr != 0 && v.loc.expr == nil && !v.loc.list }

// ErrOptimizedOut is wrapped by VarAddress for a variable the compiler did
// not keep at the pc.
var ErrOptimizedOut = dwarfexpr.ErrOptimizedOut

// RegisterError is returned by VarAddress for a variable that lives in a
// register.
type RegisterError = dwarfexpr.RegisterError

// LookupGlobal finds a global (or file-static) variable by qualified name:
// "balance", "app::config", "Widget::count", "main.counter",
// "net/http.DefaultClient", "crate::NAME". "file.c::name" picks a static
// of one file. When several units define the name the first is returned.
func (in *Info) LookupGlobal(name string) (v Variable, ok bool) {
	defer in.lock()()
	defer catch(nil)
	refs := in.lookup(name, refVar)
	if len(refs) == 0 {
		if i := strings.Index(name, "::"); i > 0 && strings.Contains(name[:i], ".") {
			file, sym := name[:i], name[i+2:]
			in.indexAll()
			for _, u := range in.unitsByFile(file) {
				for _, r := range in.names[sym] {
					if r.kind == refVar && r.unit == u.idx {
						refs = append(refs, r)
					}
				}
			}
		}
	}
	// Prefer a definition with an address.
	for _, r := range refs {
		v, err := in.variable(r.off, nil, name)
		if err == nil && (v.Addr != 0 || v.Const) {
			return v, true
		}
	}
	return Variable{}, false
}

// variable reads the variable or parameter DIE at off.
func (in *Info) variable(off dwarf.Offset, fbase *location, name string) (Variable, error) {
	e, err := in.entryAt(off)
	if err != nil {
		return Variable{}, err
	}
	u := in.unitOf(off)
	if u == nil {
		return Variable{}, fmt.Errorf("debuginfo: DIE %#x outside any unit", off)
	}
	v := Variable{Name: name, Param: e.Tag == dwarf.TagFormalParameter}
	// Name and type may live on a declaration or an abstract origin.
	typeEntry := e
	for i := 0; i < 4; i++ {
		if v.Name == "" {
			v.Name, _ = typeEntry.Val(dwarf.AttrName).(string)
		}
		if typeEntry.Val(dwarf.AttrType) != nil {
			break
		}
		o, ok := typeEntry.Val(dwarf.AttrSpecification).(dwarf.Offset)
		if !ok {
			o, ok = typeEntry.Val(dwarf.AttrAbstractOrigin).(dwarf.Offset)
		}
		if !ok {
			break
		}
		if typeEntry, err = in.entryAt(o); err != nil {
			return Variable{}, err
		}
	}
	if toff, ok := typeEntry.Val(dwarf.AttrType).(dwarf.Offset); ok {
		if v.Type, err = in.typeAt(toff); err != nil {
			return Variable{}, err
		}
	}
	if e.Val(dwarf.AttrConstValue) != nil {
		v.Const = true
	}
	f := e.AttrField(dwarf.AttrLocation)
	v.loc = location{unit: u.idx, fbase: fbase}
	switch {
	case f == nil:
		v.loc.none = true
	case f.Class == dwarf.ClassExprLoc || f.Class == dwarf.ClassBlock:
		v.loc.expr = cloneBytes(f.Val) // the section is a mapping that Close ends
		if a, ok := in.staticAddr(v.loc.expr, u); ok {
			v.Addr = a + in.bias
			v.loc.expr = nil
		}
	case f.Class == dwarf.ClassLocListPtr || f.Class == dwarf.ClassLocList:
		v.loc.list = true
		v.loc.lOff, _ = f.Val.(int64)
		v.loc.lx = f.Class == dwarf.ClassLocList
	default:
		v.loc.none = true
	}
	return v, nil
}

// Locals lists the parameters and local variables in scope at the run-time
// pc, innermost scope first (parameters after the locals of the function's
// outermost block). Variables of inlined calls at pc are included.
func (in *Info) Locals(pc uint64) (vars []Variable, err error) {
	defer in.lock()()
	defer catch(&err)
	upc := pc - in.bias
	fn, _, ok := in.funcAt(upc)
	if !ok {
		return nil, fmt.Errorf("debuginfo: no function with DWARF at %#x", pc)
	}
	e, err := in.entryAt(fn.off)
	if err != nil {
		return nil, err
	}
	fbase := in.frameBase(e, fn.off)
	var scopes [][]Variable
	if err := in.collect(e, upc, fbase, fn.name, &scopes, 0); err != nil {
		return nil, err
	}
	for i := len(scopes) - 1; i >= 0; i-- {
		vars = append(vars, scopes[i]...)
	}
	return vars, nil
}

func (in *Info) frameBase(e *dwarf.Entry, off dwarf.Offset) *location {
	f := e.AttrField(dwarf.AttrFrameBase)
	u := in.unitOf(off)
	if f == nil || u == nil {
		return nil
	}
	l := &location{unit: u.idx}
	switch f.Class {
	case dwarf.ClassExprLoc, dwarf.ClassBlock:
		l.expr = cloneBytes(f.Val)
	case dwarf.ClassLocListPtr, dwarf.ClassLocList:
		l.list = true
		l.lOff, _ = f.Val.(int64)
		l.lx = f.Class == dwarf.ClassLocList
	default:
		return nil
	}
	return l
}

// collect appends the variables of the scope e (a subprogram, lexical
// block or inlined call holding pc) and recurses into its sub-scopes that
// hold pc.
func (in *Info) collect(scope *dwarf.Entry, pc uint64, fbase *location, fn string, out *[][]Variable, depth int) error {
	if !scope.Children || depth > 64 {
		return nil
	}
	r := in.d.Reader()
	r.Seek(scope.Offset)
	if _, err := r.Next(); err != nil {
		return err
	}
	var here, params []Variable
	var subs []*dwarf.Entry
	for {
		e, err := r.Next()
		if err != nil {
			return err
		}
		if e == nil || e.Tag == 0 {
			break
		}
		switch e.Tag {
		case dwarf.TagVariable, dwarf.TagFormalParameter:
			v, err := in.variable(e.Offset, fbase, "")
			if err == nil && v.Name != "" {
				v.Func = fn
				if v.Param {
					params = append(params, v)
				} else {
					here = append(here, v)
				}
			}
		case dwarf.TagLexDwarfBlock, dwarf.TagInlinedSubroutine:
			if rs, err := in.d.Ranges(e); err == nil {
				for _, rg := range rs {
					if pc >= rg[0] && pc < rg[1] {
						subs = append(subs, e)
						break
					}
				}
			}
		}
		if e.Children {
			r.SkipChildren()
		}
	}
	*out = append(*out, append(params, here...))
	for _, s := range subs {
		name := fn
		if s.Tag == dwarf.TagInlinedSubroutine {
			if o, ok := s.Val(dwarf.AttrAbstractOrigin).(dwarf.Offset); ok {
				if oe, err := in.entryAt(o); err == nil {
					if n, ok := oe.Val(dwarf.AttrName).(string); ok {
						name = n
					}
				}
			}
		}
		if err := in.collect(s, pc, fbase, name, out, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// VarAddress evaluates where v lives in frame f. Globals give their
// address. A variable held in a register, computed, split into pieces or
// optimized out at f.PC() is an error that says so.
func (in *Info) VarAddress(v Variable, f Frame, mem Memory) (addr uint64, err error) {
	defer in.lock()()
	defer catch(&err)
	if v.Const {
		return 0, fmt.Errorf("debuginfo: %s is a constant: it has no address", v.Name)
	}
	if v.loc.none {
		if v.Addr != 0 {
			return v.Addr, nil
		}
		return 0, fmt.Errorf("debuginfo: %s: %w", v.Name, ErrOptimizedOut)
	}
	if v.loc.expr == nil && !v.loc.list {
		return v.Addr, nil
	}
	if f == nil {
		return 0, fmt.Errorf("debuginfo: %s is a local: it needs a frame", v.Name)
	}
	a, err := in.evalLoc(&v.loc, f, mem, false)
	if err != nil {
		return 0, fmt.Errorf("debuginfo: %s: %w", v.Name, err)
	}
	return a, nil
}

// cloneBytes copies an attribute's bytes out of the section they point
// into: a value that outlives the Info must not point into its mapping.
func cloneBytes(v any) []byte {
	b, _ := v.([]byte)
	return bytes.Clone(b)
}
