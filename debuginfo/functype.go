package debuginfo

import "debug/dwarf"

// FuncType is the type of the function whose entry is the run-time pc:
// its parameters' types and its result's, from its DIE.
func (in *Info) FuncType(entry uint64) (t *Type, ok bool) {
	defer in.lock()()
	defer catch(nil)
	fn, _, found := in.funcAt(entry - in.bias)
	if !found {
		return nil, false
	}
	e, err := in.entryAt(fn.off)
	if err != nil {
		return nil, false
	}
	t = &Type{Kind: Func}
	if off, ok := e.Val(dwarf.AttrType).(dwarf.Offset); ok {
		if t.Result, err = in.typeAt(off); err != nil {
			return nil, false
		}
	}
	if e.Children {
		r := in.d.Reader()
		r.Seek(fn.off)
		r.Next()
		for {
			c, err := r.Next()
			if err != nil || c == nil || c.Tag == 0 {
				break
			}
			switch c.Tag {
			case dwarf.TagFormalParameter:
				if off, ok := c.Val(dwarf.AttrType).(dwarf.Offset); ok {
					if p, err := in.typeAt(off); err == nil {
						t.Params = append(t.Params, p)
					}
				}
			case dwarf.TagUnspecifiedParameters:
				t.Variadic = true
			}
			if c.Children {
				r.SkipChildren()
			}
		}
	}
	t.Go = in.unitOf(fn.off) != nil && in.unitOf(fn.off).lang == "go"
	t.Name = Declaration(&Type{Kind: Func, Params: t.Params, Result: t.Result, Variadic: t.Variadic}, "")
	return t, true
}

// FuncDeclLine is the line the function whose entry is the run-time pc is
// declared on (DW_AT_decl_line), where list FUNC centers.
func (in *Info) FuncDeclLine(entry uint64) (line int, ok bool) {
	defer in.lock()()
	defer catch(nil)
	fn, _, found := in.funcAt(entry - in.bias)
	if !found {
		return 0, false
	}
	e, err := in.entryAt(fn.off)
	if err != nil {
		return 0, false
	}
	for i := 0; i < 4 && e != nil; i++ {
		if n, ok := e.Val(dwarf.AttrDeclLine).(int64); ok && n > 0 {
			return int(n), true
		}
		o, ok := e.Val(dwarf.AttrAbstractOrigin).(dwarf.Offset)
		if !ok {
			o, ok = e.Val(dwarf.AttrSpecification).(dwarf.Offset)
		}
		if !ok {
			break
		}
		if e, err = in.entryAt(o); err != nil {
			return 0, false
		}
	}
	return 0, false
}
