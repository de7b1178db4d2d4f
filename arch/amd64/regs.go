package amd64

import (
	"strings"

	"hwdbg/arch"
)

// Regs is an x86-64 thread's general registers, laid out like the kernel's
// struct user_regs_struct (the NT_PRSTATUS regset) but declared here so the
// package builds on every architecture.
type Regs struct {
	R15, R14, R13, R12, Rbp, Rbx, R11, R10 uint64
	R9, R8, Rax, Rcx, Rdx, Rsi, Rdi        uint64
	OrigRax                                uint64 // syscall number at a syscall stop; -1 otherwise
	Rip, Cs, Eflags, Rsp, Ss               uint64
	FsBase, GsBase                         uint64
	Ds, Es, Fs, Gs                         uint64
}

var _ arch.Regs = (*Regs)(nil)

// PC returns RIP.
func (r *Regs) PC() uint64 { return r.Rip }

// SP returns RSP.
func (r *Regs) SP() uint64 { return r.Rsp }

// FP returns RBP (the frame pointer when the code keeps one).
func (r *Regs) FP() uint64 { return r.Rbp }

// SetPC sets RIP.
func (r *Regs) SetPC(pc uint64) { r.Rip = pc }

// listOrder is the order of gdb's `info registers` on x86-64.
var listOrder = []string{
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
	"rip", "eflags", "cs", "ss", "ds", "es", "fs", "gs", "fs_base", "gs_base",
}

// field returns a pointer to the named register (lower case; "pc", "sp"
// and "fp" are aliases of rip, rsp and rbp), or nil.
func (r *Regs) field(name string) *uint64 {
	switch strings.ToLower(name) {
	case "rax":
		return &r.Rax
	case "rbx":
		return &r.Rbx
	case "rcx":
		return &r.Rcx
	case "rdx":
		return &r.Rdx
	case "rsi":
		return &r.Rsi
	case "rdi":
		return &r.Rdi
	case "rbp", "fp":
		return &r.Rbp
	case "rsp", "sp":
		return &r.Rsp
	case "r8":
		return &r.R8
	case "r9":
		return &r.R9
	case "r10":
		return &r.R10
	case "r11":
		return &r.R11
	case "r12":
		return &r.R12
	case "r13":
		return &r.R13
	case "r14":
		return &r.R14
	case "r15":
		return &r.R15
	case "rip", "pc":
		return &r.Rip
	case "eflags":
		return &r.Eflags
	case "cs":
		return &r.Cs
	case "ss":
		return &r.Ss
	case "ds":
		return &r.Ds
	case "es":
		return &r.Es
	case "fs":
		return &r.Fs
	case "gs":
		return &r.Gs
	case "fs_base":
		return &r.FsBase
	case "gs_base":
		return &r.GsBase
	case "orig_rax":
		return &r.OrigRax
	}
	return nil
}

// Get returns a register by its lower-case name (rax..r15, rip, eflags,
// cs, ss, ds, es, fs, gs, fs_base, gs_base, orig_rax, and the aliases pc,
// sp, fp).
func (r *Regs) Get(name string) (uint64, bool) {
	if p := r.field(name); p != nil {
		return *p, true
	}
	return 0, false
}

// Set sets a register by name, as Get names them; false if there is none.
func (r *Regs) Set(name string, v uint64) bool {
	if p := r.field(name); p != nil {
		*p = v
		return true
	}
	return false
}

// List returns the registers in the order gdb's `info registers` shows.
func (r *Regs) List() []arch.Reg {
	l := make([]arch.Reg, len(listOrder))
	for i, n := range listOrder {
		v, _ := r.Get(n)
		l[i] = arch.Reg{Name: n, Value: v}
	}
	return l
}
