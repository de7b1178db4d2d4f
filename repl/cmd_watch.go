package repl

import (
	"fmt"
	"strconv"

	"hwdbg/arch"
	"hwdbg/debugger"
)

// The commands that set and manage watch/breakpoints.

func (s *Session) watch(cmd Command) (Result, error) {
	w, err := s.d.Watch(debugger.WatchSpec{Expr: cmd.Expr, Access: cmd.Access, Size: cmd.Size, Thread: cmd.Thread,
		Modify: cmd.Modify, Cond: cmd.Cond, Location: cmd.Location})
	if err != nil {
		return nil, err
	}
	s.lastID = w.ID
	return watchSet{ID: w.ID, Access: w.Access, Expr: w.Expr, Addr: w.Addr, Len: w.Len, Slots: s.slotList(w), Note: w.Note}, nil
}

func (s *Session) breakpoint(cmd Command) (Result, error) {
	var w *debugger.Watchpoint
	var err error
	if cmd.Name == "hbreak" {
		w, err = s.d.HBreak(cmd.Rest)
	} else {
		w, err = s.d.Break(cmd.Rest, cmd.Name == "tbreak")
	}
	if err != nil {
		return nil, err
	}
	if cmd.Cond != "" {
		if err := s.d.SetCondition(w.ID, cmd.Cond); err != nil {
			s.d.Withdraw(w.ID)
			return nil, err
		}
	}
	s.lastID = w.ID
	return s.breakSet(w), nil
}

// breakSet is what the line that confirms a breakpoint shows of w.
func (s *Session) breakSet(w *debugger.Watchpoint) breakSet {
	return breakSet{Kind: w.Kind(), ID: w.ID, Addr: w.Addr, At: s.d.Locate(w.Addr), Slots: s.slotList(w)}
}

// slotList names the slots w holds.
func (s *Session) slotList(w *debugger.Watchpoint) []string {
	var names []string
	for _, i := range w.SlotIndexes() {
		names = append(names, s.d.SlotName(i))
	}
	return names
}

func (s *Session) condition(cmd Command) (Result, error) {
	switch cmd.Args[0] {
	case "-hitcount":
		id, _ := strconv.Atoi(cmd.Args[1])
		if err := s.d.SetHitCondition(id, cmd.HitOp, cmd.HitK); err != nil {
			return nil, err
		}
		return conditionSet{ID: id, Cond: s.d.Get(id).Cond, HitCond: s.d.Get(id).HitCond}, nil
	case "-clear":
		id, _ := strconv.Atoi(cmd.Args[1])
		if err := s.d.ClearConditions(id); err != nil {
			return nil, err
		}
		return conditionSet{ID: id}, nil
	}
	id, _ := strconv.Atoi(cmd.Args[0])
	if err := s.d.SetCondition(id, cmd.Cond); err != nil {
		return nil, err
	}
	return conditionSet{ID: id, Cond: cmd.Cond, HitCond: s.d.Get(id).HitCond}, nil
}

func (s *Session) ignore(cmd Command) (Result, error) {
	id, _ := strconv.Atoi(cmd.Args[0])
	n, _ := strconv.Atoi(cmd.Args[1])
	if err := s.d.SetIgnore(id, n); err != nil {
		return nil, err
	}
	return ignoreSet{ID: id, Count: n}, nil
}

// openCommands starts a commands block: the lines up to "end" go to
// blockLine.
func (s *Session) openCommands(cmd Command) (Result, error) {
	id := s.lastID
	if len(cmd.Args) == 1 {
		id, _ = strconv.Atoi(cmd.Args[0])
	}
	if id == 0 || s.d.Get(id) == nil {
		return nil, fmt.Errorf("no watchpoint or breakpoint %d for commands (see info watchpoints)", id)
	}
	s.block = &cmdBlock{id: id}
	return commandsOpened{ID: id}, nil
}

func (s *Session) delete(cmd Command) (Result, error) {
	ids := atois(cmd.Args)
	if len(ids) == 0 && !s.confirmDeleteAll() {
		return nil, nil
	}
	rest, err := s.deleteTraces(ids)
	if err != nil {
		return nil, err
	}
	if len(rest) == 0 && len(ids) > 0 {
		return deleted{IDs: ids}, nil
	}
	if err := s.d.Delete(rest...); err != nil {
		return nil, err
	}
	return deleted{IDs: ids}, nil
}

// enable runs enable and disable.
func (s *Session) enable(cmd Command) (Result, error) {
	for _, id := range atois(cmd.Args) {
		if err := s.d.SetEnabled(id, cmd.Name == "enable"); err != nil {
			return nil, err
		}
	}
	return enabled{IDs: atois(cmd.Args)}, nil
}

func (s *Session) infoWatchpoints(Command) (Result, error) {
	var rows []watchRow
	for _, w := range s.d.SortedWatchpoints() {
		eng := s.d.EngineOf(w) // first: it brings the kernel's counts in
		r := watchRow{Engine: eng.Name, EngineWhy: eng.Why, ID: w.ID, Kind: w.Kind(), Label: w.Label(), Enabled: w.Enabled, Expr: w.Expr, Addr: w.Addr, Len: w.Len,
			Slots: s.slotList(w), Covers: w.Pieces(), Hits: w.Hits, Stops: w.Stops, ThreadHits: w.ThreadHits, Thread: w.Thread,
			Cond: w.Cond, HitCond: w.HitCond, Ignore: w.Ignore, Modify: w.Modify, Commands: s.commands[w.ID]}
		if w.Soft {
			r.At = s.d.Locate(w.Addr)
		}
		r.ReadAsRW = w.Access == arch.Read && !s.d.Arch().ReadOnlySlots()
		rows = append(rows, r)
	}
	return watchList{Rows: s.withTrace(rows)}, nil
}
