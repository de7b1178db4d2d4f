// Package dwread is the reader under debuginfo's hand-written decoders
// (call frame information, location lists, DWARF expressions, unit
// headers) and the error they report: which section, at which offset,
// what was wrong.
package dwread

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// DecodeError is malformed data in a section decoded by hand, in the
// manner of debug/dwarf's DecodeError: the section (or "DWARF expression"
// for an expression, whose offsets count from its first byte), the offset
// of the bad data, and what was wrong.
type DecodeError struct {
	Section string
	Offset  uint64
	Err     error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("decoding %s at offset %#x: %v", e.Section, e.Offset, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// ErrShort is the error of a read past the end of the data.
var ErrShort = errors.New("truncated data")

// Reader is a bounds-checked cursor over DWARF bytes. The first error
// sticks, with the position where it happened; reads after it give zero.
type Reader struct {
	b     []byte
	pos   int
	order binary.ByteOrder
	err   error
	errAt int
}

// New reads b from pos in byte order order.
func New(b []byte, pos int, order binary.ByteOrder) *Reader {
	return &Reader{b: b, pos: pos, order: order}
}

// Pos is the position of the next read.
func (r *Reader) Pos() int { return r.pos }

// Seek moves to pos, which must lie inside the data (or at its end).
func (r *Reader) Seek(pos int) {
	if pos < 0 || pos > len(r.b) {
		r.Fail(ErrShort)
		return
	}
	r.pos = pos
}

// Len is the size of the data.
// Order is the byte order the reader decodes in.
func (r *Reader) Order() binary.ByteOrder { return r.order }

func (r *Reader) Len() int { return len(r.b) }

// More tells whether bytes are left to read and no read has failed.
func (r *Reader) More() bool { return r.err == nil && r.pos < len(r.b) }

// Rest is the data from the position on.
func (r *Reader) Rest() []byte {
	if r.pos > len(r.b) {
		return nil
	}
	return r.b[r.pos:]
}

// Err is the first error.
func (r *Reader) Err() error { return r.err }

// ErrAt is the position where the first error happened.
func (r *Reader) ErrAt() int { return r.errAt }

// Fail records err at the position, unless an error is already recorded.
func (r *Reader) Fail(err error) { r.FailAt(r.pos, err) }

// FailAt records err at pos, unless an error is already recorded.
func (r *Reader) FailAt(pos int, err error) {
	if r.err == nil {
		r.err, r.errAt = err, pos
	}
}

// Need tells whether n more bytes can be read, failing with ErrShort if not.
func (r *Reader) Need(n int) bool {
	if r.err != nil {
		return false
	}
	if n < 0 || r.pos+n > len(r.b) || r.pos+n < r.pos {
		r.Fail(ErrShort)
		return false
	}
	return true
}

// Skip moves past n bytes.
func (r *Reader) Skip(n int) {
	if r.Need(n) {
		r.pos += n
	}
}

func (r *Reader) U8() uint8 {
	if !r.Need(1) {
		return 0
	}
	r.pos++
	return r.b[r.pos-1]
}

func (r *Reader) U16() uint16 {
	if !r.Need(2) {
		return 0
	}
	r.pos += 2
	return r.order.Uint16(r.b[r.pos-2:])
}

func (r *Reader) U32() uint32 {
	if !r.Need(4) {
		return 0
	}
	r.pos += 4
	return r.order.Uint32(r.b[r.pos-4:])
}

func (r *Reader) U64() uint64 {
	if !r.Need(8) {
		return 0
	}
	r.pos += 8
	return r.order.Uint64(r.b[r.pos-8:])
}

// Addr reads an address of size bytes (1, 2, 4 or 8).
func (r *Reader) Addr(size int) uint64 {
	switch size {
	case 1:
		return uint64(r.U8())
	case 2:
		return uint64(r.U16())
	case 4:
		return uint64(r.U32())
	case 8:
		return r.U64()
	}
	r.Fail(fmt.Errorf("bad address size %d", size))
	return 0
}

// Uleb reads an unsigned LEB128 number; bits past 64 are dropped.
func (r *Reader) Uleb() uint64 {
	var v uint64
	for shift := uint(0); ; shift += 7 {
		if !r.Need(1) {
			return 0
		}
		c := r.b[r.pos]
		r.pos++
		if shift < 64 {
			v |= uint64(c&0x7f) << shift
		}
		if c&0x80 == 0 {
			return v
		}
	}
}

// Sleb reads a signed LEB128 number; bits past 64 are dropped.
func (r *Reader) Sleb() int64 {
	var v int64
	var shift uint
	for {
		if !r.Need(1) {
			return 0
		}
		c := r.b[r.pos]
		r.pos++
		if shift < 64 {
			v |= int64(c&0x7f) << shift
		}
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v
		}
	}
}

// Bytes reads n bytes (a slice of the data, not a copy).
func (r *Reader) Bytes(n uint64) []byte {
	if n > uint64(len(r.b)) || !r.Need(int(n)) {
		r.Fail(ErrShort)
		return nil
	}
	r.pos += int(n)
	return r.b[r.pos-int(n) : r.pos]
}

// Error is a DecodeError for the first error, at its position plus base
// (the offset of the data in its section), with what as context; nil
// without an error.
func (r *Reader) Error(section string, base uint64, what string) error {
	if r.err == nil {
		return nil
	}
	err := r.err
	if what != "" {
		err = fmt.Errorf("%s: %w", what, err)
	}
	return &DecodeError{Section: section, Offset: base + uint64(r.errAt), Err: err}
}
