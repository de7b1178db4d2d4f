package debugger

import "hwdbg/expr"

// TypeOf is the type ptype and whatis show: of a type's name, or of an
// expression evaluated in the selected frame; a function's is its
// prototype, from its debug information.
func (d *Debugger) TypeOf(src string) (*Type, error) {
	if d.proc.Exited() {
		return nil, ErrExited
	}
	var t *Type
	var err error
	d.proc.Do(func() { t, err = expr.TypeOf(src, d.selected()) })
	if err == nil && t.Kind == expr.KindBytes && d.dwarf != nil {
		if entry, ok := d.dwarf.LookupFunc(src); ok {
			if ft, ok := d.dwarf.FuncType(entry); ok {
				return ft, nil
			}
		}
	}
	return t, err
}
