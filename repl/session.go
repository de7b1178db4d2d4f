package repl

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"hwdbg/debugger"
)

// Session runs commands against one debugged process.
type Session struct {
	d   *debugger.Debugger
	out *printer
	// mu is held while a command line runs; a terminating signal takes it
	// to end the session between commands.
	mu sync.Mutex
	// done is set once the session is over (quit, detach, kill).
	done bool
	// closing runs Close once.
	closing sync.Once
	// commands maps a watch/breakpoint id to the commands it runs when it
	// stops the program.
	commands map[int][]string
	// block collects the lines of a commands ... end block.
	block *cmdBlock
	// lastID is the newest watch/breakpoint, the default of commands.
	lastID int
	// trapsChecked is set once the trap probe ran (checkTraps).
	trapsChecked bool
	// views are the display expressions shown at every stop (display.go).
	views displays
	// listing is where list is (cmd_source.go).
	listing listState

	// ran is set once a command has resumed the program of this run.
	ran bool
	// lastStop is the watch/breakpoint the last stop was at (0: none),
	// whose ignore count continue N sets.
	lastStop int
	// values counts the values finish has shown ($1, $2, ...).
	values int
	// confirm asks the user a yes-or-no question at the prompt; nil in a
	// script, which is never asked (the answer is yes, as in gdb -batch).
	confirm func(question string) bool
	// live: a person watches a terminal (a trace's live line).
	live bool
}

type cmdBlock struct {
	id    int
	lines []string
}

// errQuit ends the command loop.
var errQuit = errors.New("quit")

// NewSession wraps a debugger; output goes to w, as JSON lines if json.
func NewSession(d *debugger.Debugger, w io.Writer, json bool) *Session {
	return &Session{d: d, out: &printer{w: &failWriter{w: w}, json: json}, commands: map[int][]string{}}
}

// InBlock tells whether a commands block is being read (the prompt shows
// a continuation prompt then).
func (s *Session) InBlock() bool { return s.block != nil }

// EndInput checks the end of the commands: input that ends inside a
// commands block is an error.
func (s *Session) EndInput() error {
	if s.block == nil {
		return nil
	}
	err := fmt.Errorf("input ended inside 'commands %d': the block needs a line 'end'", s.block.id)
	s.block = nil
	s.out.error("commands", err)
	return err
}

// Done tells whether the session has ended (quit, detach or kill).
func (s *Session) Done() bool { return s.done }

// Execute runs one command line. A failed command has already been
// reported when it returns its error.
func (s *Session) Execute(line string) error {
	if s.block != nil {
		return s.blockLine(line)
	}
	cmd, err := ParseCommand(line)
	if err != nil {
		s.out.error(firstWord(line), err)
		return err
	}
	if cmd.Name == "" {
		return nil
	}
	// A program killed from outside while we waited: say so once, first.
	for _, ev := range s.d.Gone() {
		s.out.event(ev)
	}
	err = s.dispatch(cmd)
	if err != nil && err != errQuit {
		s.out.error(cmd.Name, err)
	}
	return err
}

// show renders what a command reports, as text or JSON.
func (s *Session) show(command string, r Result) { s.out.show(command, r) }

func firstWord(line string) string {
	f := strings.Fields(line)
	if len(f) == 0 {
		return ""
	}
	return truncate(f[0], 40)
}

func (s *Session) needLive() error {
	if s.d.Exited() {
		return errGone
	}
	return nil
}

// errGone is what a command that needs the program says once it is gone.
var errGone = errors.New("the program is not running (it exited or was killed); quit to leave")

// Close ends the session the way SPEC says: a started program is killed,
// an attached one is detached with every slot we set cleared. It runs
// once: a second caller (a terminating signal racing the end of the
// commands) waits for the first to finish before hwdbg may exit.
func (s *Session) Close() {
	s.closing.Do(func() {
		if s.done {
			return
		}
		s.done = true
		s.endTraceOnClose()
		if s.d.Launched() {
			s.d.Kill()
		} else if err := s.d.Detach(); err != nil {
			s.out.error("detach", err)
		}
	})
}

// blockLine takes one line of a commands block.
func (s *Session) blockLine(line string) error {
	t := strings.TrimSpace(line)
	if t != "end" {
		if t != "" && !strings.HasPrefix(t, "#") {
			s.block.lines = append(s.block.lines, t)
		}
		return nil
	}
	b := s.block
	s.block = nil
	if s.d.Get(b.id) == nil {
		return fmt.Errorf("watchpoint or breakpoint %d is gone", b.id)
	}
	for _, l := range b.lines {
		if l == "silent" {
			continue
		}
		if _, err := ParseCommand(l); err != nil {
			err = fmt.Errorf("in commands for %d: %w", b.id, err)
			s.out.error("commands", err)
			return err
		}
	}
	s.commands[b.id] = b.lines
	if len(b.lines) == 0 {
		delete(s.commands, b.id)
	}
	// silent + continue and nothing else: the tracer counts and resumes
	// by itself, without a stop.
	s.d.SetAutoContinue(b.id, len(b.lines) == 2 && b.lines[0] == "silent" && isContinue(b.lines[1]))
	s.show("commands", commandsSet{ID: b.id, Lines: b.lines})
	return nil
}

// A slotSetter is a result that set a hardware slot: trapProbe names it
// for the trap probe's warning ("watchpoint 1"), "" when no slot was set.
type slotSetter interface {
	trapProbe() string
}

// checkTraps runs the trap probe at the session's first watchpoint or
// hardware breakpoint (what, e.g. "watchpoint 1") and, where this machine
// never delivers debug-register traps, says so once: the slot is set, and
// it will not fire.
func (s *Session) checkTraps(what string) {
	if s.trapsChecked {
		return
	}
	s.trapsChecked = true
	delivered, seen, err := s.d.TrapsDelivered()
	switch {
	case err != nil:
		s.out.warning(err.Error() + "; watchpoints may or may not fire here (hwdbg doctor)")
	case !delivered:
		s.out.warning(fmt.Sprintf("this machine accepts debug registers but never delivers their traps (probe: %s): "+
			"%s is set but will not fire, nor will any other watchpoint or hardware breakpoint; "+
			"run `hwdbg doctor` for why and what to do", seen, what))
	}
}
