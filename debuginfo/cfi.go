package debuginfo

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"strings"

	"hwdbg/debugfile"
	"hwdbg/debuginfo/cfi"
)

// CFI is the call frame information of one ELF file (.eh_frame and
// .debug_frame) loaded at a bias: what Unwind needs to step from a frame
// to its caller. Build one per loaded object with LoadCFI (Info.CFI gives
// the program's own).
type CFI struct {
	path string
	bias uint64
	t    *cfi.Table // by link-time address
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
// df, its separate debug file (df is f when there is none). Malformed
// entries are skipped; the errors are returned only when no entry could
// be read.
func cfiFromELF(f, df *elf.File, path string, bias uint64) (*CFI, error) {
	ptrSize := 8
	if f.Class == elf.ELFCLASS32 {
		ptrSize = 4
	}
	c := &CFI{path: path, bias: bias, t: cfi.New(f.ByteOrder, ptrSize)}
	var got uint64
	if s := f.Section(".got"); s != nil {
		got = s.Addr
	}
	var errs []error
	if s := f.Section(".eh_frame"); s != nil && s.Type != elf.SHT_NOBITS {
		b, err := s.Data()
		if err != nil {
			return nil, fmt.Errorf("debuginfo: CFI of %s: read .eh_frame: %w", path, err)
		}
		if err := c.t.Add(b, true, s.Addr, got); err != nil {
			errs = append(errs, err)
		}
	}
	s := sectionOf(f, ".debug_frame")
	if s == nil || s.Type == elf.SHT_NOBITS {
		s = sectionOf(df, ".debug_frame")
	}
	if s != nil && s.Type != elf.SHT_NOBITS {
		b, err := s.Data()
		if err == nil && strings.HasPrefix(s.Name, ".zdebug") {
			b, err = unzdebug(s.Name, b)
		}
		if err != nil {
			return nil, fmt.Errorf("debuginfo: CFI of %s: read .debug_frame: %w", path, err)
		}
		if err := c.t.Add(b, false, 0, 0); err != nil {
			errs = append(errs, err)
		}
	}
	if c.t.Len() > 0 || len(errs) == 0 {
		return c, nil
	}
	if len(errs) == 2 {
		return nil, fmt.Errorf("debuginfo: CFI of %s: %w; %w", path, errs[0], errs[1])
	}
	return nil, fmt.Errorf("debuginfo: CFI of %s: %w", path, errs[0])
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
	c = &CFI{t: cfi.New(order, ptrSize)}
	return c, c.t.Add(b, eh, secAddr, 0)
}

// Len is the number of FDEs.
func (c *CFI) Len() int {
	if c == nil {
		return 0
	}
	return c.t.Len()
}

// find gives the FDE covering the run-time pc.
func (c *CFI) find(pc uint64) (*cfi.FDE, bool) {
	if c == nil || pc < c.bias {
		return nil, false
	}
	return c.t.Find(pc - c.bias)
}

// FuncStart gives the run-time start of the code range whose FDE covers
// the run-time pc: a function's first instruction, which call frame
// information records even in code whose symbols were stripped.
func (c *CFI) FuncStart(pc uint64) (uint64, bool) {
	f, ok := c.find(pc)
	if !ok {
		return 0, false
	}
	return f.Lo + c.bias, true
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

// RowAt runs the FDE covering the run-time pc up to pc.
func (c *CFI) RowAt(pc uint64) (row Row, ok bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("debuginfo: malformed CFI (%v)", r)
		}
	}()
	f, ok := c.find(pc)
	if !ok {
		return Row{}, false, nil
	}
	r, err := c.t.Row(f, pc-c.bias)
	if err != nil {
		return Row{}, true, err
	}
	row = Row{CFAReg: r.CFAReg, CFAOff: r.CFAOff, CFAExpr: r.CFAExpr != nil, RA: f.RA(), Saved: map[int]int64{}}
	for k, v := range r.Regs {
		if v.Kind == cfi.RuleOffset {
			row.Saved[k] = v.Off
		}
	}
	return row, true, nil
}
