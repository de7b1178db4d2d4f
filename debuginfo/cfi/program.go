package cfi

import (
	"errors"
	"fmt"

	"hwdbg/debuginfo/internal/dwread"
)

// RuleKind says how a caller's register is recovered.
type RuleKind uint8

const (
	RuleSame      RuleKind = iota // unspecified, or DW_CFA_same_value: unchanged
	RuleUndefined                 // not recoverable (the return address: outermost frame)
	RuleOffset                    // saved at CFA+Off
	RuleValOffset                 // the value is CFA+Off
	RuleRegister                  // held in register Reg
	RuleExpr                      // saved at the address Expr computes, the CFA pushed first
	RuleValExpr                   // the value is what Expr computes, the CFA pushed first
)

// Rule is how one register of the caller is recovered.
type Rule struct {
	Kind RuleKind
	Off  int64
	Reg  int
	Expr []byte
}

// Row is the unwind rule in force at a pc: the CFA is CFAReg+CFAOff, or
// what CFAExpr computes when it is set; Regs are the caller's registers
// by DWARF number (a register without a rule is RuleSame).
type Row struct {
	CFAReg  int
	CFAOff  int64
	CFAExpr []byte
	Regs    map[int]Rule
}

func (r Row) clone() Row {
	n := r
	n.Regs = make(map[int]Rule, len(r.Regs))
	for k, v := range r.Regs {
		n.Regs[k] = v
	}
	return n
}

const maxInsns = 1 << 16

// Row runs the CIE's initial instructions and the FDE's up to the
// link-time pc.
func (t *Table) Row(f *FDE, pc uint64) (Row, error) {
	ci := f.cie
	row, err := t.exec(f, ci.init, ci.initOff, Row{Regs: map[int]Rule{}}, nil, ^uint64(0), fmt.Sprintf("CIE at %#x", ci.off))
	if err != nil {
		return row, err
	}
	init := row.clone()
	return t.exec(f, f.insns, f.insnsOff, row, &init, pc, fmt.Sprintf("FDE at %#x", f.off))
}

// program is one run of a list of CFA instructions.
type program struct {
	t     *Table
	f     *FDE
	r     *dwread.Reader
	row   Row
	init  *Row // the row after the CIE's instructions; nil while running them
	stack []Row
	loc   uint64 // the address the row describes
	pc    uint64 // where to stop
}

// exec runs insns, found at offset base of the section, from row, up to
// pc; what names the entry in errors.
func (t *Table) exec(f *FDE, insns []byte, base uint64, row Row, init *Row, pc uint64, what string) (Row, error) {
	p := &program{t: t, f: f, r: dwread.New(insns, 0, t.order), row: row, init: init, loc: f.Lo, pc: pc}
	for n := 0; p.r.More(); n++ {
		at := p.r.Pos()
		if n > maxInsns {
			return p.row, &dwread.DecodeError{Section: f.section(), Offset: base + uint64(at), Err: fmt.Errorf("%s: too many CFA instructions", what)}
		}
		stop, err := p.step(p.r.U8())
		if err != nil {
			return p.row, &dwread.DecodeError{Section: f.section(), Offset: base + uint64(at), Err: fmt.Errorf("%s: %w", what, err)}
		}
		if stop {
			break
		}
	}
	return p.row, p.r.Error(f.section(), base, what)
}

// step runs one instruction; stop is set once the row reaches past pc.
func (p *program) step(op byte) (stop bool, err error) {
	da := p.f.cie.dataAlign
	switch op >> 6 {
	case 1: // advance_loc
		return p.advance(uint64(op & 0x3f)), nil
	case 2: // offset
		p.row.Regs[int(op&0x3f)] = Rule{Kind: RuleOffset, Off: int64(p.r.Uleb()) * da}
		return false, nil
	case 3: // restore
		p.restore(int(op & 0x3f))
		return false, nil
	}
	switch op {
	case 0x00, 0x2d: // nop; AARCH64_negate_ra_state / GNU_window_save
	case 0x01: // set_loc
		enc := p.f.cie.fdeEnc
		if !p.f.eh {
			enc = 0
		}
		nl := readEncoded(p.r, enc, 0, 0, p.f.cie.addrSize)
		if nl > p.pc {
			return true, nil
		}
		p.loc = nl
	case 0x02: // advance_loc1
		return p.advance(uint64(p.r.U8())), nil
	case 0x03: // advance_loc2
		return p.advance(uint64(p.r.U16())), nil
	case 0x04: // advance_loc4
		return p.advance(uint64(p.r.U32())), nil
	case 0x0a, 0x0b: // remember_state, restore_state
		return false, p.state(op)
	case 0x0c, 0x0d, 0x0e, 0x0f, 0x12, 0x13: // the CFA rule
		p.cfaRule(op)
	case 0x2e: // GNU_args_size
		p.r.Uleb()
	default:
		return false, p.regRule(op)
	}
	return false, nil
}

// advance moves the row's address by d code units; true once past pc.
func (p *program) advance(d uint64) bool {
	p.loc += d * p.f.cie.codeAlign
	return p.loc > p.pc
}

// restore gives reg its rule after the CIE's instructions.
func (p *program) restore(reg int) {
	if p.init != nil {
		if r, ok := p.init.Regs[reg]; ok {
			p.row.Regs[reg] = r
			return
		}
	}
	delete(p.row.Regs, reg)
}

// state runs remember_state and restore_state.
func (p *program) state(op byte) error {
	if op == 0x0a {
		if len(p.stack) > 64 {
			return errors.New("DW_CFA_remember_state nested too deep")
		}
		p.stack = append(p.stack, p.row.clone())
		return nil
	}
	if len(p.stack) == 0 {
		return errors.New("DW_CFA_restore_state without remember_state")
	}
	// The CFA rule is not part of the remembered state in every
	// producer's reading, but GCC and LLVM restore it too.
	p.row = p.stack[len(p.stack)-1]
	p.stack = p.stack[:len(p.stack)-1]
	return nil
}

// cfaRule runs the instructions that define the CFA.
func (p *program) cfaRule(op byte) {
	da := p.f.cie.dataAlign
	switch op {
	case 0x0c: // def_cfa
		p.row.CFAReg = int(p.r.Uleb())
		p.row.CFAOff = int64(p.r.Uleb())
		p.row.CFAExpr = nil
	case 0x0d: // def_cfa_register
		p.row.CFAReg = int(p.r.Uleb())
		p.row.CFAExpr = nil
	case 0x0e: // def_cfa_offset
		p.row.CFAOff = int64(p.r.Uleb())
	case 0x0f: // def_cfa_expression
		p.row.CFAExpr = p.r.Bytes(p.r.Uleb())
	case 0x12: // def_cfa_sf
		p.row.CFAReg = int(p.r.Uleb())
		p.row.CFAOff = p.r.Sleb() * da
		p.row.CFAExpr = nil
	case 0x13: // def_cfa_offset_sf
		p.row.CFAOff = p.r.Sleb() * da
	}
}

// regRule runs the instructions that give a register its rule.
func (p *program) regRule(op byte) error {
	da := p.f.cie.dataAlign
	switch op {
	case 0x05: // offset_extended
		r := int(p.r.Uleb())
		p.row.Regs[r] = Rule{Kind: RuleOffset, Off: int64(p.r.Uleb()) * da}
	case 0x06: // restore_extended
		p.restore(int(p.r.Uleb()))
	case 0x07: // undefined
		p.row.Regs[int(p.r.Uleb())] = Rule{Kind: RuleUndefined}
	case 0x08: // same_value
		p.row.Regs[int(p.r.Uleb())] = Rule{Kind: RuleSame}
	case 0x09: // register
		r := int(p.r.Uleb())
		p.row.Regs[r] = Rule{Kind: RuleRegister, Reg: int(p.r.Uleb())}
	case 0x10: // expression
		r := int(p.r.Uleb())
		p.row.Regs[r] = Rule{Kind: RuleExpr, Expr: p.r.Bytes(p.r.Uleb())}
	case 0x11: // offset_extended_sf
		r := int(p.r.Uleb())
		p.row.Regs[r] = Rule{Kind: RuleOffset, Off: p.r.Sleb() * da}
	case 0x14: // val_offset
		r := int(p.r.Uleb())
		p.row.Regs[r] = Rule{Kind: RuleValOffset, Off: int64(p.r.Uleb()) * da}
	case 0x15: // val_offset_sf
		r := int(p.r.Uleb())
		p.row.Regs[r] = Rule{Kind: RuleValOffset, Off: p.r.Sleb() * da}
	case 0x16: // val_expression
		r := int(p.r.Uleb())
		p.row.Regs[r] = Rule{Kind: RuleValExpr, Expr: p.r.Bytes(p.r.Uleb())}
	case 0x2f: // GNU_negative_offset_extended
		r := int(p.r.Uleb())
		p.row.Regs[r] = Rule{Kind: RuleOffset, Off: -int64(p.r.Uleb()) * da}
	default:
		return fmt.Errorf("unknown CFA instruction %#x", op)
	}
	return nil
}
