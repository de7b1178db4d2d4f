package amd64

import (
	"fmt"
	"strings"

	"hwdbg/arch"
)

// The x86 debug registers, as Intel SDM vol. 3B ch. 18 describes them and as
// Linux exposes them to a tracer:
//
//	DR0-DR3  the linear addresses of four breakpoints ("slots")
//	DR6      status: which slot fired (B0-B3, bits 0-3), single step (BS, bit 14)
//	DR7      control: per slot an enable pair and an RW/LEN nibble
//
// Linux does not let a tracer touch the real registers: PTRACE_POKEUSER on
// u_debugreg[n] creates or modifies a perf_event hardware breakpoint, and the
// kernel checks every request (user address, alignment, free slot) before it
// reaches the CPU. Reads return the kernel's view: DR7 rebuilt from the
// enabled perf events (disabled slots read back as zero bits), DR6 a
// per-thread virtual copy that the kernel fills in when a ptrace breakpoint
// fires.

// NumSlots is the number of debug-register slots (DR0-DR3).
const NumSlots = 4

// UserLimit is the first address above x86-64 user space with 4-level paging
// (TASK_SIZE_MAX = 2^47 - one page). The kernel refuses a debug register
// whose range reaches it.
const UserLimit = 0x7ffffffff000

// RW field codes (DR7 bits 16+4i, 17+4i): what the slot traps on.
const (
	rwExec      = 0b00 // instruction fetch
	rwWrite     = 0b01 // data writes
	rwIO        = 0b10 // I/O port access (needs CR4.DE; never allowed for user space)
	rwReadWrite = 0b11 // data reads or writes: there is no read-only code
)

// LEN field codes (DR7 bits 18+4i, 19+4i): the watched length. The odd
// order (10 = 8 bytes) is because 8-byte lengths were added late, in the
// code that used to be undefined.
const (
	len1 = 0b00
	len2 = 0b01
	len8 = 0b10
	len4 = 0b11
)

// DR7 is the debug control register. Its methods take a slot index 0-3 and
// return the zero value for any other index.
type DR7 uint64

func slotOK(i int) bool { return i >= 0 && i < NumSlots }

// LocalEnable reports L_i (bit 2i): the slot is enabled for this task.
func (d DR7) LocalEnable(i int) bool { return slotOK(i) && d&(1<<(2*uint(i))) != 0 }

// GlobalEnable reports G_i (bit 2i+1): the slot is enabled for all tasks.
// Linux switches debug registers itself on context switch, so for a tracer
// both mean "enabled"; current kernels report L_i, and we never write G_i.
func (d DR7) GlobalEnable(i int) bool { return slotOK(i) && d&(2<<(2*uint(i))) != 0 }

// Enabled reports whether slot i is enabled (L_i or G_i).
func (d DR7) Enabled(i int) bool { return d.LocalEnable(i) || d.GlobalEnable(i) }

// RWBits returns the two RW bits of slot i (bits 16+4i and 17+4i).
func (d DR7) RWBits(i int) uint8 {
	if !slotOK(i) {
		return 0
	}
	return uint8(d>>(16+4*uint(i))) & 3
}

// LenBits returns the two LEN bits of slot i (bits 18+4i and 19+4i).
func (d DR7) LenBits(i int) uint8 {
	if !slotOK(i) {
		return 0
	}
	return uint8(d>>(18+4*uint(i))) & 3
}

// controlMask is slot i's enable pair and RW/LEN nibble.
func controlMask(i int) DR7 {
	return DR7(3)<<(2*uint(i)) | DR7(0xf)<<(16+4*uint(i))
}

// Clear returns d with slot i's enable bits and RW/LEN nibble zeroed. A slot
// written to the kernel with all-zero bits becomes a disabled 1-byte execute
// breakpoint, which accepts any user address: see WriteSlots.
func (d DR7) Clear(i int) DR7 {
	if !slotOK(i) {
		return d
	}
	return d &^ controlMask(i)
}

// Slot decodes slot i. DR7 holds no address: Addr is zero. A disabled slot
// whose RW/LEN bits are zero decodes as the zero Slot; a disabled slot with
// bits set keeps its length and access (the CPU ignores them).
func (d DR7) Slot(i int) (arch.Slot, error) {
	if !slotOK(i) {
		return arch.Slot{}, fmt.Errorf("DR7: no debug register slot %d (amd64 has DR0-DR3)", i)
	}
	rw, ln := d.RWBits(i), d.LenBits(i)
	en := d.Enabled(i)
	if !en && rw == 0 && ln == 0 {
		return arch.Slot{}, nil
	}
	var acc arch.Access
	switch rw {
	case rwExec:
		acc = arch.Exec
	case rwWrite:
		acc = arch.Write
	case rwReadWrite:
		acc = arch.ReadWrite
	default:
		return arch.Slot{}, fmt.Errorf("DR7=%#x: DR%d has RW=10, an I/O port breakpoint, which user space cannot use", uint64(d), i)
	}
	n := lenFromCode(ln)
	if acc == arch.Exec && n != 1 {
		return arch.Slot{}, fmt.Errorf("DR7=%#x: DR%d is an execute breakpoint with length %d; the CPU requires LEN=00 (1 byte) for execute", uint64(d), i, n)
	}
	return arch.Slot{Enabled: en, Len: n, Access: acc}, nil
}

// WithSlot returns d with slot i set to s (address ignored: see
// ValidateSlot for the checks that involve it). An enabled slot gets L_i.
// A disabled slot keeps its RW/LEN bits if it has a length (Len != 0), else
// its bits are zero whatever its Access.
func (d DR7) WithSlot(i int, s arch.Slot) (DR7, error) {
	if !slotOK(i) {
		return d, fmt.Errorf("DR7: no debug register slot %d (amd64 has DR0-DR3)", i)
	}
	d = d.Clear(i)
	if !s.Enabled && s.Len == 0 {
		return d, nil
	}
	rw, err := rwCode(s.Access)
	if err != nil {
		return d, fmt.Errorf("DR%d: %w", i, err)
	}
	ln, err := lenCode(s.Len)
	if err != nil {
		return d, fmt.Errorf("DR%d: %w", i, err)
	}
	if rw == rwExec && s.Len != 1 {
		return d, fmt.Errorf("DR%d: an execute breakpoint must have length 1, not %d (the CPU requires LEN=00 for execute)", i, s.Len)
	}
	d |= DR7(rw)<<(16+4*uint(i)) | DR7(ln)<<(18+4*uint(i))
	if s.Enabled {
		d |= 1 << (2 * uint(i))
	}
	return d, nil
}

// String shows the enabled slots, e.g. "DR7{DR0 write 8, DR2 exec 1}".
func (d DR7) String() string {
	var parts []string
	for i := 0; i < NumSlots; i++ {
		if !d.Enabled(i) {
			continue
		}
		s, err := d.Slot(i)
		if err != nil {
			parts = append(parts, fmt.Sprintf("DR%d invalid RW=%02b LEN=%02b", i, d.RWBits(i), d.LenBits(i)))
			continue
		}
		parts = append(parts, fmt.Sprintf("DR%d %v %d", i, s.Access, s.Len))
	}
	return "DR7{" + strings.Join(parts, ", ") + "}"
}

// rwCode maps an access to the RW field. Read has no code of its own: it is
// programmed as read-or-write (11) and the debugger filters the writes.
func rwCode(a arch.Access) (uint8, error) {
	switch a {
	case arch.Exec:
		return rwExec, nil
	case arch.Write:
		return rwWrite, nil
	case arch.Read, arch.ReadWrite:
		return rwReadWrite, nil
	}
	return 0, fmt.Errorf("access %v is not exec, write, read or rw", a)
}

// lenCode maps a length in bytes to the LEN field.
func lenCode(n int) (uint8, error) {
	switch n {
	case 1:
		return len1, nil
	case 2:
		return len2, nil
	case 4:
		return len4, nil
	case 8:
		return len8, nil
	}
	return 0, fmt.Errorf("length %d is not 1, 2, 4 or 8 bytes", n)
}

// lenFromCode maps the LEN field to bytes.
func lenFromCode(c uint8) int {
	switch c & 3 {
	case len1:
		return 1
	case len2:
		return 2
	case len4:
		return 4
	}
	return 8
}

// ValidateSlot checks an enabled slot the way the CPU and kernel will:
// length 1, 2, 4 or 8; execute only with length 1; the address aligned to
// the length (the CPU ignores the low address bits, so a misaligned slot
// would watch the wrong bytes, and the kernel refuses it); the whole range
// in user space. A disabled slot is always valid.
func ValidateSlot(i int, s arch.Slot) error {
	if !s.Enabled {
		return nil
	}
	if _, err := (DR7(0)).WithSlot(i, s); err != nil {
		return err
	}
	if s.Addr%uint64(s.Len) != 0 {
		return fmt.Errorf("DR%d=%#x: address not aligned to its length %d (the CPU ignores the low address bits, so it would watch other bytes)", i, s.Addr, s.Len)
	}
	if s.Addr >= UserLimit || s.Addr+uint64(s.Len) > UserLimit {
		return fmt.Errorf("DR%d=%#x: %#x is not a user-space address (the kernel refuses debug registers on kernel addresses)", i, s.Addr, s.Addr)
	}
	return nil
}

// EncodeDR7 builds DR7 from up to four slots (index = slot), validating
// each enabled one with ValidateSlot. Missing slots are disabled.
func EncodeDR7(slots []arch.Slot) (DR7, error) {
	if len(slots) > NumSlots {
		return 0, fmt.Errorf("DR7: %d slots given, amd64 has %d (DR0-DR3)", len(slots), NumSlots)
	}
	var d DR7
	for i, s := range slots {
		if err := ValidateSlot(i, s); err != nil {
			return 0, err
		}
		var err error
		if d, err = d.WithSlot(i, s); err != nil {
			return 0, err
		}
	}
	return d, nil
}

// DecodeDR7 decodes all four slots of d. Bits outside the slot fields (LE,
// GE, GD, RTM, reserved: bits 8-15 and 32-63) are ignored, since the kernel
// owns the real register; G_i counts as enabled.
func DecodeDR7(d DR7) ([]arch.Slot, error) {
	slots := make([]arch.Slot, NumSlots)
	for i := range slots {
		s, err := d.Slot(i)
		if err != nil {
			return nil, err
		}
		slots[i] = s
	}
	return slots, nil
}

// DR6 is the debug status register as Linux reports it to a tracer (the
// thread's virtual DR6). Only B0-B3 and BS are meaningful here; the kernel
// reports the reserved bits set, as the CPU does.
type DR6 uint64

const (
	dr6TrapBits = 0xf     // B0-B3: slot i's condition was met
	dr6BS       = 1 << 14 // BS: the trap was a single step (EFLAGS.TF)
)

// Hit reports whether slot i fired (B_i).
func (d DR6) Hit(i int) bool { return slotOK(i) && d&(1<<uint(i)) != 0 }

// Fired lists the slots that fired, lowest first; nil if none.
func (d DR6) Fired() []int {
	var f []int
	for i := 0; i < NumSlots; i++ {
		if d.Hit(i) {
			f = append(f, i)
		}
	}
	return f
}

// SingleStep reports BS: the trap came from a single step.
func (d DR6) SingleStep() bool { return d&dr6BS != 0 }

// Trap decodes d. Addr stays zero: x86 does not report the data address.
func (d DR6) Trap() arch.Trap {
	return arch.Trap{Fired: d.Fired(), Step: d.SingleStep()}
}
