//go:build linux && arm64

package arm64

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"

	"hwdbg/arch"
)

// hwdebugState is struct user_hwdebug_state (<asm/ptrace.h>).
type hwdebugState struct {
	DbgInfo uint32
	Pad     uint32
	Regs    [MaxRegs]struct {
		Addr uint64
		Ctrl uint32
		Pad  uint32
	}
}

// regsetName names a regset note for messages.
func regsetName(nt int) string {
	if nt == NTArmHWWatch {
		return "NT_ARM_HW_WATCH"
	}
	return "NT_ARM_HW_BREAK"
}

func ptraceRegset(req, tid, nt int, st *hwdebugState, size int) error {
	iov := unix.Iovec{Base: (*byte)(unsafe.Pointer(st))}
	iov.SetLen(size)
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, uintptr(req), uintptr(tid), uintptr(nt), uintptr(unsafe.Pointer(&iov)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// getBank reads one bank of tid.
func getBank(tid, nt int) (DbgInfo, [MaxRegs]Reg, error) {
	var st hwdebugState
	var regs [MaxRegs]Reg
	if err := ptraceRegset(unix.PTRACE_GETREGSET, tid, nt, &st, int(unsafe.Sizeof(st))); err != nil {
		return 0, regs, kernelErr(tid, "reading "+regsetName(nt), err)
	}
	for i := range regs {
		regs[i] = Reg{Addr: st.Regs[i].Addr, Ctrl: Ctrl(st.Regs[i].Ctrl)}
	}
	return DbgInfo(st.DbgInfo), regs, nil
}

// setBank sends slots 0..k-1 of one bank: the kernel consumes slots in
// order from slot 0, as many as the iovec holds.
func setBank(tid, nt int, regs *[MaxRegs]Reg, k int) error {
	var st hwdebugState
	for i := 0; i < k; i++ {
		st.Regs[i].Addr, st.Regs[i].Ctrl = regs[i].Addr, uint32(regs[i].Ctrl)
	}
	size := 8 + 16*k
	return ptraceRegset(unix.PTRACE_SETREGSET, tid, nt, &st, size)
}

func kernelErr(tid int, what string, err error) error {
	return arch.NewKernelError(tid, what, err, "a length or alignment the hardware cannot watch, or not a user address")
}

// counts learns the number of slots of each bank from tid's dbg_info.
func (b *Backend) counts(tid int) (int, int, error) {
	if b.nWatch >= 0 {
		return b.nWatch, b.nBreak, nil
	}
	wi, _, err := getBank(tid, NTArmHWWatch)
	if err != nil {
		return 0, 0, err
	}
	bi, _, err := getBank(tid, NTArmHWBreak)
	if err != nil {
		return 0, 0, err
	}
	b.nWatch, b.nBreak, b.arch = min(wi.Slots(), MaxRegs), min(bi.Slots(), MaxRegs), wi.DebugArch()
	return b.nWatch, b.nBreak, nil
}

// Slots lists WP0..WPn-1 then BP0..BPm-1, as many as dbg_info reports.
func (b *Backend) Slots(tid int) ([]arch.SlotInfo, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	nw, nb, err := b.counts(tid)
	if err != nil {
		return nil, err
	}
	return slotInfos(nw, nb), nil
}

// readShadow reads both banks of tid from the kernel into its shadow.
func (b *Backend) readShadow(tid int) (*shadow, error) {
	sh := &shadow{}
	var err error
	if _, sh.watch, err = getBank(tid, NTArmHWWatch); err != nil {
		return nil, err
	}
	if _, sh.brk, err = getBank(tid, NTArmHWBreak); err != nil {
		return nil, err
	}
	b.shadow[tid] = sh
	return sh, nil
}

// ReadSlots reads tid's slots back from the kernel (which always reports
// a watchpoint in the aligned form: the double word's address and BAS).
func (b *Backend) ReadSlots(tid int) ([]arch.Slot, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	nw, nb, err := b.counts(tid)
	if err != nil {
		return nil, err
	}
	sh, err := b.readShadow(tid)
	if err != nil {
		return nil, err
	}
	s, err := decodeSlots(nw, nb, &sh.watch, &sh.brk)
	if err != nil {
		return nil, fmt.Errorf("thread %d: %w", tid, err)
	}
	return s, nil
}

// WriteSlots programs tid's slots (unified index; missing ones disabled).
// For each bank it sends slots 0..k, k the last slot that differs from the
// thread's shadow copy. When the shadow says nothing changes, the kernel is
// asked once more (an exec, for one, clears every slot behind our back).
func (b *Backend) WriteSlots(tid int, slots []arch.Slot) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	nw, nb, err := b.counts(tid)
	if err != nil {
		return err
	}
	watch, brk, err := encodeSlots(nw, nb, slots)
	if err != nil {
		return fmt.Errorf("thread %d: %w", tid, err)
	}
	sh := b.shadow[tid]
	if sh == nil {
		if sh, err = b.readShadow(tid); err != nil {
			return err
		}
	}
	kw, kb := sendCount(&sh.watch, &watch, nw), sendCount(&sh.brk, &brk, nb)
	if kw == 0 && kb == 0 {
		if sh, err = b.readShadow(tid); err != nil {
			return err
		}
		kw, kb = sendCount(&sh.watch, &watch, nw), sendCount(&sh.brk, &brk, nb)
	}
	if kw > 0 {
		if err := setBank(tid, NTArmHWWatch, &watch, kw); err != nil {
			delete(b.shadow, tid)
			return kernelErr(tid, describe(slots, 0, nw, "WP"), err)
		}
		sh.watch = watch
	}
	if kb > 0 {
		if err := setBank(tid, NTArmHWBreak, &brk, kb); err != nil {
			delete(b.shadow, tid)
			return kernelErr(tid, describe(slots, nw, nw+nb, "BP"), err)
		}
		sh.brk = brk
	}
	return nil
}

// describe names the enabled slots of one bank for an error message.
func describe(slots []arch.Slot, from, to int, prefix string) string {
	s := ""
	for i := from; i < to && i < len(slots); i++ {
		if !slots[i].Enabled {
			continue
		}
		if s != "" {
			s += ", "
		}
		s += fmt.Sprintf("%s%d=%#x (%v, %d bytes)", prefix, i-from, slots[i].Addr, slots[i].Access, slots[i].Len)
	}
	if s == "" {
		return prefix + " slots"
	}
	return s
}

// DecodeTrap decides which slots fired. Linux reports only si_code and
// si_addr: for a breakpoint si_addr is the pc; for a watchpoint it is the
// data address the hardware reported, which Attribute matches against the
// slots, confirmed by the instruction at pc (the access, not yet made).
func (b *Backend) DecodeTrap(tid int, siCode int32, siAddr uint64) (arch.Trap, error) {
	t := arch.Trap{Addr: siAddr}
	switch siCode {
	case arch.TrapTrace:
		t.Step = true
		return t, nil
	case arch.TrapHwbkpt:
	default:
		return t, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	nw, nb, err := b.counts(tid)
	if err != nil {
		return t, err
	}
	sh := b.shadow[tid]
	if sh == nil {
		if sh, err = b.readShadow(tid); err != nil {
			return t, err
		}
	}
	slots, err := decodeSlots(nw, nb, &sh.watch, &sh.brk)
	if err != nil {
		return t, fmt.Errorf("thread %d: %w", tid, err)
	}
	regs, err := b.GetRegs(tid)
	if err != nil {
		return t, err
	}
	pc := regs.PC()
	for i := nw; i < nw+nb; i++ {
		if s := slots[i]; s.Enabled && s.Addr == pc && siAddr == pc {
			t.Fired = append(t.Fired, i)
		}
	}
	if len(t.Fired) > 0 {
		return t, nil
	}
	var insn *arch.Insn
	if code, err := peekInsn(tid, pc); err == nil {
		if in, err := b.Decode(code, pc, regs); err == nil {
			insn = &in
		}
	}
	t.Fired = Attribute(slots[:nw], siAddr, insn)
	return t, nil
}

// peekInsn reads the 4 bytes at pc (PEEKDATA reads 8: at the end of a
// mapping, read the word before instead).
func peekInsn(tid int, pc uint64) ([]byte, error) {
	var buf [8]byte
	if _, err := unix.PtracePeekData(tid, uintptr(pc), buf[:]); err == nil {
		return buf[:4], nil
	}
	if _, err := unix.PtracePeekData(tid, uintptr(pc-4), buf[:]); err != nil {
		return nil, err
	}
	return buf[4:], nil
}

// GetRegs reads tid's general registers (PTRACE_GETREGSET NT_PRSTATUS).
func (*Backend) GetRegs(tid int) (arch.Regs, error) {
	var u unix.PtraceRegs
	if err := unix.PtraceGetRegs(tid, &u); err != nil {
		return nil, kernelErr(tid, "reading registers", err)
	}
	return &Regs{X: u.Regs, Sp: u.Sp, Pc: u.Pc, Pstate: u.Pstate}, nil
}

// SetRegs writes tid's general registers. r must come from GetRegs (or be
// an *arm64.Regs).
func (*Backend) SetRegs(tid int, r arch.Regs) error {
	rr, ok := r.(*Regs)
	if !ok || rr == nil {
		return fmt.Errorf("thread %d: setting registers: %T is not arm64 registers", tid, r)
	}
	u := unix.PtraceRegs{Regs: rr.X, Sp: rr.Sp, Pc: rr.Pc, Pstate: rr.Pstate}
	if err := unix.PtraceSetRegs(tid, &u); err != nil {
		return kernelErr(tid, "writing registers", err)
	}
	return nil
}

// ntPRFPReg is the NT_PRFPREG regset: struct user_fpsimd_state, the 32
// 128-bit vector registers then fpsr and fpcr.
const ntPRFPReg = 2

// readV reads v0-v3 of thread tid.
func readV(tid int) ([4][]byte, error) {
	var state [32*16 + 16]byte
	iov := unix.Iovec{Base: &state[0]}
	iov.SetLen(len(state))
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GETREGSET, uintptr(tid), ntPRFPReg, uintptr(unsafe.Pointer(&iov)), 0, 0)
	if e != 0 {
		return [4][]byte{}, e
	}
	return [4][]byte{state[0:16], state[16:32], state[32:48], state[48:64]}, nil
}
