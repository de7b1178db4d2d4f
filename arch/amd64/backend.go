// Package amd64 is the x86-64 Linux half of the debugger: the four debug
// registers DR0-DR3 programmed through PTRACE_POKEUSER, DR6 decoding, the
// general registers, and instruction decoding with golang.org/x/arch/x86asm.
// It also debugs 32-bit i386 programs run by the amd64 kernel (see
// ForProgram): the debug registers are the same, instructions decode in
// 32-bit mode and registers are the low halves of the 64-bit ones.
//
// The pure parts (DR7/DR6 codecs, Split, Decode, Regs) build on every
// GOOS/GOARCH; the methods that issue ptrace requests work only on
// linux/amd64 and return an error elsewhere.
package amd64

import (
	"debug/elf"
	"fmt"
	"strings"

	"hwdbg/arch"
)

// Backend implements arch.Backend for x86-64 Linux. It holds no state but
// the mode of the program's code: the kernel keeps each thread's debug
// registers.
type Backend struct {
	// bits is the code's operand mode: 32 for an i386 program (the
	// compatibility mode of an amd64 kernel), 0 or 64 for x86-64.
	bits int
}

var _ arch.Backend = (*Backend)(nil)

// New returns the amd64 backend for x86-64 programs.
func New() *Backend { return &Backend{} }

// New32 returns the amd64 backend for 32-bit i386 programs.
func New32() *Backend { return &Backend{bits: 32} }

// Bits is the code's mode: 64 for x86-64, 32 for i386.
func (b *Backend) Bits() int {
	if b.bits == 32 {
		return 32
	}
	return 64
}

// Name returns "amd64", or "386" for 32-bit programs.
func (b *Backend) Name() string {
	if b.Bits() == 32 {
		return "386"
	}
	return "amd64"
}

// DWARFRegs is x86-64's DWARF register numbering, or i386's for 32-bit
// programs.
func (b *Backend) DWARFRegs() *arch.DWARFRegs {
	if b.Bits() == 32 {
		return arch.DWARFRegsOf(elf.EM_386)
	}
	return arch.DWARFRegsOf(elf.EM_X86_64)
}

// ForProgram returns the backend for x86-64 (ELFCLASS64 EM_X86_64) or
// i386 (ELFCLASS32 EM_386) programs, and refuses anything else, x32 (the
// ILP32 ABI of x86-64) included.
func (*Backend) ForProgram(class elf.Class, machine elf.Machine) (arch.Backend, error) {
	switch {
	case machine == elf.EM_X86_64 && class == elf.ELFCLASS64:
		return New(), nil
	case machine == elf.EM_386 && class == elf.ELFCLASS32:
		return New32(), nil
	case machine == elf.EM_X86_64 && class == elf.ELFCLASS32:
		return nil, fmt.Errorf("x32 programs (32-bit pointers in 64-bit code) are not supported: hwdbg debugs x86-64 and i386 programs on amd64")
	}
	return nil, fmt.Errorf("a %s %s program cannot be debugged on amd64: hwdbg debugs x86-64 and i386 programs here", classBits(class), machineName(machine))
}

// classBits names an ELF class for messages.
func classBits(c elf.Class) string {
	switch c {
	case elf.ELFCLASS32:
		return "32-bit"
	case elf.ELFCLASS64:
		return "64-bit"
	}
	return c.String()
}

// machineName names an ELF machine for messages ("AARCH64", "ARM").
func machineName(m elf.Machine) string {
	return strings.TrimPrefix(m.String(), "EM_")
}

// Slots lists DR0-DR3. Every slot can watch execution, writes, or reads and
// writes; there is no read-only slot, so a Read request is programmed as
// read-or-write and the debugger filters out the writes.
func (*Backend) Slots(tid int) ([]arch.SlotInfo, error) {
	s := make([]arch.SlotInfo, NumSlots)
	for i := range s {
		s[i] = arch.SlotInfo{Name: fmt.Sprintf("DR%d", i), Can: arch.Exec | arch.ReadWrite}
	}
	return s, nil
}

// Split plans [addr, addr+n) into naturally aligned pieces of 1, 2, 4 or 8
// bytes, one debug register each, taking at every step the largest aligned
// size that still fits (12 bytes at 8k+4 -> 4+8; 3 bytes at 8k+1 -> 1+2).
// An execute breakpoint is always one 1-byte piece at addr. Split does not
// limit the number of pieces: the debugger knows which slots are free.
func (*Backend) Split(addr uint64, n int, acc arch.Access) ([]arch.Piece, error) {
	if _, err := rwCode(acc); err != nil {
		return nil, fmt.Errorf("split %#x: %w", addr, err)
	}
	if n <= 0 {
		return nil, fmt.Errorf("split %#x: length %d: a watched range needs at least one byte", addr, n)
	}
	if acc == arch.Exec {
		n = 1
	}
	end := addr + uint64(n)
	if end < addr || addr >= UserLimit || end > UserLimit {
		return nil, fmt.Errorf("split %#x+%d: %#x is not a user-space address (the kernel refuses debug registers on kernel addresses)", addr, n, addr)
	}
	var pieces []arch.Piece
	for a := addr; a < end; {
		size := uint64(8)
		for a%size != 0 || a+size > end {
			size /= 2
		}
		pieces = append(pieces, arch.Piece{Addr: a, Len: int(size)})
		a += size
	}
	return pieces, nil
}

// TrapAfter is true: x86 data breakpoints are traps, reported after the
// accessing instruction completed, with RIP at the next instruction.
// (Execute breakpoints are faults, reported before the instruction.)
func (*Backend) TrapAfter() bool { return true }

// ReadOnlySlots is false: DR7's RW bits have no read-only setting (10 is
// I/O), so a read watchpoint uses RW=11, read or write.
func (*Backend) ReadOnlySlots() bool { return false }

// MaxInsnLen is 15: the CPU raises #GP on a longer instruction.
func (*Backend) MaxInsnLen() int { return 15 }

// BreakInsn is INT3 (0xCC).
func (*Backend) BreakInsn() []byte { return []byte{0xcc} }

// regWrite is one PTRACE_POKEUSER of a debug register.
type regWrite struct {
	n   int // 0-3 for DR0-DR3, 7 for DR7
	val uint64
}

// planWrites orders the POKEUSER requests that take a thread from its
// current debug registers (cur DR7, cur addresses) to want.
//
// Linux validates each request against the state it already holds:
// writing DRn re-checks the address against the slot's current length and
// type, and writing DR7 re-checks every enabled slot against its address.
// So a slot that changes is first zeroed in DR7 (all-zero bits make it a
// disabled 1-byte execute breakpoint, which accepts any user address), then
// its address is written, then the final DR7 enables it with its real length
// and type. Slots that do not change are never touched, so a thread keeps
// watching them throughout. Addresses of disabled slots are written only if
// given (non-zero): each written address reserves a perf breakpoint slot.
func planWrites(cur DR7, curAddr [NumSlots]uint64, want []arch.Slot) ([]regWrite, error) {
	if len(want) > NumSlots {
		return nil, fmt.Errorf("%d slots given, amd64 has %d (DR0-DR3)", len(want), NumSlots)
	}
	// Disabled slots go to the kernel with zero RW/LEN bits: it would check
	// any other bits against the slot's address even though the CPU ignores
	// them, and it reads them back as zero anyway.
	full := make([]arch.Slot, NumSlots)
	for i, s := range want {
		if s.Enabled {
			full[i] = s
		} else {
			full[i] = arch.Slot{Addr: s.Addr}
		}
	}
	// Only the DR7 bits are checked here; WriteSlots has already checked
	// addresses (ValidateSlot), and the kernel checks them again.
	final, err := (DR7(0)).withSlots(full)
	if err != nil {
		return nil, err
	}
	// Canonicalise the current DR7 (G_i folded into L_i, other bits dropped)
	// so that comparing it with what we will write is meaningful.
	curSlots, derr := DecodeDR7(cur)
	var curCanon DR7
	if derr == nil {
		if curCanon, derr = (DR7(0)).withSlots(curSlots); derr != nil {
			curCanon = 0
		}
	}
	var plan []regWrite
	mid := curCanon
	changed := [NumSlots]bool{}
	for i, s := range full {
		addrChange := s.Addr != curAddr[i] && (s.Enabled || s.Addr != 0)
		bitsChange := final&controlMask(i) != curCanon&controlMask(i)
		if derr != nil || (addrChange && cur.Enabled(i)) || bitsChange {
			mid = mid.Clear(i)
		}
		changed[i] = addrChange
	}
	if derr != nil {
		mid = 0 // we cannot read the current state: start from nothing enabled
	}
	if mid != curCanon || derr != nil {
		plan = append(plan, regWrite{7, uint64(mid)})
	}
	for i, s := range full {
		if changed[i] {
			plan = append(plan, regWrite{i, s.Addr})
		}
	}
	if final != mid {
		plan = append(plan, regWrite{7, uint64(final)})
	}
	return plan, nil
}

// withSlots sets each slot's DR7 bits without address checks.
func (d DR7) withSlots(slots []arch.Slot) (DR7, error) {
	for i, s := range slots {
		var err error
		if d, err = d.WithSlot(i, s); err != nil {
			return 0, err
		}
	}
	return d, nil
}
