package debuginfo

import (
	"fmt"
	"sort"
	"strings"
)

// PType renders a type's layout as gdb's ptype shows it, after its
// "type = ": C's struct, union and enum bodies (a typedef and the pointers
// and arrays around them resolved at the top, the members named by their
// declarations), function types as their prototype; Go's structs as Go
// declares them. The lines are joined by "\n".
func PType(t *Type) string {
	if t == nil {
		return "void"
	}
	if t.Go {
		return goPType(t)
	}
	if t.Under != "" {
		u := *t
		u.Name, u.Under = t.Under, ""
		t = &u
	}
	return cDecl(t, "", true, 0)
}

// Declaration is a C declaration of name with type t, as a struct member
// or a parameter is declared: "char name[16]", "int (*area)(int)". An
// empty name gives the abstract type: "char *", "int [5]".
func Declaration(t *Type, name string) string {
	if t != nil && t.Go {
		if name == "" {
			return t.Name
		}
		return name + " " + t.Name
	}
	return cDecl(t, name, false, 0)
}

// cDecl declares inner with type t: the declarator is built inside out,
// pointers before, arrays and parameters after. expand writes the body of
// the base struct, union or enum; an anonymous one is always written out.
func cDecl(t *Type, inner string, expand bool, indent int) string {
	if t == nil {
		return join("void", inner)
	}
	if t.Under == "" {
		switch t.Kind {
		case Pointer:
			ptr := "*"
			if t.Qual != "" {
				ptr = "* " + t.Qual
				if inner != "" {
					ptr += " "
				}
			}
			in := ptr + inner
			if t.Elem != nil && (t.Elem.Under == "" && (t.Elem.Kind == Array || t.Elem.Kind == Func)) {
				in = "(" + in + ")"
			}
			return cDecl(t.Elem, in, expand, indent)
		case Array:
			n := ""
			if t.Len > 0 {
				n = fmt.Sprint(t.Len)
			}
			return cDecl(t.Elem, inner+"["+n+"]", expand, indent)
		case Func:
			return cDecl(t.Result, inner+"("+cParams(t)+")", expand, indent)
		}
	}
	return join(cBase(t, expand, indent), inner)
}

// join puts a base type and a declarator together: "char" "*p" is
// "char *p", a declarator that starts with an array or a parameter list
// gets a space before it too ("int [5]", "void (int)").
func join(base, inner string) string {
	if inner == "" {
		return base
	}
	return base + " " + inner
}

// cParams is a function type's parameter list.
func cParams(t *Type) string {
	var ps []string
	for _, p := range t.Params {
		ps = append(ps, cDecl(p, "", false, 0))
	}
	if t.Variadic {
		ps = append(ps, "...")
	}
	if len(ps) == 0 {
		return "void"
	}
	return strings.Join(ps, ", ")
}

// anonymous tells a struct, union or enum without a tag.
func anonymous(t *Type) bool { return strings.HasSuffix(t.Name, "{...}") }

// cBase is the type a declaration starts with: its name, qualified, or
// the body of a struct, union or enum when expanded (or anonymous).
func cBase(t *Type, expand bool, indent int) string {
	name := t.Name
	if t.Qual != "" {
		name = t.Qual + " " + name
	}
	if t.Under != "" || !(expand || anonymous(t)) {
		return name
	}
	head := strings.TrimSuffix(name, " {...}")
	switch t.Kind {
	case Struct, Union:
		return head + " " + cBody(t, indent)
	case Enum:
		return head + " " + enumBody(t)
	}
	return name
}

// cBody is a struct or union's members, one a line, indented by four
// spaces a level as gdb does.
func cBody(t *Type, indent int) string {
	pad := strings.Repeat(" ", 4*(indent+1))
	var b strings.Builder
	b.WriteString("{\n")
	if len(t.Fields) == 0 && t.Size <= 0 {
		b.WriteString(pad + "<incomplete type>\n")
	}
	for _, f := range t.Fields {
		d := cDecl(f.Type, f.Name, false, indent+1)
		if f.BitSize != 0 {
			d += fmt.Sprintf(" : %d", f.BitSize)
		}
		b.WriteString(pad + d + ";\n")
	}
	b.WriteString(strings.Repeat(" ", 4*indent) + "}")
	return b.String()
}

// enumBody is an enum's enumerators in value order, each value written
// where it does not follow from the one before.
func enumBody(t *Type) string {
	vals := make([]int64, 0, len(t.Enumerators))
	for v := range t.Enumerators {
		vals = append(vals, v)
	}
	sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
	var parts []string
	next := int64(0)
	for _, v := range vals {
		p := t.Enumerators[v]
		if v != next {
			p += fmt.Sprintf(" = %d", v)
		}
		parts = append(parts, p)
		next = v + 1
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// goPType renders a Go type: a struct as Go declares it, anything else by
// its name.
func goPType(t *Type) string {
	if t.Kind == Pointer && t.Elem != nil && t.Elem.Kind == Struct && len(t.Elem.Fields) > 0 {
		return "*" + goPType(t.Elem)
	}
	if t.Kind != Struct || len(t.Fields) == 0 {
		return t.Name
	}
	var b strings.Builder
	b.WriteString(t.Name + " struct {\n")
	for _, f := range t.Fields {
		fmt.Fprintf(&b, "    %s %s\n", f.Name, f.Type)
	}
	b.WriteString("}")
	return b.String()
}
