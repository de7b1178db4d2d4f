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
