package arm64

import (
	"fmt"
	"math/bits"

	"hwdbg/arch"
)

// The AArch64 debug architecture, as Linux exposes it to a tracer through
// PTRACE_GETREGSET/SETREGSET with NT_ARM_HW_BREAK (0x402, the breakpoint
// bank DBGBVR/DBGBCR) and NT_ARM_HW_WATCH (0x403, the watchpoint bank
// DBGWVR/DBGWCR). Both regsets are a struct user_hwdebug_state:
//
//	u32 dbg_info   number of slots (bits 0-7), debug architecture (bits 8-15)
//	u32 pad
//	struct { u64 addr; u32 ctrl; u32 pad; } dbg_regs[16]
//
// ctrl is the kernel's view of DBGxCR: bit 0 enable, bits 1-2 privilege
// (0b10 = EL0, the only one user space may ask for), bits 3-4 the load/store
// control (LSC: 01 load, 10 store, 11 both; 00 for a breakpoint), bits 5-12
// the byte address select (BAS: one bit a byte of the 8-byte aligned double
// word at addr). Linux's ptrace interface offers no MASK: a slot watches at
// most the 8 bytes of one aligned double word.

// Regset notes (elf.h).
const (
	NTArmHWBreak = 0x402
	NTArmHWWatch = 0x403
)

// MaxRegs is the size of dbg_regs in struct user_hwdebug_state.
const MaxRegs = 16

// UserLimit is the first address above arm64 user space with 48-bit
// virtual addresses (TASK_SIZE_64). The kernel refuses a user breakpoint on
// a kernel address.
const UserLimit = 1 << 48

// ctrl bit fields.
const (
	ctrlEnable   = 1 << 0
	ctrlPrivEL0  = 0b10 << 1 // privilege: EL0 (user)
	ctrlPrivMask = 0b11 << 1
	ctrlLSCShift = 3
	ctrlLSCMask  = 0b11 << ctrlLSCShift
	ctrlBASShift = 5
	ctrlBASMask  = 0xff << ctrlBASShift
)

// LSC codes.
const (
	lscExec  = 0b00 // breakpoints have no LSC
	lscLoad  = 0b01
	lscStore = 0b10
	lscBoth  = 0b11
)

// Ctrl is one slot's control word as the regsets carry it.
type Ctrl uint32

// Enabled reports bit 0.
func (c Ctrl) Enabled() bool { return c&ctrlEnable != 0 }

// Privilege returns bits 1-2 (0b10 = EL0).
func (c Ctrl) Privilege() uint8 { return uint8(c&ctrlPrivMask) >> 1 }

// LSC returns bits 3-4: 01 load, 10 store, 11 both.
func (c Ctrl) LSC() uint8 { return uint8(c&ctrlLSCMask) >> ctrlLSCShift }

// BAS returns bits 5-12: the bytes of the aligned double word watched.
func (c Ctrl) BAS() uint8 { return uint8(c >> ctrlBASShift) }

func (c Ctrl) String() string {
	return fmt.Sprintf("ctrl{en=%v priv=%02b lsc=%02b bas=%#02x}", c.Enabled(), c.Privilege(), c.LSC(), c.BAS())
}

// Reg is one dbg_regs entry: an address and its control word.
type Reg struct {
	Addr uint64
	Ctrl Ctrl
}

// basFor is the BAS of Len contiguous bytes starting at byte off of a double
// word.
func basFor(off uint64, n int) uint8 {
	return uint8(((1 << uint(n)) - 1) << off)
}

// lscFor maps a data access to LSC.
func lscFor(a arch.Access) (uint32, error) {
	switch a {
	case arch.Read:
		return lscLoad, nil
	case arch.Write:
		return lscStore, nil
	case arch.ReadWrite:
		return lscBoth, nil
	}
	return 0, fmt.Errorf("access %v is not read, write or rw (a watchpoint slot cannot trap on execution)", a)
}

// EncodeWatch turns a watchpoint slot into the register pair the kernel
// takes: the 8-byte aligned address and a ctrl with BAS shifted to the
// watched bytes. (Linux also accepts the exact address with BAS from bit
// 0, but never both: an unaligned address with a shifted BAS watches the
// wrong bytes. We always send the aligned form, which is also what reads
// back.) A disabled slot is the zero Reg.
func EncodeWatch(s arch.Slot) (Reg, error) {
	if !s.Enabled {
		return Reg{}, nil
	}
	lsc, err := lscFor(s.Access)
	if err != nil {
		return Reg{}, err
	}
	if s.Len < 1 || s.Len > 8 {
		return Reg{}, fmt.Errorf("watchpoint of %d bytes: a slot covers 1 to 8 bytes", s.Len)
	}
	off := s.Addr & 7
	if off+uint64(s.Len) > 8 {
		return Reg{}, fmt.Errorf("watchpoint %#x+%d crosses an 8-byte boundary (a slot covers bytes of one aligned double word)", s.Addr, s.Len)
	}
	if err := userRange(s.Addr, s.Len); err != nil {
		return Reg{}, err
	}
	c := Ctrl(ctrlEnable | ctrlPrivEL0 | lsc<<ctrlLSCShift | uint32(basFor(off, s.Len))<<ctrlBASShift)
	return Reg{Addr: s.Addr &^ 7, Ctrl: c}, nil
}

// EncodeBreak turns an execute breakpoint slot into its register pair:
// the instruction's address (4-byte aligned) with BAS=0xf and LSC 0.
func EncodeBreak(s arch.Slot) (Reg, error) {
	if !s.Enabled {
		return Reg{}, nil
	}
	if s.Access != arch.Exec {
		return Reg{}, fmt.Errorf("access %v: a breakpoint slot traps only on execution", s.Access)
	}
	if s.Addr&3 != 0 {
		return Reg{}, fmt.Errorf("breakpoint at %#x: arm64 instructions are 4-byte aligned", s.Addr)
	}
	if s.Len < 0 || s.Len > 4 {
		return Reg{}, fmt.Errorf("breakpoint of %d bytes: an instruction is 4 bytes", s.Len)
	}
	if err := userRange(s.Addr, 4); err != nil {
		return Reg{}, err
	}
	return Reg{Addr: s.Addr, Ctrl: Ctrl(ctrlEnable | ctrlPrivEL0 | 0xf<<ctrlBASShift)}, nil
}

func userRange(addr uint64, n int) error {
	end := addr + uint64(n)
	if end < addr || addr >= UserLimit || end > UserLimit {
		return fmt.Errorf("%#x is not a user-space address (the kernel refuses debug registers on kernel addresses)", addr)
	}
	return nil
}

// DecodeWatch turns a watchpoint register pair back into a slot. The
// address may be aligned with BAS shifted (what the kernel reads back) or,
// equivalently, exact with BAS from bit 0. A disabled slot with no BAS
// decodes as the zero Slot.
func DecodeWatch(r Reg) (arch.Slot, error) {
	c := r.Ctrl
	if !c.Enabled() && c.BAS() == 0 {
		return arch.Slot{}, nil
	}
	bas := c.BAS()
	if bas == 0 {
		return arch.Slot{}, fmt.Errorf("watchpoint %#x %v: enabled with no bytes selected (BAS=0)", r.Addr, c)
	}
	lo := bits.TrailingZeros8(bas)
	n := bits.OnesCount8(bas)
	if bas>>uint(lo) != uint8((1<<uint(n))-1) {
		return arch.Slot{}, fmt.Errorf("watchpoint %#x %v: BAS selects non-contiguous bytes", r.Addr, c)
	}
	if r.Addr&7 != 0 && lo != 0 {
		return arch.Slot{}, fmt.Errorf("watchpoint %#x %v: mixes an unaligned address with a shifted BAS (the kernel adds both offsets)", r.Addr, c)
	}
	addr := r.Addr + uint64(lo)
	if (addr&7)+uint64(n) > 8 {
		return arch.Slot{}, fmt.Errorf("watchpoint %#x %v: the bytes run past the double word", r.Addr, c)
	}
	var acc arch.Access
	switch c.LSC() {
	case lscLoad:
		acc = arch.Read
	case lscStore:
		acc = arch.Write
	case lscBoth:
		acc = arch.ReadWrite
	default:
		if c.Enabled() {
			return arch.Slot{}, fmt.Errorf("watchpoint %#x %v: no load/store control (LSC=00)", r.Addr, c)
		}
	}
	return arch.Slot{Enabled: c.Enabled(), Addr: addr, Len: n, Access: acc}, nil
}

// DecodeBreak turns a breakpoint register pair back into a slot (Len 4,
// one instruction).
func DecodeBreak(r Reg) (arch.Slot, error) {
	c := r.Ctrl
	if !c.Enabled() && c.BAS() == 0 {
		return arch.Slot{}, nil
	}
	switch c.BAS() {
	case 0xf:
	case 0x3, 0xc: // AArch32 (T32) halfword breakpoints; not for arm64 code
		return arch.Slot{}, fmt.Errorf("breakpoint %#x %v: a 2-byte (AArch32 Thumb) breakpoint", r.Addr, c)
	default:
		return arch.Slot{}, fmt.Errorf("breakpoint %#x %v: BAS must be 0xf", r.Addr, c)
	}
	return arch.Slot{Enabled: c.Enabled(), Addr: r.Addr, Len: 4, Access: arch.Exec}, nil
}

// DbgInfo is the dbg_info word of a regset.
type DbgInfo uint32

// Slots is the number of slots of the bank (low byte).
func (d DbgInfo) Slots() int { return int(d & 0xff) }

// DebugArch is the debug architecture version (bits 8-15): 6 = ARMv8,
// 8 = ARMv8.2, 9 = ARMv8.4, 0xa = ARMv8.8.
func (d DbgInfo) DebugArch() int { return int(d>>8) & 0xff }

// Split plans [addr, addr+n) into pieces that do not cross an 8-byte
// boundary: a slot watches any contiguous bytes of one aligned double word
// (BAS), so 12 bytes at 8k+4 are 4+8 and 3 bytes at 8k+1 are one piece. An
// execute breakpoint is one 4-byte instruction at addr, which must be
// 4-byte aligned.
func (*Backend) Split(addr uint64, n int, acc arch.Access) ([]arch.Piece, error) {
	if acc == arch.Exec {
		if addr&3 != 0 {
			return nil, fmt.Errorf("split %#x: arm64 instructions are 4-byte aligned: a breakpoint needs an aligned address", addr)
		}
		if err := userRange(addr, 4); err != nil {
			return nil, fmt.Errorf("split %#x: %w", addr, err)
		}
		return []arch.Piece{{Addr: addr, Len: 4}}, nil
	}
	if _, err := lscFor(acc); err != nil {
		return nil, fmt.Errorf("split %#x: %w", addr, err)
	}
	if n <= 0 {
		return nil, fmt.Errorf("split %#x: length %d: a watched range needs at least one byte", addr, n)
	}
	if err := userRange(addr, n); err != nil {
		return nil, fmt.Errorf("split %#x+%d: %w", addr, n, err)
	}
	end := addr + uint64(n)
	var pieces []arch.Piece
	for a := addr; a < end; {
		next := min((a&^7)+8, end)
		pieces = append(pieces, arch.Piece{Addr: a, Len: int(next - a)})
		a = next
	}
	return pieces, nil
}
