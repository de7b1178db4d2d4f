package amd64

import (
	"strings"

	"hwdbg/arch"
)

// Regs is an x86-64 thread's general registers, laid out like the kernel's
// struct user_regs_struct (what PTRACE_GETREGS fills in) but declared here
// so the package builds on every architecture.
//
// A thread running 32-bit code (an i386 program) has the same registers:
// the kernel reports them zero-extended, and its 32-bit registers (eax,
// eip, ...) are the low halves. Cs tells which mode the thread is in.
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

// The code segment selectors Linux gives user space on x86-64
// (__USER32_CS, __USER_CS): cs says whether a thread runs 32- or 64-bit
// code.
const (
	UserCS32 = 0x23
	UserCS64 = 0x33
)

// Compat reports a thread running 32-bit code (cs is __USER32_CS).
func (r *Regs) Compat() bool { return r.Cs == UserCS32 }

// listOrder is the order of gdb's `info registers` on x86-64.
var listOrder = []string{
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
	"rip", "eflags", "cs", "ss", "ds", "es", "fs", "gs", "fs_base", "gs_base",
}

// listOrder32 is the order of gdb's `info registers` on i386.
var listOrder32 = []string{
	"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
	"eip", "eflags", "cs", "ss", "ds", "es", "fs", "gs", "fs_base", "gs_base",
}

// low32 maps the 32-bit register names to the 64-bit registers whose low
// halves they are.
var low32 = map[string]string{
	"eax": "rax", "ebx": "rbx", "ecx": "rcx", "edx": "rdx",
	"esi": "rsi", "edi": "rdi", "ebp": "rbp", "esp": "rsp",
	"eip": "rip", "orig_eax": "orig_rax",
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
// sp, fp), or the low half of one by its 32-bit name (eax..edi, eip,
// orig_eax).
func (r *Regs) Get(name string) (uint64, bool) {
	if full, ok := low32[strings.ToLower(name)]; ok {
		v, ok := r.Get(full)
		return v & 0xffffffff, ok
	}
	if p := r.field(name); p != nil {
		return *p, true
	}
	return 0, false
}

// Set sets a register by name, as Get names them; false if there is none.
// Setting a 32-bit register zero-extends the value into the 64-bit one,
// as an x86-64 instruction that writes it does.
func (r *Regs) Set(name string, v uint64) bool {
	if full, ok := low32[strings.ToLower(name)]; ok {
		return r.Set(full, v&0xffffffff)
	}
	if p := r.field(name); p != nil {
		*p = v
		return true
	}
	return false
}

// List returns the registers in the order gdb's `info registers` shows:
// its x86-64 list, or its i386 list for a thread running 32-bit code.
func (r *Regs) List() []arch.Reg {
	order := listOrder
	if r.Compat() {
		order = listOrder32
	}
	l := make([]arch.Reg, len(order))
	for i, n := range order {
		v, _ := r.Get(n)
		l[i] = arch.Reg{Name: n, Value: v}
	}
	return l
}
