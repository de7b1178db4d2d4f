package tracee

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Raw ptrace requests that golang.org/x/sys/unix does not wrap with the
// arguments we need. All of them must run on the tracer thread.

func ptraceRaw(req, pid int, addr, data uintptr) error {
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, uintptr(req), uintptr(pid), addr, data, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

func ptraceSeize(pid, options int) error {
	return ptraceRaw(unix.PTRACE_SEIZE, pid, 0, uintptr(options))
}

func ptraceCont(tid, sig int) error        { return ptraceRaw(unix.PTRACE_CONT, tid, 0, uintptr(sig)) }
func ptraceListen(tid int) error           { return ptraceRaw(unix.PTRACE_LISTEN, tid, 0, 0) }
func ptraceDetach(tid, sig int) error      { return ptraceRaw(unix.PTRACE_DETACH, tid, 0, uintptr(sig)) }
func ptraceInterrupt(tid int) error        { return ptraceRaw(unix.PTRACE_INTERRUPT, tid, 0, 0) }
func ptraceEventMsg(tid int) (uint, error) { return unix.PtraceGetEventMsg(tid) }

func ptraceSingleStep(tid, sig int) error {
	return ptraceRaw(unix.PTRACE_SINGLESTEP, tid, 0, uintptr(sig))
}

// ptraceSigmask reads, and ptraceSetSigmask writes, a stopped thread's
// blocked signals: the kernel's 8-byte sigset_t, bit sig-1 for signal sig.
func ptraceSigmask(tid int) (uint64, error) {
	var m uint64
	err := ptraceRaw(unix.PTRACE_GETSIGMASK, tid, 8, uintptr(unsafe.Pointer(&m)))
	return m, err
}

func ptraceSetSigmask(tid int, m uint64) error {
	return ptraceRaw(unix.PTRACE_SETSIGMASK, tid, 8, uintptr(unsafe.Pointer(&m)))
}

// siginfoSize is the size of the kernel's siginfo_t.
const siginfoSize = 128

func ptraceSiginfo(tid int) ([siginfoSize]byte, error) {
	var buf [siginfoSize]byte
	err := ptraceRaw(unix.PTRACE_GETSIGINFO, tid, 0, uintptr(unsafe.Pointer(&buf[0])))
	return buf, err
}

// wait4 waits for any traced thread (pid -1) or one thread.
func wait4(pid int) (int, unix.WaitStatus, error) {
	var ws unix.WaitStatus
	for {
		wpid, err := unix.Wait4(pid, &ws, unix.WALL, nil)
		if err == unix.EINTR {
			continue
		}
		return wpid, ws, err
	}
}
