package debuginfo

import (
	"bytes"
	"debug/dwarf"
	"encoding/binary"
	"fmt"

	"hwdbg/debuginfo/internal/dwread"
)

// A reader of DIEs that decodes only what finding a name needs: each
// entry's tag, whether it has children, where its next sibling starts,
// its name, and the entry its DW_AT_specification or DW_AT_abstract_origin
// points at. Every other attribute is skipped by the size its form gives,
// without a value built or a byte copied, and the children of an entry
// are skipped whole through DW_AT_sibling where the producer gave one. It
// is what lets a name be looked for in every unit of a big program
// without building the name index (search.go).

// DW_FORM_* attribute forms (DWARF 5, 7.5.6; the GNU extensions of DWARF 4
// split units and of dwz).
const (
	formAddr          = 0x01
	formBlock2        = 0x03
	formBlock4        = 0x04
	formData2         = 0x05
	formData4         = 0x06
	formData8         = 0x07
	formString        = 0x08
	formBlock         = 0x09
	formBlock1        = 0x0a
	formData1         = 0x0b
	formFlag          = 0x0c
	formSdata         = 0x0d
	formStrp          = 0x0e
	formUdata         = 0x0f
	formRefAddr       = 0x10
	formRef1          = 0x11
	formRef2          = 0x12
	formRef4          = 0x13
	formRef8          = 0x14
	formRefUdata      = 0x15
	formIndirect      = 0x16
	formSecOffset     = 0x17
	formExprloc       = 0x18
	formFlagPresent   = 0x19
	formStrx          = 0x1a
	formAddrx         = 0x1b
	formRefSup4       = 0x1c
	formStrpSup       = 0x1d
	formData16        = 0x1e
	formLineStrp      = 0x1f
	formRefSig8       = 0x20
	formImplicitConst = 0x21
	formLoclistx      = 0x22
	formRnglistx      = 0x23
	formRefSup8       = 0x24
	formStrx1         = 0x25
	formStrx2         = 0x26
	formStrx3         = 0x27
	formStrx4         = 0x28
	formAddrx1        = 0x29
	formAddrx2        = 0x2a
	formAddrx3        = 0x2b
	formAddrx4        = 0x2c
	formGNUAddrIndex  = 0x1f01
	formGNUStrIndex   = 0x1f02
	formGNURefAlt     = 0x1f20
	formGNUStrpAlt    = 0x1f21
)

// abbrev is one abbreviation of .debug_abbrev: the shape of the DIEs that
// use its code.
type abbrev struct {
	tag      dwarf.Tag
	children bool
	attrs    []abbrevAttr
	// steps read a DIE of this shape in a unit of the table's format
	// (abbrevTable.plan): runs of attributes of a fixed size skipped at
	// once, the others read one by one. indirect is set when a form is
	// given in the DIE itself: its DIEs are read attribute by attribute.
	steps    []step
	indirect bool
}

type abbrevAttr struct {
	attr dwarf.Attr
	form uint64
}

// step is: skip so many bytes, then read one attribute.
type step struct {
	skip int
	what stepKind
	form uint64
}

type stepKind uint8

const (
	stepNone    stepKind = iota // nothing after the skip
	stepSkip                    // an attribute of a variable size
	stepName                    // DW_AT_name
	stepSibling                 // DW_AT_sibling
	stepTarget                  // DW_AT_specification, DW_AT_abstract_origin
	stepLink                    // a linkage name
)

// abbrevTable is the abbreviations of one unit, by code.
type abbrevTable struct {
	dense  []*abbrev          // by code, for codes below len(dense)
	sparse map[uint64]*abbrev // the other codes
	format unitFormat         // what the steps are planned for
}

// unitFormat is what the size of an attribute's form depends on.
type unitFormat struct {
	version, addrSize, offSize int
}

func formatOf(h unitHeader) unitFormat { return unitFormat{h.version, h.addrSize, h.offSize} }

// maxDenseCode bounds the codes kept in a slice; producers number their
// abbreviations from 1 up.
const maxDenseCode = 1 << 16

func (t *abbrevTable) get(code uint64) *abbrev {
	if code < uint64(len(t.dense)) {
		return t.dense[code]
	}
	return t.sparse[code]
}

func (t *abbrevTable) set(code uint64, a *abbrev) bool {
	if t.get(code) != nil {
		return false
	}
	if code < maxDenseCode {
		for uint64(len(t.dense)) <= code {
			t.dense = append(t.dense, nil)
		}
		t.dense[code] = a
		return true
	}
	if t.sparse == nil {
		t.sparse = map[uint64]*abbrev{}
	}
	t.sparse[code] = a
	return true
}

// plan sets each abbreviation's steps for units of format f.
func (t *abbrevTable) plan(f unitFormat) {
	if t.format == f && f != (unitFormat{}) {
		return
	}
	t.format = f
	each := func(a *abbrev) {
		a.steps, a.indirect = a.steps[:0], false
		pending := 0
		for _, at := range a.attrs {
			what := stepSkip
			switch at.attr {
			case dwarf.AttrName:
				what = stepName
			case dwarf.AttrSibling:
				what = stepSibling
			case dwarf.AttrSpecification, dwarf.AttrAbstractOrigin:
				what = stepTarget
			case dwarf.AttrLinkageName, attrMIPSLinkageName:
				what = stepLink
			}
			if at.form == formIndirect {
				a.indirect = true
			}
			if n := formSize(at.form, f); what == stepSkip && n >= 0 {
				pending += n
				continue
			}
			a.steps = append(a.steps, step{skip: pending, what: what, form: at.form})
			pending = 0
		}
		if pending > 0 {
			a.steps = append(a.steps, step{skip: pending})
		}
	}
	for _, a := range t.dense {
		if a != nil {
			each(a)
		}
	}
	for _, a := range t.sparse {
		each(a)
	}
}

// formSize is the size of a value of form in a unit of format f, -1 when
// it varies.
func formSize(form uint64, f unitFormat) int {
	switch form {
	case formFlagPresent, formImplicitConst:
		return 0
	case formData1, formRef1, formFlag, formStrx1, formAddrx1:
		return 1
	case formData2, formRef2, formStrx2, formAddrx2:
		return 2
	case formStrx3, formAddrx3:
		return 3
	case formData4, formRef4, formStrx4, formAddrx4, formRefSup4:
		return 4
	case formData8, formRef8, formRefSig8, formRefSup8:
		return 8
	case formData16:
		return 16
	case formAddr:
		return f.addrSize
	case formStrp, formLineStrp, formSecOffset, formStrpSup, formGNURefAlt, formGNUStrpAlt:
		return f.offSize
	case formRefAddr:
		if f.version <= 2 {
			return f.addrSize
		}
		return f.offSize
	}
	return -1
}

// maxAbbrevAttrs bounds the attributes of one abbreviation (real ones
// have a few dozen): a malformed table must not make us allocate without
// end.
const maxAbbrevAttrs = 256

// parseAbbrevs reads the abbreviation table at off in .debug_abbrev.
func parseAbbrevs(b []byte, off uint64, order binary.ByteOrder) (*abbrevTable, error) {
	if off >= uint64(len(b)) {
		return nil, &DecodeError{Section: ".debug_abbrev", Offset: off, Err: fmt.Errorf("table at %#x past the end of the section (%#x bytes)", off, len(b))}
	}
	r := dwread.New(b, int(off), order)
	t := &abbrevTable{}
	for {
		at := r.Pos()
		code := r.Uleb()
		if code == 0 || r.Err() != nil {
			break
		}
		a := &abbrev{tag: dwarf.Tag(r.Uleb()), children: r.U8() != 0}
		for r.Err() == nil {
			name, form := r.Uleb(), r.Uleb()
			if name == 0 && form == 0 {
				break
			}
			if form == formImplicitConst {
				r.Sleb() // the value lives here, not in the DIEs
			}
			if len(a.attrs) == maxAbbrevAttrs {
				return nil, &DecodeError{Section: ".debug_abbrev", Offset: uint64(at), Err: fmt.Errorf("abbreviation %d has more than %d attributes", code, maxAbbrevAttrs)}
			}
			a.attrs = append(a.attrs, abbrevAttr{attr: dwarf.Attr(name), form: form})
		}
		if !t.set(code, a) {
			return nil, &DecodeError{Section: ".debug_abbrev", Offset: uint64(at), Err: fmt.Errorf("abbreviation code %d defined twice", code)}
		}
	}
	if err := r.Error(".debug_abbrev", 0, fmt.Sprintf("table at %#x", off)); err != nil {
		return nil, err
	}
	return t, nil
}

// dieUnit is what reading the DIEs of one unit needs to know.
type dieUnit struct {
	hdr      unitHeader
	abbrevs  *abbrevTable // planned for the unit's format
	strs     strSections
	strxBase uint64 // DW_AT_str_offsets_base of the unit
}

// newDIEUnit is the unit of header h, whose abbreviations are t.
func newDIEUnit(h unitHeader, t *abbrevTable, strs strSections, strxBase uint64) *dieUnit {
	t.plan(formatOf(h))
	return &dieUnit{hdr: h, abbrevs: t, strs: strs, strxBase: strxBase}
}

// strSections are the string sections names may be in.
type strSections struct {
	str, lineStr, strOffsets []byte
}

// die is one DIE as the reader saw it.
type die struct {
	off    uint64
	tag    dwarf.Tag
	kids   bool   // it has children
	attrs  uint64 // where its attributes end: its first child or next sibling
	name   []byte // DW_AT_name when it is a string the reader can see, else nil
	link   bool   // it has a DW_AT_linkage_name (or DW_AT_MIPS_linkage_name)
	target uint64 // DW_AT_specification or DW_AT_abstract_origin (a .debug_info offset), 0 if none
	sib    uint64 // DW_AT_sibling (a .debug_info offset), 0 if none
}

// dieReader reads the DIEs of one unit in order.
type dieReader struct {
	u *dieUnit
	r *dwread.Reader // over the whole .debug_info: positions are offsets
}

func newDIEReader(info []byte, u *dieUnit, order binary.ByteOrder) *dieReader {
	return &dieReader{u: u, r: dwread.New(info[:u.hdr.end], int(u.hdr.die), order)}
}

// seek moves to the DIE at off, which must lie in the unit.
func (dr *dieReader) seek(off uint64) error {
	if off < dr.u.hdr.die || off >= dr.u.hdr.end {
		return dr.bad(off, fmt.Errorf("reference to %#x outside the unit", off))
	}
	dr.r.Seek(int(off))
	return nil
}

func (dr *dieReader) bad(off uint64, err error) error {
	return &DecodeError{Section: ".debug_info", Offset: off, Err: fmt.Errorf("unit at %#x: %w", dr.u.hdr.off, err)}
}

// next reads the DIE at the reader's position into d; ok is false at the
// end of a list of siblings (a null entry) or of the unit.
func (dr *dieReader) next(d *die) (ok bool, err error) {
	r := dr.r
	if !r.More() {
		return false, nil
	}
	*d = die{off: uint64(r.Pos())}
	code := r.Uleb()
	if code == 0 {
		return false, r.Error(".debug_info", 0, fmt.Sprintf("unit at %#x: DIE", dr.u.hdr.off))
	}
	a := dr.u.abbrevs.get(code)
	if a == nil {
		return false, dr.bad(d.off, fmt.Errorf("DIE at %#x: no abbreviation %d", d.off, code))
	}
	d.tag, d.kids = a.tag, a.children
	if !a.indirect {
		return dr.steps(d, a)
	}
	for _, at := range a.attrs {
		form := at.form
		for form == formIndirect && r.More() {
			form = r.Uleb()
		}
		switch at.attr {
		case dwarf.AttrName:
			d.name = dr.str(form)
			continue
		case dwarf.AttrSibling:
			d.sib = dr.ref(form)
			continue
		case dwarf.AttrSpecification, dwarf.AttrAbstractOrigin:
			d.target = dr.ref(form)
			continue
		case dwarf.AttrLinkageName, attrMIPSLinkageName:
			d.link = true
		}
		if err := dr.skip(form); err != nil {
			return false, err
		}
	}
	d.attrs = uint64(r.Pos())
	if r.Err() != nil {
		return false, r.Error(".debug_info", 0, fmt.Sprintf("unit at %#x: DIE at %#x", dr.u.hdr.off, d.off))
	}
	return true, nil
}

// steps reads the attributes of d, whose abbreviation is a, by its steps.
func (dr *dieReader) steps(d *die, a *abbrev) (ok bool, err error) {
	r := dr.r
	for i := range a.steps {
		st := &a.steps[i]
		if st.skip > 0 {
			r.Skip(st.skip)
		}
		switch st.what {
		case stepName:
			d.name = dr.str(st.form)
		case stepSibling:
			d.sib = dr.ref(st.form)
		case stepTarget:
			d.target = dr.ref(st.form)
		case stepLink:
			d.link = true
			err = dr.skip(st.form)
		case stepSkip:
			err = dr.skip(st.form)
		}
		if err != nil {
			return false, err
		}
	}
	d.attrs = uint64(r.Pos())
	if r.Err() != nil {
		return false, r.Error(".debug_info", 0, fmt.Sprintf("unit at %#x: DIE at %#x", dr.u.hdr.off, d.off))
	}
	return true, nil
}

// skipKids moves past the children of d, the DIE just read: to its
// sibling when it names one, else through them.
func (dr *dieReader) skipKids(d *die) error {
	if !d.kids {
		return nil
	}
	if d.sib > d.attrs && d.sib <= dr.u.hdr.end {
		dr.r.Seek(int(d.sib))
		return nil
	}
	depth := 1
	var c die
	for depth > 0 {
		ok, err := dr.next(&c)
		if err != nil {
			return err
		}
		if !ok {
			if !dr.r.More() {
				return nil // the unit ends
			}
			depth--
			continue
		}
		if c.kids {
			if c.sib > c.attrs && c.sib <= dr.u.hdr.end {
				dr.r.Seek(int(c.sib))
			} else {
				depth++
			}
		}
	}
	return nil
}

// nameAt is the name of the DIE at off, in the unit; nil when it has none.
func (dr *dieReader) nameAt(off uint64) (name []byte, link bool, err error) {
	save := dr.r.Pos()
	defer dr.r.Seek(save)
	if err := dr.seek(off); err != nil {
		return nil, false, err
	}
	var d die
	if _, err := dr.next(&d); err != nil {
		return nil, false, err
	}
	return d.name, d.link, nil
}

// ref reads a reference as a .debug_info offset (0 for one into another
// file or a type unit).
func (dr *dieReader) ref(form uint64) uint64 {
	r, base := dr.r, dr.u.hdr.off
	switch form {
	case formRef1:
		return base + uint64(r.U8())
	case formRef2:
		return base + uint64(r.U16())
	case formRef4:
		return base + uint64(r.U32())
	case formRef8:
		return base + r.U64()
	case formRefUdata:
		return base + r.Uleb()
	case formRefAddr:
		if dr.u.hdr.version <= 2 {
			return r.Addr(dr.u.hdr.addrSize)
		}
		return dr.offset()
	}
	dr.skip(form)
	return 0
}

// offset reads a section offset of the unit's format (4 or 8 bytes).
func (dr *dieReader) offset() uint64 {
	if dr.u.hdr.offSize == 8 {
		return dr.r.U64()
	}
	return uint64(dr.r.U32())
}

// str reads a string attribute, nil when it is in a section the reader
// does not have (a supplementary file's, a split unit's).
func (dr *dieReader) str(form uint64) []byte {
	r, s := dr.r, dr.u.strs
	switch form {
	case formString:
		rest := r.Rest()
		if i := bytes.IndexByte(rest, 0); i >= 0 {
			r.Skip(i + 1)
			return rest[:i]
		}
		r.Skip(len(rest) + 1) // runs off the end: the reader fails
		return nil
	case formStrp:
		return cString(s.str, dr.offset())
	case formLineStrp:
		return cString(s.lineStr, dr.offset())
	case formStrx, formStrx1, formStrx2, formStrx3, formStrx4:
		var i uint64
		switch form {
		case formStrx:
			i = r.Uleb()
		case formStrx1:
			i = uint64(r.U8())
		case formStrx2:
			i = uint64(r.U16())
		case formStrx3:
			i = uint64(r.U16()) | uint64(r.U8())<<16
		case formStrx4:
			i = uint64(r.U32())
		}
		size := uint64(dr.u.hdr.offSize)
		at := dr.u.strxBase + i*size
		if i > uint64(len(s.strOffsets)) || at+size > uint64(len(s.strOffsets)) || at < dr.u.strxBase {
			return nil
		}
		var off uint64
		if size == 8 {
			off = dr.r.Order().Uint64(s.strOffsets[at:])
		} else {
			off = uint64(dr.r.Order().Uint32(s.strOffsets[at:]))
		}
		return cString(s.str, off)
	}
	dr.skip(form)
	return nil
}

// cString is the NUL-terminated string at off in sec, nil if there is
// none.
func cString(sec []byte, off uint64) []byte {
	if off >= uint64(len(sec)) {
		return nil
	}
	if i := bytes.IndexByte(sec[off:], 0); i >= 0 {
		return sec[off : off+uint64(i)]
	}
	return nil
}

// skip moves past an attribute's value of the given form.
func (dr *dieReader) skip(form uint64) error {
	r := dr.r
	if n := formSize(form, formatOf(dr.u.hdr)); n >= 0 {
		r.Skip(n)
		return nil
	}
	switch form {
	case formSdata, formUdata, formRefUdata, formStrx, formAddrx, formLoclistx, formRnglistx,
		formGNUAddrIndex, formGNUStrIndex:
		r.Uleb()
	case formString:
		dr.str(form)
	case formBlock1:
		r.Skip(int(r.U8()))
	case formBlock2:
		r.Skip(int(r.U16()))
	case formBlock4:
		r.Skip(int(r.U32()))
	case formBlock, formExprloc:
		n := r.Uleb()
		if n > uint64(r.Len()) {
			r.Fail(dwread.ErrShort)
			break
		}
		r.Skip(int(n))
	default:
		return dr.bad(uint64(r.Pos()), fmt.Errorf("unknown attribute form %#x", form))
	}
	return nil
}
