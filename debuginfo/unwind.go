package debuginfo

import (
	"encoding/binary"
	"errors"
	"fmt"

	"hwdbg/arch"
	"hwdbg/debuginfo/cfi"
	"hwdbg/debuginfo/dwarfexpr"
)

// UnwoundFrame is one frame of a backtrace.
type UnwoundFrame struct {
	// PC is the current pc of the innermost frame, the return address of
	// the others.
	PC uint64
	// CFA is the frame's canonical frame address (0 if not known).
	CFA uint64
	// Regs are the registers known in this frame, by DWARF number.
	Regs map[int]uint64
	// Caller is set for every frame but the innermost and those
	// interrupted by a signal: their PC is a return address, so the call
	// is at PC-1 (see LookupPC).
	Caller bool
	// FromFP is set when the step to this frame used frame pointers
	// because the callee's pc had no CFI.
	FromFP bool
}

// LookupPC is the pc to look up lines, functions, scopes and location
// lists with: PC-1 for a caller frame, PC otherwise.
func (f UnwoundFrame) LookupPC() uint64 {
	if f.Caller && f.PC > 0 {
		return f.PC - 1
	}
	return f.PC
}

// Frame adapts f to the Frame interface for VarAddress.
func (f UnwoundFrame) Frame() Frame { return unwoundFrame{f} }

type unwoundFrame struct{ f UnwoundFrame }

func (u unwoundFrame) Reg(r int) (uint64, bool) { v, ok := u.f.Regs[r]; return v, ok }
func (u unwoundFrame) CFA() (uint64, bool)      { return u.f.CFA, u.f.CFA != 0 }
func (u unwoundFrame) PC() uint64               { return u.f.LookupPC() }

// Unwind walks the stack of a stopped thread from its registers (DWARF
// numbers in the machine's numbering m; they must include the stack
// pointer, and on arm64 the link register) at pc, up to max frames. The
// tables are consulted in order for each pc: give the program's and those
// of the shared objects it has loaded (each at its bias). Where no table
// covers a pc, frame pointers are followed. The walk ends at a zero or
// non-advancing frame, at the outermost frame (return address undefined),
// or when memory cannot be read; it never fails once the first frame is
// known.
func Unwind(m *arch.DWARFRegs, tables []*CFI, pc uint64, regs map[int]uint64, mem Memory, max int) (frames []UnwoundFrame, err error) {
	if m == nil {
		return nil, errors.New("debuginfo: unwinding this machine is not supported")
	}
	if max <= 0 {
		max = 64
	}
	cur := UnwoundFrame{PC: pc, Regs: map[int]uint64{}}
	for k, v := range regs {
		cur.Regs[k] = v
	}
	if _, ok := cur.Regs[m.SP]; !ok {
		return nil, fmt.Errorf("debuginfo: unwind: no stack pointer (%s) among the registers", m.Name(m.SP))
	}
	defer func() {
		if r := recover(); r != nil {
			err = nil
			frames = append(frames, cur)
		}
	}()
	u := unwinder{m: m, mem: mem}
	for len(frames) < max {
		next, signal, ok := u.step(tables, &cur)
		if !ok {
			ok = u.fpStep(&cur, &next)
			next.FromFP = true
		}
		frames = append(frames, cur)
		if !ok || next.PC == 0 {
			break
		}
		// The stack grows down: a caller's frame is above its callee's.
		if next.CFA != 0 && cur.CFA != 0 && next.CFA <= cur.CFA && !signal {
			break
		}
		if next.Regs[m.SP] < cur.Regs[m.SP] && !signal {
			break
		}
		next.Caller = !signal
		cur = next
	}
	return frames, nil
}

// Unwind is the package-level Unwind with the Info's own CFI first and
// then extra (shared objects).
func (in *Info) Unwind(pc uint64, regs map[int]uint64, mem Memory, max int, extra ...*CFI) ([]UnwoundFrame, error) {
	if in.regs == nil {
		return nil, fmt.Errorf("debuginfo: unwinding %s is not supported", in.arch)
	}
	own, err := in.CFI()
	if err != nil {
		own = nil
	}
	return Unwind(in.regs, append([]*CFI{own}, extra...), pc, regs, mem, max)
}

// unwinder steps from frames to their callers on one machine.
type unwinder struct {
	m   *arch.DWARFRegs
	mem Memory
}

// step sets cur.CFA and gives cur's caller by the first table that
// covers cur's pc. signal tells that cur is a signal trampoline, whose
// caller was interrupted rather than calling. When no table covers the pc
// or its rules cannot be applied, ok is false and the caller is to be
// found by frame pointers, into next as step left it.
func (u unwinder) step(tables []*CFI, cur *UnwoundFrame) (next UnwoundFrame, signal, ok bool) {
	next = UnwoundFrame{Regs: map[int]uint64{}, Caller: true}
	look := cur.LookupPC()
	for _, t := range tables {
		if f, found := t.find(look); found {
			ok = u.cfiStep(t, f, look-t.bias, cur, &next)
			return next, ok && f.Signal(), ok
		}
	}
	return next, false, false
}

// cfiStep applies the FDE's row at the link-time pc to cur: it sets
// cur.CFA and fills next with the caller's registers and pc.
func (u unwinder) cfiStep(c *CFI, f *cfi.FDE, pc uint64, cur, next *UnwoundFrame) bool {
	row, err := c.t.Row(f, pc)
	if err != nil {
		return false
	}
	ctx := &dwarfexpr.Context{Frame: unwoundFrame{*cur}, Mem: u.mem, Order: c.t.Order(), PtrSize: c.t.PtrSize(), Regs: u.m}
	var cfa uint64
	if row.CFAExpr != nil {
		if cfa, err = ctx.Eval(row.CFAExpr); err != nil {
			return false
		}
	} else {
		v, ok := cur.Regs[row.CFAReg]
		if !ok {
			return false
		}
		cfa = v + uint64(row.CFAOff)
	}
	cur.CFA = cfa
	ctx.Frame = unwoundFrame{*cur}
	for k, v := range cur.Regs {
		next.Regs[k] = v
	}
	delete(next.Regs, u.m.RA)
	next.Regs[u.m.SP] = cfa
	ra := f.RA()
	raKnown := false
	for reg, r := range row.Regs {
		v, o := u.callerReg(ctx, c, reg, r, cfa, cur)
		switch {
		case o == regAsIs:
			continue
		case reg == ra && o == regUndefined:
			delete(next.Regs, reg)
			next.PC = 0
			return false // the outermost frame
		case reg == ra && o == regUnreadable:
			return false
		case o != regSet:
			delete(next.Regs, reg)
			continue
		}
		next.Regs[reg] = v
		if reg == ra {
			raKnown = true
		}
	}
	if !raKnown {
		// No rule for the return address: it is where it was (an arm64
		// leaf keeps it in the link register).
		x, ok := cur.Regs[ra]
		if !ok || ra == u.m.SP {
			return false
		}
		next.Regs[ra] = x
	}
	next.PC = next.Regs[ra] &^ u.m.TagBits
	if ra != u.m.RA {
		next.Regs[u.m.RA] = next.PC
	}
	next.CFA = 0
	return true
}

// What a rule makes of a caller's register.
type regOutcome uint8

const (
	regSet        regOutcome = iota // the value is known
	regAsIs                         // the same as the callee's, which is not known: leave it
	regLost                         // not known: its expression failed, or its register is unknown
	regUndefined                    // undefined by the rule
	regUnreadable                   // saved in memory that cannot be read
)

// callerReg recovers the caller's register reg by its rule r, in the
// frame cur whose CFA is cfa.
func (u unwinder) callerReg(ctx *dwarfexpr.Context, c *CFI, reg int, r cfi.Rule, cfa uint64, cur *UnwoundFrame) (uint64, regOutcome) {
	switch r.Kind {
	case cfi.RuleSame:
		if x, ok := cur.Regs[reg]; ok {
			return x, regSet
		}
		return 0, regAsIs
	case cfi.RuleUndefined:
		return 0, regUndefined
	case cfi.RuleOffset, cfi.RuleExpr:
		addr := cfa + uint64(r.Off)
		if r.Kind == cfi.RuleExpr {
			a, err := ctx.EvalPushed(r.Expr, cfa)
			if err != nil {
				return 0, regLost
			}
			addr = a
		}
		x, err := readWord(u.mem, addr, c.t.PtrSize(), c.t.Order())
		if err != nil {
			return 0, regUnreadable
		}
		return x, regSet
	case cfi.RuleValOffset:
		return cfa + uint64(r.Off), regSet
	case cfi.RuleValExpr:
		a, err := ctx.EvalPushed(r.Expr, cfa)
		if err != nil {
			return 0, regLost
		}
		return a, regSet
	case cfi.RuleRegister:
		x, ok := cur.Regs[r.Reg]
		if !ok {
			return 0, regLost
		}
		return x, regSet
	}
	return 0, regSet
}

// fpStep follows the frame-pointer chain from cur into next: the saved
// frame pointer at [fp], the return address one word above it.
func (u unwinder) fpStep(cur, next *UnwoundFrame) bool {
	fp, ok := cur.Regs[u.m.FP]
	if !ok || fp == 0 || u.mem == nil {
		return false
	}
	if sp := cur.Regs[u.m.SP]; fp < sp {
		return false
	}
	for k, v := range cur.Regs {
		next.Regs[k] = v
	}
	w := uint64(u.m.Word)
	savedFP, err := readWord(u.mem, fp, int(w), binary.LittleEndian)
	if err != nil {
		return false
	}
	ra, err := readWord(u.mem, fp+w, int(w), binary.LittleEndian)
	if err != nil {
		return false
	}
	cur.CFA = fp + 2*w
	next.Regs[u.m.FP] = savedFP
	next.Regs[u.m.SP] = fp + 2*w
	ra &^= u.m.TagBits
	next.Regs[u.m.RA] = ra
	next.PC = ra
	return true
}

func readWord(mem Memory, addr uint64, size int, order binary.ByteOrder) (uint64, error) {
	if mem == nil {
		return 0, errors.New("no memory")
	}
	var b [8]byte
	if size != 4 && size != 8 {
		size = 8
	}
	if err := mem.ReadMemory(addr, b[:size]); err != nil {
		return 0, err
	}
	if size == 4 {
		return uint64(order.Uint32(b[:])), nil
	}
	return order.Uint64(b[:]), nil
}
