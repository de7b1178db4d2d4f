// Package arch is the contract between the machine-independent debugger and
// the machine-dependent backends (arch/amd64, arch/arm64).
//
// The kernel-facing interface is per LWP and minimal, in the NetBSD style:
// count the slots, read one thread's slots, write one thread's slots, decode a
// trap. All process-wide policy (which threads, sharing, conditions) lives in
// the debugger. A backend knows registers and instructions, nothing of
// commands or users.
//
// Every method that takes a tid issues ptrace requests: the debugger calls it
// from the one OS thread that traces the process.
package arch

import (
	"debug/elf"
	"errors"
	"fmt"
)

// Access is what a hardware slot traps on.
type Access uint8

const (
	Exec      Access = 1 << iota // instruction fetch (hardware breakpoint)
	Write                        // data store
	Read                         // data load
	ReadWrite = Read | Write
)

func (a Access) String() string {
	switch a {
	case Exec:
		return "exec"
	case Write:
		return "write"
	case Read:
		return "read"
	case ReadWrite:
		return "rw"
	}
	return fmt.Sprintf("access(%d)", uint8(a))
}

// Piece is the range one hardware slot covers: Len contiguous bytes at Addr
// that the hardware can watch with a single slot.
type Piece struct {
	Addr uint64
	Len  int
}

func (p Piece) End() uint64 { return p.Addr + uint64(p.Len) }

// Slot is the state of one debug-register slot of one thread.
type Slot struct {
	Enabled bool
	Addr    uint64
	Len     int
	Access  Access
}

// SlotInfo describes one slot of the machine: its name as users see it and
// what it can do. amd64 has four slots that do everything (DR0-DR3); arm64
// has separate watchpoint (WP0..) and breakpoint (BP0..) banks.
type SlotInfo struct {
	Name string
	Can  Access // the accesses this slot can be programmed for
}

// si_code values of a signal (include/uapi/asm-generic/siginfo.h): who
// sent it, and for SIGTRAP which kind of trap it is. The same on every
// Linux machine.
const (
	SIUser     = 0    // SI_USER: kill
	SIKernel   = 0x80 // SI_KERNEL: the kernel (amd64's int3)
	SITkill    = -6   // SI_TKILL: tkill, tgkill
	TrapBrkpt  = 1    // TRAP_BRKPT: a breakpoint instruction (arm64's brk)
	TrapTrace  = 2    // TRAP_TRACE: a single step
	TrapHwbkpt = 4    // TRAP_HWBKPT: a debug-register breakpoint or watchpoint
	TrapPerf   = 6    // TRAP_PERF: a perf event with sigtrap
)

// Trap is a decoded SIGTRAP.
type Trap struct {
	Fired []int  // indexes of the slots that fired (may be empty)
	Step  bool   // a single step completed
	Addr  uint64 // arm64: the data address the hardware reported (si_addr); 0 if unknown
}

// Insn is one decoded instruction and the data memory it touches.
type Insn struct {
	PC   uint64
	Len  int
	Text string // disassembly in the backend's usual syntax
	// Mem is true when the instruction accesses data memory; then MemReads
	// and MemWrites say how, and MemAddr/MemLen give the operand's address
	// as computed from the registers given to Decode (zero if unknown).
	Mem       bool
	MemReads  bool
	MemWrites bool
	MemAddr   uint64
	MemLen    int
	// Target is where a direct call or branch goes (its operand is an
	// address relative to the pc); 0 for any other instruction.
	Target uint64
}

// Reg is one named register value, for `info registers`.
type Reg struct {
	Name  string
	Value uint64
}

// Regs is a thread's register file as the backend read it.
type Regs interface {
	PC() uint64
	SP() uint64
	FP() uint64
	SetPC(uint64)
	// Get returns a register by name ("rax", "x0", "pc", ...).
	Get(name string) (uint64, bool)
	List() []Reg
}

// Backend is one machine's half of the debugger.
type Backend interface {
	// Name is the machine the backend debugs, as Go names it: "amd64",
	// "arm64", or "386" for 32-bit x86 programs on an amd64 kernel.
	Name() string
	// DWARFRegs is the DWARF register numbering of the programs the
	// backend debugs.
	DWARFRegs() *DWARFRegs

	// ForProgram returns the backend for a program of this ELF class and
	// machine run by this kernel: the receiver, one for a compatibility
	// mode (amd64 runs 32-bit i386 programs), or an error that says why
	// such a program cannot be debugged here.
	ForProgram(class elf.Class, machine elf.Machine) (Backend, error)

	// Slots lists the machine's debug-register slots for thread tid.
	Slots(tid int) ([]SlotInfo, error)
	// Split plans [addr, addr+n) into the pieces the hardware can watch,
	// one slot each, or says why it cannot (e.g. a kernel address).
	Split(addr uint64, n int, acc Access) ([]Piece, error)
	// ReadSlots reads back thread tid's slots from the kernel.
	ReadSlots(tid int) ([]Slot, error)
	// WriteSlots programs thread tid's slots (all of them, index = slot).
	WriteSlots(tid int, slots []Slot) error
	// DecodeTrap reads and clears what the hardware recorded for the
	// SIGTRAP that stopped tid; siCode and siAddr come from its siginfo.
	DecodeTrap(tid int, siCode int32, siAddr uint64) (Trap, error)
	// TrapAfter is true when data watchpoints trap after the access (amd64)
	// and false when before it (arm64).
	TrapAfter() bool
	// ReadOnlySlots is true when a data slot can trap on loads alone
	// (arm64), false when a read watchpoint needs a read-or-write slot whose
	// writes the debugger filters out (x86 has no read-only slot).
	ReadOnlySlots() bool

	GetRegs(tid int) (Regs, error)
	SetRegs(tid int, r Regs) error

	// Decode decodes the instruction at pc from code (which starts at pc);
	// regs, if not nil, is used to compute its memory operand address.
	Decode(code []byte, pc uint64, regs Regs) (Insn, error)
	// MaxInsnLen is the longest instruction, in bytes.
	MaxInsnLen() int
	// BreakInsn is the software breakpoint instruction.
	BreakInsn() []byte

	// Emulate executes the instruction at the start of code, which is at
	// regs' pc, as the CPU would: on a copy of regs, with its memory
	// access made through mem. It returns the registers after the
	// instruction, or an error when it does not emulate it (an
	// instruction it does not know, or an access mem refused); then
	// nothing was written to memory. A debugger uses it to step a thread
	// over a software breakpoint without the breakpoint instruction being
	// taken out, so other threads need not stop. A backend that
	// emulates nothing returns ErrNoEmulation, whatever it is given.
	Emulate(code []byte, regs Regs, mem Memory) (Regs, error)
}

// ErrNoEmulation is Emulate's answer on a machine, or in a mode, whose
// instructions are never emulated.
var ErrNoEmulation = errors.New("instructions are not emulated here")

// MemAccess is the one data access of an emulated instruction.
type MemAccess struct {
	Addr  uint64
	Len   int
	Write bool
	Via   Via // how the instruction addresses it
}

// Via is how an instruction addresses memory. It tells the debugger who
// else may use that memory at the same time: an emulated access is made
// by the kernel's copy, not as one CPU access, so another thread could
// see it half done.
type Via uint8

const (
	// ViaStack: the thread's stack: push, pop, or through the stack
	// or frame pointer.
	ViaStack Via = iota + 1
	// ViaThread: thread-local storage, through a thread's segment base
	// (amd64's fs and gs).
	ViaThread
	// ViaStatic: the program's static data: an address relative to
	// the pc, or a constant address.
	ViaStatic
	// ViaOther: through any other register (heap, shared memory, ...).
	ViaOther
)

func (v Via) String() string {
	switch v {
	case ViaStack:
		return "stack"
	case ViaThread:
		return "thread-local"
	case ViaStatic:
		return "static"
	case ViaOther:
		return "pointer"
	}
	return fmt.Sprintf("via(%d)", uint8(v))
}

// Memory is a stopped thread's process memory as an emulated instruction
// sees it.
type Memory interface {
	// Access reads len(buf) bytes at a.Addr into buf, or writes buf
	// there when a.Write. An error refuses the access, and with it the
	// emulation.
	Access(a MemAccess, buf []byte) error
}
