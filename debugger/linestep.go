package debugger

import (
	"fmt"
	"strings"

	"hwdbg/arch"
	"hwdbg/debuginfo"
)

// Line steps: next, step and until, as gdb does them. The stepping frame
// runs to the start of another line of its function, or returns; a step
// out of a function goes on in its caller to the start of a line. Calls
// are run over with every thread running (a breakpoint at the return
// address), and so is the whole of next and until (breakpoints at the
// function's lines): other threads run, and what stops them (a hit, a
// breakpoint) ends the step and is reported. step single-steps the line,
// other threads stopped, to see the calls it makes: one into a function
// with line information stops at its body.

// lineMode is the kind of line step.
type lineMode uint8

const (
	modeNext  lineMode = iota // next: over calls
	modeStep                  // step: into calls that have line information
	modeUntil                 // until: next, never stopping at a line behind
)

// stepLimit bounds the instructions step single-steps in one frame before
// it runs the rest of the line as next does (a long loop on one line).
const stepLimit = 2000

// Stepped is the end of a line step (next, step, until, finish): the
// thread stopped at At. It is a stop of reason "step".
type Stepped struct {
	Stop
	// NewFunc: the step ended in another function than it started in:
	// the frame is shown, as gdb does.
	NewFunc bool
	// Mid: the pc is inside a line, not at its start (after finish).
	Mid bool
	// Path is the source file's full path, "" when unknown.
	Path string
}

func (Stepped) event() {}

// Next steps the selected thread to the next source line of its frame,
// running over calls.
func (d *Debugger) Next() ([]Event, error) { return d.lineCommand(modeNext) }

// StepLine steps the selected thread to the next source line, into a
// called function that has line information.
func (d *Debugger) StepLine() ([]Event, error) { return d.lineCommand(modeStep) }

// Until is next that does not stop at a line behind the current one: it
// runs a loop to its end.
func (d *Debugger) Until() ([]Event, error) { return d.lineCommand(modeUntil) }

func (d *Debugger) lineCommand(m lineMode) ([]Event, error) {
	if d.proc.Exited() {
		return nil, ErrExited
	}
	var evs []Event
	var err error
	d.proc.Do(func() {
		evs, err = d.lineStep(m)
		evs = append(evs, d.park()...)
	})
	return evs, err
}

// lineInfo is the debug information that has lines for pc: the program's,
// or the library's that holds pc.
func (d *Debugger) lineInfo(pc uint64) *debuginfo.Info {
	if d.dwarf != nil {
		if _, ok := d.dwarf.LineSpanAt(pc); ok {
			return d.dwarf
		}
	}
	if in := d.objectDwarf(pc); in != nil {
		if _, ok := in.LineSpanAt(pc); ok {
			return in
		}
	}
	return nil
}

// stepFrame is the frame a line step runs in: where its line is, its
// function and its place on the stack.
type stepFrame struct {
	in   *debuginfo.Info
	span debuginfo.LineSpan
	fn   debuginfo.FuncInfo
	cfa  stackPos
	// retPC is where the frame returns to, 0 when unknown.
	retPC uint64
}

// frameAt describes the innermost frame of th, whose pc has lines in in.
func (d *Debugger) frameAt(th *thread, regs arch.Regs, in *debuginfo.Info) (stepFrame, error) {
	pc := regs.PC()
	f := stepFrame{in: in}
	f.span, _ = in.LineSpanAt(pc)
	var ok bool
	if f.fn, ok = in.FuncInfoAt(pc); !ok {
		f.fn = debuginfo.FuncInfo{Lo: f.span.Lo, Hi: f.span.Hi}
	}
	fs, err := d.unwind(regs, 2)
	if err != nil || len(fs) == 0 {
		return f, fmt.Errorf("cannot unwind thread %d at %#x: %v", th.Tid, pc, err)
	}
	f.cfa = d.stackPosOf(regs, fs[0].CFA, f.fn.Go)
	if len(fs) > 1 {
		f.retPC = fs[1].PC
	}
	return f, nil
}

// lineStep runs one next, step or until of the selected thread.
func (d *Debugger) lineStep(m lineMode) ([]Event, error) {
	th := d.thread(d.Current)
	if th == nil {
		return nil, fmt.Errorf("no thread %d", d.Current)
	}
	if th.Held() {
		// Its held stop comes first, as it would at continue.
		return d.step()
	}
	var notices []Event
	startFn, _, _ := d.funcAt(d.pcOf(th))
	newFunc := false
	if d.frame > 0 {
		// A step in an outer frame (after up or frame N): the frames
		// inside it return first, then the step goes on in its line.
		evs, _, err := d.finish(d.frame - 1)
		for _, e := range evs {
			if _, ok := e.(Stepped); !ok {
				notices = append(notices, e)
			}
		}
		if err != nil || len(evs) == len(notices) {
			return notices, err
		}
		newFunc = true
	}
	// Each turn runs in one frame; a return to the caller in the middle
	// of its line goes on there.
	for turn := 0; ; turn++ {
		regs, err := d.arch.GetRegs(th.Tid)
		if err != nil {
			return notices, err
		}
		pc := regs.PC()
		in := d.lineInfo(pc)
		if in == nil {
			if turn > 0 {
				return append(notices, d.stepped(th, true, true)), nil
			}
			// No line here (a library without debug information): run
			// out of the function, as gdb does, then on to a line.
			name, _, _ := d.funcAt(pc)
			notices = append(notices, Notice{Text: fmt.Sprintf("Single stepping until exit from function %s, which has no line number information.", orAddr(name, pc))})
			arrived, evs, err := d.finishFrame(th, regs)
			notices = append(notices, evs...)
			if err != nil || arrived == nil {
				return notices, err
			}
			newFunc = true
			continue
		}
		if span, ok := in.LineSpanAt(pc); ok && turn > 0 && span.Lo == pc && span.Stmt {
			// Returned to the start of a line of the caller: that line is
			// the next one (gdb stops there too).
			return append(notices, d.stepped(th, true, false)), nil
		}
		f, err := d.frameAt(th, regs, in)
		if err != nil {
			return notices, err
		}
		if m == modeStep {
			done, evs, err := d.stepInstructions(th, regs, f)
			notices = append(notices, evs...)
			switch {
			case err != nil || done == stepEnded:
				return notices, err
			case done == stepReturned:
				newFunc = true
				continue
			}
			th = d.thread(d.Current)
		}
		arrived, evs, err := d.runToLine(f, m)
		notices = append(notices, evs...)
		if err != nil || arrived == nil {
			return notices, err
		}
		th = d.thread(d.Current)
		if arrived.kind == targetReturn {
			newFunc = true
			continue
		}
		fn, _, _ := d.funcAt(d.pcOf(th))
		return append(notices, d.stepped(th, newFunc || fn != startFn, false)), nil
	}
}

// orAddr is name, or the address when there is none.
func orAddr(name string, pc uint64) string {
	if name == "" {
		return fmt.Sprintf("%#x", pc)
	}
	return name
}

// pcOf is th's pc, 0 when it cannot be read.
func (d *Debugger) pcOf(th *thread) uint64 {
	regs, err := d.arch.GetRegs(th.Tid)
	if err != nil {
		return 0
	}
	return regs.PC()
}

// stepped is the event that ends a line step of th where it stands.
func (d *Debugger) stepped(th *thread, newFunc, mid bool) Event {
	at := d.locationOf(th.Tid)
	ev := Stepped{Stop: Stop{Tid: th.Tid, Reason: "step", At: at}, NewFunc: newFunc, Mid: mid}
	if in := d.lineInfo(at.PC); in != nil {
		if span, ok := in.LineSpanAt(at.PC); ok {
			ev.Path = span.File
			ev.Mid = ev.Mid || span.Lo != at.PC
		}
	}
	return ev
}

// runToLine runs the program until frame f reaches the start of another
// line of its function (for until: one past its line) or returns. The
// arrival at its return address is a targetReturn.
func (d *Debugger) runToLine(f stepFrame, m lineMode) (*stepTarget, []Event, error) {
	var targets []*stepTarget
	for _, s := range f.in.LineStarts(f.fn.Lo, f.fn.Hi) {
		if s.Line == f.span.Line && s.File == f.span.File {
			continue
		}
		if (m == modeUntil && s.PC < f.span.Hi) || f.fn.InInlined(s.PC) {
			continue
		}
		targets = append(targets, &stepTarget{kind: targetLine, pc: s.PC, frame: f.cfa})
	}
	if f.retPC != 0 {
		targets = append(targets, &stepTarget{kind: targetReturn, pc: f.retPC, frame: f.cfa})
	}
	if len(targets) == 0 {
		return nil, nil, fmt.Errorf("cannot tell where %s goes next: no line after this one and no return address", orAddr(f.fn.Name, f.span.Lo))
	}
	return d.runTo(targets)
}

// finishFrame runs th's innermost frame, with registers regs, until it
// returns.
func (d *Debugger) finishFrame(th *thread, regs arch.Regs) (*stepTarget, []Event, error) {
	fs, err := d.unwind(regs, 2)
	if err != nil || len(fs) < 2 {
		return nil, nil, fmt.Errorf("cannot tell where the function at %#x returns to: %v", regs.PC(), err)
	}
	goCode := false
	if fi, ok := d.funcInfo(regs.PC()); ok {
		goCode = fi.Go
	}
	t := &stepTarget{kind: targetReturn, pc: fs[1].PC, frame: d.stackPosOf(regs, fs[0].CFA, goCode)}
	return d.runTo([]*stepTarget{t})
}

// funcInfo describes the function holding pc, from the program's DWARF or
// its library's.
func (d *Debugger) funcInfo(pc uint64) (debuginfo.FuncInfo, bool) {
	if d.dwarf != nil {
		if fi, ok := d.dwarf.FuncInfoAt(pc); ok {
			return fi, true
		}
	}
	if in := d.objectDwarf(pc); in != nil {
		return in.FuncInfoAt(pc)
	}
	return debuginfo.FuncInfo{}, false
}

// stepOutcome is how step's single-stepping of a frame ended.
type stepOutcome uint8

const (
	// stepEnded: the step is over (a stop at a line, in a called
	// function, or something else that stopped the program).
	stepEnded stepOutcome = iota
	// stepReturned: the frame returned into the middle of its caller's
	// line: the step goes on there.
	stepReturned
	// stepLong: the line ran stepLimit instructions: the rest runs as
	// next does.
	stepLong
)

// stepInstructions single-steps th through frame f's line (others
// stopped), running over calls of functions without line information and
// stopping in the body of those with.
func (d *Debugger) stepInstructions(th *thread, regs arch.Regs, f stepFrame) (stepOutcome, []Event, error) {
	calls, _ := d.arch.(arch.Calls)
	var notices []Event
	start := regs.PC()
	span := f.span
	mem := func(addr uint64, b []byte) error { return d.proc.ReadMemory(addr, b) }
	for i := 0; i < stepLimit; i++ {
		before := regs
		evs, err := d.step()
		if err != nil {
			return stepEnded, append(notices, evs...), err
		}
		if !plainStep(evs) {
			return stepEnded, append(notices, evs...), nil
		}
		if regs, err = d.arch.GetRegs(th.Tid); err != nil {
			return stepEnded, notices, err
		}
		pc := regs.PC()
		if pc != start {
			if hits := d.landedOnBreak(th, pc); len(hits) > 0 {
				return stepEnded, append(notices, hits...), nil
			}
		}
		if calls != nil {
			if ret, ok := calls.CallReturn(before, regs, mem); ok {
				done, evs, err := d.enterCall(th, regs, ret)
				notices = append(notices, evs...)
				if err != nil || done {
					return stepEnded, notices, err
				}
				th = d.thread(d.Current) // a goroutine may come back on another thread
				if regs, err = d.arch.GetRegs(th.Tid); err != nil {
					return stepEnded, notices, err
				}
				continue
			}
		}
		if span.Contains(pc) {
			continue
		}
		if pc >= f.fn.Lo && pc < f.fn.Hi {
			ns, ok := f.in.LineSpanAt(pc)
			if !ok {
				continue
			}
			sameLine := ns.Line == span.Line && ns.File == span.File
			if ns.Lo == pc && ns.Stmt && !sameLine {
				return stepEnded, append(notices, d.stepped(th, false, false)), nil
			}
			span = ns // the line again, or the middle of another one
			continue
		}
		return d.leftFunction(th, regs, f, notices)
	}
	return stepLong, notices, nil
}

// plainStep tells whether the events of one stepi are only its end.
func plainStep(evs []Event) bool {
	for _, e := range evs {
		switch e := e.(type) {
		case Stop:
			if e.Reason != "step" {
				return false
			}
		case Notice, Warning:
		default:
			return false
		}
	}
	return true
}

// leftFunction: a step left frame f's function without a call. A return
// goes on in the caller's line; a jump into another function (a tail call)
// stops there when it has lines, or runs it until it returns.
func (d *Debugger) leftFunction(th *thread, regs arch.Regs, f stepFrame, notices []Event) (stepOutcome, []Event, error) {
	pc := regs.PC()
	if d.stackPosOf(regs, regs.SP(), f.fn.Go).outer(f.cfa) {
		if d.lineInfo(pc) == nil {
			return stepEnded, append(notices, d.stepped(th, true, true)), nil
		}
		return stepReturned, notices, nil
	}
	if d.lineInfo(pc) != nil {
		return stepEnded, append(notices, d.stepped(th, true, false)), nil
	}
	arrived, evs, err := d.finishFrame(th, regs)
	notices = append(notices, evs...)
	if err != nil || arrived == nil {
		return stepEnded, notices, err
	}
	return stepReturned, notices, nil
}

// enterCall: th has just called the function at its pc, which returns to
// ret. A function with line information (not the Go runtime's) is run to
// the end of its prologue, where the step ends; any other runs until it
// returns. done says the step is over.
func (d *Debugger) enterCall(th *thread, regs arch.Regs, ret uint64) (done bool, evs []Event, err error) {
	entry := regs.PC()
	fi, hasFunc := d.funcInfo(entry)
	goCode := hasFunc && fi.Go
	if d.lineInfo(entry) != nil && hasFunc && !skippedFunc(fi) {
		body := entry
		if end, ok := d.lineInfo(entry).AfterPrologue(entry, fi.Hi); ok && end > entry {
			body = end
		}
		if body == entry {
			return true, []Event{d.stepped(th, true, false)}, nil
		}
		cfa, err := d.cfaOf(regs)
		if err != nil {
			return true, nil, err
		}
		t := &stepTarget{kind: targetBody, pc: body, frame: d.stackPosOf(regs, cfa, goCode)}
		arrived, evs, err := d.runTo([]*stepTarget{t})
		if err != nil || arrived == nil {
			return true, evs, err
		}
		return true, append(evs, d.stepped(d.thread(d.Current), true, false)), nil
	}
	// Run over it: it has returned when the stack pointer is back above
	// where the call left it.
	t := &stepTarget{kind: targetReturn, pc: ret, frame: d.stackPosOf(regs, regs.SP(), goCode)}
	arrived, evs, err := d.runTo([]*stepTarget{t})
	if err != nil || arrived == nil {
		return true, evs, err
	}
	return false, evs, nil
}

// skippedFunc: step does not stop in the Go runtime's functions (the
// compiler calls them for allocations, write barriers, conversions), as
// Delve does not.
func skippedFunc(fi debuginfo.FuncInfo) bool {
	return fi.Go && strings.HasPrefix(fi.Name, "runtime.")
}

// landedOnBreak reports the user's software breakpoints at pc, where a
// single step of th has just arrived, as if th had hit them (gdb reports a
// breakpoint a step lands on).
func (d *Debugger) landedOnBreak(th *thread, pc uint64) []Event {
	sb, ok := d.soft[pc]
	if !ok {
		return nil
	}
	var evs []Event
	for _, id := range append([]int(nil), sb.owners...) {
		w := d.byID(id)
		if w == nil || w.Internal || !w.Enabled || (w.Thread != 0 && w.Thread != th.Tid) {
			continue
		}
		evs = append(evs, d.breakCrossed(w, th.Tid, pc)...)
	}
	return evs
}
