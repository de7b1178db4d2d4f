package debuginfo

import (
	"fmt"
	"strings"
)

func readCString(mem Memory, addr uint64, max int) (string, bool, error) {
	var out []byte
	chunk := make([]byte, 64)
	for len(out) < max {
		if err := mem.ReadMemory(addr+uint64(len(out)), chunk); err != nil {
			// Maybe the string ends before an unmapped page: go byte-wise.
			one := chunk[:1]
			if err := mem.ReadMemory(addr+uint64(len(out)), one); err != nil {
				if len(out) == 0 {
					return "", false, err
				}
				return string(out), false, nil
			}
			if one[0] == 0 {
				return string(out), false, nil
			}
			out = append(out, one[0])
			continue
		}
		if i := strings.IndexByte(string(chunk), 0); i >= 0 {
			return string(append(out, chunk[:i]...)), false, nil
		}
		out = append(out, chunk...)
	}
	return string(out[:max]), true, nil
}

// cQuote quotes s as a C string literal, GDB style.
func cQuote(s string) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for i := 0; i < len(s); i++ {
		sb.WriteString(cEscape(s[i], '"'))
	}
	sb.WriteByte('"')
	return sb.String()
}

func cChar(c byte) string { return "'" + cEscape(c, '\'') + "'" }

func cEscape(c byte, quote byte) string {
	switch c {
	case '\n':
		return `\n`
	case '\t':
		return `\t`
	case '\r':
		return `\r`
	case '\\':
		return `\\`
	case 0:
		return `\000`
	case quote:
		return `\` + string(quote)
	}
	if c < 0x20 || c >= 0x7f {
		return fmt.Sprintf(`\%03o`, c)
	}
	return string(c)
}

// cArray renders a char array as GDB does: the whole array, less one
// trailing NUL, with runs of more than ten equal bytes as
// "'c' <repeats N times>".
func cArray(b []byte, truncated bool) string {
	if !truncated && len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	if len(b) == 0 {
		return `""`
	}
	var parts []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			parts = append(parts, `"`+cur.String()+`"`)
			cur.Reset()
		}
	}
	for i := 0; i < len(b); {
		j := i + 1
		for j < len(b) && b[j] == b[i] {
			j++
		}
		if j-i > 10 {
			flush()
			parts = append(parts, fmt.Sprintf("%s <repeats %d times>", cChar(b[i]), j-i))
		} else {
			for k := i; k < j; k++ {
				cur.WriteString(cEscape(b[k], '"'))
			}
		}
		i = j
	}
	flush()
	s := strings.Join(parts, ", ")
	if truncated {
		s += "..."
	}
	return s
}
