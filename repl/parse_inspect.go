package repl

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The argument parsers of the inspection commands (list, ptype, whatis,
// set var, display, undisplay, echo), their aliases and info subcommands.

func init() {
	for k, v := range map[string]string{"l": "list", "disp": "display", "undisp": "undisplay"} {
		aliases[k] = v
	}
	for k, v := range map[string]string{"locals": "info locals", "args": "info args", "frame": "info frame",
		"f": "info frame", "display": "info display"} {
		infoSubs[k] = v
	}
}

// setSubs are the words after set that name set var.
var setSubs = map[string]bool{"var": true, "variable": true}

// parseSetWord turns "set var X = Y" (and gdb's "set X = Y") into the
// command set var, its Rest the assignment.
func parseSetWord(cmd *Command, rest string) error {
	if len(cmd.Args) == 0 {
		return fmt.Errorf("set what? set var NAME = VALUE")
	}
	cmd.Name = "set var"
	if setSubs[cmd.Args[0]] {
		cmd.Rest = strings.TrimSpace(strings.TrimPrefix(rest, cmd.Args[0]))
		cmd.Args = cmd.Args[1:]
		return nil
	}
	if !strings.Contains(rest, "=") {
		return fmt.Errorf("unknown set subcommand %q: to assign, set var NAME = VALUE", truncate(cmd.Args[0], 20))
	}
	return nil
}

// infoList is the info subcommands, for messages.
func infoList() string {
	var names []string
	for _, c := range commands {
		if strings.HasPrefix(c.name, "info ") {
			names = append(names, c.name)
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// parseSetVar checks that set var has an assignment.
func parseSetVar(cmd *Command, _, usage string) error {
	if !strings.Contains(cmd.Rest, "=") {
		return fmt.Errorf("set var needs an assignment: %s", usage)
	}
	return nil
}

// needExpr refuses a command without its expression (ptype, whatis).
func needExpr(cmd *Command, _, usage string) error {
	if cmd.Rest == "" {
		return fmt.Errorf("%s needs an expression or a type: %s", cmd.Name, usage)
	}
	return nil
}

// parseDisplay reads display's /F (as print's) and its optional
// expression.
func parseDisplay(cmd *Command, suffix, usage string) error {
	if suffix == "" {
		return nil
	}
	if len(suffix) != 1 || !strings.ContainsRune("xduotc", rune(suffix[0])) {
		return fmt.Errorf("bad display format %q: use x, d, u, o, t or c", "/"+suffix)
	}
	cmd.Format = suffix[0]
	if cmd.Rest == "" {
		return fmt.Errorf("display/%s needs an expression: %s", suffix, usage)
	}
	return nil
}

// parseUndisplay reads undisplay's display numbers (none: all).
func parseUndisplay(cmd *Command, _, usage string) error {
	for _, a := range cmd.Args {
		if !isID(a) {
			return fmt.Errorf("undisplay: %q is not a display number (see info display)", truncate(a, 20))
		}
	}
	return nil
}

// listArg is what list was asked for.
type listArg struct {
	kind     byte   // 0: continue or around the frame, '-': before, 'f': function, 'l': a line, 'r': a range
	name     string // the function, or the file of a line
	from, to int
}

// parseListArg reads list's argument: nothing, "-", LINE, FILE:LINE,
// FUNC, or FIRST,LAST.
func parseListArg(s string) (listArg, error) {
	s = strings.TrimSpace(s)
	usage := "list [FUNC|FILE:LINE|LINE|FIRST,LAST|-]"
	switch {
	case s == "":
		return listArg{}, nil
	case s == "-":
		return listArg{kind: '-'}, nil
	case strings.Contains(s, ","):
		a, b, _ := strings.Cut(s, ",")
		from, err1 := strconv.Atoi(strings.TrimSpace(a))
		to, err2 := strconv.Atoi(strings.TrimSpace(b))
		if err1 != nil || err2 != nil || from <= 0 || to < from {
			return listArg{}, fmt.Errorf("list %q: a range is FIRST,LAST, two line numbers in order: %s", truncate(s, 30), usage)
		}
		return listArg{kind: 'r', from: from, to: to}, nil
	case strings.ContainsAny(s, " \t"):
		return listArg{}, fmt.Errorf("list takes one location: %s", usage)
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 {
			return listArg{}, fmt.Errorf("list %d: lines count from 1", n)
		}
		return listArg{kind: 'l', from: n}, nil
	}
	if i := strings.LastIndexByte(s, ':'); i > 0 && s[i-1] != ':' {
		n, err := strconv.Atoi(s[i+1:])
		if err != nil || n <= 0 {
			return listArg{}, fmt.Errorf("list %q: the line after ':' must be a number from 1: %s", truncate(s, 30), usage)
		}
		return listArg{kind: 'l', name: s[:i], from: n}, nil
	}
	return listArg{kind: 'f', name: s}, nil
}

// parseList checks list's argument.
func parseList(cmd *Command, _, _ string) error {
	_, err := parseListArg(cmd.Rest)
	return err
}

// unescapeEcho reads echo's text as gdb does: C escapes (\n \t \\ \" \a
// \b \f \r \v \e, \NNN octal), a backslash before anything else stands
// for that character ("\ " is a space), a lone backslash at the end is
// dropped.
func unescapeEcho(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(s) {
			break
		}
		i++
		e := s[i]
		if e >= '0' && e <= '7' {
			j := i
			for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
				j++
			}
			n, _ := strconv.ParseUint(s[i:j], 8, 16)
			b.WriteByte(byte(n))
			i = j - 1
			continue
		}
		if r, ok := echoEscapes[e]; ok {
			b.WriteByte(r)
		} else {
			b.WriteByte(e)
		}
	}
	return b.String()
}

var echoEscapes = map[byte]byte{'n': '\n', 't': '\t', 'a': '\a', 'b': '\b', 'f': '\f', 'r': '\r', 'v': '\v', 'e': 0x1b}
