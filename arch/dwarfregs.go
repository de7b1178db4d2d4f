package arch

import (
	"debug/elf"
	"fmt"
)

// DWARFRegs is a machine's DWARF register numbering, from its psABI: the
// registers by number, and the numbers and sizes a stack unwinder needs.
// There is one value per machine: DWARFRegsOf finds it for the ELF machine
// of a file, Backend.DWARFRegs for the programs a backend debugs.
type DWARFRegs struct {
	// Machine names the numbering as Backend.Name names machines:
	// "amd64", "386", "arm64".
	Machine string
	// Names are the general registers by DWARF number, named as Regs.Get
	// knows them.
	Names []string
	// SP, FP and RA are the DWARF numbers of the stack pointer, the frame
	// pointer and the return address (the link register, or the column
	// of the return address).
	SP, FP, RA int
	// Word is the size in bytes of a frame pointer or a return address
	// saved on the stack.
	Word int
	// TagBits are the bits of a return address that are not part of the
	// address (arm64: the top byte, used by pointer authentication and
	// tagging); an unwinder clears them.
	TagBits uint64

	// Vector registers: vecCount of them from DWARF number vecBase,
	// named vecPrefix and their index.
	vecBase, vecCount int
	vecPrefix         string
}

// Name names the register with DWARF number n ("rsp", "x19", "xmm3"), or
// "rN" for a number the machine does not define. r may be nil (an unknown
// machine).
func (r *DWARFRegs) Name(n int) string {
	if r != nil {
		if n >= 0 && n < len(r.Names) {
			return r.Names[n]
		}
		if n >= r.vecBase && n < r.vecBase+r.vecCount {
			return fmt.Sprintf("%s%d", r.vecPrefix, n-r.vecBase)
		}
	}
	return fmt.Sprintf("r%d", n)
}

// The numberings of the machines hwdbg debugs. i386 numbers its registers
// in another order than x86-64 (0 eax, 1 ecx, 2 edx, 3 ebx, 4 esp, 5 ebp,
// 6 esi, 7 edi, 8 eip).
var (
	dwarfAMD64 = &DWARFRegs{
		Machine: "amd64",
		Names: []string{"rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp",
			"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip"},
		SP: 7, FP: 6, RA: 16, Word: 8,
		vecBase: 17, vecCount: 16, vecPrefix: "xmm",
	}
	dwarf386 = &DWARFRegs{
		Machine: "386",
		Names:   []string{"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip"},
		SP:      4, FP: 5, RA: 8, Word: 4,
		vecBase: 21, vecCount: 8, vecPrefix: "xmm",
	}
	dwarfARM64 = &DWARFRegs{
		Machine: "arm64",
		Names: []string{"x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15",
			"x16", "x17", "x18", "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28", "fp", "lr", "sp"},
		SP: 31, FP: 29, RA: 30, Word: 8,
		TagBits: 0xff00000000000000,
		vecBase: 64, vecCount: 32, vecPrefix: "v",
	}
)

// DWARFRegsOf is the DWARF register numbering of an ELF machine, or nil
// for a machine hwdbg does not know.
func DWARFRegsOf(m elf.Machine) *DWARFRegs {
	switch m {
	case elf.EM_X86_64:
		return dwarfAMD64
	case elf.EM_386:
		return dwarf386
	case elf.EM_AARCH64:
		return dwarfARM64
	}
	return nil
}
