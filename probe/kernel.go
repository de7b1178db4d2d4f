package probe

import (
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// hwBreakpointW is HW_BREAKPOINT_W (include/uapi/linux/hw_breakpoint.h).
const hwBreakpointW = 2

// counted is the variable the perf probe writes (and counts writes to).
var counted uint64

// PerfResult is what the perf breakpoint probe saw.
type PerfResult struct {
	Expected, Counted int
	// Err is perf_event_open's refusal, with the reason; nil when the
	// event was opened.
	Err error
}

// Counts tells whether every write was counted. A count can run over:
// where the kernel steps over the access itself (arm64), a signal during
// that step makes the access trap again (measured in the emulated arm64
// kernel: 1002 of 1000, this program's own runtime signals).
func (r PerfResult) Counts() bool { return r.Err == nil && r.Expected > 0 && r.Counted >= r.Expected }

// PerfBreakpoints opens a perf hardware breakpoint (PERF_TYPE_BREAKPOINT,
// 8-byte write) on a variable of this thread, writes it n times and reads
// the count: the mechanism of non-stop tracing and of in-kernel filtering,
// which shares the CPU's slots (and their traps) with ptrace.
func PerfBreakpoints(n int) PerfResult {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	res := PerfResult{Expected: n}
	addr := uintptr(unsafe.Pointer(&counted))
	if Simulated() {
		addr = uintptr(unsafe.Pointer(&untouched))
	}
	attr := unix.PerfEventAttr{
		Type:    unix.PERF_TYPE_BREAKPOINT,
		Size:    uint32(unsafe.Sizeof(unix.PerfEventAttr{})),
		Bits:    unix.PerfBitDisabled | unix.PerfBitExcludeKernel | unix.PerfBitExcludeHv,
		Bp_type: hwBreakpointW,
		Ext1:    uint64(addr),
		Ext2:    8,
	}
	fd, err := unix.PerfEventOpen(&attr, 0, -1, -1, unix.PERF_FLAG_FD_CLOEXEC)
	if err != nil {
		res.Err = perfRefusal(err)
		return res
	}
	defer unix.Close(fd)
	if err := unix.IoctlSetInt(fd, unix.PERF_EVENT_IOC_ENABLE, 0); err != nil {
		res.Err = fmt.Errorf("enable the perf breakpoint: %w", err)
		return res
	}
	for i := 1; i <= n; i++ {
		atomic.StoreUint64(&counted, uint64(i))
	}
	unix.IoctlSetInt(fd, unix.PERF_EVENT_IOC_DISABLE, 0)
	var buf [8]byte
	if _, err := unix.Read(fd, buf[:]); err != nil {
		res.Err = fmt.Errorf("read the perf breakpoint's count: %w", err)
		return res
	}
	res.Counted = int(binary.LittleEndian.Uint64(buf[:]))
	return res
}

func perfRefusal(err error) error {
	switch err {
	case unix.EACCES, unix.EPERM:
		return fmt.Errorf("perf_event_open refused (%v): needs CAP_PERFMON (or CAP_SYS_ADMIN), or kernel.perf_event_paranoid <= 2", err)
	case unix.ENOSPC:
		return fmt.Errorf("perf_event_open: every debug-register slot of this thread is taken (%v)", err)
	case unix.ENOENT, unix.EOPNOTSUPP, unix.ENODEV:
		return fmt.Errorf("perf_event_open: this kernel has no hardware breakpoints (%v)", err)
	case unix.ENOSYS:
		return fmt.Errorf("perf_event_open: this kernel has no perf events (%v)", err)
	}
	return fmt.Errorf("perf_event_open: %w", err)
}

// BPF loads the smallest program of type BPF_PROG_TYPE_PERF_EVENT (return
// 0), the kind in-kernel conditions attach to a perf breakpoint, and
// unloads it: nil when BPF programs may be loaded here, or the refusal.
func BPF() error {
	// r0 = 0; exit
	insns := [2]uint64{0x00000000000000b7, 0x0000000000000095}
	license := []byte("GPL\x00")
	var attr [128]byte
	le := binary.LittleEndian
	le.PutUint32(attr[0:], unix.BPF_PROG_TYPE_PERF_EVENT)
	le.PutUint32(attr[4:], uint32(len(insns)))
	le.PutUint64(attr[8:], uint64(uintptr(unsafe.Pointer(&insns[0]))))
	le.PutUint64(attr[16:], uint64(uintptr(unsafe.Pointer(&license[0]))))
	fd, _, e := unix.Syscall(unix.SYS_BPF, unix.BPF_PROG_LOAD, uintptr(unsafe.Pointer(&attr[0])), uintptr(len(attr)))
	runtime.KeepAlive(insns)
	runtime.KeepAlive(license)
	switch e {
	case 0:
		unix.Close(int(fd))
		return nil
	case unix.EPERM, unix.EACCES:
		return fmt.Errorf("bpf(BPF_PROG_LOAD) refused (%v): needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN)", e)
	case unix.ENOSYS:
		return fmt.Errorf("bpf: this kernel has no BPF (%v)", e)
	}
	return fmt.Errorf("bpf(BPF_PROG_LOAD): %w", e)
}

// System is what the kernel and the machine say about themselves.
type System struct {
	Kernel string // release and version, as uname gives them
	Arch   string // machine, as uname gives it
	// PtraceScope is kernel.yama.ptrace_scope, -1 without Yama.
	PtraceScope int
	// PerfParanoid is kernel.perf_event_paranoid, UnprivilegedBPF
	// kernel.unprivileged_bpf_disabled; -1 when unknown.
	PerfParanoid, UnprivilegedBPF int
	UID                           int
	// Caps are the effective capabilities among those a debugger uses.
	Caps []string
	// Hypervisor is true when the CPU says it runs under one (the
	// "hypervisor" flag of /proc/cpuinfo); Product is the firmware's
	// vendor and product name, when there is one.
	Hypervisor bool
	Product    string
}

// capsUsed are the capabilities that matter to a debugger, by number
// (include/uapi/linux/capability.h).
var capsUsed = []struct {
	bit  uint
	name string
}{{19, "CAP_SYS_PTRACE"}, {21, "CAP_SYS_ADMIN"}, {38, "CAP_PERFMON"}, {39, "CAP_BPF"}}

// ReadSystem reads the facts of System from /proc, /sys and uname.
func ReadSystem() System {
	s := System{
		PtraceScope:     readInt("/proc/sys/kernel/yama/ptrace_scope"),
		PerfParanoid:    readInt("/proc/sys/kernel/perf_event_paranoid"),
		UnprivilegedBPF: readInt("/proc/sys/kernel/unprivileged_bpf_disabled"),
		UID:             os.Getuid(),
	}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		s.Kernel = unix.ByteSliceToString(u.Release[:]) + " " + unix.ByteSliceToString(u.Version[:])
		s.Arch = unix.ByteSliceToString(u.Machine[:])
	}
	if st, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(st), "\n") {
			if hex, ok := strings.CutPrefix(line, "CapEff:"); ok {
				eff, _ := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
				for _, c := range capsUsed {
					if eff&(1<<c.bit) != 0 {
						s.Caps = append(s.Caps, c.name)
					}
				}
			}
		}
	}
	if ci, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(ci), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "flags" {
				s.Hypervisor = hasWord(v, "hypervisor")
				break
			}
		}
	}
	var prod []string
	for _, f := range []string{"/sys/class/dmi/id/sys_vendor", "/sys/class/dmi/id/product_name", "/sys/hypervisor/type"} {
		if b, err := os.ReadFile(f); err == nil && strings.TrimSpace(string(b)) != "" {
			prod = append(prod, strings.TrimSpace(string(b)))
		}
	}
	s.Product = strings.Join(prod, " ")
	return s
}

func readInt(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return -1
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return -1
	}
	return v
}
