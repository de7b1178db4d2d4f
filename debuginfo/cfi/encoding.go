package cfi

import (
	"fmt"

	"hwdbg/debuginfo/internal/dwread"
)

// DW_EH_PE_* pointer encodings: the low nibble is the format, the high
// one what the value is relative to.
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
func readEncoded(r *dwread.Reader, enc byte, secAddr, got uint64, addrSize int) uint64 {
	if enc == peOmit {
		return 0
	}
	if enc&0x70 == peAligned {
		a := uint64(addrSize)
		for a > 0 && (secAddr+uint64(r.Pos()))%a != 0 && r.Need(1) {
			r.Skip(1)
		}
	}
	pos := uint64(r.Pos())
	var v uint64
	switch enc & 0x0f {
	case peAbsptr:
		v = r.Addr(addrSize)
	case peUleb:
		v = r.Uleb()
	case peUdata2:
		v = uint64(r.U16())
	case peUdata4:
		v = uint64(r.U32())
	case peUdata8, peSdata8:
		v = r.U64()
	case peSleb:
		v = uint64(r.Sleb())
	case peSdata2:
		v = uint64(int64(int16(r.U16())))
	case peSdata4:
		v = uint64(int64(int32(r.U32())))
	default:
		r.Fail(fmt.Errorf("unknown pointer encoding %#x", enc))
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
