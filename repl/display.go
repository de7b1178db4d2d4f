package repl

import (
	"errors"
	"fmt"

	"hwdbg/debugger"
	"hwdbg/expr"
)

// display: expressions shown at every stop, numbered as gdb numbers them.

// display is one auto-display expression.
type display struct {
	ID     int
	Expr   string
	Format byte // print's /F, 0 for none
	// Func is the function of the frame it was made in: where a name it
	// reads is not found elsewhere, it is not shown, as gdb does not show
	// a display whose locals are out of scope.
	Func string
}

// displays are the session's auto-display expressions.
type displays struct {
	list []display
	next int
}

func (s *Session) display(cmd Command) (Result, error) {
	if cmd.Rest == "" {
		var res displayShown
		for _, d := range s.views.list {
			res.Shown = append(res.Shown, s.showDisplay(d))
		}
		return res, nil
	}
	d := display{Expr: cmd.Rest, Format: cmd.Format, Func: s.frameFunc()}
	first := s.showDisplay(d)
	if first.unknown {
		return nil, errors.New(first.Err)
	}
	s.views.next++
	d.ID, first.ID = s.views.next, s.views.next
	s.views.list = append(s.views.list, d)
	return displaySet{first}, nil
}

func (s *Session) undisplay(cmd Command) (Result, error) {
	if len(cmd.Args) == 0 {
		s.views.list = nil
		return undisplayed{}, nil
	}
	ids := atois(cmd.Args)
	for _, id := range ids {
		found := false
		for i, d := range s.views.list {
			if d.ID == id {
				s.views.list = append(s.views.list[:i:i], s.views.list[i+1:]...)
				found = true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("no display number %d (see info display)", id)
		}
	}
	return undisplayed{IDs: ids}, nil
}

func (s *Session) infoDisplay(Command) (Result, error) {
	return displayList{Displays: s.views.list}, nil
}

// frameFunc is the function of the selected frame, "" when unknown.
func (s *Session) frameFunc() string {
	f, err := s.d.SelectFrame(s.d.SelectedFrame())
	if err != nil {
		return ""
	}
	return f.Func
}

// showDisplay evaluates one display in the selected frame.
func (s *Session) showDisplay(d display) shownDisplay {
	r := shownDisplay{ID: d.ID, Expr: d.Expr, Format: d.Format}
	var err error
	if d.Format != 0 {
		var n int64
		var t *debugger.Type
		if n, t, err = s.d.EvalInt(d.Expr); err == nil {
			r.Value = formatInt(uint64(n), d.Format, int(t.Size))
		}
	} else {
		r.Value, _, err = s.d.Evaluate(d.Expr)
	}
	if err != nil {
		var ns *expr.NoSymbolError
		r.Err, r.unknown = err.Error(), errors.As(err, &ns)
	}
	return r
}

// showDisplays shows every display after events that leave the program
// stopped (a hit, a breakpoint, a signal, a step), as gdb does at each
// stop: a "display" event each in JSON.
func (s *Session) showDisplays(evs []debugger.Event) {
	if len(s.views.list) == 0 || s.d.Exited() || !stopped(evs) {
		return
	}
	fn := s.frameFunc()
	for _, d := range s.views.list {
		r := s.showDisplay(d)
		if r.unknown && fn != d.Func {
			continue // its names are another function's
		}
		if s.out.json {
			obj := map[string]any{"event": "display"}
			for k, v := range r.data() {
				obj[k] = v
			}
			s.out.emit(obj)
			continue
		}
		for _, l := range r.text() {
			fmt.Fprintln(s.out.w, l)
		}
	}
}

// stopped tells whether evs stop the program where it can be inspected.
func stopped(evs []debugger.Event) bool {
	for _, ev := range evs {
		switch ev.(type) {
		case debugger.WatchHit, debugger.BreakHit, debugger.Stop:
			return true
		}
	}
	return false
}
