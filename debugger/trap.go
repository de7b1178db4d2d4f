package debugger

import (
	"fmt"
	"slices"
	"sort"

	"golang.org/x/sys/unix"

	"hwdbg/arch"
	"hwdbg/tracee"
)

// A SIGTRAP while running: one of our software breakpoints (breaks.go),
// a hardware slot that fired (its hit: hit.go), a late step, or the
// program's own.

// handleTrap handles a SIGTRAP signal-delivery-stop while running.
func (d *Debugger) handleTrap(th *thread, st tracee.Stop) ([]Event, bool) {
	if st.InfoErr != nil {
		return []Event{Warning{Text: st.InfoErr.Error()}}, d.resumeOrStop(th)
	}
	si := st.Info
	if si.Code == arch.SIKernel || si.Code == arch.TrapBrkpt {
		if evs, stop, ours := d.onSoftBreak(th); ours {
			return evs, stop
		}
	}
	var trap arch.Trap
	var err error
	hardware := d.hardwareTrap(si)
	if i, ok := d.onlySlot(th); ok && hardware {
		// One slot armed: a hardware trap can only be that slot's, so the
		// hit path skips reading the debug status register.
		trap.Fired = []int{i}
	} else if trap, err = d.decodeTrap(th, si); err != nil {
		return []Event{Warning{Text: err.Error()}}, d.resumeOrStop(th)
	}
	if (len(trap.Fired) > 0 || hardware) && d.staleTrap(th, trap) {
		// Raised before its watchpoint was deleted or disabled (a trap
		// pending when the program was stopped): nothing to report.
		tracef("thread %d: stale trap %+v dropped", th.Tid, trap)
		return nil, d.resumeOrStop(th)
	}
	if len(trap.Fired) > 0 || hardware {
		evs, stop := d.onHit(th, trap, 0)
		if !stop {
			d.resumeOrStop(th)
		}
		return evs, stop
	}
	if trap.Step || si.Code == arch.TrapTrace {
		// A late single-step trap (e.g. after a step was interrupted).
		return nil, d.resumeOrStop(th)
	}
	// The program's own SIGTRAP (an int3 it executed, or one sent to it).
	th.SetSignal(int(unix.SIGTRAP))
	return []Event{Stop{Tid: th.Tid, Reason: "signal", Signal: "SIGTRAP", At: d.locationOf(th.Tid)}}, true
}

// staleTrap tells whether a hardware trap of th names only slots that are
// no longer armed on th (or, naming none, came while none is armed): it
// was raised before its watchpoint was deleted or disabled.
func (d *Debugger) staleTrap(th *thread, trap arch.Trap) bool {
	armed := func(i int) bool { return i >= 0 && i < len(th.written) && th.written[i].Enabled }
	if len(trap.Fired) == 0 {
		return !slices.ContainsFunc(th.written, func(s arch.Slot) bool { return s.Enabled })
	}
	return !slices.ContainsFunc(trap.Fired, armed)
}

// onlySlot is the index of thread th's one armed slot, on a machine whose
// watchpoints trap after the access (where the slot alone says what
// fired; arm64 attributes a trap by its address, in its backend).
func (d *Debugger) onlySlot(th *thread) (int, bool) {
	if !d.arch.TrapAfter() {
		return 0, false
	}
	idx := -1
	for i, s := range th.written {
		if s.Enabled {
			if idx >= 0 {
				return 0, false
			}
			idx = i
		}
	}
	return idx, idx >= 0
}

// alsoFired returns idx, the slots the hardware said fired on th, with
// every other armed data slot of th that the accessing instruction touched
// in a direction the slot traps on. A real x86 CPU names each of them in
// DR6, but QEMU's TCG names only the first (scripts/amd64-vm/README.md):
// there, a write watch sharing its variable with a read watch never fired.
// It decodes the instruction only when another armed data slot lies within
// 8 bytes of a fired one, so a lone watchpoint's hit costs nothing more.
func (d *Debugger) alsoFired(th *thread, idx []int, stepPC uint64) []int {
	near := func(a, b arch.Slot) bool {
		return a.Addr < b.Addr+uint64(b.Len)+8 && b.Addr < a.Addr+uint64(a.Len)+8
	}
	data := func(i int) bool {
		return i >= 0 && i < len(th.written) && th.written[i].Enabled && th.written[i].Access&arch.ReadWrite != 0
	}
	var others []int
	for i := range th.written {
		if !data(i) || slices.Contains(idx, i) {
			continue
		}
		for _, f := range idx {
			if data(f) && near(th.written[i], th.written[f]) {
				others = append(others, i)
				break
			}
		}
	}
	if len(others) == 0 {
		return idx
	}
	regs, err := d.arch.GetRegs(th.Tid)
	if err != nil {
		return idx
	}
	accessPC := uint64(0)
	if !d.arch.TrapAfter() {
		accessPC = regs.PC()
	}
	insn, guessed, ok := d.accessingInsn(regs.PC(), stepPC, accessPC, regs)
	if !ok || guessed {
		return idx
	}
	out := slices.Clone(idx)
	for _, i := range touchedBy(th, insn) {
		if slices.Contains(others, i) {
			out = append(out, i)
		}
	}
	return out
}

// touchedBy lists the armed slots of th that insn's explicit memory
// access overlaps, in a direction the slot traps on.
func touchedBy(th *thread, insn arch.Insn) []int {
	if !insn.Mem || insn.MemLen <= 0 {
		return nil
	}
	lo, hi := insn.MemAddr, insn.MemAddr+uint64(insn.MemLen)
	var out []int
	for i, s := range th.written {
		hits := (s.Access&arch.Write != 0 && insn.MemWrites) || (s.Access&arch.Read != 0 && insn.MemReads)
		if s.Enabled && hits && lo < s.Addr+uint64(s.Len) && s.Addr < hi {
			out = append(out, i)
		}
	}
	return out
}

type firing struct {
	w     *Watchpoint
	slots []string
}

// firings maps fired slot indexes of th to the enabled watchpoints that
// own them, in id order.
func (d *Debugger) firings(th *thread, idx []int) []firing {
	by := map[int]*firing{}
	for _, i := range idx {
		for _, id := range d.slots.At(th.Tid, i).Owners {
			w := d.byID(id)
			if w == nil || !w.Enabled {
				continue
			}
			f := by[id]
			if f == nil {
				f = &firing{w: w}
				by[id] = f
			}
			f.slots = append(f.slots, d.slots.Name(i))
		}
	}
	out := make([]firing, 0, len(by))
	for _, f := range by {
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].w.ID < out[j].w.ID })
	return out
}

// unmatchedTrap reports a hardware trap whose slots belong to no enabled
// watchpoint.
func (d *Debugger) unmatchedTrap(th *thread, trap arch.Trap) []Event {
	names := make([]string, 0, len(trap.Fired))
	for _, i := range trap.Fired {
		names = append(names, d.slots.Name(i))
	}
	if !d.arch.TrapAfter() {
		th.stepOver = true // or it traps again at the same access
	}
	return []Event{Stop{Tid: th.Tid, Reason: fmt.Sprintf("hardware trap (slots %v, address %#x) that matches no watchpoint", names, trap.Addr), Signal: "SIGTRAP", At: d.locationOf(th.Tid)}}
}
