package debuginfo

import (
	"encoding/binary"
	"fmt"

	"hwdbg/debuginfo/internal/dwread"
)

// maxListEntries bounds the entries of one location list.
const maxListEntries = 1 << 20

// parseLoc walks a DWARF 2-4 .debug_loc list at off.
func parseLoc(sec []byte, off, base, pc uint64, ptrSize int, order binary.ByteOrder) ([]byte, error) {
	const name = ".debug_loc"
	if off > uint64(len(sec)) {
		return nil, &DecodeError{Section: name, Offset: off, Err: fmt.Errorf("location list past the end of the section")}
	}
	r := dwread.New(sec, int(off), order)
	what := fmt.Sprintf("location list at %#x", off)
	maxAddr := ^uint64(0)
	if ptrSize == 4 {
		maxAddr = 0xffffffff
	}
	for i := 0; i < maxListEntries; i++ {
		lo, hi := r.Addr(ptrSize), r.Addr(ptrSize)
		if err := r.Error(name, 0, what); err != nil {
			return nil, err
		}
		if lo == 0 && hi == 0 {
			return nil, ErrOptimizedOut
		}
		if lo == maxAddr {
			base = hi
			continue
		}
		expr := r.Bytes(uint64(r.U16()))
		if err := r.Error(name, 0, what); err != nil {
			return nil, err
		}
		if pc >= base+lo && pc < base+hi {
			return expr, nil
		}
	}
	return nil, &DecodeError{Section: name, Offset: off, Err: fmt.Errorf("location list too long")}
}

// DW_LLE_* entry kinds.
const (
	lleEnd         = 0
	lleBaseAddrx   = 1
	lleStartxEndx  = 2
	lleStartxLen   = 3
	lleOffsetPair  = 4
	lleDefault     = 5
	lleBaseAddr    = 6
	lleStartEnd    = 7
	lleStartLength = 8
)

// locListsReader reads the entries of one .debug_loclists list.
type locListsReader struct {
	r       *dwread.Reader
	base    uint64 // the base address of offset pairs
	ptrSize int
	addrx   func(uint64) (uint64, error)
}

// index reads an index into .debug_addr and gives its address.
func (l *locListsReader) index() uint64 {
	i := l.r.Uleb()
	if l.r.Err() != nil {
		return 0
	}
	a, err := l.addrx(i)
	if err != nil {
		l.r.Fail(err)
	}
	return a
}

// bounds reads the range of an entry of a kind that has one; ok is false
// for a kind that has none, which it has applied (a base address).
func (l *locListsReader) bounds(kind byte) (lo, hi uint64, ok bool, err error) {
	switch kind {
	case lleBaseAddrx:
		l.base = l.index()
		return 0, 0, false, nil
	case lleBaseAddr:
		l.base = l.r.Addr(l.ptrSize)
		return 0, 0, false, nil
	case lleStartxEndx:
		lo = l.index()
		hi = l.index()
	case lleStartxLen:
		lo = l.index()
		hi = lo + l.r.Uleb()
	case lleOffsetPair:
		lo = l.base + l.r.Uleb()
		hi = l.base + l.r.Uleb()
	case lleStartEnd:
		lo = l.r.Addr(l.ptrSize)
		hi = l.r.Addr(l.ptrSize)
	case lleStartLength:
		lo = l.r.Addr(l.ptrSize)
		hi = lo + l.r.Uleb()
	default:
		return 0, 0, false, fmt.Errorf("bad entry kind %#x", kind)
	}
	return lo, hi, true, nil
}

// parseLocLists walks a DWARF 5 .debug_loclists list at off.
func parseLocLists(sec []byte, off, base, pc uint64, ptrSize int, order binary.ByteOrder, addrx func(uint64) (uint64, error)) ([]byte, error) {
	const name = ".debug_loclists"
	if off > uint64(len(sec)) {
		return nil, &DecodeError{Section: name, Offset: off, Err: fmt.Errorf("location list past the end of the section")}
	}
	l := &locListsReader{r: dwread.New(sec, int(off), order), base: base, ptrSize: ptrSize, addrx: addrx}
	what := fmt.Sprintf("location list at %#x", off)
	var deflt []byte
	for i := 0; i < maxListEntries; i++ {
		at := l.r.Pos()
		kind := l.r.U8()
		if kind == lleEnd {
			if err := l.r.Error(name, 0, what); err != nil {
				return nil, err
			}
			if deflt != nil {
				return deflt, nil
			}
			return nil, ErrOptimizedOut
		}
		lo, hi, bounded := uint64(0), uint64(0), false
		if kind != lleDefault {
			var ok bool
			var err error
			lo, hi, ok, err = l.bounds(kind)
			if err != nil {
				return nil, &DecodeError{Section: name, Offset: uint64(at), Err: fmt.Errorf("%s: %w", what, err)}
			}
			if !ok {
				continue
			}
			bounded = true
		}
		expr := l.r.Bytes(l.r.Uleb())
		if err := l.r.Error(name, 0, what); err != nil {
			return nil, err
		}
		if !bounded {
			deflt = expr
		} else if pc >= lo && pc < hi {
			return expr, nil
		}
	}
	return nil, &DecodeError{Section: name, Offset: off, Err: fmt.Errorf("location list too long")}
}
