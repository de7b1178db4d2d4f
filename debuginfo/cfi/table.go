// Package cfi decodes call frame information (.eh_frame, .debug_frame)
// into the rules that say, at a pc, where the canonical frame address and
// the caller's registers are. It works on a section's bytes and link-time
// addresses: reading the sections from an ELF file, load biases, and
// applying the rules to a stopped thread (unwinding) are debuginfo's.
//
// Malformed data is reported as a *debuginfo.DecodeError (the section, the
// offset of the bad data, what was wrong), never as a panic.
package cfi

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strings"

	"hwdbg/debuginfo/internal/dwread"
)

// Table is the call frame information of one object: the FDEs of its
// .eh_frame and .debug_frame, by link-time address.
type Table struct {
	order   binary.ByteOrder
	ptrSize int
	fdes    []FDE // sorted by Lo; .eh_frame before .debug_frame at equal Lo
}

// cie is a Common Information Entry: what the FDEs that point at it share.
type cie struct {
	off       uint64 // of the entry in its section
	codeAlign uint64
	dataAlign int64
	ra        int
	init      []byte // initial instructions
	initOff   uint64 // their offset in the section
	fdeEnc    byte
	lsdaEnc   byte
	aug       bool // "z" augmentation: FDEs carry an augmentation length
	signal    bool
	addrSize  int
}

// FDE is a Frame Description Entry: the rules of one range of code.
type FDE struct {
	Lo, Hi   uint64 // the code range [Lo, Hi), link-time addresses
	cie      *cie
	off      uint64 // of the entry in its section
	insns    []byte
	insnsOff uint64 // offset of insns in the section
	eh       bool
}

// RA is the DWARF register number of the return-address column.
func (f *FDE) RA() int { return f.cie.ra }

// Signal tells whether the range is a signal trampoline ("S"
// augmentation): its caller was interrupted, not calling.
func (f *FDE) Signal() bool { return f.cie.signal }

// section names the section the FDE comes from.
func (f *FDE) section() string { return sectionName(f.eh) }

func sectionName(eh bool) string {
	if eh {
		return ".eh_frame"
	}
	return ".debug_frame"
}

// New is an empty table for an object of this byte order and pointer
// size (4 or 8).
func New(order binary.ByteOrder, ptrSize int) *Table {
	return &Table{order: order, ptrSize: ptrSize}
}

// Order is the byte order of the object.
func (t *Table) Order() binary.ByteOrder { return t.order }

// PtrSize is the object's pointer size.
func (t *Table) PtrSize() int { return t.ptrSize }

// Len is the number of FDEs.
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	return len(t.fdes)
}

// FDE is the i-th FDE by address.
func (t *Table) FDE(i int) *FDE { return &t.fdes[i] }

// Find gives the FDE covering the link-time pc.
func (t *Table) Find(pc uint64) (*FDE, bool) {
	if t == nil {
		return nil, false
	}
	i := sort.Search(len(t.fdes), func(i int) bool { return t.fdes[i].Lo > pc })
	// FDEs may nest or overlap slightly; look back a little.
	for j := i - 1; j >= 0 && j >= i-8; j-- {
		if pc >= t.fdes[j].Lo && pc < t.fdes[j].Hi {
			return &t.fdes[j], true
		}
	}
	return nil, false
}

// Add reads every CIE and FDE of one section: .eh_frame when eh (secAddr
// is the section's address and got that of .got, for the pointer
// encodings relative to them), .debug_frame otherwise. Entries that
// cannot be read are skipped; the first error, a *DecodeError, is
// returned after the rest is read.
func (t *Table) Add(sec []byte, eh bool, secAddr, got uint64) error {
	p := &parser{t: t, sec: sec, eh: eh, secAddr: secAddr, got: got, cies: map[uint64]*cie{}}
	var first error
	for off := uint64(0); off+4 <= uint64(len(sec)); {
		next, err := p.entry(off)
		if err != nil && first == nil {
			first = err
		}
		if next <= off {
			break
		}
		off = next
	}
	sort.SliceStable(t.fdes, func(i, j int) bool {
		if t.fdes[i].Lo != t.fdes[j].Lo {
			return t.fdes[i].Lo < t.fdes[j].Lo
		}
		return t.fdes[i].eh && !t.fdes[j].eh
	})
	return first
}

// parser reads the entries of one section into a table.
type parser struct {
	t            *Table
	sec          []byte
	eh           bool
	secAddr, got uint64
	cies         map[uint64]*cie // by offset
}

func (p *parser) decodeError(off uint64, format string, args ...any) error {
	return &dwread.DecodeError{Section: sectionName(p.eh), Offset: off, Err: fmt.Errorf(format, args...)}
}

// entry reads the entry at start and gives the offset of the next one
// (start or less at the end of the section).
func (p *parser) entry(start uint64) (next uint64, err error) {
	r := dwread.New(p.sec, int(start), p.t.order)
	length := uint64(r.U32())
	offSize := 4
	if length == 0xffffffff {
		length = r.U64()
		offSize = 8
	}
	if length == 0 {
		if p.eh {
			return 0, nil // terminator
		}
		return uint64(r.Pos()), nil
	}
	body := uint64(r.Pos())
	end := body + length
	if end > uint64(len(p.sec)) || end < body {
		return 0, p.decodeError(start, "entry length %#x past the end of the section", length)
	}
	er := dwread.New(p.sec[:end], int(body), p.t.order)
	id := er.Addr(offSize)
	isCIE := p.eh && id == 0 || !p.eh && (offSize == 4 && id == 0xffffffff || offSize == 8 && id == ^uint64(0))
	if isCIE {
		if _, ok := p.cies[start]; !ok {
			ci, err := p.parseCIE(er, start)
			if err != nil {
				return end, err
			}
			p.cies[start] = ci
		}
		return end, nil
	}
	cieOff := id
	if p.eh {
		cieOff = body - id
	}
	ci, err := p.cieAt(cieOff, offSize)
	if ci == nil {
		return end, err
	}
	return end, p.fde(er, start, end, ci)
}

// cieAt reads the CIE at off that an FDE points to, if not yet read. A
// pointer to no entry skips the FDE without an error.
func (p *parser) cieAt(off uint64, offSize int) (*cie, error) {
	if ci, ok := p.cies[off]; ok {
		return ci, nil
	}
	if off >= uint64(len(p.sec)) {
		return nil, nil
	}
	r := dwread.New(p.sec, int(off), p.t.order)
	l := uint64(r.U32())
	if l == 0xffffffff {
		l = r.U64()
	}
	end := uint64(r.Pos()) + l
	if end > uint64(len(p.sec)) || end < l {
		return nil, nil
	}
	r = dwread.New(p.sec[:end], r.Pos(), p.t.order)
	r.Addr(offSize) // the CIE id
	ci, err := p.parseCIE(r, off)
	if err != nil {
		return nil, err
	}
	p.cies[off] = ci
	return ci, nil
}

// parseCIE reads the body of the CIE at off after its id.
func (p *parser) parseCIE(r *dwread.Reader, off uint64) (*cie, error) {
	ci := &cie{off: off, addrSize: p.t.ptrSize}
	what := fmt.Sprintf("CIE at %#x", off)
	vpos := r.Pos()
	version := r.U8()
	if r.Err() == nil && version != 1 && version != 3 && version != 4 {
		r.FailAt(vpos, fmt.Errorf("unsupported CIE version %d", version))
	}
	augPos := r.Pos()
	var augb []byte
	for {
		ch := r.U8()
		if r.Err() != nil || ch == 0 {
			break
		}
		augb = append(augb, ch)
	}
	aug := string(augb)
	if strings.Contains(aug, "eh") {
		r.Addr(p.t.ptrSize)
	}
	if version == 4 {
		spos := r.Pos()
		ci.addrSize = int(r.U8())
		r.U8() // segment selector size
		if r.Err() == nil && ci.addrSize != 4 && ci.addrSize != 8 {
			r.FailAt(spos, fmt.Errorf("bad address size %d", ci.addrSize))
		}
	}
	ci.codeAlign = r.Uleb()
	ci.dataAlign = r.Sleb()
	if version == 1 {
		ci.ra = int(r.U8())
	} else {
		ci.ra = int(r.Uleb())
	}
	if strings.HasPrefix(aug, "z") {
		p.augmentation(r, ci, aug[1:])
	} else if aug != "" && aug != "eh" && r.Err() == nil {
		r.FailAt(augPos, fmt.Errorf("unknown augmentation %q", aug))
	}
	if err := r.Error(sectionName(p.eh), 0, what); err != nil {
		return nil, err
	}
	ci.initOff = uint64(r.Pos())
	ci.init = r.Rest()
	return ci, nil
}

// augmentation reads the augmentation data of a "z" CIE: its length, then
// one field for each letter of aug after the "z".
func (p *parser) augmentation(r *dwread.Reader, ci *cie, aug string) {
	ci.aug = true
	n := r.Uleb()
	end := r.Pos() + int(n)
	if n > uint64(r.Len()) || end > r.Len() {
		r.Fail(dwread.ErrShort)
		return
	}
	for _, ch := range aug {
		switch ch {
		case 'R':
			ci.fdeEnc = r.U8()
		case 'L':
			ci.lsdaEnc = r.U8()
		case 'P':
			enc := r.U8()
			readEncoded(r, enc&^0x80, 0, 0, ci.addrSize)
		case 'S':
			ci.signal = true
		}
	}
	if r.Err() == nil {
		r.Seek(end)
	}
}

// fde reads the body of the FDE at start, after its CIE pointer, up to end.
func (p *parser) fde(r *dwread.Reader, start, end uint64, ci *cie) error {
	enc := ci.fdeEnc
	if !p.eh {
		enc = 0 // absolute addresses of the CIE's size
	}
	lo := readEncoded(r, enc, p.secAddr, p.got, ci.addrSize)
	rng := readEncoded(r, enc&0x0f, 0, 0, ci.addrSize)
	if ci.aug {
		r.Bytes(r.Uleb())
	}
	if err := r.Error(sectionName(p.eh), 0, fmt.Sprintf("FDE at %#x", start)); err != nil {
		return err
	}
	if lo == 0 && p.eh || rng == 0 {
		return nil // discarded
	}
	p.t.fdes = append(p.t.fdes, FDE{Lo: lo, Hi: lo + rng, cie: ci, off: start,
		insns: p.sec[r.Pos():end], insnsOff: uint64(r.Pos()), eh: p.eh})
	return nil
}
