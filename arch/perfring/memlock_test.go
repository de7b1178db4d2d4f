package perfring

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"hwdbg/arch"
)

// memlockChildEnv makes this test binary the child of TestLockedMemory.
const memlockChildEnv = "HWDBG_PERFRING_MEMLOCK_CHILD"

// TestLockedMemory: where the locked-memory limit refuses a default ring,
// the ring is halved until it fits, and the trace records as usual; a
// ring size given explicitly is refused with the limit named. The child,
// a copy of this test binary, runs with no RLIMIT_MEMLOCK and, when this
// test runs as root (whose CAP_IPC_LOCK lifts the limit), as nobody.
func TestLockedMemory(t *testing.T) {
	if b, _ := os.ReadFile("/proc/sys/kernel/perf_event_paranoid"); strings.TrimSpace(string(b)) == "-1" {
		t.Skip("kernel.perf_event_paranoid is -1: the locked-memory limit does not apply to perf rings")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// A copy that nobody may run.
	dir, err := os.MkdirTemp("", "perfring-memlock-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	copyExe := filepath.Join(dir, "perfring.test")
	if err := copyFile(exe, copyExe); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(copyExe, "-test.run=^TestLockedMemoryChild$", "-test.v")
	cmd.Env = append(os.Environ(), memlockChildEnv+"=1")
	cmd.Dir = dir
	if os.Getuid() == 0 {
		// Nobody, with CAP_PERFMON and CAP_SYS_ADMIN: perf_event_paranoid
		// does not refuse it (Debian's level 3 asks for CAP_SYS_ADMIN),
		// and without CAP_IPC_LOCK the locked-memory limit applies.
		cmd.SysProcAttr = &syscall.SysProcAttr{
			Credential:  &syscall.Credential{Uid: 65534, Gid: 65534},
			AmbientCaps: []uintptr{unix.CAP_PERFMON, unix.CAP_SYS_ADMIN},
		}
	}
	out, err := cmd.CombinedOutput()
	t.Logf("child:\n%s", out)
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	if !strings.Contains(string(out), "--- PASS: TestLockedMemoryChild") {
		t.Fatal("the child did not run its test")
	}
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// counter counts the accesses the child makes and records.
type counter struct{ hits, lost uint64 }

func (c *counter) Sample(*Sample)       { c.hits++ }
func (c *counter) Lost(_ int, n uint64) { c.lost += n }
func (c *counter) String() string       { return fmt.Sprintf("%d hits, %d lost", c.hits, c.lost) }

var written uint64

// TestLockedMemoryChild is TestLockedMemory's child: with no
// RLIMIT_MEMLOCK, it traces its own writes.
func TestLockedMemoryChild(t *testing.T) {
	if os.Getenv(memlockChildEnv) != "1" {
		t.Skip("the child of TestLockedMemory")
	}
	if err := unix.Setrlimit(unix.RLIMIT_MEMLOCK, &unix.Rlimit{}); err != nil {
		t.Fatal(err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	piece := arch.Piece{Addr: uint64(uintptr(unsafe.Pointer(&written))), Len: 8}

	r, err := Open([]arch.Piece{piece}, arch.Write, &counter{}, Options{Pages: DefaultPages})
	if err != nil {
		t.Fatal(err)
	}
	err = r.AddThread(unix.Gettid())
	r.Close()
	if err == nil || !strings.Contains(err.Error(), "over the locked-memory limit") {
		t.Fatalf("a %d-page ring given explicitly: %v, want the locked-memory limit", DefaultPages, err)
	}

	c := &counter{}
	r, err = Open([]arch.Piece{piece}, arch.Write, c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.AddThread(unix.Gettid()); err != nil {
		t.Fatal(err)
	}
	pages := r.Pages()
	for i := uint64(1); i <= 1000; i++ {
		atomic.StoreUint64(&written, i)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("default ring: %d pages; %v", pages, c)
	if pages >= DefaultPages || pages < 1 {
		t.Errorf("the default ring has %d pages under the limit, want fewer than %d", pages, DefaultPages)
	}
	if c.hits == 0 || c.hits+c.lost != 1000 {
		t.Errorf("%v, want 1000 in all (none recorded: are debug-register traps delivered here?)", c)
	}
}
