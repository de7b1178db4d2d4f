package repl

import (
	"fmt"
	"os"
	"strings"

	"github.com/go-delve/liner"
)

// askYesNo asks question at the prompt until the answer is y or n, as
// gdb's queries do; Ctrl-C or the end of input is no. The lines of a
// question but its last are printed before the prompt.
func askYesNo(ln *liner.State, question string) bool {
	if i := strings.LastIndexByte(question, '\n'); i >= 0 {
		fmt.Fprintln(os.Stdout, question[:i])
		question = question[i+1:]
	}
	for {
		a, err := ln.Prompt(question + " (y or n) ")
		if err != nil {
			fmt.Fprintln(os.Stdout, "[answered N; no answer]")
			return false
		}
		if yes, known := yesNo(a); known {
			return yes
		}
		fmt.Fprintln(os.Stdout, "Please answer y or n.")
	}
}

// yesNo reads an answer: y or yes, n or no (known false for others).
func yesNo(a string) (yes, known bool) {
	switch strings.ToLower(strings.TrimSpace(a)) {
	case "y", "yes":
		return true, true
	case "n", "no":
		return false, true
	}
	return false, false
}

// confirmDeleteAll asks before delete with no argument deletes every
// watch/breakpoint, at the prompt and when there is any; a script is not
// asked.
func (s *Session) confirmDeleteAll() bool {
	if s.confirm == nil || len(s.d.SortedWatchpoints()) == 0 {
		return true
	}
	return s.confirm("Delete all watchpoints and breakpoints?")
}
