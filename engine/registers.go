package engine

import "hwdbg/arch"

// DebugRegisters is the part of a machine's backend (arch.Backend) that
// programs a thread's debug-register slots through ptrace and decodes
// their traps.
type DebugRegisters interface {
	ReadSlots(tid int) ([]arch.Slot, error)
	WriteSlots(tid int, slots []arch.Slot) error
	DecodeTrap(tid int, siCode int32, siAddr uint64) (arch.Trap, error)
}

// Registers arms slots in the threads' debug registers through ptrace:
// DR0-DR7 on amd64, NT_ARM_HW_WATCH and NT_ARM_HW_BREAK on arm64. The
// kernel keeps them per thread; they die with the thread.
type Registers struct {
	machine func() DebugRegisters
}

var _ Engine = (*Registers)(nil)

// NewRegisters returns the engine that arms slots through machine's debug
// registers. machine is asked at each use: a new program image may bring
// another backend (an i386 program exec'd by an amd64 one).
func NewRegisters(machine func() DebugRegisters) *Registers {
	return &Registers{machine: machine}
}

func (*Registers) Name() string     { return "ptrace" }
func (*Registers) Describe() string { return "ptrace debug registers" }

// Cost: every hit is a ptrace stop, and the slots stay with the threads
// if hwdbg dies.
func (*Registers) Cost() Cost { return Cost{StopPerHit: true, OutlivesDebugger: true} }

func (r *Registers) Arm(tid int, want []arch.Slot) error {
	return r.machine().WriteSlots(tid, want)
}

func (r *Registers) Armed(tid int) ([]arch.Slot, error) {
	return r.machine().ReadSlots(tid)
}

// Forget does nothing: the kernel drops a thread's debug registers with
// the thread, and at exec.
func (*Registers) Forget(int) {}

// Close does nothing: a detach clears the slots of each thread first.
func (*Registers) Close() {}

// Claims a debug-register trap (TRAP_HWBKPT).
func (*Registers) Claims(s Signal) bool { return s.Code == arch.TrapHwbkpt }

// Decode reads and clears what the hardware recorded for the thread's
// SIGTRAP (amd64: DR6; arm64: the trap's address against the armed
// slots). It decodes any SIGTRAP, a single step's too.
func (r *Registers) Decode(tid int, s Signal) (arch.Trap, error) {
	return r.machine().DecodeTrap(tid, s.Code, s.Addr)
}
