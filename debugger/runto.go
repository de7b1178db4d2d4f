package debugger

import (
	"fmt"

	"hwdbg/arch"
)

// Running to a place: until LOCATION (advance), and nexti, which runs over
// the function an instruction calls.

// UntilLocation runs the selected thread until its frame, or one it
// returns to, reaches loc, or its frame returns.
func (d *Debugger) UntilLocation(loc string) ([]Event, error) {
	if d.proc.Exited() {
		return nil, ErrExited
	}
	var evs []Event
	var err error
	d.proc.Do(func() {
		evs, err = d.untilLocation(loc)
		evs = append(evs, d.park()...)
	})
	return evs, err
}

func (d *Debugger) untilLocation(loc string) ([]Event, error) {
	addr, err := d.resolveLocation(loc)
	if err != nil {
		return nil, err
	}
	th := d.thread(d.Current)
	if th == nil {
		return nil, fmt.Errorf("no thread %d", d.Current)
	}
	regs, err := d.arch.GetRegs(th.Tid)
	if err != nil {
		return nil, err
	}
	startFn, _, _ := d.funcAt(regs.PC())
	fs, err := d.unwind(regs, 2)
	if err != nil || len(fs) == 0 {
		return nil, fmt.Errorf("cannot unwind thread %d: %v", th.Tid, err)
	}
	fi, _ := d.funcInfo(regs.PC())
	frame := d.stackPosOf(regs, fs[0].CFA, fi.Go)
	targets := []*stepTarget{{kind: targetOuter, pc: addr, frame: frame}}
	if len(fs) > 1 {
		targets = append(targets, &stepTarget{kind: targetReturn, pc: fs[1].PC, frame: frame})
	}
	arrived, evs, err := d.runTo(targets)
	if err != nil || arrived == nil {
		return evs, err
	}
	th = d.thread(d.Current)
	fn, _, _ := d.funcAt(d.pcOf(th))
	return append(evs, d.stepped(th, fn != startFn, arrived.kind == targetReturn)), nil
}

// NextInsn executes one instruction of the selected thread; a call runs
// until the called function returns (nexti).
func (d *Debugger) NextInsn() ([]Event, error) {
	if d.proc.Exited() {
		return nil, ErrExited
	}
	var evs []Event
	var err error
	d.proc.Do(func() {
		evs, err = d.nextInsn()
		evs = append(evs, d.park()...)
	})
	return evs, err
}

func (d *Debugger) nextInsn() ([]Event, error) {
	th := d.thread(d.Current)
	if th == nil {
		return nil, fmt.Errorf("no thread %d", d.Current)
	}
	before, err := d.arch.GetRegs(th.Tid)
	if err != nil || th.Held() {
		return d.step()
	}
	evs, err := d.step()
	calls, ok := d.arch.(arch.Calls)
	if err != nil || !ok || !plainStep(evs) {
		return evs, err
	}
	after, err := d.arch.GetRegs(th.Tid)
	if err != nil {
		return evs, nil
	}
	ret, called := calls.CallReturn(before, after, func(addr uint64, b []byte) error { return d.proc.ReadMemory(addr, b) })
	if !called {
		return evs, nil
	}
	fi, _ := d.funcInfo(after.PC())
	t := &stepTarget{kind: targetReturn, pc: ret, frame: d.stackPosOf(after, after.SP(), fi.Go)}
	arrived, more, err := d.runTo([]*stepTarget{t})
	if err != nil || arrived == nil {
		return more, err
	}
	th = d.thread(d.Current)
	return append(more, Stop{Tid: th.Tid, Reason: "step", At: d.locationOf(th.Tid)}), nil
}
