// Package probe finds out what this machine lets a debugger do: whether the
// CPU delivers debug-register traps, whether perf hardware breakpoints
// count, whether BPF programs may be loaded, and the facts (capabilities,
// sysctls, kernel, virtualisation) that explain a no.
//
// Some virtual machines accept every DR0-DR7 write and read it back, yet
// never raise the debug exception: no SIGTRAP, no perf count, no error
// anywhere. Only arming a slot and counting what arrives tells; Traps does
// that on a scratch child.
package probe

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"hwdbg/arch"
)

// SimulateEnv, set to 1, makes the probes arm their slots on a variable
// their child never touches, so they see no trap and count nothing, as on
// a machine that never delivers debug-register traps. It is for testing
// that path (the warning, `hwdbg doctor`, the test runner's choice) on a
// machine whose traps work; everything else about the probe stays real.
const SimulateEnv = "HWDBG_SIMULATE_NO_TRAPS"

// Simulated tells whether SimulateEnv is set.
func Simulated() bool { return os.Getenv(SimulateEnv) == "1" }

// childEnv, in the environment of a copy of this program, makes it the
// probe's child (see init): its value is the number of writes to make.
const childEnv = "HWDBG_PROBE_CHILD"

var (
	// watched is the variable the child writes and the probe watches.
	watched uint64
	// untouched is never written; the probe watches it when simulating.
	untouched uint64
)

// init turns a copy of this program started by Traps into the probe's
// child before anything else runs. Package initialisation runs on the
// main thread (the runtime locks it there), so the thread that stops
// itself is the one the probe traces.
func init() {
	if n, err := strconv.Atoi(os.Getenv(childEnv)); err == nil {
		child(n)
	}
}

// child tells its parent where the variables are, stops until the parent
// has armed a slot, writes watched n times and exits.
func child(n int) {
	pid, tid := unix.Getpid(), unix.Gettid()
	if pid != tid {
		os.Exit(3)
	}
	fmt.Fprintf(os.Stdout, "%x %x\n", uintptr(unsafe.Pointer(&watched)), uintptr(unsafe.Pointer(&untouched)))
	unix.Tgkill(pid, tid, unix.SIGSTOP)
	for i := 1; i <= n; i++ {
		atomic.StoreUint64(&watched, uint64(i))
	}
	os.Exit(0)
}

// TrapResult is what the trap probe saw.
type TrapResult struct {
	// Expected is how many writes the child made to the watched variable,
	// Seen how many traps reported the probe's slot.
	Expected, Seen int
	// PerTrap is the mean time from one trap to the next (stop, decode,
	// resume, the next write): 0 when fewer than two arrived.
	PerTrap time.Duration
	// Took is the whole probe: starting the child to reaping it.
	Took time.Duration
	// Slots are the machine's debug-register slots as the kernel gave
	// them for the child.
	Slots []arch.SlotInfo
	// Simulated is true when SimulateEnv made the probe watch a variable
	// nobody writes.
	Simulated bool
}

// Delivered tells whether every write trapped.
func (r TrapResult) Delivered() bool { return r.Expected > 0 && r.Seen == r.Expected }

// String says in a few words what was seen, e.g. "8 of 8 traps, 14 µs
// each" or "0 of 8 traps".
func (r TrapResult) String() string {
	s := fmt.Sprintf("%d of %d traps", r.Seen, r.Expected)
	if r.PerTrap > 0 {
		s += fmt.Sprintf(", %.0f µs each", float64(r.PerTrap.Nanoseconds())/1000)
	}
	if r.Simulated {
		s += ", simulated by " + SimulateEnv + "=1"
	}
	return s
}

// childTimeout bounds one probe: the child writes a few times and exits,
// which takes milliseconds natively and well under a second in an
// emulated kernel; a child that takes longer is killed.
const childTimeout = 20 * time.Second

// Traps starts a copy of this program as a traced child, arms slot 0 of
// its main thread as an 8-byte write watchpoint on a variable it then
// writes n times, and counts the traps that report that slot. Traps
// issues ptrace requests from the calling goroutine's OS thread (it locks
// the goroutine to it while it runs), and waits for its child by pid only,
// so a debugger may run it on its own tracer thread between stops.
func Traps(b arch.Backend, n int) (TrapResult, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	res := TrapResult{Expected: n, Simulated: Simulated()}
	start := time.Now()

	exe, err := os.Executable()
	if err != nil {
		return res, fmt.Errorf("trap probe: find this program to start as the child: %w", err)
	}
	out, w, err := os.Pipe()
	if err != nil {
		return res, fmt.Errorf("trap probe: %w", err)
	}
	defer out.Close()
	p, err := os.StartProcess(exe, []string{"hwdbg-probe"}, &os.ProcAttr{
		Env:   append(os.Environ(), childEnv+"="+strconv.Itoa(n)),
		Files: []*os.File{nil, w, nil},
		Sys:   &syscall.SysProcAttr{Ptrace: true, Pdeathsig: syscall.SIGKILL},
	})
	w.Close()
	if err != nil {
		return res, fmt.Errorf("trap probe: start %s as a traced child: %w", exe, err)
	}
	defer p.Release()
	pid := p.Pid
	// A child that outlives its time (it should never) is killed; the
	// wait below then reports it.
	var timedOut atomic.Bool
	timer := time.AfterFunc(childTimeout, func() {
		timedOut.Store(true)
		unix.Kill(pid, unix.SIGKILL)
	})
	defer timer.Stop()
	t := &trapRun{b: b, pid: pid, res: &res}
	err = t.run(bufio.NewReader(out))
	if err != nil {
		unix.Kill(pid, unix.SIGKILL)
		t.reap()
		if timedOut.Load() {
			err = fmt.Errorf("trap probe: the child did not finish within %v: %w", childTimeout, err)
		}
		return res, err
	}
	res.Took = time.Since(start)
	return res, nil
}

// trapRun is one probe's traced child.
type trapRun struct {
	b      arch.Backend
	pid    int
	res    *TrapResult
	exited bool
	// pending is a signal that stopped the child during a step, to be
	// delivered when it resumes.
	pending   int
	first     time.Time
	last      time.Time
	untouched bool
}

func (t *trapRun) wait() (unix.WaitStatus, error) {
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(t.pid, &ws, unix.WALL, nil)
		if err == unix.EINTR {
			continue
		}
		if err == nil && (ws.Exited() || ws.Signaled()) {
			t.exited = true
		}
		return ws, err
	}
}

// reap waits for a killed child so that no zombie is left for a
// debugger's wait on any child to find.
func (t *trapRun) reap() {
	for !t.exited {
		if _, err := t.wait(); err != nil {
			return
		}
	}
}

func (t *trapRun) run(out *bufio.Reader) error {
	// The exec stop (SysProcAttr.Ptrace), then the child's own SIGSTOP.
	ws, err := t.wait()
	if err != nil || !ws.Stopped() {
		return fmt.Errorf("trap probe: the child did not stop after exec (%v, %v)", ws, err)
	}
	if err := unix.PtraceSetOptions(t.pid, unix.PTRACE_O_EXITKILL); err != nil {
		return fmt.Errorf("trap probe: set ptrace options: %w", err)
	}
	if err := t.resumeUntil(0, unix.SIGSTOP); err != nil {
		return err
	}
	line, err := out.ReadString('\n')
	if err != nil {
		return fmt.Errorf("trap probe: the child did not say where its variable is: %w", err)
	}
	var addr, spare uint64
	if _, err := fmt.Sscanf(line, "%x %x", &addr, &spare); err != nil {
		return fmt.Errorf("trap probe: the child said %q: %w", line, err)
	}
	if t.res.Simulated {
		addr = spare
	}
	if t.res.Slots, err = t.b.Slots(t.pid); err != nil {
		return fmt.Errorf("trap probe: %w", err)
	}
	armed := []arch.Slot{{Enabled: true, Addr: addr, Len: 8, Access: arch.Write}}
	if err := t.b.WriteSlots(t.pid, armed); err != nil {
		return fmt.Errorf("trap probe: arm slot 0 of the child: %w", err)
	}
	sig := 0
	for {
		if err := unix.PtraceCont(t.pid, sig); err != nil {
			return fmt.Errorf("trap probe: resume the child: %w", err)
		}
		ws, err := t.wait()
		if err != nil {
			return fmt.Errorf("trap probe: wait for the child: %w", err)
		}
		switch {
		case ws.Exited() && ws.ExitStatus() == 3:
			return errors.New("trap probe: the child's initialisation did not run on its main thread")
		case ws.Exited() || ws.Signaled():
			if n := t.res.Seen; n > 1 {
				t.res.PerTrap = t.last.Sub(t.first) / time.Duration(n-1)
			}
			if ws.Signaled() {
				return fmt.Errorf("trap probe: the child was killed by %v", ws.Signal())
			}
			return nil
		case ws.StopSignal() != unix.SIGTRAP:
			sig = int(ws.StopSignal())
			continue
		}
		if err := t.trap(armed); err != nil {
			return err
		}
		sig, t.pending = t.pending, 0
	}
}

// resumeUntil resumes the child with sig and passes its other signals
// on until it stops with want.
func (t *trapRun) resumeUntil(sig int, want unix.Signal) error {
	for {
		if err := unix.PtraceCont(t.pid, sig); err != nil {
			return fmt.Errorf("trap probe: resume the child: %w", err)
		}
		ws, err := t.wait()
		switch {
		case err != nil:
			return fmt.Errorf("trap probe: wait for the child: %w", err)
		case !ws.Stopped():
			return fmt.Errorf("trap probe: the child ended before it was armed (%v)", ws)
		case ws.StopSignal() == want:
			return nil
		}
		sig = int(ws.StopSignal())
	}
}

// trap handles one SIGTRAP: count it if it reports slot 0, and where the
// hardware traps before the access (arm64), step over the access with
// the slot off.
func (t *trapRun) trap(armed []arch.Slot) error {
	code, siAddr, err := siginfo(t.pid)
	if err != nil {
		return fmt.Errorf("trap probe: %w", err)
	}
	tr, err := t.b.DecodeTrap(t.pid, code, siAddr)
	if err != nil {
		return fmt.Errorf("trap probe: %w", err)
	}
	tracef("trap probe: SIGTRAP si_code %d si_addr %#x: %+v", code, siAddr, tr)
	fired := false
	for _, s := range tr.Fired {
		fired = fired || s == 0
	}
	if !fired {
		return nil
	}
	now := time.Now()
	if t.res.Seen == 0 {
		t.first = now
	}
	t.last = now
	t.res.Seen++
	if t.b.TrapAfter() {
		return nil
	}
	if err := t.b.WriteSlots(t.pid, []arch.Slot{{}}); err != nil {
		return fmt.Errorf("trap probe: disarm for the step: %w", err)
	}
	// A signal may stop the child before the step completes (the Go
	// runtime's SIGURG, say): keep it for the resume, and step again.
	for {
		if err := unix.PtraceSingleStep(t.pid); err != nil {
			return fmt.Errorf("trap probe: step over the write: %w", err)
		}
		ws, err := t.wait()
		if err != nil || !ws.Stopped() {
			return fmt.Errorf("trap probe: step over the write: %v %v", ws, err)
		}
		if ws.StopSignal() == unix.SIGTRAP {
			break
		}
		tracef("trap probe: %v during the step, delivered after it", ws.StopSignal())
		t.pending = int(ws.StopSignal())
	}
	if err := t.b.WriteSlots(t.pid, armed); err != nil {
		return fmt.Errorf("trap probe: re-arm after the step: %w", err)
	}
	return nil
}

// siginfo reads si_code and si_addr of the signal that stopped tid.
func siginfo(tid int) (int32, uint64, error) {
	var buf [128]byte
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GETSIGINFO, uintptr(tid), 0, uintptr(unsafe.Pointer(&buf[0])), 0, 0)
	if e != 0 {
		return 0, 0, fmt.Errorf("read the signal info of thread %d: %w", tid, e)
	}
	return *(*int32)(unsafe.Pointer(&buf[8])), *(*uint64)(unsafe.Pointer(&buf[16])), nil
}

// traceLog is set by HWDBG_TRACE=1, as for the debugger: every trap the
// probe sees is logged to stderr.
var traceLog = os.Getenv("HWDBG_TRACE") != ""

func tracef(format string, args ...any) {
	if traceLog {
		fmt.Fprintf(os.Stderr, "hwdbg-trace: "+format+"\n", args...)
	}
}

// hasWord reports whether the whitespace-separated list s holds w.
func hasWord(s, w string) bool {
	for _, f := range strings.Fields(s) {
		if f == w {
			return true
		}
	}
	return false
}
