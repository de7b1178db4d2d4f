package tracee

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// The traced process's memory. Reads and data writes go through
// process_vm_readv/writev, from any thread; program text (breakpoint
// instructions) through /proc/PID/mem, which also writes read-only pages.

// ReadMemory reads len(buf) bytes of the process at addr.
func (p *Process) ReadMemory(addr uint64, buf []byte) error {
	return readMemory(p.Pid, addr, buf)
}

// WriteData writes buf at addr as the program itself would:
// process_vm_writev, which (unlike /proc/PID/mem) respects the pages'
// protection, so that a write the program could not make fails.
func (p *Process) WriteData(addr uint64, buf []byte) error {
	if len(buf) == 0 {
		return nil
	}
	n, err := unix.ProcessVMWritev(p.Pid, localIovec(buf), remoteIovec(addr, buf), 0)
	if err != nil {
		return fmt.Errorf("cannot write %d bytes at %#x: %w", len(buf), addr, plainErrno(err))
	}
	if n != len(buf) {
		return fmt.Errorf("cannot write %d bytes at %#x: only %d were written", len(buf), addr, n)
	}
	return nil
}

// WriteText writes program text (a breakpoint instruction or the bytes it
// replaced) at addr, through the process's /proc/PID/mem, opened at the
// first write and kept until the process execs, exits or is let go.
func (p *Process) WriteText(addr uint64, buf []byte) error {
	return p.mem.write(p.Pid, addr, buf)
}

// WriteText writes buf at addr of process pid (not the traced one: a
// forked child) through /proc/PID/mem, opened for this one write.
func WriteText(pid int, addr uint64, buf []byte) error {
	var m memFile
	defer m.close()
	return m.write(pid, addr, buf)
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

func plainErrno(err error) error {
	switch {
	case errors.Is(err, unix.EFAULT), errors.Is(err, unix.EIO):
		return errors.New("address not mapped")
	case errors.Is(err, unix.ESRCH):
		return errors.New("the process is gone")
	}
	return err
}
