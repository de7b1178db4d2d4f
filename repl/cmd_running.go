package repl

import "hwdbg/debugger"

// The commands that resume the program: start, and the loop that runs
// them (continue, stepi and the line steps are in cmd_step.go). What
// happens while it runs goes to the renderer as it comes, event by event,
// and the commands of the watch/breakpoints that stop it run in between.

func (s *Session) start(Command) (Result, error) {
	w, err := s.d.Break("main", true)
	if err != nil {
		return nil, err
	}
	s.show("start", startBreak{s.breakSet(w)})
	return nil, s.resume(s.d.Continue)
}

// resume runs continue or stepi and reports what happened, then runs the
// commands of the watch/breakpoints that stopped the program; a continue
// among them resumes again.
func (s *Session) resume(f func() ([]debugger.Event, error)) error {
	for {
		s.ran, s.lastStop = true, 0
		evs, err := f()
		var run [][]string
		for _, ev := range evs {
			if id := stopID(ev); id != 0 {
				s.lastStop = id
			}
			cmds := s.commands[stopID(ev)]
			if len(cmds) == 0 || cmds[0] != "silent" {
				s.out.event(ev)
			}
			if werr := s.traceShown(ev); werr != nil && err == nil {
				err = werr
			}
			if len(cmds) > 0 {
				run = append(run, cmds)
			}
		}
		s.showDisplays(evs)
		if err != nil {
			return err
		}
		again := false
		for _, cmds := range run {
			for _, line := range cmds {
				if line == "silent" {
					continue
				}
				if isContinue(line) {
					again = true
					break
				}
				if err := s.Execute(line); err != nil {
					return err
				}
			}
		}
		if !again || s.d.Exited() || s.done {
			return nil
		}
		f = s.traced(s.d.Continue)
	}
}

// stopID is the watch/breakpoint an event stopped at, 0 for others.
func stopID(ev debugger.Event) int {
	switch e := ev.(type) {
	case debugger.WatchHit:
		return e.ID
	case debugger.BreakHit:
		return e.ID
	}
	return 0
}

func isContinue(line string) bool {
	c, err := ParseCommand(line)
	return err == nil && c.Name == "continue"
}
