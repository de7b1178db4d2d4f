package debuginfo

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"

	"hwdbg/debugfile"
)

// CFI is the call frame information of one ELF file (.eh_frame and
// .debug_frame) loaded at a bias: what Unwind needs to step from a frame
// to its caller. Build one per loaded object with LoadCFI (Info.CFI gives
// the program's own).
type CFI struct {
	path    string
	bias    uint64
	order   binary.ByteOrder
	ptrSize int
	fdes    []fde // sorted by lo; .eh_frame before .debug_frame at equal lo
}

type cie struct {
	codeAlign uint64
	dataAlign int64
	ra        int
	init      []byte
	fdeEnc    byte
	lsdaEnc   byte
	aug       bool // "z" augmentation: FDEs carry an augmentation length
	signal    bool
	addrSize  int
}

type fde struct {
	lo, hi uint64 // unbiased
	cie    *cie
	insns  []byte
	eh     bool
}

// LoadCFI reads the call frame information of the ELF file at path, to be
// used at bias (0 for a non-PIE executable). A file with neither
// .eh_frame nor .debug_frame takes the .debug_frame of its separate debug
// file (see Load), if it has one. A file without any is not an error: its
// CFI is empty and Unwind falls back to frame pointers.
func LoadCFI(path string, bias uint64) (c *CFI, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, fmt.Errorf("debuginfo: CFI of %s: malformed file (%v)", path, r)
		}
	}()
	f, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("debuginfo: CFI of %s: %w", path, err)
	}
	defer f.Close()
	df := f
	if !hasCFI(f) {
		// The debug file is looked for only here: .eh_frame, which
		// nearly every object has, stays in the object when it is
		// stripped.
		if d, _, err := debugfile.Open(path, f, debugfile.Dirs()); err == nil && d != nil {
			defer d.Close()
			df = d
		}
	}
	return cfiFromELF(f, df, path, bias)
}

// hasCFI tells whether f has an .eh_frame or a .debug_frame with contents.
func hasCFI(f *elf.File) bool {
	for _, name := range []string{".eh_frame", ".debug_frame"} {
		if s := sectionOf(f, name); s != nil && s.Type != elf.SHT_NOBITS && s.Size > 0 {
			return true
		}
	}
	return false
}

// LoadCFIImage reads the call frame information of an ELF image found in
// memory rather than in a file (the kernel's vDSO, which 32-bit programs
// enter at every system call), mapped at start. name names it in errors.
func LoadCFIImage(name string, image []byte, start uint64) (c *CFI, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, fmt.Errorf("debuginfo: CFI of %s: malformed image (%v)", name, r)
		}
	}()
	f, err := elf.NewFile(bytes.NewReader(image))
	if err != nil {
		return nil, fmt.Errorf("debuginfo: CFI of %s: %w", name, err)
	}
	// The image is mapped whole from its first loadable segment.
	first, ok := uint64(0), false
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && (!ok || p.Vaddr < first) {
			first, ok = p.Vaddr&^(p.Align-1|0xfff), true
		}
	}
	if !ok || first > start {
		return nil, fmt.Errorf("debuginfo: CFI of %s: no loadable segment at %#x", name, start)
	}
	return cfiFromELF(f, f, name, start-first)
}

// CFI gives the call frame information of the Info's file, read once.
func (in *Info) CFI() (*CFI, error) {
	defer in.lock()()
	if in.cfi == nil && in.cfiErr == nil {
		func() {
			defer func() {
				if r := recover(); r != nil {
					in.cfiErr = fmt.Errorf("debuginfo: CFI of %s: malformed file (%v)", in.path, r)
				}
			}()
			in.cfi, in.cfiErr = cfiFromELF(in.f, in.df, in.path, in.bias)
		}()
	}
	return in.cfi, in.cfiErr
}

// cfiFromELF reads the .eh_frame of the object f (a debug file's is
// NOBITS: it stays in the object) and the .debug_frame of f, or else of
// df, its separate debug file (df is f when there is none).
func cfiFromELF(f, df *elf.File, path string, bias uint64) (*CFI, error) {
	c := &CFI{path: path, bias: bias, order: f.ByteOrder, ptrSize: 8}
	if f.Class == elf.ELFCLASS32 {
		c.ptrSize = 4
	}
	var got uint64
	if s := f.Section(".got"); s != nil {
		got = s.Addr
	}
	var errs []string
	if s := f.Section(".eh_frame"); s != nil && s.Type != elf.SHT_NOBITS {
		b, err := s.Data()
		if err != nil {
			return nil, fmt.Errorf("debuginfo: CFI of %s: read .eh_frame: %w", path, err)
		}
		if err := c.parse(b, s.Addr, got, true); err != nil {
			errs = append(errs, ".eh_frame: "+err.Error())
		}
	}
	s := sectionOf(f, ".debug_frame")
	if s == nil || s.Type == elf.SHT_NOBITS {
		s = sectionOf(df, ".debug_frame")
	}
	if s != nil && s.Type != elf.SHT_NOBITS {
		b, err := s.Data()
		if err == nil && strings.HasPrefix(s.Name, ".zdebug") {
			b, err = unzdebug(b)
		}
		if err != nil {
			return nil, fmt.Errorf("debuginfo: CFI of %s: read .debug_frame: %w", path, err)
		}
		if err := c.parse(b, 0, 0, false); err != nil {
			errs = append(errs, ".debug_frame: "+err.Error())
		}
	}
	c.sort()
	if len(c.fdes) == 0 && len(errs) > 0 {
		return nil, fmt.Errorf("debuginfo: CFI of %s: %s", path, strings.Join(errs, "; "))
	}
	return c, nil
}

// ParseCFI parses raw .eh_frame (eh true; secAddr is the section's
// address) or .debug_frame bytes. It is what LoadCFI uses, exposed for
// tests and fuzzing.
func ParseCFI(b []byte, eh bool, secAddr uint64, order binary.ByteOrder, ptrSize int) (c *CFI, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, fmt.Errorf("debuginfo: malformed CFI (%v)", r)
		}
	}()
	c = &CFI{order: order, ptrSize: ptrSize}
	err = c.parse(b, secAddr, 0, eh)
	c.sort()
	return c, err
}

func (c *CFI) sort() {
	sort.SliceStable(c.fdes, func(i, j int) bool {
		if c.fdes[i].lo != c.fdes[j].lo {
			return c.fdes[i].lo < c.fdes[j].lo
		}
		return c.fdes[i].eh && !c.fdes[j].eh
	})
}

// Len is the number of FDEs.
func (c *CFI) Len() int {
	if c == nil {
		return 0
	}
	return len(c.fdes)
}

// parse reads every CIE and FDE of one section. Entries that cannot be
// read are skipped; the first error is returned after the rest is read.
func (c *CFI) parse(sec []byte, secAddr, got uint64, eh bool) error {
	cies := map[uint64]*cie{}
	var firstErr error
	for off := uint64(0); off+4 <= uint64(len(sec)); {
		start := off
		b := &buf{b: sec, pos: int(off), order: c.order}
		length := uint64(b.u32())
		offSize := 4
		if length == 0xffffffff {
			length = b.u64()
			offSize = 8
		}
		if length == 0 {
			if eh {
				break // terminator
			}
			off = uint64(b.pos)
			continue
		}
		body := uint64(b.pos)
		end := body + length
		if end > uint64(len(sec)) || end < body {
			if firstErr == nil {
				firstErr = fmt.Errorf("entry at %#x: length %#x past the end", start, length)
			}
			break
		}
		off = end
		eb := &buf{b: sec[:end], pos: int(body), order: c.order}
		idPos := uint64(eb.pos)
		var id uint64
		if offSize == 8 {
			id = eb.u64()
		} else {
			id = uint64(eb.u32())
		}
		isCIE := eh && id == 0 || !eh && (offSize == 4 && id == 0xffffffff || offSize == 8 && id == ^uint64(0))
		if isCIE {
			if _, ok := cies[start]; !ok {
				ci, err := c.parseCIE(eb, eh)
				if err != nil {
					if firstErr == nil {
						firstErr = fmt.Errorf("CIE at %#x: %w", start, err)
					}
					continue
				}
				cies[start] = ci
			}
			continue
		}
		cieOff := id
		if eh {
			cieOff = idPos - id
		}
		ci, ok := cies[cieOff]
		if !ok {
			if cieOff >= uint64(len(sec)) {
				continue
			}
			cb := &buf{b: sec, pos: int(cieOff), order: c.order}
			l := uint64(cb.u32())
			if l == 0xffffffff {
				l = cb.u64()
			}
			cend := uint64(cb.pos) + l
			if cend > uint64(len(sec)) || cend < l {
				continue
			}
			cb.b = sec[:cend]
			if offSize == 8 {
				cb.u64()
			} else {
				cb.u32()
			}
			var err error
			if ci, err = c.parseCIE(cb, eh); err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("CIE at %#x: %w", cieOff, err)
				}
				continue
			}
			cies[cieOff] = ci
		}
		enc := ci.fdeEnc
		if !eh {
			enc = 0 // absolute addresses of the CIE's size
		}
		lo := c.readEncoded(eb, enc, secAddr, got, ci.addrSize)
		rng := c.readEncoded(eb, enc&0x0f, 0, 0, ci.addrSize)
		if ci.aug {
			n := eb.uleb()
			eb.bytes(n)
		}
		if eb.err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("FDE at %#x: %w", start, eb.err)
			}
			continue
		}
		if lo == 0 && eh || rng == 0 {
			continue // discarded
		}
		c.fdes = append(c.fdes, fde{lo: lo, hi: lo + rng, cie: ci, insns: sec[eb.pos:end], eh: eh})
	}
	return firstErr
}

func (c *CFI) parseCIE(b *buf, eh bool) (*cie, error) {
	ci := &cie{addrSize: c.ptrSize, fdeEnc: 0}
	version := b.u8()
	if version != 1 && version != 3 && version != 4 {
		return nil, fmt.Errorf("unsupported CIE version %d", version)
	}
	var augb []byte
	for {
		ch := b.u8()
		if b.err != nil {
			return nil, b.err
		}
		if ch == 0 {
			break
		}
		augb = append(augb, ch)
	}
	aug := string(augb)
	if strings.Contains(aug, "eh") {
		b.addr(c.ptrSize)
	}
	if version == 4 {
		ci.addrSize = int(b.u8())
		b.u8() // segment selector size
		if ci.addrSize != 4 && ci.addrSize != 8 {
			return nil, fmt.Errorf("bad address size %d", ci.addrSize)
		}
	}
	ci.codeAlign = b.uleb()
	ci.dataAlign = b.sleb()
	if version == 1 {
		ci.ra = int(b.u8())
	} else {
		ci.ra = int(b.uleb())
	}
	if eh {
		ci.fdeEnc = 0 // absptr unless 'R' says otherwise
	}
	if strings.HasPrefix(aug, "z") {
		ci.aug = true
		n := b.uleb()
		end := b.pos + int(n)
		if n > uint64(len(b.b)) || end > len(b.b) {
			return nil, errShort
		}
		for _, ch := range aug[1:] {
			switch ch {
			case 'R':
				ci.fdeEnc = b.u8()
			case 'L':
				ci.lsdaEnc = b.u8()
			case 'P':
				enc := b.u8()
				c.readEncoded(b, enc&^0x80, 0, 0, ci.addrSize)
			case 'S':
				ci.signal = true
			}
		}
		b.pos = end
	} else if aug != "" && aug != "eh" {
		return nil, fmt.Errorf("unknown augmentation %q", aug)
	}
	if b.err != nil {
		return nil, b.err
	}
	ci.init = b.b[b.pos:]
	return ci, nil
}

// DW_EH_PE_* pointer encodings.
const (
	peAbsptr  = 0x00
	peUleb    = 0x01
	peUdata2  = 0x02
	peUdata4  = 0x03
	peUdata8  = 0x04
	peSleb    = 0x09
	peSdata2  = 0x0a
	peSdata4  = 0x0b
	peSdata8  = 0x0c
	pePcrel   = 0x10
	peTextrel = 0x20
	peDatarel = 0x30
	peFuncrel = 0x40
	peAligned = 0x50
	peOmit    = 0xff
)

// readEncoded reads a pointer in encoding enc. secAddr is the address of
// the section's first byte (for pcrel), got that of .got (for datarel).
func (c *CFI) readEncoded(b *buf, enc byte, secAddr, got uint64, addrSize int) uint64 {
	if enc == peOmit {
		return 0
	}
	pos := uint64(b.pos)
	if enc&0x70 == peAligned {
		a := uint64(addrSize)
		for (secAddr+uint64(b.pos))%a != 0 && b.need(1) {
			b.pos++
		}
		pos = uint64(b.pos)
	}
	var v uint64
	switch enc & 0x0f {
	case peAbsptr:
		v = b.addr(addrSize)
	case peUleb:
		v = b.uleb()
	case peUdata2:
		v = uint64(b.u16())
	case peUdata4:
		v = uint64(b.u32())
	case peUdata8:
		v = b.u64()
	case peSleb:
		v = uint64(b.sleb())
	case peSdata2:
		v = uint64(int64(int16(b.u16())))
	case peSdata4:
		v = uint64(int64(int32(b.u32())))
	case peSdata8:
		v = b.u64()
	default:
		if b.err == nil {
			b.err = fmt.Errorf("unknown pointer encoding %#x", enc)
		}
		return 0
	}
	switch enc & 0x70 {
	case pePcrel:
		v += secAddr + pos
	case peDatarel:
		v += got
	}
	if addrSize == 4 {
		v &= 0xffffffff
	}
	return v
}

// find gives the FDE covering the unbiased pc.
func (c *CFI) find(pc uint64) (*fde, bool) {
	if c == nil {
		return nil, false
	}
	i := sort.Search(len(c.fdes), func(i int) bool { return c.fdes[i].lo > pc })
	// FDEs may nest or overlap slightly; look back a little.
	for j := i - 1; j >= 0 && j >= i-8; j-- {
		if pc >= c.fdes[j].lo && pc < c.fdes[j].hi {
			return &c.fdes[j], true
		}
	}
	return nil, false
}

// ---- the CFA program ----

type ruleKind uint8

const (
	ruleSame ruleKind = iota // unspecified, or DW_CFA_same_value
	ruleUndefined
	ruleOffset    // saved at CFA+off
	ruleValOffset // value is CFA+off
	ruleRegister  // in register reg
	ruleExpr      // saved at the address expr computes
	ruleValExpr   // value is what expr computes
)

type rule struct {
	kind ruleKind
	off  int64
	reg  int
	expr []byte
}

type cfaRow struct {
	cfaReg  int
	cfaOff  int64
	cfaExpr []byte
	regs    map[int]rule
}

func (r cfaRow) clone() cfaRow {
	n := r
	n.regs = make(map[int]rule, len(r.regs))
	for k, v := range r.regs {
		n.regs[k] = v
	}
	return n
}

// Row is the unwind rule in force at a pc, for tests and inspection.
type Row struct {
	CFAReg  int
	CFAOff  int64
	CFAExpr bool
	RA      int
	// Saved maps a register to the CFA-relative offset it is saved at.
	Saved map[int]int64
}

// FuncStart gives the run-time start of the code range whose FDE covers
// the run-time pc: a function's first instruction, which call frame
// information records even in code whose symbols were stripped.
func (c *CFI) FuncStart(pc uint64) (uint64, bool) {
	if c == nil {
		return 0, false
	}
	f, ok := c.find(pc - c.bias)
	if !ok {
		return 0, false
	}
	return f.lo + c.bias, true
}

// RowAt runs the FDE covering the run-time pc up to pc.
func (c *CFI) RowAt(pc uint64) (row Row, ok bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("debuginfo: malformed CFI (%v)", r)
		}
	}()
	f, ok := c.find(pc - c.bias)
	if !ok {
		return Row{}, false, nil
	}
	r, err := c.run(f, pc-c.bias)
	if err != nil {
		return Row{}, true, err
	}
	row = Row{CFAReg: r.cfaReg, CFAOff: r.cfaOff, CFAExpr: r.cfaExpr != nil, RA: f.cie.ra, Saved: map[int]int64{}}
	for k, v := range r.regs {
		if v.kind == ruleOffset {
			row.Saved[k] = v.off
		}
	}
	return row, true, nil
}

const maxCFIInsns = 1 << 16

// run executes the CIE's initial instructions and the FDE's up to pc.
func (c *CFI) run(f *fde, pc uint64) (cfaRow, error) {
	init := cfaRow{regs: map[int]rule{}}
	row, err := c.exec(f, f.cie.init, cfaRow{regs: map[int]rule{}}, nil, ^uint64(0))
	if err != nil {
		return row, fmt.Errorf("CIE: %w", err)
	}
	init = row.clone()
	row, err = c.exec(f, f.insns, row, &init, pc)
	if err != nil {
		return row, fmt.Errorf("FDE at %#x: %w", f.lo, err)
	}
	return row, nil
}

func (c *CFI) exec(f *fde, insns []byte, row cfaRow, init *cfaRow, pc uint64) (cfaRow, error) {
	b := &buf{b: insns, order: c.order}
	ci := f.cie
	loc := f.lo
	var stack []cfaRow
	restore := func(reg int) {
		if init == nil {
			delete(row.regs, reg)
			return
		}
		if r, ok := init.regs[reg]; ok {
			row.regs[reg] = r
		} else {
			delete(row.regs, reg)
		}
	}
	advance := func(d uint64) bool {
		loc += d * ci.codeAlign
		return loc > pc
	}
	da := ci.dataAlign
	for n := 0; b.pos < len(insns); n++ {
		if n > maxCFIInsns {
			return row, errors.New("too many CFA instructions")
		}
		op := b.u8()
		switch op >> 6 {
		case 1:
			if advance(uint64(op & 0x3f)) {
				return row, nil
			}
			continue
		case 2:
			row.regs[int(op&0x3f)] = rule{kind: ruleOffset, off: int64(b.uleb()) * da}
			continue
		case 3:
			restore(int(op & 0x3f))
			continue
		}
		switch op {
		case 0x00: // nop
		case 0x01: // set_loc
			enc := ci.fdeEnc
			if !f.eh {
				enc = 0
			}
			nl := c.readEncoded(b, enc, 0, 0, ci.addrSize)
			if nl > pc {
				return row, b.err
			}
			loc = nl
		case 0x02:
			if advance(uint64(b.u8())) {
				return row, b.err
			}
		case 0x03:
			if advance(uint64(b.u16())) {
				return row, b.err
			}
		case 0x04:
			if advance(uint64(b.u32())) {
				return row, b.err
			}
		case 0x05: // offset_extended
			r := int(b.uleb())
			row.regs[r] = rule{kind: ruleOffset, off: int64(b.uleb()) * da}
		case 0x06: // restore_extended
			restore(int(b.uleb()))
		case 0x07: // undefined
			row.regs[int(b.uleb())] = rule{kind: ruleUndefined}
		case 0x08: // same_value
			row.regs[int(b.uleb())] = rule{kind: ruleSame}
		case 0x09: // register
			r := int(b.uleb())
			row.regs[r] = rule{kind: ruleRegister, reg: int(b.uleb())}
		case 0x0a: // remember_state
			if len(stack) > 64 {
				return row, errors.New("DW_CFA_remember_state nested too deep")
			}
			stack = append(stack, row.clone())
		case 0x0b: // restore_state
			if len(stack) == 0 {
				return row, errors.New("DW_CFA_restore_state without remember_state")
			}
			// The CFA rule is not part of the remembered state in every
			// producer's reading, but GCC and LLVM restore it too.
			row = stack[len(stack)-1]
			stack = stack[:len(stack)-1]
		case 0x0c: // def_cfa
			row.cfaReg = int(b.uleb())
			row.cfaOff = int64(b.uleb())
			row.cfaExpr = nil
		case 0x0d: // def_cfa_register
			row.cfaReg = int(b.uleb())
			row.cfaExpr = nil
		case 0x0e: // def_cfa_offset
			row.cfaOff = int64(b.uleb())
		case 0x0f: // def_cfa_expression
			row.cfaExpr = b.bytes(b.uleb())
		case 0x10: // expression
			r := int(b.uleb())
			row.regs[r] = rule{kind: ruleExpr, expr: b.bytes(b.uleb())}
		case 0x11: // offset_extended_sf
			r := int(b.uleb())
			row.regs[r] = rule{kind: ruleOffset, off: b.sleb() * da}
		case 0x12: // def_cfa_sf
			row.cfaReg = int(b.uleb())
			row.cfaOff = b.sleb() * da
			row.cfaExpr = nil
		case 0x13: // def_cfa_offset_sf
			row.cfaOff = b.sleb() * da
		case 0x14: // val_offset
			r := int(b.uleb())
			row.regs[r] = rule{kind: ruleValOffset, off: int64(b.uleb()) * da}
		case 0x15: // val_offset_sf
			r := int(b.uleb())
			row.regs[r] = rule{kind: ruleValOffset, off: b.sleb() * da}
		case 0x16: // val_expression
			r := int(b.uleb())
			row.regs[r] = rule{kind: ruleValExpr, expr: b.bytes(b.uleb())}
		case 0x2e: // GNU_args_size
			b.uleb()
		case 0x2f: // GNU_negative_offset_extended
			r := int(b.uleb())
			row.regs[r] = rule{kind: ruleOffset, off: -int64(b.uleb()) * da}
		case 0x2d: // AARCH64_negate_ra_state / GNU_window_save
		default:
			return row, fmt.Errorf("unknown CFA instruction %#x", op)
		}
		if b.err != nil {
			return row, b.err
		}
	}
	return row, b.err
}

// ---- unwinding ----

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

// archRegs are the DWARF numbers of the stack pointer, frame pointer and
// return address (link register or return-address column).
func archRegs(arch string) (sp, fp, ra int, err error) {
	switch arch {
	case "amd64", "x86_64", "x86-64":
		return 7, 6, 16, nil
	case "386", "i386":
		return 4, 5, 8, nil // esp, ebp, eip
	case "arm64", "aarch64":
		return 31, 29, 30, nil
	}
	return 0, 0, 0, fmt.Errorf("debuginfo: unwinding %s is not supported", arch)
}

// Unwind walks the stack of a stopped thread from its registers (DWARF
// numbers; they must include the stack pointer, and on arm64 the link
// register) at pc, up to max frames. The tables are consulted in order
// for each pc: give the program's and those of the shared objects it has
// loaded (each at its bias). Where no table covers a pc, frame pointers
// are followed. The walk ends at a zero or non-advancing frame, at the
// outermost frame (return address undefined), or when memory cannot be
// read; it never fails once the first frame is known.
func Unwind(arch string, tables []*CFI, pc uint64, regs map[int]uint64, mem Memory, max int) (frames []UnwoundFrame, err error) {
	spReg, fpReg, raReg, err := archRegs(arch)
	if err != nil {
		return nil, err
	}
	if max <= 0 {
		max = 64
	}
	cur := UnwoundFrame{PC: pc, Regs: map[int]uint64{}}
	for k, v := range regs {
		cur.Regs[k] = v
	}
	if _, ok := cur.Regs[spReg]; !ok {
		return nil, fmt.Errorf("debuginfo: unwind: no stack pointer (%s) among the registers", RegName(arch, spReg))
	}
	defer func() {
		if r := recover(); r != nil {
			err = nil
			frames = append(frames, cur)
		}
	}()
	signal := false
	for len(frames) < max {
		look := cur.LookupPC()
		var (
			c  *CFI
			fd *fde
		)
		for _, t := range tables {
			if t == nil || look < t.bias {
				continue
			}
			if f, ok := t.find(look - t.bias); ok {
				c, fd = t, f
				break
			}
		}
		next := UnwoundFrame{Regs: map[int]uint64{}, Caller: true}
		ok := false
		if fd != nil {
			ok = c.step(arch, fd, look-c.bias, &cur, &next, mem, spReg, raReg)
			signal = fd.cie.signal
		}
		if !ok {
			signal = false
			ok = fpStep(arch, &cur, &next, mem, len(frames) == 0, spReg, fpReg, raReg)
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
		if next.Regs[spReg] < cur.Regs[spReg] && !signal {
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
	own, err := in.CFI()
	if err != nil {
		own = nil
	}
	return Unwind(in.arch, append([]*CFI{own}, extra...), pc, regs, mem, max)
}

// step applies the FDE's row at pc to cur: it sets cur.CFA and fills next
// with the caller's registers and pc.
func (c *CFI) step(arch string, f *fde, pc uint64, cur, next *UnwoundFrame, mem Memory, spReg, raReg int) bool {
	row, err := c.run(f, pc)
	if err != nil {
		return false
	}
	ctx := &evalCtx{frame: unwoundFrame{*cur}, mem: mem, order: c.order, ptrSize: c.ptrSize, arch: arch}
	var cfa uint64
	if row.cfaExpr != nil {
		cfa, err = ctx.eval(row.cfaExpr)
		if err != nil {
			return false
		}
	} else {
		v, ok := cur.Regs[row.cfaReg]
		if !ok {
			return false
		}
		cfa = v + uint64(row.cfaOff)
	}
	cur.CFA = cfa
	ctx.frame = unwoundFrame{*cur}
	for k, v := range cur.Regs {
		next.Regs[k] = v
	}
	delete(next.Regs, raReg)
	next.Regs[spReg] = cfa
	raKnown := false
	for reg, r := range row.regs {
		var v uint64
		switch r.kind {
		case ruleSame:
			if x, ok := cur.Regs[reg]; ok {
				v = x
			} else {
				continue
			}
		case ruleUndefined:
			delete(next.Regs, reg)
			if reg == f.cie.ra {
				next.PC = 0
				return false // outermost frame
			}
			continue
		case ruleOffset, ruleExpr:
			addr := cfa + uint64(r.off)
			if r.kind == ruleExpr {
				ctx.frame = unwoundFrame{*cur}
				a, err := (&evalCtx{frame: ctx.frame, mem: mem, order: c.order, ptrSize: c.ptrSize, arch: arch}).evalWith(r.expr, cfa)
				if err != nil {
					delete(next.Regs, reg)
					continue
				}
				addr = a
			}
			x, err := readWord(mem, addr, c.ptrSize, c.order)
			if err != nil {
				if reg == f.cie.ra {
					return false
				}
				delete(next.Regs, reg)
				continue
			}
			v = x
		case ruleValOffset:
			v = cfa + uint64(r.off)
		case ruleValExpr:
			a, err := ctx.evalWith(r.expr, cfa)
			if err != nil {
				delete(next.Regs, reg)
				continue
			}
			v = a
		case ruleRegister:
			x, ok := cur.Regs[r.reg]
			if !ok {
				delete(next.Regs, reg)
				continue
			}
			v = x
		}
		next.Regs[reg] = v
		if reg == f.cie.ra {
			raKnown = true
		}
	}
	if !raKnown {
		// No rule for the return address: it is where it was (an arm64
		// leaf keeps it in the link register).
		x, ok := cur.Regs[f.cie.ra]
		if !ok || f.cie.ra == spReg {
			return false
		}
		next.Regs[f.cie.ra] = x
	}
	next.PC = next.Regs[f.cie.ra]
	if arch == "arm64" || arch == "aarch64" {
		next.PC &^= 0xff00000000000000 // pointer authentication / top byte
	}
	if f.cie.ra != raReg {
		next.Regs[raReg] = next.PC
	}
	next.CFA = 0
	return true
}

// evalWith evaluates a CFI expression with the CFA pushed first.
func (c *evalCtx) evalWith(expr []byte, cfa uint64) (uint64, error) {
	pre := make([]byte, 0, len(expr)+10)
	pre = append(pre, opConst8u)
	var w [8]byte
	c.order.PutUint64(w[:], cfa)
	pre = append(pre, w[:]...)
	pre = append(pre, expr...)
	return c.eval(pre)
}

// archWord is the size in bytes of a saved frame pointer or return
// address on arch's stack.
func archWord(arch string) int {
	switch arch {
	case "386", "i386":
		return 4
	}
	return 8
}

// fpStep follows the frame-pointer chain from cur into next: the saved
// frame pointer at [fp], the return address one word above it.
func fpStep(arch string, cur, next *UnwoundFrame, mem Memory, innermost bool, spReg, fpReg, raReg int) bool {
	fp, ok := cur.Regs[fpReg]
	if !ok || fp == 0 || mem == nil {
		return false
	}
	if sp := cur.Regs[spReg]; fp < sp {
		return false
	}
	for k, v := range cur.Regs {
		next.Regs[k] = v
	}
	w := uint64(archWord(arch))
	savedFP, err := readWord(mem, fp, int(w), binary.LittleEndian)
	if err != nil {
		return false
	}
	ra, err := readWord(mem, fp+w, int(w), binary.LittleEndian)
	if err != nil {
		return false
	}
	cur.CFA = fp + 2*w
	next.Regs[fpReg] = savedFP
	next.Regs[spReg] = fp + 2*w
	if arch == "arm64" || arch == "aarch64" {
		ra &^= 0xff00000000000000
	}
	next.Regs[raReg] = ra
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
