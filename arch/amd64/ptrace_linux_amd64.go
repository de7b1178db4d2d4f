//go:build linux && amd64

package amd64

import (
	"fmt"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"

	"hwdbg/arch"
)

// offDebugReg is offsetof(struct user, u_debugreg) on x86-64
// (<sys/user.h>): the PEEKUSER/POKEUSER offset of DR0; DRn is at +8n.
const offDebugReg = 848

func drOffset(n int) uintptr { return offDebugReg + 8*uintptr(n) }

// peekUser reads debug register n of tid. The raw syscall (unlike glibc's
// wrapper) stores the word at *data; unix.PtracePeekUser does that for us.
func peekUser(tid, n int) (uint64, error) {
	var buf [8]byte
	if _, err := unix.PtracePeekUser(tid, drOffset(n), buf[:]); err != nil {
		return 0, err
	}
	return *(*uint64)(unsafe.Pointer(&buf[0])), nil
}

// pokeUser writes debug register n of tid with one PTRACE_POKEUSER (the
// x/sys helper would peek first to merge bytes, which we never need).
func pokeUser(tid, n int, v uint64) error {
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_POKEUSR, uintptr(tid), drOffset(n), uintptr(v), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

func kernelErr(tid int, what string, err error) error {
	return arch.NewKernelError(tid, what, err, "address not aligned to length or not a user address")
}

// readState reads DR7 and DR0-DR3 of tid.
func readState(tid int) (DR7, [NumSlots]uint64, error) {
	var addrs [NumSlots]uint64
	v, err := peekUser(tid, 7)
	if err != nil {
		return 0, addrs, kernelErr(tid, "reading DR7", err)
	}
	for i := range addrs {
		if addrs[i], err = peekUser(tid, i); err != nil {
			return 0, addrs, kernelErr(tid, fmt.Sprintf("reading DR%d", i), err)
		}
	}
	return DR7(v), addrs, nil
}

// ReadSlots reads tid's four slots back from the kernel. A read-or-write
// slot (RW=11) reads back as arch.ReadWrite, whatever was asked for.
func (*Backend) ReadSlots(tid int) ([]arch.Slot, error) {
	dr7, addrs, err := readState(tid)
	if err != nil {
		return nil, err
	}
	slots, err := DecodeDR7(dr7)
	if err != nil {
		return nil, fmt.Errorf("thread %d: %w", tid, err)
	}
	for i := range slots {
		slots[i].Addr = addrs[i]
	}
	return slots, nil
}

// WriteSlots programs tid's slots (index = slot; missing ones disabled).
// Slots are validated first (ValidateSlot), then written in the order
// planWrites explains: DR7 with the changing slots zeroed, their addresses,
// then the final DR7. If the kernel refuses a step, WriteSlots tries to put
// the previous state back and returns the refusal.
func (*Backend) WriteSlots(tid int, slots []arch.Slot) error {
	if len(slots) > NumSlots {
		return fmt.Errorf("thread %d: %d slots given, amd64 has %d (DR0-DR3)", tid, len(slots), NumSlots)
	}
	for i, s := range slots {
		if err := ValidateSlot(i, s); err != nil {
			return fmt.Errorf("thread %d: %w", tid, err)
		}
	}
	cur, addrs, err := readState(tid)
	if err != nil {
		return err
	}
	if err := applySlots(tid, cur, addrs, slots); err != nil {
		// Best effort: the kernel already rolled back a refused DR7 write
		// to the value before it; restore the addresses and DR7 we had.
		if old, oerr := DecodeDR7(cur); oerr == nil {
			for i := range old {
				old[i].Addr = addrs[i]
			}
			if now, naddrs, rerr := readState(tid); rerr == nil {
				_ = applySlots(tid, now, naddrs, old)
			}
		}
		return err
	}
	return nil
}

// applySlots executes the plan from cur to want.
func applySlots(tid int, cur DR7, addrs [NumSlots]uint64, want []arch.Slot) error {
	plan, err := planWrites(cur, addrs, want)
	if err != nil {
		return fmt.Errorf("thread %d: %w", tid, err)
	}
	for k, w := range plan {
		if err := pokeUser(tid, w.n, w.val); err != nil {
			return kernelErr(tid, describeWrite(w, want, k == len(plan)-1), err)
		}
	}
	return nil
}

// describeWrite names a refused write for the error message. A refused
// final DR7 is about the slots it enables, so it names those.
func describeWrite(w regWrite, want []arch.Slot, final bool) string {
	if w.n != 7 {
		return fmt.Sprintf("DR%d=%#x", w.n, w.val)
	}
	if !final {
		return fmt.Sprintf("DR7=%#x", w.val)
	}
	var parts []string
	for i, s := range want {
		if s.Enabled {
			parts = append(parts, fmt.Sprintf("DR%d=%#x (%v, %d bytes)", i, s.Addr, s.Access, s.Len))
		}
	}
	if len(parts) == 0 {
		return fmt.Sprintf("DR7=%#x", w.val)
	}
	return strings.Join(parts, ", ")
}

// DecodeTrap reads tid's virtual DR6, which the kernel fills in when a
// ptrace breakpoint fires (DR_TRAPn) and for a single step (BS).
//
// Only a debug exception (#DB) can have been a slot or a step, and the
// kernel starts the virtual DR6 afresh at every #DB from user mode
// (exc_debug_user), so DR6 is read only for the si_codes a #DB sends and
// need not be cleared: one PEEKUSER on the hit path. Any other SIGTRAP
// (int3, kill) decodes to nothing without reading stale bits. A step that
// left no trace in DR6 but came with si_code TRAP_TRACE still counts as a
// step.
func (*Backend) DecodeTrap(tid int, siCode int32, siAddr uint64) (arch.Trap, error) {
	switch siCode {
	case arch.TrapBrkpt, arch.TrapTrace, arch.TrapHwbkpt:
	default:
		return arch.Trap{}, nil
	}
	v, err := peekUser(tid, 6)
	if err != nil {
		return arch.Trap{}, kernelErr(tid, "reading DR6", err)
	}
	t := DR6(v).Trap()
	if len(t.Fired) == 0 && !t.Step && siCode == arch.TrapTrace {
		t.Step = true
	}
	return t, nil
}

// GetRegs reads tid's general registers with PTRACE_GETREGS, which
// always gives a 64-bit tracer the 64-bit struct user_regs_struct.
// (PTRACE_GETREGSET NT_PRSTATUS would give the tracee's own layout: for a
// 32-bit program, the 17 4-byte words of i386's struct user_regs_struct.)
func (*Backend) GetRegs(tid int) (arch.Regs, error) {
	var u unix.PtraceRegs
	if err := ptraceRegs(unix.PTRACE_GETREGS, tid, &u); err != nil {
		return nil, kernelErr(tid, "reading registers", err)
	}
	return fromPtrace(&u), nil
}

// ptraceRegs issues PTRACE_GETREGS or PTRACE_SETREGS with u.
func ptraceRegs(req, tid int, u *unix.PtraceRegs) error {
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, uintptr(req), uintptr(tid), 0, uintptr(unsafe.Pointer(u)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// SetRegs writes tid's general registers with PTRACE_SETREGS, in the
// layout GetRegs read them. r must come from GetRegs (or be an
// *amd64.Regs).
func (*Backend) SetRegs(tid int, r arch.Regs) error {
	rr, ok := r.(*Regs)
	if !ok || rr == nil {
		return fmt.Errorf("thread %d: setting registers: %T is not amd64 registers", tid, r)
	}
	u := rr.toPtrace()
	if err := ptraceRegs(unix.PTRACE_SETREGS, tid, &u); err != nil {
		return kernelErr(tid, "writing registers", err)
	}
	return nil
}

func fromPtrace(u *unix.PtraceRegs) *Regs {
	return &Regs{
		R15: u.R15, R14: u.R14, R13: u.R13, R12: u.R12, Rbp: u.Rbp, Rbx: u.Rbx, R11: u.R11, R10: u.R10,
		R9: u.R9, R8: u.R8, Rax: u.Rax, Rcx: u.Rcx, Rdx: u.Rdx, Rsi: u.Rsi, Rdi: u.Rdi,
		OrigRax: u.Orig_rax, Rip: u.Rip, Cs: u.Cs, Eflags: u.Eflags, Rsp: u.Rsp, Ss: u.Ss,
		FsBase: u.Fs_base, GsBase: u.Gs_base, Ds: u.Ds, Es: u.Es, Fs: u.Fs, Gs: u.Gs,
	}
}

func (r *Regs) toPtrace() unix.PtraceRegs {
	return unix.PtraceRegs{
		R15: r.R15, R14: r.R14, R13: r.R13, R12: r.R12, Rbp: r.Rbp, Rbx: r.Rbx, R11: r.R11, R10: r.R10,
		R9: r.R9, R8: r.R8, Rax: r.Rax, Rcx: r.Rcx, Rdx: r.Rdx, Rsi: r.Rsi, Rdi: r.Rdi,
		Orig_rax: r.OrigRax, Rip: r.Rip, Cs: r.Cs, Eflags: r.Eflags, Rsp: r.Rsp, Ss: r.Ss,
		Fs_base: r.FsBase, Gs_base: r.GsBase, Ds: r.Ds, Es: r.Es, Fs: r.Fs, Gs: r.Gs,
	}
}

// fxsaveXMM0 is the offset of xmm0 in the FXSAVE area PTRACE_GETFPREGS
// fills (struct user_fpregs_struct); xmm1 follows it.
const fxsaveXMM0 = 160

// readXMM01 reads the low 16 bytes of xmm0 and xmm1 of thread tid.
func readXMM01(tid int) ([2][]byte, error) {
	var area [512]byte
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GETFPREGS, uintptr(tid), 0, uintptr(unsafe.Pointer(&area[0])), 0, 0)
	if e != 0 {
		return [2][]byte{}, e
	}
	return [2][]byte{area[fxsaveXMM0 : fxsaveXMM0+16], area[fxsaveXMM0+16 : fxsaveXMM0+32]}, nil
}
