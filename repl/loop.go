package repl

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/go-delve/liner"
)

// Options say where commands come from.
type Options struct {
	Init        string   // the init file (InitFile), run first; "" for none (-nx)
	Files       []string // -x FILE, run after the init file
	Cmds        []string // -ex CMD, run after the files
	Batch       bool     // no prompt even on a terminal
	Interactive bool     // standard input is a terminal
	In          io.Reader
	// PromptTo, when standard input is a terminal and standard output is
	// not, is where the prompt goes (standard error): see linePrompt.
	PromptTo io.Writer
}

// Exit statuses (SPEC): 0 every command succeeded, 1 a scripted command
// failed, 2 a usage error.
const (
	ExitOK     = 0
	ExitFailed = 1
	ExitUsage  = 2
)

// Run runs the session's commands and returns the exit status. When
// commands run out, the program is killed (if we started it) or detached.
func (s *Session) Run(opt Options) int {
	stopSig := s.watchInterrupts()
	defer stopSig()
	defer s.Close()

	scripted := opt.Batch || !opt.Interactive
	s.live = !scripted && !s.out.json && terminal(s.out.w.w)
	status := ExitOK
	run := func(line string) bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		err := s.Execute(line)
		if err == errQuit {
			return false
		}
		if werr := s.out.w.err; werr != nil {
			// Nobody can read what we say: end the session the clean way
			// (Close, deferred), with a line where one may still be seen.
			fmt.Fprintf(os.Stderr, "hwdbg: cannot write the output (%v): ending the session\n", werr)
			status = ExitFailed
			return false
		}
		if err != nil && scripted {
			status = ExitFailed
			return false
		}
		return !s.done
	}
	if opt.Init != "" && !s.runInit(opt.Init) {
		return status
	}
	for _, f := range opt.Files {
		b, err := os.ReadFile(f)
		if err != nil {
			s.out.error("-x", fmt.Errorf("cannot read command file: %w", err))
			return ExitFailed
		}
		for _, line := range strings.Split(string(b), "\n") {
			if !run(line) {
				return status
			}
		}
	}
	for _, c := range opt.Cmds {
		if !run(c) {
			return status
		}
	}
	if scripted {
		sc := bufio.NewScanner(opt.In)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			if !run(sc.Text()) {
				return status
			}
		}
		if err := sc.Err(); err != nil {
			s.out.error("", fmt.Errorf("reading commands: %w", err))
			return ExitFailed
		}
		if s.EndInput() != nil {
			return ExitFailed
		}
		return status
	}
	if opt.PromptTo != nil {
		s.linePrompt(run, opt.In, opt.PromptTo)
		return status
	}
	s.prompt(run)
	return status
}

// watchInterrupts turns Ctrl-C into an interrupt of the running program;
// hwdbg itself is not killed by it. SIGTERM, SIGHUP, SIGQUIT (Ctrl-\) and
// SIGPIPE (our output's reader went away) end the session the clean way:
// the program is stopped, then killed or detached with our slots cleared,
// never left stopped or armed. (Go's default for SIGQUIT and SIGPIPE is to
// die on the spot, which left an attached program to die of SIGTRAP at its
// next watched write.)
func (s *Session) watchInterrupts() func() {
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGPIPE)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case sig := <-ch:
				if sig != syscall.SIGINT {
					s.d.Interrupt()
					s.mu.Lock() // the running command returns after the interrupt
					s.Close()
					os.Exit(ExitFailed)
				}
				// A program we started shares our terminal and gets the
				// SIGINT itself, which stops it; give it a moment before
				// interrupting it ourselves (as for an attached one).
				if run, ok := s.d.Running(); ok {
					time.AfterFunc(100*time.Millisecond, func() { s.d.InterruptRun(run) })
				}
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}

func historyPath() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".hwdbg_history")
}

// prompt is the interactive loop: liner with history and completion.
func (s *Session) prompt(run func(string) bool) {
	ln := liner.NewLiner()
	defer ln.Close()
	ln.SetCtrlCAborts(true)
	ln.SetTabCompletionStyle(liner.TabPrints)
	ln.SetCompleter(s.complete)
	s.confirm = func(q string) bool { return askYesNo(ln, q) }
	defer func() { s.confirm = nil }()
	hist := historyPath()
	if f, err := os.Open(hist); err == nil {
		ln.ReadHistory(f)
		f.Close()
	}
	defer func() {
		if hist == "" {
			return
		}
		if f, err := os.Create(hist); err == nil {
			ln.WriteHistory(f)
			f.Close()
		}
	}()
	last := ""
	for !s.done {
		prompt := "(hwdbg) "
		if s.InBlock() {
			prompt = ">"
		}
		line, err := ln.Prompt(prompt)
		if errors.Is(err, liner.ErrPromptAborted) {
			continue
		}
		if err != nil { // EOF (Ctrl-D)
			fmt.Fprintln(os.Stdout)
			s.EndInput()
			return
		}
		if strings.TrimSpace(line) == "" && !s.InBlock() {
			// An empty line repeats stepping commands, as in gdb.
			if repeats(last) {
				line = last
			} else {
				continue
			}
		} else {
			ln.AppendHistory(line)
		}
		last = strings.TrimSpace(line)
		if !run(line) {
			return
		}
	}
}

// complete completes command names, then symbols.
func (s *Session) complete(line string) []string {
	fields := strings.Fields(line)
	endsSpace := strings.HasSuffix(line, " ")
	if len(fields) == 0 || (len(fields) == 1 && !endsSpace) {
		prefix := ""
		if len(fields) == 1 {
			prefix = fields[0]
		}
		var out []string
		for _, n := range CommandNames() {
			if strings.HasPrefix(n, prefix) {
				out = append(out, n+" ")
			}
		}
		return out
	}
	if fields[0] == "info" || fields[0] == "i" {
		prefix := ""
		if !endsSpace {
			prefix = fields[len(fields)-1]
		}
		var out []string
		for _, sub := range []string{"watchpoints", "breakpoints", "slots", "registers", "threads"} {
			if strings.HasPrefix(sub, prefix) {
				out = append(out, fields[0]+" "+sub)
			}
		}
		return out
	}
	// A symbol: complete the word under the cursor, keeping & or * in
	// front of it.
	word := ""
	head := line
	if !endsSpace {
		word = fields[len(fields)-1]
		head = line[:len(line)-len(word)]
	}
	lead := strings.TrimLeft(word, "&*(")
	head += word[:len(word)-len(lead)]
	names := s.d.Names(lead)
	if len(names) > 200 {
		names = names[:200]
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, head+n)
	}
	return out
}

// repeats tells whether an empty line after line runs it again (the
// commands that run the program a step at a time, and continue).
func repeats(line string) bool {
	c, err := ParseCommand(line)
	if err != nil {
		return false
	}
	switch c.Name {
	case "stepi", "nexti", "next", "step", "until", "continue":
		return true
	}
	return false
}
