package debuginfo

import (
	"debug/dwarf"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

func (f *formatter) goString(t *Type, b []byte) {
	ptr, n := f.ptrLen(t, b, "str", "len")
	if n == 0 {
		f.WriteString(`""`)
		return
	}
	if f.mem == nil {
		fmt.Fprintf(f, "string(%#x, len %d)", ptr, n)
		return
	}
	want := n
	if want > MaxString {
		want = MaxString
	}
	buf := make([]byte, want)
	if err := f.mem.ReadMemory(ptr, buf); err != nil {
		fmt.Fprintf(f, "<string at %#x, len %d: %v>", ptr, n, err)
		return
	}
	f.WriteString(strconv.Quote(string(buf)))
	if n > want {
		fmt.Fprintf(f, " + %d more", n-want)
	}
}

func (f *formatter) ptrLen(t *Type, b []byte, pname, lname string) (uint64, uint64) {
	pf, _ := t.Field(pname)
	lf, _ := t.Field(lname)
	get := func(fl Field) uint64 {
		if fl.Type == nil || fl.Offset < 0 || fl.Offset+fl.Type.Size > int64(len(b)) {
			return 0
		}
		return uintOf(b[fl.Offset : fl.Offset+fl.Type.Size])
	}
	return get(pf), get(lf)
}

func (f *formatter) goSlice(t *Type, b []byte, depth int) {
	ptr, n := f.ptrLen(t, b, "array", "len")
	_, c := f.ptrLen(t, b, "array", "cap")
	fmt.Fprintf(f, "%s len: %d, cap: %d, ", t.Name, n, c)
	elem := t.Elem
	if ptr == 0 && n == 0 {
		f.WriteString("nil")
		return
	}
	if elem == nil || elem.Size <= 0 || f.mem == nil {
		fmt.Fprintf(f, "[...]")
		return
	}
	shown := int64(n)
	if shown > MaxElems || shown < 0 {
		shown = MaxElems
	}
	if shown*elem.Size > maxOutSize*4 {
		shown = maxOutSize * 4 / elem.Size
	}
	buf := make([]byte, shown*elem.Size)
	if err := f.mem.ReadMemory(ptr, buf); err != nil {
		fmt.Fprintf(f, "<elements at %#x: %v>", ptr, err)
		return
	}
	f.elems(elem, buf, shown, int64(n), depth, "[", "]", ",")
}

func (f *formatter) goInterface(t *Type, b []byte, depth int) {
	if len(t.Fields) != 2 || int64(len(b)) < 2*t.Fields[1].Offset || t.Fields[1].Offset <= 0 {
		fmt.Fprintf(f, "%s <%x>", t.Name, b)
		return
	}
	ps := t.Fields[1].Offset
	tab, data := uintOf(b[:ps]), uintOf(b[ps:2*ps])
	if tab == 0 {
		f.WriteString(t.Name + " nil")
		return
	}
	rtype := tab
	if t.Fields[0].Name == "tab" {
		// itab: {inter *interfacetype; _type *_type; ...}
		if f.mem == nil {
			fmt.Fprintf(f, "%s(itab %#x) %#x", t.Name, tab, data)
			return
		}
		x, err := readWord(f.mem, tab+uint64(ps), int(ps), binary.LittleEndian)
		if err != nil {
			fmt.Fprintf(f, "%s(itab %#x) %#x", t.Name, tab, data)
			return
		}
		rtype = x
	}
	var dyn *Type
	if f.in != nil {
		dyn = f.in.goDynamicType(rtype)
	}
	if dyn == nil {
		fmt.Fprintf(f, "%s(type %#x) %#x", t.Name, rtype, data)
		return
	}
	fmt.Fprintf(f, "%s(%s) ", t.Name, dyn.Name)
	if dyn.Kind == Pointer || dyn.Size == int64(ps) && dyn.Kind == Unknown {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], data)
		if dyn.Kind == Pointer && dyn.Elem != nil && f.mem != nil && data != 0 && dyn.Elem.Size > 0 && dyn.Elem.Size <= 1<<16 && depth < maxDepth {
			eb := make([]byte, dyn.Elem.Size)
			if f.mem.ReadMemory(data, eb) == nil {
				// Delve's form: *{s: "boom"}, the type already named.
				sub := &formatter{mem: f.mem, in: f.in}
				sub.value(dyn.Elem, eb, depth+1, false)
				f.WriteString("*" + strings.TrimPrefix(sub.String(), dyn.Elem.Name+" "))
				return
			}
		}
		f.value(dyn, w[:ps], depth+1, false)
		return
	}
	if f.mem == nil || dyn.Size < 0 || dyn.Size > 1<<20 {
		fmt.Fprintf(f, "%#x", data)
		return
	}
	vb := make([]byte, dyn.Size)
	if dyn.Size > 0 {
		if err := f.mem.ReadMemory(data, vb); err != nil {
			fmt.Fprintf(f, "<%#x: %v>", data, err)
			return
		}
	}
	f.value(dyn, vb, depth+1, false)
}

// goDynamicType finds the DWARF type whose runtime._type is at the
// run-time address rtype.
func (in *Info) goDynamicType(rtype uint64) *Type {
	defer in.lock()() // Format recovers a fault in a mapped section
	if in.rtypes == nil {
		in.rtypes = map[uint64]dwarf.Offset{}
		r := in.d.Reader()
		for _, u := range in.units {
			if u.lang != "go" {
				continue
			}
			r.Seek(u.off)
			if e, err := r.Next(); err != nil || e == nil || !e.Children {
				continue
			}
			for {
				e, err := r.Next()
				if err != nil || e == nil || e.Tag == 0 {
					break
				}
				if a, ok := e.Val(attrGoRuntimeType).(uint64); ok && a != 0 {
					in.rtypes[a] = e.Offset
				}
				if e.Children {
					r.SkipChildren()
				}
			}
		}
	}
	// Go 1.21+ records the offset of the type from runtime.types; older
	// linkers the type's address.
	if !in.typesBaseKnown {
		in.typesBaseKnown = true
		syms, err := in.f.Symbols()
		if err != nil {
			syms, err = in.df.Symbols() // a stripped object's .symtab is in its debug file
		}
		if err == nil {
			for _, s := range syms {
				if s.Name == "runtime.types" {
					in.typesBase = s.Value
					break
				}
			}
		}
	}
	off, ok := in.rtypes[rtype-in.bias-in.typesBase]
	if !ok || in.typesBase == 0 {
		if off, ok = in.rtypes[rtype-in.bias]; !ok {
			return nil
		}
	}
	t, err := in.typeAt(off)
	if err != nil {
		return nil
	}
	return t
}

const attrGoRuntimeType = dwarf.Attr(0x2904)
