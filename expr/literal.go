package expr

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Floating-point and character constants: 2.5, 1.0e-3, 'x', '\n'. They
// are what set var assigns to a float or a char; elsewhere a character is
// a small integer and a floating-point number is refused where an integer
// is needed.

type (
	floatExpr struct{ v float64 }
	charExpr  struct{ c byte }
)

// String writes the number so that it lexes back as a floating-point
// number: always with a point.
func (e floatExpr) String() string {
	s := strconv.FormatFloat(e.v, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func (e charExpr) String() string {
	switch e.c {
	case '\'', '\\':
		return `'\` + string(e.c) + `'`
	case '\n':
		return `'\n'`
	case '\t':
		return `'\t'`
	}
	if e.c < 0x20 || e.c >= 0x7f {
		return fmt.Sprintf(`'\x%02x'`, e.c)
	}
	return "'" + string(e.c) + "'"
}

// floatEnd finds the end of a floating-point number starting at i:
// digits, a point, digits, and an optional exponent. ok is false when the
// digits at i are an integer (no point follows them).
func floatEnd(rs []rune, i int) (int, bool) {
	j := i
	for j < len(rs) && rs[j] >= '0' && rs[j] <= '9' {
		j++
	}
	if j >= len(rs) || rs[j] != '.' || j+1 >= len(rs) || rs[j+1] < '0' || rs[j+1] > '9' {
		return i, false
	}
	j++
	for j < len(rs) && rs[j] >= '0' && rs[j] <= '9' {
		j++
	}
	if j < len(rs) && (rs[j] == 'e' || rs[j] == 'E') {
		k := j + 1
		if k < len(rs) && (rs[k] == '+' || rs[k] == '-') {
			k++
		}
		if k < len(rs) && rs[k] >= '0' && rs[k] <= '9' {
			for k < len(rs) && rs[k] >= '0' && rs[k] <= '9' {
				k++
			}
			j = k
		}
	}
	return j, true
}

func parseFloat(text string) (Expr, error) {
	v, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return nil, fmt.Errorf("bad number %q", text)
	}
	return floatExpr{v}, nil
}

// charEscapes are the one-letter escapes of C character constants.
var charEscapes = map[rune]byte{'n': '\n', 't': '\t', 'r': '\r', '\\': '\\', '\'': '\'', '"': '"',
	'a': '\a', 'b': '\b', 'f': '\f', 'v': '\v', 'e': 0x1b}

// lexChar reads the character constant at rs[i] (a quote): 'c', '\n',
// '\x41', '\101'. It gives the byte and where the constant ends.
func lexChar(rs []rune, i int) (byte, int, error) {
	bad := fmt.Errorf("bad character constant at %q: write 'c', '\\n', '\\x41' or '\\101'", string(rs[i:min(len(rs), i+6)]))
	j := i + 1
	if j >= len(rs) {
		return 0, 0, bad
	}
	var c byte
	switch {
	case rs[j] == '\\' && j+1 < len(rs):
		e := rs[j+1]
		j += 2
		switch {
		case e == 'x':
			k := j
			for k < len(rs) && k < j+2 && strings.ContainsRune("0123456789abcdefABCDEF", rs[k]) {
				k++
			}
			n, err := strconv.ParseUint(string(rs[j:k]), 16, 8)
			if err != nil {
				return 0, 0, bad
			}
			c, j = byte(n), k
		case e >= '0' && e <= '7':
			k := j - 1
			for k < len(rs) && k < j+2 && rs[k] >= '0' && rs[k] <= '7' {
				k++
			}
			n, err := strconv.ParseUint(string(rs[j-1:k]), 8, 8)
			if err != nil {
				return 0, 0, bad
			}
			c, j = byte(n), k
		default:
			v, ok := charEscapes[e]
			if !ok {
				return 0, 0, bad
			}
			c = v
		}
	case rs[j] != '\'' && rs[j] != '\\' && rs[j] < 0x80:
		c = byte(rs[j])
		j++
	default:
		return 0, 0, bad
	}
	if j >= len(rs) || rs[j] != '\'' {
		return 0, 0, bad
	}
	return c, j + 1, nil
}

// floatVal is a floating-point constant: a double.
func floatVal(v float64) Value {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, math.Float64bits(v))
	return Value{Type: cTypes["double"], Bytes: b}
}

// charVal is a character constant: a char.
func charVal(c byte) Value { return Value{Type: cTypes["char"], Bytes: []byte{c}} }

// Float converts v to a floating-point number: a float or double, or an
// integer of any kind.
func (v Value) Float(s Scope) (float64, error) {
	if v.Type.Kind != KindFloat {
		n, err := v.Int(s)
		if err != nil {
			return 0, err
		}
		if isUnsigned(v.Type) {
			return float64(uint64(n)), nil
		}
		return float64(n), nil
	}
	b, err := v.Load(s)
	if err != nil {
		return 0, err
	}
	switch len(b) {
	case 4:
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(b))), nil
	case 8:
		return math.Float64frombits(binary.LittleEndian.Uint64(b)), nil
	}
	return 0, fmt.Errorf("a %d-byte %s is not a number hwdbg computes with", len(b), v.Type.Name)
}
