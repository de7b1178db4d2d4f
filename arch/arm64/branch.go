package arm64

import "regexp"

// pcRelText is how arm64asm writes a pc-relative operand (".+0x40");
// a decoded branch shows its target's address instead, as objdump does.
var pcRelText = regexp.MustCompile(`\.[+-]0x[0-9a-f]+`)

// BranchTarget is where the direct branch w at pc goes: b, bl, b.cond,
// cbz, cbnz, tbz, tbnz. ok is false for any other instruction.
func BranchTarget(w uint32, pc uint64) (target uint64, ok bool) {
	var off int64
	switch {
	case w>>26 == 0b000101 || w>>26 == 0b100101: // b, bl: imm26
		off = signExtend(uint64(w&(1<<26-1)), 26) << 2
	case w>>24 == 0b01010100 && w&(1<<4) == 0: // b.cond: imm19
		off = signExtend(uint64(w>>5&(1<<19-1)), 19) << 2
	case w>>25&0x3f == 0b011010: // cbz, cbnz: imm19
		off = signExtend(uint64(w>>5&(1<<19-1)), 19) << 2
	case w>>25&0x3f == 0b011011: // tbz, tbnz: imm14
		off = signExtend(uint64(w>>5&(1<<14-1)), 14) << 2
	default:
		return 0, false
	}
	return pc + uint64(off), true
}

// signExtend sign-extends the low bits bits of v.
func signExtend(v uint64, bits uint) int64 {
	shift := 64 - bits
	return int64(v<<shift) >> shift
}
