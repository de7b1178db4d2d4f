package repl

import (
	"fmt"
	"strings"
)

// CommandSummary is the command table in one line a command, for hwdbg
// --help: the command's name and the first clause of its help.
func CommandSummary() []string {
	lines := make([]string, 0, len(commands))
	for _, c := range commands {
		lines = append(lines, fmt.Sprintf("  %-18s %s", c.name, firstClause(c.help)))
	}
	return lines
}

// firstClause is help up to its first "; " outside parentheses (a help
// text's later clauses are its details), or all of it.
func firstClause(help string) string {
	depth := 0
	for i := 0; i < len(help); i++ {
		switch help[i] {
		case '(':
			depth++
		case ')':
			if depth > 0 {
				depth--
			}
		case ';':
			if depth == 0 && strings.HasPrefix(help[i:], "; ") {
				return help[:i]
			}
		}
	}
	return help
}
