package arm64

import (
	"fmt"
	"strconv"
	"strings"

	"hwdbg/arch"
)

// Regs is an arm64 thread's general registers, laid out like the kernel's
// struct user_pt_regs (the NT_PRSTATUS regset) but declared here so the
// package builds on every architecture.
type Regs struct {
	X      [31]uint64 // x0-x30 (x29 is the frame pointer, x30 the link register)
	Sp     uint64
	Pc     uint64
	Pstate uint64
}

var _ arch.Regs = (*Regs)(nil)

// PC returns pc.
func (r *Regs) PC() uint64 { return r.Pc }

// SP returns sp.
func (r *Regs) SP() uint64 { return r.Sp }

// FP returns x29, the frame pointer.
func (r *Regs) FP() uint64 { return r.X[29] }

// SetPC sets pc.
func (r *Regs) SetPC(pc uint64) { r.Pc = pc }

// field returns a pointer to the named register: x0-x30, sp, pc, pstate
// (cpsr), and the aliases fp (x29) and lr (x30); nil if there is none.
func (r *Regs) field(name string) *uint64 {
	name = strings.ToLower(name)
	switch name {
	case "sp":
		return &r.Sp
	case "pc":
		return &r.Pc
	case "pstate", "cpsr":
		return &r.Pstate
	case "fp":
		return &r.X[29]
	case "lr":
		return &r.X[30]
	}
	if len(name) >= 2 && name[0] == 'x' {
		if n, err := strconv.Atoi(name[1:]); err == nil && n >= 0 && n <= 30 && strconv.Itoa(n) == name[1:] {
			return &r.X[n]
		}
	}
	return nil
}

// Get returns a register by name (see field).
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

// List returns x0-x30, sp, pc and cpsr, in gdb's order.
func (r *Regs) List() []arch.Reg {
	l := make([]arch.Reg, 0, 34)
	for i, v := range r.X {
		l = append(l, arch.Reg{Name: fmt.Sprintf("x%d", i), Value: v})
	}
	return append(l, arch.Reg{Name: "sp", Value: r.Sp}, arch.Reg{Name: "pc", Value: r.Pc}, arch.Reg{Name: "cpsr", Value: r.Pstate})
}
