package debugger

import (
	"encoding/binary"
	"fmt"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"hwdbg/arch"
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
func ptraceSingleStep(tid int) error       { return ptraceRaw(unix.PTRACE_SINGLESTEP, tid, 0, 0) }
func ptraceEventMsg(tid int) (uint, error) { return unix.PtraceGetEventMsg(tid) }

// siginfo is the part of the kernel's siginfo_t the debugger reads.
type siginfo struct {
	Signo int32
	Code  int32
	Addr  uint64 // si_addr for SIGTRAP, SIGSEGV, SIGBUS, SIGILL, SIGFPE
	Pid   int32  // si_pid for signals sent by kill/tgkill
	// PerfData is si_perf_data, for a TRAP_PERF SIGTRAP (0 otherwise).
	PerfData uint64
}

func getSiginfo(tid int) (siginfo, error) {
	var buf [128]byte
	if err := ptraceRaw(unix.PTRACE_GETSIGINFO, tid, 0, uintptr(unsafe.Pointer(&buf[0]))); err != nil {
		return siginfo{}, fmt.Errorf("read signal info of thread %d: %w", tid, err)
	}
	le := binary.LittleEndian
	si := siginfo{
		Signo: int32(le.Uint32(buf[0:])),
		Code:  int32(le.Uint32(buf[8:])),
		Addr:  le.Uint64(buf[16:]),
		Pid:   int32(le.Uint32(buf[16:])),
	}
	if si.Signo == int32(unix.SIGTRAP) && si.Code == arch.TrapPerf {
		// si_perf_data follows si_addr (include/uapi/asm-generic/siginfo.h).
		si.PerfData = le.Uint64(buf[24:])
	}
	return si, nil
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

// readMemory reads len(buf) bytes of process pid at addr.
func readMemory(pid int, addr uint64, buf []byte) error {
	if len(buf) == 0 {
		return nil
	}
	n, err := unix.ProcessVMReadv(pid, localIovec(buf), remoteIovec(addr, buf), 0)
	if err != nil {
		return fmt.Errorf("cannot read %d bytes at %#x: %w", len(buf), addr, plainErrno(err))
	}
	if n != len(buf) {
		return fmt.Errorf("cannot read %d bytes at %#x: only %d are mapped", len(buf), addr, n)
	}
	return nil
}

// localIovec and remoteIovec describe buf (not empty), here and at addr
// of another process, for process_vm_readv and process_vm_writev.
func localIovec(buf []byte) []unix.Iovec {
	local := []unix.Iovec{{Base: &buf[0]}}
	local[0].SetLen(len(buf))
	return local
}

func remoteIovec(addr uint64, buf []byte) []unix.RemoteIovec {
	return []unix.RemoteIovec{{Base: uintptr(addr), Len: len(buf)}}
}

// writeMemory writes buf at addr of process pid through /proc/PID/mem,
// which (unlike process_vm_writev) also writes read-only pages such as
// program text. It opens the file for this one write: the traced
// process's own memory is written through its memFile.
func writeMemory(pid int, addr uint64, buf []byte) error {
	var m memFile
	defer m.close()
	return m.write(pid, addr, buf)
}

// memFile is a process's /proc/PID/mem, opened at its first write and
// kept: inserting and removing breakpoints costs one pwrite each. The
// file is the memory of the program image it was opened in: close it when
// the process execs (the next write opens the new image's), and when it
// is gone.
type memFile struct {
	fd   int
	pid  int
	open bool
}

// write writes buf at addr of process pid.
func (m *memFile) write(pid int, addr uint64, buf []byte) error {
	if !m.open || m.pid != pid {
		m.close()
		fd, err := unix.Open(fmt.Sprintf("/proc/%d/mem", pid), unix.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("cannot write memory of %d: %w", pid, err)
		}
		m.fd, m.pid, m.open = fd, pid, true
	}
	n, err := unix.Pwrite(m.fd, buf, int64(addr))
	if err != nil {
		return fmt.Errorf("cannot write %d bytes at %#x: %w", len(buf), addr, plainErrno(err))
	}
	if n != len(buf) {
		return fmt.Errorf("cannot write %d bytes at %#x: only %d are mapped", len(buf), addr, n)
	}
	return nil
}

func (m *memFile) close() {
	if m.open {
		unix.Close(m.fd)
		m.open = false
	}
}

// writeData writes buf at addr of process pid as the program itself
// would: process_vm_writev, which (unlike /proc/PID/mem) respects the
// pages' protection, so that a write the program could not make fails.
func writeData(pid int, addr uint64, buf []byte) error {
	if len(buf) == 0 {
		return nil
	}
	n, err := unix.ProcessVMWritev(pid, localIovec(buf), remoteIovec(addr, buf), 0)
	if err != nil {
		return fmt.Errorf("cannot write %d bytes at %#x: %w", len(buf), addr, plainErrno(err))
	}
	if n != len(buf) {
		return fmt.Errorf("cannot write %d bytes at %#x: only %d were written", len(buf), addr, n)
	}
	return nil
}

func plainErrno(err error) error {
	switch err {
	case unix.EFAULT, unix.EIO:
		return fmt.Errorf("address not mapped")
	case unix.ESRCH:
		return fmt.Errorf("the process is gone")
	}
	return err
}

// stopEvent is the PTRACE_EVENT_* of a ptrace stop (status>>16), 0 for a
// plain signal-delivery-stop. unix.WaitStatus.TrapCause reports it only
// for SIGTRAP, but group-stops of a seized tracee carry PTRACE_EVENT_STOP
// with the stopping signal.
func stopEvent(ws unix.WaitStatus) int {
	if !ws.Stopped() {
		return 0
	}
	return int(uint32(ws)>>16) & 0xff
}

// traceLog is set by HWDBG_TRACE=1: every wait status is logged to stderr,
// for debugging the debugger.
var traceLog = os.Getenv("HWDBG_TRACE") != ""

var traceStart = time.Now()

func tracef(format string, args ...any) {
	if traceLog {
		fmt.Fprintf(os.Stderr, "hwdbg-trace %8.3fms: "+format+"\n", append([]any{float64(time.Since(traceStart).Microseconds()) / 1000}, args...)...)
	}
}

// describeStatus renders a wait status for the trace log.
func describeStatus(ws unix.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exited %d", ws.ExitStatus())
	case ws.Signaled():
		return fmt.Sprintf("killed by %v", ws.Signal())
	case ws.Stopped():
		return fmt.Sprintf("stopped %v event %d", ws.StopSignal(), stopEvent(ws))
	}
	return fmt.Sprintf("status %#x", uint32(ws))
}
