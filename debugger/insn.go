package debugger

import (
	"hwdbg/arch"
	"hwdbg/debuginfo"
)

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
	return d.insnFinder().decodeAt(pc, regs)
}

// insnFinder decodes the program's code as it is now, through the
// debugger's symbols and call frame information.
func (d *Debugger) insnFinder() insnFinder {
	return insnFinder{
		arch: d.arch,
		read: func(addr uint64, b []byte) error {
			if err := d.proc.ReadMemory(addr, b); err != nil {
				return err
			}
			copy(b, d.originalCode(addr, b))
			return nil
		},
		starts: func(pc uint64) []uint64 {
			var starts []uint64
			if s, ok := d.symbolAt(pc); ok {
				starts = append(starts, s.Addr)
			}
			return append(starts, funcStartIn(d.cfiTables(), pc)...)
		},
	}
}

// funcStartIn is the start of the code range the first of tables that
// covers pc gives (an .eh_frame FDE), if one does.
func funcStartIn(tables []*debuginfo.CFI, pc uint64) []uint64 {
	for _, c := range tables {
		if start, ok := c.FuncStart(pc); ok {
			return []uint64{start}
		}
	}
	return nil
}

// insnFinder finds instructions in code it reads through read (the
// program's bytes as the program wrote them, without our breakpoints);
// starts gives the candidate starts of the function that holds a pc.
type insnFinder struct {
	arch   arch.Backend
	read   func(addr uint64, b []byte) error
	starts func(pc uint64) []uint64
}

func (f insnFinder) decodeAt(pc uint64, regs arch.Regs) (arch.Insn, error) {
	code := make([]byte, f.arch.MaxInsnLen())
	if err := f.read(pc, code); err != nil {
		// The instruction may sit at the end of a mapping.
		code = code[:1]
		if err := f.read(pc, code); err != nil {
			return arch.Insn{}, err
		}
	}
	return f.arch.Decode(code, pc, regs)
}

// maxDecodeSpan bounds how far back from pc the enclosing symbol's start
// may be for decoding forward.
const maxDecodeSpan = 1 << 20

// insnBefore finds the instruction that ends at pc, its operand address
// computed from regs. Results are cached per pc (insnFinder.before).
func (d *Debugger) insnBefore(pc uint64, regs arch.Regs) (arch.Insn, bool, bool) {
	f := d.insnFinder()
	in, cached := d.prevInsn[pc]
	if !cached {
		var guessed, ok bool
		in, guessed, ok = f.before(pc, regs)
		if !ok || guessed {
			return in, guessed, ok
		}
		d.prevInsn[pc] = in
	}
	if in2, err := f.decodeAt(in.PC, regs); err == nil {
		return in2, false, true // the operand address recomputed
	}
	return in, false, true
}

// before finds the instruction that ends at pc. x86 cannot be decoded
// backwards reliably, so it decodes forward from the start of the
// enclosing function: its symbol, or where no symbol names it (stripped
// libraries), the start of the code range its call frame information
// (.eh_frame FDE) covers. Without either it guesses the closest preceding
// instruction that ends at pc and accesses memory (guessed), its operand
// address computed from regs.
func (f insnFinder) before(pc uint64, regs arch.Regs) (in arch.Insn, guessed, ok bool) {
	for _, start := range f.starts(pc - 1) {
		if in, ok := f.forward(start, pc); ok {
			return in, false, true
		}
	}
	for k := 1; k <= f.arch.MaxInsnLen(); k++ {
		in, err := f.decodeAt(pc-uint64(k), regs)
		if err == nil && in.Len == k && in.Mem {
			return in, true, true
		}
	}
	return arch.Insn{}, false, false
}

// forward decodes from start to the instruction that ends at pc.
func (f insnFinder) forward(start, pc uint64) (arch.Insn, bool) {
	if pc <= start || pc-start > maxDecodeSpan {
		return arch.Insn{}, false
	}
	code := make([]byte, pc-start)
	if f.read(start, code) != nil {
		return arch.Insn{}, false
	}
	for off := 0; off < len(code); {
		in, err := f.arch.Decode(code[off:], start+uint64(off), nil)
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
