package repl

import (
	"fmt"
	"strconv"
	"strings"

	"hwdbg/debugger"
)

// The results of the commands that read memory and code: x, disassemble.

// instructions is disassemble and x/i: decoded instructions, the current
// pc marked.
type instructions struct {
	PC    uint64
	Insns []debugger.Instruction
}

func (r instructions) text() []string {
	var lines []string
	for _, in := range r.Insns {
		mark := "  "
		if in.At.PC == r.PC {
			mark = "=>"
		}
		text := in.Text
		if in.TargetName != "" {
			text += " <" + in.TargetName + ">"
		}
		lines = append(lines, fmt.Sprintf("%s %#x <%s>:\t%s", mark, in.At.PC, in.At.Describe(), text))
	}
	return lines
}

func (r instructions) data() map[string]any {
	var rows []any
	for _, in := range r.Insns {
		row := map[string]any{"pc": hex(in.At.PC), "func": in.At.Func, "offset": in.At.Offset, "insn": in.Text}
		if in.Target != 0 {
			row["target"] = hex(in.Target)
			row["target_name"] = in.TargetName
		}
		rows = append(rows, row)
	}
	return map[string]any{"instructions": rows}
}

// memString is x/s: the string at Addr.
type memString struct {
	Addr  uint64
	Value string
}

func (r memString) text() []string { return []string{fmt.Sprintf("%#x: %q", r.Addr, r.Value)} }

func (r memString) data() map[string]any {
	return map[string]any{"addr": hex(r.Addr), "value": r.Value}
}

// memory is x/NFU in the formats x d u o t c a: Words units of Unit bytes
// from Addr.
type memory struct {
	Addr   uint64
	Unit   int
	Format byte
	Words  []uint64
	// Syms locates the addresses shown with their symbol: each line's
	// start, and each word in format a.
	Syms map[uint64]debugger.Location
}

// perLine is how many units a line of text shows.
func (r memory) perLine() int {
	if r.Format == 'c' {
		return 8
	}
	return 16 / r.Unit
}

// lineStarts are the addresses the lines of text begin at.
func (r memory) lineStarts() []uint64 {
	var starts []uint64
	for i := 0; i < len(r.Words); i += r.perLine() {
		starts = append(starts, r.Addr+uint64(i*r.Unit))
	}
	return starts
}

func (r memory) values() []string {
	var vals []string
	for _, u := range r.Words {
		switch r.Format {
		case 'a':
			vals = append(vals, hex(u)+symSuffix(r.Syms[u]))
		case 'x':
			vals = append(vals, fmt.Sprintf("0x%0*x", 2*r.Unit, u))
		default:
			vals = append(vals, formatInt(u, r.Format, r.Unit))
		}
	}
	return vals
}

func (r memory) text() []string {
	vals := r.values()
	var lines []string
	for i, start := range r.lineStarts() {
		end := min((i+1)*r.perLine(), len(vals))
		lines = append(lines, fmt.Sprintf("%#x%s:\t%s", start, symSuffix(r.Syms[start]), strings.Join(vals[i*r.perLine():end], "\t")))
	}
	return lines
}

func (r memory) data() map[string]any {
	return map[string]any{"addr": hex(r.Addr), "unit": r.Unit, "format": string(r.Format), "values": r.values()}
}

// formatInt writes u, an integer of size bytes, in print's and x's
// format f (x o t u c; d or none: signed decimal).
func formatInt(u uint64, f byte, size int) string {
	if size > 0 && size < 8 {
		u &= 1<<(8*uint(size)) - 1
	}
	switch f {
	case 'x':
		return fmt.Sprintf("%#x", u)
	case 'o':
		return fmt.Sprintf("%#o", u)
	case 't':
		return strconv.FormatUint(u, 2)
	case 'u':
		return strconv.FormatUint(u, 10)
	case 'c':
		return fmt.Sprintf("%d %q", u, rune(u&0xff))
	}
	if size > 0 && size < 8 {
		shift := 64 - 8*uint(size)
		return strconv.FormatInt(int64(u<<shift)>>shift, 10)
	}
	return strconv.FormatInt(int64(u), 10)
}
