package expr

import "strings"

// TypeOf is what ptype and whatis take: a type's name ("struct node",
// "unsigned long", "point_t *") or an expression, whose type it gives. A
// name that is both is the expression's, as in gdb; a name found nowhere
// as a variable is looked for as a type.
func TypeOf(src string, s Scope) (*Type, error) {
	src = strings.TrimSpace(src)
	ev := newEvaluator(s)
	if looksLikeType(src) {
		var words []string
		for _, w := range strings.Fields(strings.ReplaceAll(src, "*", " * ")) {
			if w != "const" && w != "volatile" {
				words = append(words, w)
			}
		}
		return ev.resolveType(strings.ReplaceAll(strings.Join(words, " "), " *", "*"))
	}
	e, err := Parse(src)
	if err != nil {
		if t, terr := ev.resolveType(src); terr == nil {
			return t, nil
		}
		return nil, err
	}
	v, err := ev.eval(e)
	if err != nil {
		// Not a value: a type's name (point_t, main.Point)?
		if t, terr := ev.resolveType(src); terr == nil {
			return t, nil
		}
		return nil, err
	}
	return v.Type, nil
}

// looksLikeType tells a type's name from an expression by its first word:
// a struct, union, enum or class tag, or a C scalar type.
func looksLikeType(src string) bool {
	f := strings.Fields(strings.TrimRight(src, "* "))
	if len(f) == 0 {
		return false
	}
	switch f[0] {
	case "struct", "union", "enum", "class", "const", "volatile":
		return true
	}
	_, ok := lookupCType(strings.Join(f, " "))
	return ok
}
