package expr

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// The grammar:
//
//	expr    = or
//	or      = and { "||" and }
//	and     = bitand { "&&" bitand }
//	bitand  = cmp { "&" cmp }               (C's precedence: x & 4 == 4 is x & (4 == 4))
//	cmp     = add [ ("=="|"!="|"<"|"<="|">"|">=") add ]
//	add     = mul { ("+"|"-") mul }
//	mul     = unary { ("*"|"/"|"%") unary }
//	unary   = ("&"|"*"|"-"|"!") unary | "(" TYPE ")" unary | postfix
//	postfix = primary { "[" expr "]" | "." name | "->" name }
//	primary = number | float | 'c' | name | "$hits" | "$" register | "(" expr ")"
//
// A '/' between two names with no space around it, followed further on by
// '.', is a Go import path (net/http.DefaultClient); anywhere else it
// divides.

// Parse parses s. It never panics; errors say where the problem is.
func Parse(s string) (Expr, error) {
	toks, err := lexExpr(s)
	if err != nil {
		return nil, err
	}
	p := &exprParser{toks: toks}
	e, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		if p.isOp("=") {
			return nil, fmt.Errorf("'=' assigns, which only set var and print do; compare with '==': %q", s)
		}
		return nil, fmt.Errorf("unexpected %q in expression %q", p.toks[p.pos].text, s)
	}
	if err := checkDivisors(e); err != nil {
		return nil, err
	}
	return e, nil
}

type token struct {
	kind byte // 'n' number, 'f' floating-point number, 'c' character, 'i' name, '$' register, 'o' operator
	text string
}

func isNameStart(r rune) bool { return r == '_' || unicode.IsLetter(r) }
func isNameChar(r rune) bool  { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

func lexExpr(s string) ([]token, error) {
	var toks []token
	rs := []rune(s)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case unicode.IsDigit(r):
			if j, ok := floatEnd(rs, i); ok {
				toks = append(toks, token{'f', string(rs[i:j])})
				i = j
				continue
			}
			j := i
			for j < len(rs) && (isNameChar(rs[j])) {
				j++
			}
			toks = append(toks, token{'n', string(rs[i:j])})
			i = j
		case r == '\'':
			c, j, err := lexChar(rs, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{'c', string(rune(c))})
			i = j
		case isNameStart(r):
			// Names may carry C++ scopes (a::b) and Go package paths
			// (net/http.Client is not supported here; main.x is a name
			// the evaluator splits).
			j := i
			for j < len(rs) {
				if isNameChar(rs[j]) {
					j++
				} else if rs[j] == ':' && j+2 < len(rs) && rs[j+1] == ':' && isNameStart(rs[j+2]) {
					j += 2
				} else if rs[j] == '/' && importPath(rs, j) {
					j++ // a Go import path: net/http.DefaultClient
				} else {
					break
				}
			}
			toks = append(toks, token{'i', string(rs[i:j])})
			i = j
		case r == '$':
			j := i + 1
			for j < len(rs) && isNameChar(rs[j]) {
				j++
			}
			if j == i+1 {
				return nil, fmt.Errorf("'$' must be followed by a register name")
			}
			toks = append(toks, token{'$', string(rs[i+1 : j])})
			i = j
		default:
			two := ""
			if i+1 < len(rs) {
				two = string(rs[i : i+2])
			}
			switch two {
			case "==", "!=", "<=", ">=", "&&", "||", "->":
				toks = append(toks, token{'o', two})
				i += 2
				continue
			}
			if strings.ContainsRune("&*/%+-!()[].<>=", r) {
				toks = append(toks, token{'o', string(r)})
				i++
				continue
			}
			return nil, fmt.Errorf("unexpected character %q in expression", r)
		}
	}
	return toks, nil
}

type exprParser struct {
	toks []token
	pos  int
}

const maxExprDepth = 200

func (p *exprParser) peek() token {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return token{}
}

func (p *exprParser) isOp(s string) bool {
	t := p.peek()
	return t.kind == 'o' && t.text == s
}

func (p *exprParser) or(depth int) (Expr, error) {
	return p.binary(depth, []string{"||"}, p.and)
}

func (p *exprParser) and(depth int) (Expr, error) {
	return p.binary(depth, []string{"&&"}, p.bitAnd)
}

// bitAnd is a mask: "&" between operands (before one it takes an address).
func (p *exprParser) bitAnd(depth int) (Expr, error) {
	return p.binary(depth, []string{"&"}, p.cmp)
}

func (p *exprParser) cmp(depth int) (Expr, error) {
	x, err := p.add(depth)
	if err != nil {
		return nil, err
	}
	for _, op := range []string{"==", "!=", "<=", ">=", "<", ">"} {
		if p.isOp(op) {
			p.pos++
			y, err := p.add(depth)
			if err != nil {
				return nil, err
			}
			return binaryExpr{op, x, y}, nil
		}
	}
	return x, nil
}

func (p *exprParser) add(depth int) (Expr, error) {
	return p.binary(depth, []string{"+", "-"}, p.mul)
}

func (p *exprParser) mul(depth int) (Expr, error) {
	return p.binary(depth, []string{"*", "/", "%"}, p.unary)
}

func (p *exprParser) binary(depth int, ops []string, next func(int) (Expr, error)) (Expr, error) {
	x, err := next(depth)
	if err != nil {
		return nil, err
	}
	for {
		matched := ""
		for _, op := range ops {
			if p.isOp(op) {
				matched = op
			}
		}
		if matched == "" {
			return x, nil
		}
		p.pos++
		y, err := next(depth)
		if err != nil {
			return nil, err
		}
		x = binaryExpr{matched, x, y}
	}
}

func (p *exprParser) unary(depth int) (Expr, error) {
	if depth > maxExprDepth {
		return nil, fmt.Errorf("expression nested too deeply")
	}
	t := p.peek()
	if t.kind == 'o' {
		switch t.text {
		case "&", "*", "-", "!":
			p.pos++
			x, err := p.unary(depth + 1)
			if err != nil {
				return nil, err
			}
			return unaryExpr{t.text, x}, nil
		case "(":
			if typ, n, ok := p.castAhead(); ok {
				p.pos += n
				x, err := p.unary(depth + 1)
				if err != nil {
					return nil, err
				}
				return castExpr{typ, x}, nil
			}
		}
	}
	return p.postfix(depth)
}

// castAhead recognizes "(" type-words {"*"} ")" at the current position.
// A parenthesized single name is a cast only if it names a known type or
// is followed by '*', so "(x)" stays an expression.
func (p *exprParser) castAhead() (string, int, bool) {
	i := p.pos + 1
	var words []string
	for i < len(p.toks) && p.toks[i].kind == 'i' {
		words = append(words, p.toks[i].text)
		i++
	}
	if len(words) == 0 {
		return "", 0, false
	}
	stars := 0
	for i < len(p.toks) && p.toks[i].kind == 'o' && p.toks[i].text == "*" {
		stars++
		i++
	}
	if i >= len(p.toks) || p.toks[i].kind != 'o' || p.toks[i].text != ")" {
		return "", 0, false
	}
	base := strings.Join(words, " ")
	_, known := lookupCType(base)
	if !known && stars == 0 && len(words) == 1 {
		return "", 0, false
	}
	return base + strings.Repeat("*", stars), i + 1 - p.pos, true
}

func (p *exprParser) postfix(depth int) (Expr, error) {
	x, err := p.primary(depth)
	if err != nil {
		return nil, err
	}
	for {
		switch {
		case p.isOp("["):
			p.pos++
			i, err := p.or(depth + 1)
			if err != nil {
				return nil, err
			}
			if !p.isOp("]") {
				return nil, fmt.Errorf("missing ']'")
			}
			p.pos++
			x = indexExpr{x, i}
		case p.isOp(".") || p.isOp("->"):
			arrow := p.isOp("->")
			p.pos++
			t := p.peek()
			if t.kind != 'i' {
				return nil, fmt.Errorf("a field name must follow '.' or '->'")
			}
			p.pos++
			x = fieldExpr{x, t.text, arrow}
		default:
			return x, nil
		}
	}
}

func (p *exprParser) primary(depth int) (Expr, error) {
	t := p.peek()
	switch t.kind {
	case 'n':
		p.pos++
		v, err := strconv.ParseUint(t.text, 0, 64)
		if err != nil {
			return nil, fmt.Errorf("bad number %q", t.text)
		}
		return numExpr{v}, nil
	case 'i':
		p.pos++
		return nameExpr{t.text}, nil
	case 'f':
		p.pos++
		return parseFloat(t.text)
	case 'c':
		p.pos++
		return charExpr{byte([]rune(t.text)[0])}, nil
	case '$':
		p.pos++
		if strings.EqualFold(t.text, hitsName) {
			return hitsExpr{}, nil
		}
		return regExpr{strings.ToLower(t.text)}, nil
	case 'o':
		if t.text == "(" {
			p.pos++
			x, err := p.or(depth + 1)
			if err != nil {
				return nil, err
			}
			if !p.isOp(")") {
				return nil, fmt.Errorf("missing ')'")
			}
			p.pos++
			return x, nil
		}
		return nil, fmt.Errorf("unexpected %q", t.text)
	}
	return nil, fmt.Errorf("expression ends too soon")
}

// importPath tells whether the '/' at rs[i] joins the segments of a Go
// import path: a name right before and after it, and, after the names
// and slashes that follow, a '.' and a name (net/http.DefaultClient,
// example.com/pkg.limit). Otherwise it divides: total/count.
func importPath(rs []rune, i int) bool {
	if i == 0 || !isNameChar(rs[i-1]) || i+1 >= len(rs) || !isNameStart(rs[i+1]) {
		return false
	}
	j := i + 1
	for j < len(rs) && (isNameChar(rs[j]) || rs[j] == '/' && j+1 < len(rs) && isNameStart(rs[j+1])) {
		j++
	}
	return j+1 < len(rs) && rs[j] == '.' && isNameStart(rs[j+1])
}
