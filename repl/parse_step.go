package repl

import (
	"fmt"
	"strconv"
	"strings"
)

// The arguments of the commands that run the program: a repeat count
// (next 3, stepi 4, continue 3), until's location, run's arguments.

// parseCount reads an optional repeat count, 1 without one.
func parseCount(cmd *Command, _, usage string) error {
	cmd.Count = 1
	if len(cmd.Args) == 0 {
		return nil
	}
	if len(cmd.Args) > 1 {
		return fmt.Errorf("%s takes at most a count: %s", cmd.Name, usage)
	}
	n, err := strconv.Atoi(cmd.Args[0])
	if err != nil || n <= 0 {
		return fmt.Errorf("%s: %q is not a count (a number from 1): %s", cmd.Name, truncate(cmd.Args[0], 20), usage)
	}
	cmd.Count = n
	return nil
}

// parseUntil reads until's optional location.
func parseUntil(cmd *Command, _, usage string) error {
	if len(cmd.Args) > 1 {
		return fmt.Errorf("until takes at most one location: %s", usage)
	}
	return nil
}

// parseRun reads run's arguments: the program's new arguments and input.
func parseRun(cmd *Command, _, usage string) error {
	if cmd.Rest == "" {
		return nil
	}
	args, input, err := splitRunArgs(cmd.Rest)
	if err != nil {
		return fmt.Errorf("run: %v (%s)", err, usage)
	}
	cmd.RunArgs, cmd.Input = args, input
	if cmd.RunArgs == nil {
		cmd.RunArgs = []string{}
	}
	return nil
}

// splitRunArgs splits run's arguments into words as a shell does: blanks
// separate them; '...' is taken as it is; "..." keeps blanks and takes
// \", \\, \$ and \` as the character after the backslash; a backslash
// outside quotes takes the next character as it is. An unquoted < FILE
// (or <FILE) gives the program's input; any other redirection is refused,
// as hwdbg runs no shell.
func splitRunArgs(s string) (args []string, input string, err error) {
	var word strings.Builder
	inWord, redirect := false, false
	flush := func() error {
		if !inWord {
			return nil
		}
		w := word.String()
		word.Reset()
		inWord = false
		if redirect {
			if input != "" {
				return fmt.Errorf("the program's input is given twice (< %s, < %s)", input, w)
			}
			input, redirect = w, false
			return nil
		}
		args = append(args, w)
		return nil
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if err := flush(); err != nil {
				return nil, "", err
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, "", fmt.Errorf("a quote (') is not closed")
			}
			word.WriteString(s[i+1 : i+1+j])
			inWord = true
			i += j + 1
		case c == '"':
			end, err := doubleQuoted(s, i+1, &word)
			if err != nil {
				return nil, "", err
			}
			inWord = true
			i = end
		case c == '\\':
			if i+1 < len(s) {
				i++
				word.WriteByte(s[i])
			}
			inWord = true
		case c == '<':
			if err := flush(); err != nil {
				return nil, "", err
			}
			if redirect {
				return nil, "", fmt.Errorf("'<' needs a file name")
			}
			redirect = true
		case strings.IndexByte("<>|&;`$(){}", c) >= 0:
			return nil, "", fmt.Errorf("%q: hwdbg runs the program without a shell, so only < FILE redirects; quote it ('%c') to pass it as it is", c, c)
		default:
			word.WriteByte(c)
			inWord = true
		}
	}
	if err := flush(); err != nil {
		return nil, "", err
	}
	if redirect {
		return nil, "", fmt.Errorf("'<' needs a file name")
	}
	return args, input, nil
}

// doubleQuoted reads a "..." word part from s[from:] into word and returns
// the index of its closing quote.
func doubleQuoted(s string, from int, word *strings.Builder) (int, error) {
	for i := from; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return i, nil
		case c == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0:
			i++
			word.WriteByte(s[i])
		default:
			word.WriteByte(c)
		}
	}
	return 0, fmt.Errorf("a quote (\") is not closed")
}

// quoteArgs renders a program's arguments for "Starting program: ...",
// quoting those that a shell would split.
func quoteArgs(args []string) string {
	out := make([]string, 0, len(args))
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, " \t'\"\\<>|&;`$(){}") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out = append(out, a)
	}
	return strings.Join(out, " ")
}
