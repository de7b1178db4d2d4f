package debugger

import "hwdbg/arch"

// The instruction that made a data access: decoded at the pc a step
// started from, or on a machine that traps after the access (amd64), the
// one that ends at the pc, found by decoding forward from the start of the
// function (x86 cannot be decoded backwards).

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
	if err := d.proc.ReadMemory(pc, code); err != nil {
		// The instruction may sit at the end of a mapping.
		code = code[:1]
		if err := d.proc.ReadMemory(pc, code); err != nil {
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
	if d.proc.ReadMemory(start, code) != nil {
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
