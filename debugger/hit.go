package debugger

import (
	"bytes"
	"fmt"
	"slices"
	"sort"

	"golang.org/x/sys/unix"

	"hwdbg/arch"
	"hwdbg/debuginfo"
)

// handleTrap handles a SIGTRAP signal-delivery-stop while running.
func (d *Debugger) handleTrap(th *Thread) ([]Event, bool) {
	si, err := getSiginfo(th.Tid)
	if err != nil {
		return []Event{Warning{Text: err.Error()}}, d.resumeOrStop(th)
	}
	if si.Code == arch.SIKernel || si.Code == arch.TrapBrkpt {
		if evs, stop, ours := d.onSoftBreak(th); ours {
			return evs, stop
		}
	}
	var trap arch.Trap
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
	th.sig = int(unix.SIGTRAP)
	return []Event{Stop{Tid: th.Tid, Reason: "signal", Signal: "SIGTRAP", At: d.locationOf(th.Tid)}}, true
}

type firing struct {
	w     *Watchpoint
	slots []string
}

// crossing applies a watch/breakpoint's condition, counts and ignore
// count to one hit that passed its access filters, and says whether it
// stops the program. A condition that cannot be evaluated stops it, with
// the reason.
func (d *Debugger) crossing(w *Watchpoint, tid int) (stop bool, problem *Notice) {
	if w.cond != nil {
		ok, err := d.condHolds(w, tid)
		if err != nil {
			problem = &Notice{Text: fmt.Sprintf("error in the condition of %d (%s): %v; stopped", w.ID, w.Cond, err)}
		} else if !ok {
			return false, nil
		}
	}
	w.Hits++
	if w.ThreadHits == nil {
		w.ThreadHits = map[int]int{}
	}
	w.ThreadHits[tid]++
	if problem != nil {
		return true, problem
	}
	if w.Ignore > 0 {
		w.Ignore--
		return false, nil
	}
	return !w.AutoContinue, nil
}

// onHit turns the slots that fired on th into events. stepPC is the pc of
// the instruction a stepi just executed (0 when running). It does not
// resume the thread; stop says whether the events stop the program.
func (d *Debugger) onHit(th *Thread, trap arch.Trap, stepPC uint64) (evs []Event, stop bool) {
	fired := d.firings(th, d.alsoFired(th, trap.Fired, stepPC))
	if len(fired) == 0 {
		names := make([]string, 0, len(trap.Fired))
		for _, i := range trap.Fired {
			names = append(names, d.slots.Name(i))
		}
		if !d.arch.TrapAfter() {
			th.stepOver = true // or it traps again at the same access
		}
		return []Event{Stop{Tid: th.Tid, Reason: fmt.Sprintf("hardware trap (slots %v, address %#x) that matches no watchpoint", names, trap.Addr), Signal: "SIGTRAP", At: d.locationOf(th.Tid)}}, true
	}
	// The registers are read only when needed: a hit that is counted and
	// resumed (commands silent+continue) does not need them.
	var regs arch.Regs
	var pc uint64
	getRegs := func() error {
		if regs != nil {
			return nil
		}
		r, err := d.arch.GetRegs(th.Tid)
		if err != nil {
			return fmt.Errorf("thread %d: %w", th.Tid, err)
		}
		regs, pc = r, r.PC()
		return nil
	}
	var data, brk bool
	for _, f := range fired {
		data = data || !f.w.IsBreak()
		brk = brk || f.w.IsBreak()
	}
	if brk || !d.arch.TrapAfter() {
		if err := getRegs(); err != nil {
			return []Event{Warning{Text: err.Error()}}, false
		}
	}
	accessPC := uint64(0)
	var before map[*Watchpoint][]byte
	if data && !d.arch.TrapAfter() {
		// Trap before the access (also when a stepi traps on it): memory
		// still holds the old value. Keep it, step the access with the
		// slots off, then read the new value.
		accessPC = pc
		before = map[*Watchpoint][]byte{}
		for _, f := range fired {
			if b := make([]byte, f.w.Len); !f.w.IsBreak() && readMemory(d.proc.Pid, f.w.Addr, b) == nil {
				before[f.w] = b
			}
		}
		if err := d.stepOver(th); err != nil {
			return []Event{Warning{Text: fmt.Sprintf("thread %d: step over watched access: %v", th.Tid, err)}}, false
		}
	}
	var insn arch.Insn
	var guessed, haveInsn, decoded bool
	decode := func() {
		if !decoded {
			decoded = true
			if getRegs() == nil {
				insn, guessed, haveInsn = d.accessingInsn(pc, stepPC, accessPC, regs)
			}
		}
	}
	for _, f := range fired {
		w := f.w
		if w.IsBreak() {
			if !d.arch.TrapAfter() {
				th.stepOver = true
			}
			ok, problem := d.crossing(w, th.Tid)
			if problem != nil {
				evs = append(evs, *problem)
			}
			if ok {
				evs = append(evs, BreakHit{ID: w.ID, Tid: th.Tid, At: d.location(pc), Slot: f.slots[0], Hits: w.Hits})
				d.afterStop(w)
			}
			continue
		}
		if w.countOnly() {
			// Counted and resumed with nothing to show or test: the value
			// is not read; old is read again when the program next stops.
			w.oldStale = true
			d.crossing(w, th.Tid)
			continue
		}
		cur := make([]byte, w.Len)
		if err := readMemory(d.proc.Pid, w.Addr, cur); err != nil {
			evs = append(evs, Warning{Text: fmt.Sprintf("watchpoint %d: %v", w.ID, err)})
			continue
		}
		old := w.old
		if b, ok := before[w]; ok {
			old = b // what the access found (a trap-before machine)
		}
		w.old = cur
		if w.Access == arch.Read {
			// A read-or-write slot also fires on writes: report only
			// instructions that read. Without the instruction, an
			// unchanged value is the best evidence of a read.
			decode()
			if !haveInsn || guessed {
				// Never call an access a read without knowing it was one.
				evs = append(evs, Warning{Text: fmt.Sprintf("watchpoint %d: an access before %#x was not reported: its instruction could not be decoded, so it may have been a read or a write", w.ID, pc)})
				continue
			}
			if !insn.MemReads {
				continue
			}
		}
		if w.Modify && bytes.Equal(old, cur) {
			continue
		}
		if w.bitSize > 0 && w.Access != arch.Read &&
			debuginfo.ExtractBits(old, w.bitOffset, w.bitSize) == debuginfo.ExtractBits(cur, w.bitOffset, w.bitSize) {
			continue // a write to the bitfield's neighbours
		}
		ok, problem := d.crossing(w, th.Tid)
		if problem != nil {
			evs = append(evs, *problem)
		}
		if !ok {
			continue
		}
		decode()
		hit := WatchHit{
			ID: w.ID, Expr: w.Expr, Access: w.Access.String(), Addr: w.Addr, Len: w.Len,
			Tid: th.Tid, Slots: f.slots, Old: d.formatWatched(w, old), New: d.formatWatched(w, cur),
			Hits: w.Hits, Guessed: guessed,
		}
		if haveInsn {
			hit.Insn = d.location(insn.PC)
			hit.Text = insn.Text
		}
		evs = append(evs, hit)
	}
	return evs, len(evs) > 0
}

// staleTrap tells whether a hardware trap of th names only slots that are
// no longer armed on th (or, naming none, came while none is armed): it
// was raised before its watchpoint was deleted or disabled.
func (d *Debugger) staleTrap(th *Thread, trap arch.Trap) bool {
	armed := func(i int) bool { return i >= 0 && i < len(th.written) && th.written[i].Enabled }
	if len(trap.Fired) == 0 {
		return !slices.ContainsFunc(th.written, func(s arch.Slot) bool { return s.Enabled })
	}
	return !slices.ContainsFunc(trap.Fired, armed)
}

// alsoFired returns idx, the slots the hardware said fired on th, with
// every other armed data slot of th that the accessing instruction touched
// in a direction the slot traps on. A real x86 CPU names each of them in
// DR6, but QEMU's TCG names only the first (scripts/amd64-vm/README.md):
// there, a write watch sharing its variable with a read watch never fired.
// It decodes the instruction only when another armed data slot lies within
// 8 bytes of a fired one, so a lone watchpoint's hit costs nothing more.
func (d *Debugger) alsoFired(th *Thread, idx []int, stepPC uint64) []int {
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
func touchedBy(th *Thread, insn arch.Insn) []int {
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

// firings maps fired slot indexes of th to the enabled watchpoints that
// own them, in id order.
func (d *Debugger) firings(th *Thread, idx []int) []firing {
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

// accessingInsn finds the instruction that made a data access: the one a
// stepi executed, the one at pc on a trap-before machine, or on a
// trap-after machine the instruction that ends at pc.
func (d *Debugger) accessingInsn(pc, stepPC, accessPC uint64, regs arch.Regs) (insn arch.Insn, guessed, ok bool) {
	at := stepPC
	if at == 0 {
		at = accessPC
	}
	if at != 0 {
		insn, err := d.decodeAt(at, regs)
		return insn, false, err == nil
	}
	return d.insnBefore(pc, regs)
}

func (d *Debugger) decodeAt(pc uint64, regs arch.Regs) (arch.Insn, error) {
	code := make([]byte, d.arch.MaxInsnLen())
	if err := readMemory(d.proc.Pid, pc, code); err != nil {
		// The instruction may sit at the end of a mapping.
		code = code[:1]
		if err := readMemory(d.proc.Pid, pc, code); err != nil {
			return arch.Insn{}, err
		}
	}
	return d.arch.Decode(d.originalCode(pc, code), pc, regs)
}

// maxDecodeSpan bounds how far back from pc the enclosing symbol's start
// may be for decoding forward.
const maxDecodeSpan = 1 << 20

// insnBefore finds the instruction that ends at pc. x86 cannot be decoded
// backwards reliably, so decode forward from the enclosing symbol's start;
// without a symbol, guess the closest preceding instruction that ends at
// pc and accesses memory. Results are cached per pc.
func (d *Debugger) insnBefore(pc uint64, regs arch.Regs) (arch.Insn, bool, bool) {
	if in, ok := d.prevInsn[pc]; ok {
		in2, err := d.decodeAt(in.PC, regs) // recompute the operand address
		if err == nil {
			return in2, false, true
		}
		return in, false, true
	}
	// Decode forward from the function's start: its symbol, or where no
	// symbol names it (stripped libraries), the start of the code range
	// its call frame information (.eh_frame FDE) covers.
	var starts []uint64
	if s, ok := d.symbolAt(pc - 1); ok {
		starts = append(starts, s.Addr)
	}
	for _, c := range d.cfiTables() {
		if start, ok := c.FuncStart(pc - 1); ok {
			starts = append(starts, start)
			break
		}
	}
	for _, start := range starts {
		if in, ok := d.decodeForward(start, pc); ok {
			d.prevInsn[pc] = in
			if in2, err := d.decodeAt(in.PC, regs); err == nil {
				return in2, false, true
			}
			return in, false, true
		}
	}
	max := d.arch.MaxInsnLen()
	for k := 1; k <= max; k++ {
		in, err := d.decodeAt(pc-uint64(k), regs)
		if err == nil && in.Len == k && in.Mem {
			return in, true, true
		}
	}
	return arch.Insn{}, false, false
}

// decodeForward decodes from start to the instruction that ends at pc.
func (d *Debugger) decodeForward(start, pc uint64) (arch.Insn, bool) {
	if pc <= start || pc-start > maxDecodeSpan {
		return arch.Insn{}, false
	}
	code := make([]byte, pc-start)
	if readMemory(d.proc.Pid, start, code) != nil {
		return arch.Insn{}, false
	}
	code = d.originalCode(start, code)
	for off := 0; off < len(code); {
		in, err := d.arch.Decode(code[off:], start+uint64(off), nil)
		if err != nil || in.Len <= 0 {
			return arch.Insn{}, false
		}
		if off+in.Len == len(code) {
			return in, true
		}
		off += in.Len
	}
	return arch.Insn{}, false
}

// stepOver executes one instruction of th with its slots disabled (for
// machines whose watchpoints trap before the access), then re-arms them.
func (d *Debugger) stepOver(th *Thread) error {
	if err := d.arm.Disarm(th.Tid); err != nil {
		return err
	}
	if err := d.singleStep(th); err != nil {
		return err
	}
	return d.arm.Arm(th.Tid, th.written)
}

// singleStep steps th over one instruction and waits for the step to end,
// passing over clone events and stale interrupts on the way. It delivers
// no signal: one already due and any that arrives during the step (the Go
// runtime's SIGURG, another thread's tgkill) are kept and delivered when
// th resumes. Delivered with the step, a signal would run its handler and
// leave the instruction unexecuted, so that it traps a second time.
func (d *Debugger) singleStep(th *Thread) error {
	for {
		if err := ptraceSingleStep(th.Tid); err != nil {
			return fmt.Errorf("single-step thread %d: %w", th.Tid, err)
		}
		_, ws, err := wait4(th.Tid)
		if err != nil {
			return fmt.Errorf("wait for thread %d: %w", th.Tid, err)
		}
		if ws.Exited() || ws.Signaled() {
			th.pending = &ws
			return fmt.Errorf("thread %d ended while stepping", th.Tid)
		}
		switch stopEvent(ws) {
		case unix.PTRACE_EVENT_CLONE:
			d.noteClone(th.Tid)
			continue
		case unix.PTRACE_EVENT_STOP:
			continue
		}
		if sig := ws.StopSignal(); sig != unix.SIGTRAP {
			if sig == unix.SIGSTOP && d.hasInterrupt() {
				// Our own interrupt (Ctrl-C): sent again once the thread
				// runs, so that it stops the program then. Delivered as
				// the program's signal, it made a job-control stop that
				// no one reported.
				if !slices.Contains(th.later, int(sig)) {
					th.later = append(th.later, int(sig))
				}
			} else {
				th.keep(int(sig))
			}
			continue
		}
		return nil
	}
}

// keep holds sig, which stopped th during an internal step, for th's next
// resume.
func (th *Thread) keep(sig int) {
	switch {
	case th.sig == 0:
		th.sig = sig
	case sig != th.sig && !slices.Contains(th.later, sig):
		th.later = append(th.later, sig)
	}
}

// raiseLater sends th the signals keep could not hold in th.sig, now that
// th runs again: each comes back as a stop of its own and is delivered
// like any signal of the program.
func (d *Debugger) raiseLater(th *Thread) {
	for _, sig := range th.later {
		unix.Tgkill(d.proc.Pid, th.Tid, unix.Signal(sig))
	}
	th.later = nil
}

// Step executes one instruction of the selected thread (stepi). A watched
// access made by that instruction is reported as a hit.
func (d *Debugger) Step() ([]Event, error) {
	if d.proc.exited {
		return nil, ErrExited
	}
	var evs []Event
	var err error
	d.tr.do(func() {
		evs, err = d.step()
		evs = append(evs, d.park()...)
	})
	return evs, err
}

func (d *Debugger) step() ([]Event, error) {
	th := d.proc.threads[d.Current]
	if th == nil {
		return nil, fmt.Errorf("no thread %d", d.Current)
	}
	if th.pending != nil {
		ws := *th.pending
		th.pending = nil
		if evs, stop := d.handle(th.Tid, ws); stop {
			return d.finishStop(th.Tid, evs), nil
		}
		// handle resumed it: bring it back.
		return d.finishStop(th.Tid, nil), nil
	}
	if err := d.syncSlots(); err != nil {
		return nil, err
	}
	regs, err := d.arch.GetRegs(th.Tid)
	if err != nil {
		return nil, err
	}
	pc := regs.PC()
	if th.stepOver {
		th.stepOver = false
		if err := d.stepOver(th); err != nil {
			return nil, err
		}
		return []Event{Stop{Tid: th.Tid, Reason: "step", At: d.locationOf(th.Tid)}}, nil
	}
	if th.atBreak {
		evs, _, err := d.stepPastBreak(th, regs, false)
		if err != nil || len(evs) > 0 {
			return evs, err
		}
		return []Event{Stop{Tid: th.Tid, Reason: "step", At: d.locationOf(th.Tid)}}, nil
	}
	// A step onto a watched access: see stepWatched. (A signal due now
	// is delivered with the step, into its handler, as below.)
	if th.sig == 0 {
		if fired := d.watchedBy(th, pc, regs); len(fired) > 0 {
			if err := d.stepWatched(th, fired); err != nil {
				return nil, err
			}
			if evs, _ := d.onHit(th, arch.Trap{Fired: fired}, pc); len(evs) > 0 {
				return evs, nil
			}
			return []Event{Stop{Tid: th.Tid, Reason: "step", At: d.locationOf(th.Tid)}}, nil
		}
	}
	sig := th.sig
	th.sig = 0
	if err := ptraceRaw(unix.PTRACE_SINGLESTEP, th.Tid, 0, uintptr(sig)); err != nil {
		return nil, fmt.Errorf("single-step thread %d: %w", th.Tid, err)
	}
	th.stopped = false
	// A step over a blocking system call can take long: Ctrl-C stops it.
	d.setRunning(true)
	defer d.drainInterrupts()
	defer d.setRunning(false)
	for {
		_, ws, err := wait4(th.Tid)
		if err != nil {
			return nil, fmt.Errorf("wait for thread %d: %w", th.Tid, err)
		}
		if ws.Exited() || ws.Signaled() {
			evs, _ := d.handleExit(th.Tid, ws)
			return evs, nil
		}
		th.stopped = true
		switch stopEvent(ws) {
		case unix.PTRACE_EVENT_CLONE, unix.PTRACE_EVENT_STOP:
			if stopEvent(ws) == unix.PTRACE_EVENT_CLONE {
				d.noteClone(th.Tid)
			}
			if err := ptraceSingleStep(th.Tid); err != nil {
				return nil, err
			}
			th.stopped = false
			continue
		case unix.PTRACE_EVENT_EXEC:
			return d.handleExec(th), nil
		}
		sig := ws.StopSignal()
		if sig != unix.SIGTRAP {
			if isReportedSignal(sig) || sig == unix.SIGINT || (sig == unix.SIGSTOP && d.hasInterrupt()) {
				evs, _ := d.handle(th.Tid, ws)
				return evs, nil
			}
			// A signal the program handles quietly: delivered at the next
			// resume, after the step has executed the instruction (as gdb
			// steps over a handler).
			th.keep(int(sig))
			if err := ptraceSingleStep(th.Tid); err != nil {
				return nil, err
			}
			th.stopped = false
			continue
		}
		si, _ := getSiginfo(th.Tid)
		trap, err := d.decodeTrap(th, si)
		if err != nil {
			return nil, err
		}
		var evs []Event
		if len(trap.Fired) > 0 {
			evs, _ = d.onHit(th, trap, pc)
			if len(evs) > 0 {
				return evs, nil
			}
		}
		at := d.locationOf(th.Tid)
		if _, ok := d.soft[at.PC]; ok {
			// Landed on one of our breakpoints: the next resume must run
			// the real instruction, not our breakpoint byte.
			th.atBreak = true
		}
		return append(evs, Stop{Tid: th.Tid, Reason: "step", At: at}), nil
	}
}

// formatWatched renders a watched value (a bitfield by its bits).
func (d *Debugger) formatWatched(w *Watchpoint, b []byte) string {
	if w.bitSize > 0 {
		return debuginfo.FormatBits(w.Type, b, w.bitOffset, w.bitSize)
	}
	return d.formatValue(w.Type, b)
}

// onlySlot is the index of thread th's one armed slot, on a machine whose
// watchpoints trap after the access (where the slot alone says what
// fired; arm64 attributes a trap by its address, in its backend).
func (d *Debugger) onlySlot(th *Thread) (int, bool) {
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

// countOnly: a hit of w is counted and the program resumed, and nothing
// needs its value (no condition, -m, bitfield or read filter).
func (w *Watchpoint) countOnly() bool {
	return w.AutoContinue && w.cond == nil && !w.Modify && w.bitSize == 0 && w.Access != arch.Read
}

// refreshStale reads again the values not read at count-only hits, so
// the next report's old value is the value at this stop.
func (d *Debugger) refreshStale() {
	for _, w := range d.bps {
		if w.oldStale && !d.proc.exited {
			b := make([]byte, w.Len)
			if readMemory(d.proc.Pid, w.Addr, b) == nil {
				w.old, w.oldStale = b, false
			}
		}
	}
}
