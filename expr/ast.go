// Package expr is the expression language of watch, print, x and
// conditions: C-like expressions over variables, symbols, registers and
// integer constants, parsed into a tree and evaluated in a Scope (the
// thread, frame and memory of a stopped program) the caller provides. It
// reads the program only through its Scope: it knows no process, thread or
// ptrace.
package expr

import (
	"fmt"
	"strings"
)

// Expr is a parsed expression. Its String is the expression in a canonical
// form that parses back to the same tree.
type Expr interface{ String() string }

type (
	numExpr   struct{ v uint64 }
	nameExpr  struct{ name string }
	regExpr   struct{ name string }
	hitsExpr  struct{} // $hits: the hit count of the watch- or breakpoint whose condition it is
	unaryExpr struct {
		op string
		x  Expr
	}
	binaryExpr struct {
		op   string
		x, y Expr
	}
	castExpr struct {
		typ string // the type as written, e.g. "unsigned int*"
		x   Expr
	}
	indexExpr struct{ x, i Expr }
	fieldExpr struct {
		x     Expr
		name  string
		arrow bool
	}
)

func (e numExpr) String() string  { return fmt.Sprintf("%#x", e.v) }
func (e nameExpr) String() string { return e.name }
func (e regExpr) String() string  { return "$" + e.name }
func (hitsExpr) String() string   { return "$" + hitsName }
func (e unaryExpr) String() string {
	x := e.x.String()
	if strings.ContainsAny(x[:1], "&*-!") {
		return e.op + " " + x // "& &x" must not print as "&&x"
	}
	return e.op + x
}
func (e binaryExpr) String() string {
	return "(" + e.x.String() + " " + e.op + " " + e.y.String() + ")"
}
func (e castExpr) String() string  { return "(" + e.typ + ")" + e.x.String() }
func (e indexExpr) String() string { return operand(e.x) + "[" + e.i.String() + "]" }
func (e fieldExpr) String() string {
	if e.arrow {
		return operand(e.x) + "->" + e.name
	}
	return operand(e.x) + "." + e.name
}

// operand prints the operand of a postfix operator ([], ., ->), which
// binds tighter than a prefix one: ((char*)p)[1] is not (char*)p[1].
func operand(x Expr) string {
	switch x.(type) {
	case unaryExpr, castExpr:
		return "(" + x.String() + ")"
	}
	return x.String()
}

// IsName tells whether e is a plain name (a variable or a symbol).
func IsName(e Expr) bool {
	_, ok := e.(nameExpr)
	return ok
}

// dottedName is "a.b.c" when e is a chain of plain names joined by '.'
// (a Go package path such as main.counter), "" otherwise.
func dottedName(e Expr) string {
	switch e := e.(type) {
	case nameExpr:
		return e.name
	case fieldExpr:
		if !e.arrow {
			if base := dottedName(e.x); base != "" {
				return base + "." + e.name
			}
		}
	}
	return ""
}
