package repl

import (
	"fmt"

	"hwdbg/debugger"
)

// The commands that run the program a line or a function at a time (next,
// step, until, finish, nexti), run it again from its start (run), and
// repeat (stepi N, continue N).

func (s *Session) next(cmd Command) (Result, error) {
	return nil, s.resume(s.repeat(cmd.Count, s.d.Next))
}

func (s *Session) stepLine(cmd Command) (Result, error) {
	return nil, s.resume(s.repeat(cmd.Count, s.d.StepLine))
}

func (s *Session) nexti(cmd Command) (Result, error) {
	return nil, s.resume(s.repeat(cmd.Count, s.d.NextInsn))
}

func (s *Session) until(cmd Command) (Result, error) {
	if cmd.Rest != "" {
		loc := cmd.Rest
		return nil, s.resume(s.switching(func() ([]debugger.Event, error) { return s.d.UntilLocation(loc) }))
	}
	return nil, s.resume(s.switching(s.d.Until))
}

func (s *Session) finish(Command) (Result, error) {
	n := s.d.SelectedFrame()
	frames, err := s.d.Backtrace(n + 2)
	if err != nil {
		return nil, err
	}
	if n+1 >= len(frames) {
		return nil, debugger.ErrOutermost
	}
	s.show("finish", runTill{N: n, Frame: frames[n]})
	var ret *debugger.Returned
	err = s.resume(s.switching(func() ([]debugger.Event, error) {
		evs, r, err := s.d.Finish()
		ret = r
		return evs, err
	}))
	if ret == nil {
		return nil, err
	}
	s.values++
	return valueReturned{Returned: *ret, N: s.values}, err
}

// repeat runs f, a command that resumes the program, n times, or until
// something else than the end of a step stops the program; only the last
// step's end is reported.
func (s *Session) repeat(n int, f func() ([]debugger.Event, error)) func() ([]debugger.Event, error) {
	return s.switching(func() ([]debugger.Event, error) {
		var kept []debugger.Event
		for i := 0; ; i++ {
			evs, err := f()
			last := i == n-1 || err != nil || s.d.Exited()
			if !last {
				for _, ev := range evs {
					switch ev.(type) {
					case debugger.Stop, debugger.Stepped:
					case debugger.Notice, debugger.Warning:
						kept = append(kept, ev)
					default:
						last = true
					}
				}
			}
			if last {
				return append(kept, evs...), err
			}
		}
	})
}

// switching says "[Switching to thread N]" when f ends on another thread
// than the one selected before it (as gdb does).
func (s *Session) switching(f func() ([]debugger.Event, error)) func() ([]debugger.Event, error) {
	return func() ([]debugger.Event, error) {
		before := s.d.Current
		evs, err := f()
		if s.d.Current != before && !s.d.Exited() {
			evs = append([]debugger.Event{debugger.Notice{Text: fmt.Sprintf("[Switching to thread %d]", s.d.Current)}}, evs...)
		}
		return evs, err
	}
}

func (s *Session) stepi(cmd Command) (Result, error) {
	return nil, s.resume(s.repeat(cmd.Count, s.d.Step))
}

func (s *Session) cont(cmd Command) (Result, error) {
	if cmd.Count > 1 {
		if s.lastStop > 0 && s.d.Get(s.lastStop) != nil {
			if err := s.d.SetIgnore(s.lastStop, cmd.Count-1); err != nil {
				return nil, err
			}
			s.show("continue", willIgnore{ID: s.lastStop, Kind: s.d.Get(s.lastStop).Kind(), Count: cmd.Count - 1})
		} else {
			s.out.warning("not stopped at a watchpoint or breakpoint: the count is ignored")
		}
	}
	return nil, s.resume(s.traced(s.d.Continue))
}

// run starts the program from its beginning: at once when it has not run
// yet (it waits before its first instruction) and keeps its arguments,
// otherwise anew; on a terminal, a program still running is killed only
// once the user says so.
func (s *Session) runProgram(cmd Command) (Result, error) {
	if !s.d.Launched() {
		_, err := s.d.Rerun(nil, "")
		return nil, err
	}
	fresh := !s.ran && !s.d.Exited() && cmd.RunArgs == nil
	if !fresh {
		if !s.d.Exited() && s.ran && s.confirm != nil &&
			!s.confirm("The program being debugged has been started already.\nStart it from the beginning?") {
			return nil, fmt.Errorf("Program not restarted.")
		}
		evs, err := s.d.Rerun(cmd.RunArgs, cmd.Input)
		if err != nil {
			return nil, err
		}
		s.ran, s.lastStop = false, 0
		s.show("run", starting{Path: s.d.Program(), Args: s.d.Args(), Input: s.d.Input(), Pid: s.d.Pid()})
		for _, ev := range evs {
			s.out.event(ev)
		}
	} else {
		s.show("run", starting{Path: s.d.Program(), Args: s.d.Args(), Input: s.d.Input(), Pid: s.d.Pid()})
	}
	return nil, s.resume(s.d.Continue)
}
