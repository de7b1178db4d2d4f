package repl

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// linePrompt is the prompt when standard input is a terminal but standard
// output is not (hwdbg --json PROGRAM | jq .): what hwdbg writes on its
// output is for the reader of the pipe, so the prompt and the questions go
// to w (standard error, the terminal), and lines are read as the terminal
// gives them, without the line editor (which needs a terminal on both
// sides).
func (s *Session) linePrompt(run func(string) bool, in io.Reader, w io.Writer) {
	r := bufio.NewReader(in)
	read := func(prompt string) (string, bool) {
		fmt.Fprint(w, prompt)
		line, err := r.ReadString('\n')
		if err != nil && line == "" {
			return "", false
		}
		return strings.TrimRight(line, "\r\n"), true
	}
	s.confirm = func(q string) bool {
		if i := strings.LastIndexByte(q, '\n'); i >= 0 {
			fmt.Fprintln(w, q[:i])
			q = q[i+1:]
		}
		for {
			a, ok := read(q + " (y or n) ")
			if !ok {
				fmt.Fprintln(w, "[answered N; no answer]")
				return false
			}
			if yes, known := yesNo(a); known {
				return yes
			}
			fmt.Fprintln(w, "Please answer y or n.")
		}
	}
	defer func() { s.confirm = nil }()
	for !s.done {
		prompt := "(hwdbg) "
		if s.InBlock() {
			prompt = ">"
		}
		line, ok := read(prompt)
		if !ok { // EOF (Ctrl-D)
			fmt.Fprintln(w)
			s.EndInput()
			return
		}
		if !run(line) {
			return
		}
	}
}
