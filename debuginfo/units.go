package debuginfo

import (
	"debug/dwarf"
	"encoding/binary"
	"fmt"
	"path"
	"sort"
	"strings"

	"hwdbg/debuginfo/internal/dwread"
)

// unit is one compilation unit.
type unit struct {
	hdr      unitHeader
	idx      int32
	off      dwarf.Offset // offset of the unit's DIE
	end      dwarf.Offset // end of the unit in .debug_info
	version  int
	entry    *dwarf.Entry
	name     string
	lang     string
	base     uint64 // DW_AT_low_pc, unbiased
	addrBase uint64
	llBase   uint64 // DW_AT_loclists_base
	ranges   [][2]uint64
	indexed  bool
	funcs    []funcRange // sorted by low, built with the index
	lines    *lineTable
	lineErr  error
}

// unitHeader is what the header of a unit in .debug_info says.
type unitHeader struct {
	off      uint64 // of the header
	end      uint64 // of the unit
	version  int
	kind     byte   // DW_UT_*
	die      uint64 // offset of the unit's DIE
	offSize  int    // of section offsets: 4 (32-bit DWARF) or 8
	addrSize int
	abbrev   uint64 // offset of its abbreviations in .debug_abbrev
}

// DW_UT_* unit kinds.
const (
	utCompile      = 1
	utType         = 2
	utPartial      = 3
	utSkeleton     = 4
	utSplitCompile = 5
	utSplitType    = 6
)

// unitHeaders reads the headers of the units in .debug_info.
func unitHeaders(info []byte, order binary.ByteOrder) ([]unitHeader, error) {
	var hs []unitHeader
	for off := uint64(0); off+4 <= uint64(len(info)); {
		h, err := unitHeaderAt(info, off, order)
		if err != nil {
			return hs, err
		}
		hs = append(hs, h)
		off = h.end
	}
	return hs, nil
}

// unitHeaderAt reads the header of the unit at start.
func unitHeaderAt(info []byte, start uint64, order binary.ByteOrder) (unitHeader, error) {
	bad := func(off uint64, format string, args ...any) (unitHeader, error) {
		return unitHeader{}, &DecodeError{Section: ".debug_info", Offset: off, Err: fmt.Errorf(format, args...)}
	}
	r := dwread.New(info, int(start), order)
	length := uint64(r.U32())
	offSize := uint64(4)
	if length == 0xffffffff {
		length = r.U64()
		offSize = 8
		if err := r.Error(".debug_info", 0, fmt.Sprintf("unit at %#x: header", start)); err != nil {
			return unitHeader{}, err
		}
	} else if length >= 0xfffffff0 {
		return bad(start, "unit at %#x: bad length %#x", start, length)
	}
	body := uint64(r.Pos())
	end := body + length
	if end > uint64(len(info)) || end < body || body+2 > uint64(len(info)) {
		return bad(start, "unit at %#x: length %#x past the end of the section", start, length)
	}
	h := unitHeader{off: start, end: end, version: int(r.U16()), kind: utCompile, offSize: int(offSize)}
	hdr := body + 2
	if h.version >= 5 {
		if hdr+2 > end {
			return bad(hdr, "unit at %#x: truncated header", start)
		}
		h.kind = info[hdr]
		h.addrSize = int(info[hdr+1])
		if hdr+2+offSize <= end {
			h.abbrev = offsetAt(info[hdr+2:], int(offSize), order)
		}
		hdr += 2 + offSize // unit_type, address_size, debug_abbrev_offset
		switch h.kind {
		case utType, utSplitType:
			hdr += 8 + offSize // type_signature, type_offset
		case utSkeleton, utSplitCompile:
			hdr += 8 // dwo_id
		}
	} else if hdr+offSize+1 <= end {
		h.abbrev = offsetAt(info[hdr:], int(offSize), order)
		h.addrSize = int(info[hdr+offSize])
		hdr += offSize + 1
	} else {
		hdr += offSize + 1 // debug_abbrev_offset, address_size
	}
	h.die = hdr
	return h, nil
}

// offsetAt reads a section offset of size bytes (4 or 8) from b.
func offsetAt(b []byte, size int, order binary.ByteOrder) uint64 {
	if size == 8 {
		return order.Uint64(b)
	}
	return uint64(order.Uint32(b))
}

// readUnits walks the unit headers of .debug_info and reads the DIE of
// each unit of compiled code.
func (in *Info) readUnits(info []byte) error {
	hs, err := unitHeaders(info, in.order)
	if err != nil {
		return err
	}
	r := in.d.Reader()
	for _, h := range hs {
		if h.kind != utCompile && h.kind != utPartial && h.kind != utSkeleton || h.die >= h.end {
			continue
		}
		r.Seek(dwarf.Offset(h.die))
		e, err := r.Next()
		if err != nil {
			return fmt.Errorf("unit at %#x: %w", h.off, err)
		}
		if e == nil || (e.Tag != dwarf.TagCompileUnit && e.Tag != dwarf.TagPartialUnit && e.Tag != dwarf.TagSkeletonUnit) {
			continue
		}
		u := &unit{hdr: h, idx: int32(len(in.units)), off: e.Offset, end: dwarf.Offset(h.end), version: h.version, entry: e}
		u.name, _ = e.Val(dwarf.AttrName).(string)
		lang, _ := e.Val(dwarf.AttrLanguage).(int64)
		u.lang = langName(lang)
		u.base, _ = e.Val(dwarf.AttrLowpc).(uint64)
		if v, ok := e.Val(dwarf.AttrAddrBase).(int64); ok {
			u.addrBase = uint64(v)
		}
		if v, ok := e.Val(dwarf.AttrLoclistsBase).(int64); ok {
			u.llBase = uint64(v)
		}
		in.units = append(in.units, u)
	}
	return nil
}

func langName(l int64) string {
	switch l {
	case 0x1, 0x2, 0xc, 0x1d, 0x2c:
		return "c"
	case 0x4, 0x19, 0x1a, 0x21, 0x2a, 0x2b:
		return "c++"
	case 0x16:
		return "go"
	case 0x1c:
		return "rust"
	case 0x8001:
		return "asm"
	case 0x7, 0x8, 0xe, 0x22, 0x23:
		return "fortran"
	case 0:
		return ""
	}
	return fmt.Sprintf("lang(%#x)", l)
}

// unitOf finds the unit holding the DIE at off.
func (in *Info) unitOf(off dwarf.Offset) *unit {
	i := sort.Search(len(in.units), func(i int) bool { return in.units[i].end > off })
	if i < len(in.units) && in.units[i].off <= off {
		return in.units[i]
	}
	return nil
}

// entryAt reads the DIE at off.
func (in *Info) entryAt(off dwarf.Offset) (*dwarf.Entry, error) {
	r := in.d.Reader()
	r.Seek(off)
	e, err := r.Next()
	if err != nil {
		return nil, err
	}
	if e == nil {
		return nil, fmt.Errorf("no DWARF entry at %#x", off)
	}
	return e, nil
}

// unitByFile finds the units named file (base name or path suffix).
func (in *Info) unitsByFile(file string) []*unit {
	var us []*unit
	for _, u := range in.units {
		if fileMatches(u.name, file) {
			us = append(us, u)
		}
	}
	return us
}

func fileMatches(full, want string) bool {
	if full == want || path.Base(full) == want {
		return true
	}
	return strings.HasSuffix(full, "/"+strings.TrimPrefix(want, "/"))
}
