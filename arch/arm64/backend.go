// Package arm64 is the AArch64 Linux half of the debugger: the hardware
// watchpoint (WP0..) and breakpoint (BP0..) banks programmed through
// PTRACE_SETREGSET with NT_ARM_HW_WATCH / NT_ARM_HW_BREAK, attributing a
// trap to the slot that fired, the general registers, and instruction
// decoding (golang.org/x/arch/arm64/arm64asm for the text, our own
// classifier for the memory access).
//
// The pure parts (ctrl codecs, Split, Attribute, Decode, Regs) build on
// every GOOS/GOARCH; the methods that issue ptrace requests work only on
// linux/arm64 and return an error elsewhere.
package arm64

import (
	"debug/elf"
	"fmt"
	"strings"
	"sync"

	"hwdbg/arch"
)

// Backend implements arch.Backend for AArch64 Linux. It keeps a shadow copy
// of each thread's slots, because PTRACE_SETREGSET consumes slots in order
// from slot 0: changing slot k means sending slots 0..k.
//
// Slot indexes are one space: the watchpoints first (WP0..WPn-1, index
// 0..n-1), then the breakpoints (BP0..BPm-1, index n..n+m-1).
type Backend struct {
	mu     sync.Mutex
	nWatch int // -1 until read from the kernel
	nBreak int
	arch   int             // debug architecture from dbg_info
	shadow map[int]*shadow // per LWP: what the kernel holds
}

// shadow is one thread's two banks as we last wrote or read them.
type shadow struct {
	watch, brk [MaxRegs]Reg
}

var _ arch.Backend = (*Backend)(nil)

// New returns the arm64 backend.
func New() *Backend { return &Backend{nWatch: -1, nBreak: -1, shadow: map[int]*shadow{}} }

// Name returns "arm64".
func (*Backend) Name() string { return "arm64" }

// DWARFRegs is AArch64's DWARF register numbering.
func (*Backend) DWARFRegs() *arch.DWARFRegs { return arch.DWARFRegsOf(elf.EM_AARCH64) }

// ForProgram returns the backend itself for AArch64 programs and refuses
// anything else: 32-bit ARM (AArch32) code has other registers, another
// instruction set and another watchpoint interface (NT_ARM_* regsets are
// for AArch64 tracees only).
func (b *Backend) ForProgram(class elf.Class, machine elf.Machine) (arch.Backend, error) {
	switch {
	case machine == elf.EM_AARCH64 && class == elf.ELFCLASS64:
		return b, nil
	case machine == elf.EM_ARM || machine == elf.EM_AARCH64:
		return nil, fmt.Errorf("32-bit ARM programs are not supported: hwdbg debugs AArch64 programs on arm64")
	}
	return nil, fmt.Errorf("a %s program cannot be debugged on arm64: hwdbg debugs AArch64 programs here", strings.TrimPrefix(machine.String(), "EM_"))
}

// TrapAfter is false: an AArch64 watchpoint is a synchronous exception
// taken before the access, with pc at the load or store and memory still
// unchanged; Linux does not step over it for a tracer.
func (*Backend) TrapAfter() bool { return false }

// ReadOnlySlots is true: a watchpoint's LSC field can select loads alone.
func (*Backend) ReadOnlySlots() bool { return true }

// slotInfos lists nWatch watchpoint slots, then nBreak breakpoint slots.
// A watchpoint slot can trap on loads only (LSC=01): arm64 has a real
// read-only watchpoint.
func slotInfos(nWatch, nBreak int) []arch.SlotInfo {
	s := make([]arch.SlotInfo, 0, nWatch+nBreak)
	for i := 0; i < nWatch; i++ {
		s = append(s, arch.SlotInfo{Name: fmt.Sprintf("WP%d", i), Can: arch.Write | arch.Read | arch.ReadWrite})
	}
	for i := 0; i < nBreak; i++ {
		s = append(s, arch.SlotInfo{Name: fmt.Sprintf("BP%d", i), Can: arch.Exec})
	}
	return s
}

// encodeSlots splits unified slots into the two banks' registers.
func encodeSlots(nWatch, nBreak int, slots []arch.Slot) (watch, brk [MaxRegs]Reg, err error) {
	if len(slots) > nWatch+nBreak {
		return watch, brk, fmt.Errorf("%d slots given, this CPU has %d (%d watchpoints, %d breakpoints)", len(slots), nWatch+nBreak, nWatch, nBreak)
	}
	for i, s := range slots {
		if i < nWatch {
			if watch[i], err = EncodeWatch(s); err != nil {
				return watch, brk, fmt.Errorf("WP%d: %w", i, err)
			}
			continue
		}
		if brk[i-nWatch], err = EncodeBreak(s); err != nil {
			return watch, brk, fmt.Errorf("BP%d: %w", i-nWatch, err)
		}
	}
	return watch, brk, nil
}

// decodeSlots joins the two banks into unified slots.
func decodeSlots(nWatch, nBreak int, watch, brk *[MaxRegs]Reg) ([]arch.Slot, error) {
	out := make([]arch.Slot, nWatch+nBreak)
	for i := 0; i < nWatch; i++ {
		if !watch[i].Ctrl.Enabled() {
			continue // the kernel fills disabled slots with defaults (4 bytes, rw): meaningless
		}
		s, err := DecodeWatch(watch[i])
		if err != nil {
			return nil, fmt.Errorf("WP%d: %w", i, err)
		}
		out[i] = s
	}
	for i := 0; i < nBreak; i++ {
		if !brk[i].Ctrl.Enabled() {
			continue
		}
		s, err := DecodeBreak(brk[i])
		if err != nil {
			return nil, fmt.Errorf("BP%d: %w", i, err)
		}
		out[nWatch+i] = s
	}
	return out, nil
}

// sendCount is how many leading slots of a bank must be sent to take the
// kernel from cur to want: up to the last slot that differs (SETREGSET
// consumes slots from slot 0). 0 means nothing changes.
func sendCount(cur, want *[MaxRegs]Reg, n int) int {
	k := 0
	for i := 0; i < n; i++ {
		if cur[i] != want[i] {
			k = i + 1
		}
	}
	return k
}

// Emulate emulates no instruction on arm64: a step over a software
// breakpoint is a real single step, with every other thread stopped.
func (*Backend) Emulate(code []byte, regs arch.Regs, mem arch.Memory) (arch.Regs, error) {
	return nil, fmt.Errorf("arm64: %w", arch.ErrNoEmulation)
}
