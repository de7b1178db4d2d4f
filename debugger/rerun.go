package debugger

import (
	"fmt"
	"os"
	"strings"
	"sync"
)

// run again: the program hwdbg started is started anew (the old process
// killed if it still lives), stopped before its first instruction, with the
// session's watch- and breakpoints resolved again in the new process.

// launchSpec is how hwdbg started the program: what run starts again.
type launchSpec struct {
	path  string // as given on the command line (an exec since does not change it)
	args  []string
	stdio Stdio // the program's input and output as hwdbg was started
	// input is the file run's < FILE gave as the program's input, "" for
	// stdin.
	input string
}

// Args are the program's arguments, as run passes them.
func (d *Debugger) Args() []string { return d.launch.args }

// Program is the program hwdbg started ("" for an attached process).
func (d *Debugger) Program() string { return d.launch.path }

// relocatable is a breakpoint at *ADDR inside a function of the program:
// in a new process (another load bias) it goes at the same offset in that
// function.
type relocatable struct {
	fn  string
	off uint64
}

// Rerun starts the program again from its beginning with args and its
// input read from the file input ("" for hwdbg's own, as at the start) or,
// when args is nil, with the arguments and input of the last run; it sets
// the session's watch- and breakpoints in the new process. The old
// process, if it still runs, is killed. The events are notices of what
// could not be set again.
func (d *Debugger) Rerun(args []string, input string) ([]Event, error) {
	if !d.proc.Launched {
		return nil, fmt.Errorf("hwdbg attached to process %d: run starts only a program hwdbg started (hwdbg PROGRAM [ARG...]); continue resumes this one", d.proc.Pid)
	}
	if args == nil {
		args, input = d.launch.args, d.launch.input
	}
	stdio := d.launch.stdio
	if input != "" {
		f, err := os.Open(input)
		if err != nil {
			return nil, fmt.Errorf("the program's input: %w", err)
		}
		defer f.Close()
		stdio.In = f
	}
	moved := map[*Watchpoint]relocatable{}
	d.run(func() {
		for _, w := range d.bps {
			if w.IsBreak() && strings.HasPrefix(w.Expr, "*") {
				if fn, entry, ok := d.programFuncAt(w.Addr); ok {
					moved[w] = relocatable{fn, w.Addr - entry}
				}
			}
		}
	})
	d.Kill()
	nd, err := launch(launchSpec{path: d.launch.path, args: args, stdio: stdio, input: input})
	if err != nil {
		return nil, err
	}
	nd.launch.stdio = d.launch.stdio // the next run opens input anew
	nd.bps, nd.nextID, nd.lastInternal, nd.probed = nil, d.nextID, d.lastInternal, d.probed
	if d.kern != nil && nd.kern != nil {
		nd.kern.blocked = d.kern.blocked // the same program blocks SIGTRAP again
	}
	old := d.bps
	d.adopt(nd)
	var evs []Event
	d.proc.Do(func() { evs = d.setAgain(old, moved) })
	return evs, nil
}

// adopt makes d the session of nd's process: every field is nd's.
func (d *Debugger) adopt(nd *Debugger) {
	mu := d.symsMu
	*d = *nd
	if mu == nil {
		mu = &sync.Mutex{}
	}
	d.symsMu = mu
}

// programFuncAt is the function of the program (not of a library) that
// holds addr, and its entry.
func (d *Debugger) programFuncAt(addr uint64) (string, uint64, bool) {
	if d.dwarf != nil {
		if name, entry, ok := d.dwarf.FuncAt(addr); ok {
			return name, entry, true
		}
	}
	if s, ok := d.symbolAt(addr); ok && s.File == d.proc.Path {
		return s.BaseName(), s.Addr, true
	}
	return "", 0, false
}

// setAgain sets the watch- and breakpoints of the last process in this
// one. A watch on a local goes (its frame is gone), and so do those of a
// thread of the last process and the internal ones; what cannot be
// resolved again goes with a notice.
func (d *Debugger) setAgain(old []*Watchpoint, moved map[*Watchpoint]relocatable) []Event {
	var evs []Event
	gone := func(w *Watchpoint, why string) {
		evs = append(evs, Notice{Text: fmt.Sprintf("%s %d (%s) deleted: %s", w.Kind().Title(), w.ID, w.Expr, why)})
	}
	for _, w := range old {
		if w.Internal {
			continue
		}
		w.slots, w.pieces = nil, nil
		switch {
		case w.scope != nil:
			gone(w, fmt.Sprintf("it watched a local of %s, a frame of the last run", w.scope.Func))
			continue
		case w.Thread != 0:
			gone(w, fmt.Sprintf("thread %d was a thread of the last run", w.Thread))
			continue
		case !w.Enabled:
			d.bps = append(d.bps, w)
			continue
		}
		if r, ok := moved[w]; ok {
			if entry, found := d.entryOf(r.fn); found {
				w.Addr = entry + r.off
			}
		}
		if err := d.reresolve(w); err != nil {
			gone(w, err.Error())
			continue
		}
		if !d.containsWP(w) {
			d.bps = append(d.bps, w)
		}
	}
	return evs
}

// entryOf is the entry of the program's function fn.
func (d *Debugger) entryOf(fn string) (uint64, bool) {
	if d.dwarf != nil {
		if entry, ok := d.dwarf.LookupFunc(fn); ok {
			return entry, true
		}
	}
	if s, ok := d.lookup(fn); ok {
		return s.Addr, true
	}
	return 0, false
}

// Input is the file run gave as the program's input, "" for none.
func (d *Debugger) Input() string { return d.launch.input }
