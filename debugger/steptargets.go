package debugger

import (
	"encoding/binary"
	"fmt"

	"hwdbg/arch"
)

// The internal breakpoints of a line step (next, step, until, finish): the
// places where the stepping frame may stop (its lines, its return address,
// a called function's body), each with the frame it waits for. They are
// entries of the table like a watched local's scope breakpoint (Internal:
// never listed), inserted for one run of the program and taken out when it
// stops, whatever stopped it.

// targetKind says which place a step target is, and so when it counts.
type targetKind uint8

const (
	// targetLine: a line of the stepping function, reached by its frame.
	targetLine targetKind = iota
	// targetReturn: where the frame returns to, once it has returned (a
	// deeper instance of a recursive function returning there does not
	// count).
	targetReturn
	// targetBody: the body of a function just called, in that call's
	// frame.
	targetBody
	// targetOuter: a location reached by the stepping frame or one it
	// returns to (until LOCATION).
	targetOuter
)

// stepTarget is one internal breakpoint of a line step.
type stepTarget struct {
	kind targetKind
	pc   uint64
	// frame is the frame the target waits for: the stepping frame's CFA
	// (targetLine, targetOuter), the returning frame's (targetReturn), the
	// called function's (targetBody).
	frame stackPos
}

// stackPos places an address of a stack so that two of them compare across
// threads and goroutine stack moves. In C it is the address; in Go the
// goroutine (the runtime's g) and the distance from the top of its stack,
// which the runtime keeps when it moves a growing stack (copystack).
type stackPos struct {
	g    uint64 // 0 outside Go
	down uint64 // how far down the stack: top - address (Go), -address (C)
}

// same tells whether a and b are one place of one stack.
func (a stackPos) same(b stackPos) bool { return a == b }

// outer tells whether a is b or nearer the top of the same stack (an outer
// frame's).
func (a stackPos) outer(b stackPos) bool { return a.g == b.g && a.down <= b.down }

// stackPosOf places addr, an address of thread regs' stack; goCode says
// the thread runs Go code (its g register holds the goroutine).
func (d *Debugger) stackPosOf(regs arch.Regs, addr uint64, goCode bool) stackPos {
	if goCode {
		if calls, ok := d.arch.(arch.Calls); ok && calls.GoRegister() != "" {
			if g, ok := regs.Get(calls.GoRegister()); ok && g != 0 {
				// g.stack.hi, the top of its stack, is g's second word.
				buf := make([]byte, d.ptrSize)
				if d.proc.ReadMemory(g+uint64(d.ptrSize), buf) == nil {
					hi := uint64(binary.LittleEndian.Uint32(buf))
					if d.ptrSize == 8 {
						hi = binary.LittleEndian.Uint64(buf)
					}
					if hi >= addr {
						return stackPos{g: g, down: hi - addr}
					}
				}
			}
		}
	}
	return stackPos{down: -addr}
}

// cfaOf is the CFA of the innermost frame of a thread with registers regs.
func (d *Debugger) cfaOf(regs arch.Regs) (uint64, error) {
	fs, err := d.unwind(regs, 1)
	if err != nil {
		return 0, err
	}
	if len(fs) == 0 {
		return 0, fmt.Errorf("no frame at %#x", regs.PC())
	}
	return fs[0].CFA, nil
}

// reached tells whether thread th, stopped at t's breakpoint with
// registers regs (pc on the breakpoint), is where t waits for it.
func (d *Debugger) reached(t *stepTarget, regs arch.Regs) bool {
	goCode := t.frame.g != 0
	switch t.kind {
	case targetReturn:
		return d.stackPosOf(regs, regs.SP(), goCode).outer(t.frame)
	case targetLine, targetBody, targetOuter:
		cfa, err := d.cfaOf(regs)
		if err != nil {
			return false
		}
		at := d.stackPosOf(regs, cfa, goCode)
		if t.kind == targetOuter {
			return at.outer(t.frame)
		}
		return at.same(t.frame)
	}
	return false
}

// stepArrived is the event of a thread reaching a step target; it never
// leaves the package: the line step that set the target acts on it.
type stepArrived struct {
	Tid    int
	Target *stepTarget
}

func (stepArrived) event() {}

// runTo resumes every thread, as continue does, until a thread reaches one
// of targets or something else stops the program. The targets'
// breakpoints are out of the program when it returns. arrived is the
// target reached, nil when the program stopped for something else (evs
// say what: a hit, a signal, the end); evs also carry the notices of the
// run.
func (d *Debugger) runTo(targets []*stepTarget) (arrived *stepTarget, evs []Event, err error) {
	var ws []*Watchpoint
	defer func() {
		for _, w := range ws {
			if e := d.removeSoft(w); e != nil && err == nil {
				err = e
			}
			d.removeWP(w)
		}
	}()
	for _, t := range targets {
		d.lastInternal--
		w := &Watchpoint{ID: d.lastInternal, Expr: fmt.Sprintf("*%#x", t.pc), Access: arch.Exec, Addr: t.pc,
			Len: 1, Enabled: true, Soft: true, Internal: true, step: t}
		if err := d.insertSoft(w); err != nil {
			return nil, nil, err
		}
		ws = append(ws, w)
		d.bps = append(d.bps, w)
	}
	all, err := d.resumeAndWait()
	stopped := false
	for _, e := range all {
		switch e := e.(type) {
		case stepArrived:
			if arrived == nil {
				arrived = e.Target
			}
			continue
		case Notice, Warning:
		default:
			stopped = true
		}
		evs = append(evs, e)
	}
	if stopped {
		arrived = nil
	}
	return arrived, evs, err
}

// onStepTarget handles the trap of thread th at step target w's
// breakpoint: an arrival when th is where the target waits.
func (d *Debugger) onStepTarget(w *Watchpoint, th *thread, regs arch.Regs) []Event {
	if !d.reached(w.step, regs) {
		return nil
	}
	return []Event{stepArrived{Tid: th.Tid, Target: w.step}}
}
