package main

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"hwdbg/debugger"
)

// stdioChoice is what the command line says of the program's standard
// input, output and error.
type stdioChoice struct {
	tty         string // --tty PATH: all three on PATH
	output      string // --program-output FILE: output and error into FILE
	json        bool   // --json: our standard output is for events only
	interactive bool   // our standard input is a terminal (else a script, for us)
}

// programStdio decides where a program hwdbg starts reads and writes.
// Its input is our terminal, never a script on our standard input (that
// is for us: the program gets /dev/null). Its output is ours, except with
// --json on a standard output that is not a terminal: there the JSON
// lines are read by a program (jq, a script) and only they may be on it,
// so the program's output goes to our standard error.
func programStdio(c stdioChoice, stdin *os.File, stdout, stderr io.Writer) (debugger.Stdio, error) {
	var s debugger.Stdio
	if c.interactive {
		s.In = stdin
	}
	switch {
	case c.tty != "":
		f, err := os.OpenFile(c.tty, os.O_RDWR|unix.O_NOCTTY, 0)
		if err != nil {
			return s, fmt.Errorf("--tty %s: %w", c.tty, unwrapPath(err))
		}
		s.In, s.Out, s.Err = f, f, f
	case c.output != "":
		f, err := os.OpenFile(c.output, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return s, fmt.Errorf("--program-output %s: %w", c.output, unwrapPath(err))
		}
		s.Out, s.Err = f, f
	case c.json:
		if out, ok := stdout.(*os.File); ok && !isTerminal(out) {
			if errOut, ok := stderr.(*os.File); ok {
				s.Out = errOut
			}
		}
	}
	return s, nil
}

// unwrapPath drops the *PathError's repetition of the path and the
// operation: "no such file or directory".
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
