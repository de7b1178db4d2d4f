package symbols

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const bankC = `#include <stdio.h>
#include <unistd.h>

long balance = 0x1122334455667788;
static int counter = 7;

__attribute__((noinline)) int withdraw(long amount) {
	counter++;
	balance -= amount;
	return counter;
}

int main(void) {
	char c;
	fputs("ready\n", stdout);
	fflush(stdout);
	if (read(0, &c, 1) < 0)
		return 2;
	return withdraw(c) & 0;
}
`

// build compiles bank.c with the given flags into dir, or skips the test.
func build(t *testing.T, name string, flags ...string) string {
	t.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc not found in PATH: cannot build the test program")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "bank.c")
	if err := os.WriteFile(src, []byte(bankC), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, name)
	args := append([]string{"-O0", "-o", out, src}, flags...)
	if msg, err := exec.Command(gcc, args...).CombinedOutput(); err != nil {
		t.Skipf("gcc %s failed (toolchain cannot build the test program): %v\n%s", strings.Join(args, " "), err, msg)
	}
	return out
}

// nmAddrs runs nm on path and returns name -> address.
func nmAddrs(t *testing.T, path string) map[string]uint64 {
	t.Helper()
	nm, err := exec.LookPath("nm")
	if err != nil {
		t.Skip("nm not found in PATH: cannot cross-check symbol addresses")
	}
	out, err := exec.Command(nm, path).Output()
	if err != nil {
		t.Fatalf("nm %s: %v", path, err)
	}
	addrs := make(map[string]uint64)
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		a, err := strconv.ParseUint(f[0], 16, 64)
		if err == nil {
			addrs[f[2]] = a
		}
	}
	return addrs
}

func checkStatic(t *testing.T, tab *Table, path string, bias uint64) {
	t.Helper()
	want := nmAddrs(t, path)
	for _, name := range []string{"balance", "counter", "withdraw", "main"} {
		s, ok := tab.Lookup(name)
		if !ok {
			t.Fatalf("Lookup(%q) failed", name)
		}
		if s.Addr != want[name]+bias {
			t.Errorf("Lookup(%q).Addr = %#x, want nm's %#x + bias %#x", name, s.Addr, want[name], bias)
		}
		if s.File != path {
			t.Errorf("Lookup(%q).File = %q, want %q", name, s.File, path)
		}
	}
	if s, _ := tab.Lookup("balance"); s.Kind != Object || s.Size != 8 || s.Local {
		t.Errorf("balance = %+v, want a global 8-byte object", s)
	}
	if s, _ := tab.Lookup("counter"); s.Kind != Object || s.Size != 4 || !s.Local {
		t.Errorf("counter = %+v, want a local 4-byte object", s)
	}
	w, _ := tab.Lookup("withdraw")
	if w.Kind != Func || w.Size == 0 {
		t.Errorf("withdraw = %+v, want a function with a size", w)
	}
	if s, ok := tab.At(w.Addr + 5); !ok || Describe(s, w.Addr+5) != "withdraw+5" {
		t.Errorf("At(withdraw+5) = %+v, %v", s, ok)
	}
	if s, ok := tab.At(w.Addr); !ok || Describe(s, w.Addr) != "withdraw" {
		t.Errorf("At(withdraw) = %+v, %v", s, ok)
	}
	b, _ := tab.Lookup("balance")
	if s, ok := tab.At(b.Addr + 3); !ok || Describe(s, b.Addr+3) != "balance+3" {
		t.Errorf("At(balance+3) = %+v, %v", s, ok)
	}
	// stdout is copy-relocated into the program; its .symtab name is versioned.
	if s, ok := tab.Lookup("stdout"); !ok || s.Kind != Object || !strings.HasPrefix(s.Name, "stdout") {
		t.Errorf("Lookup(stdout) = %+v, %v", s, ok)
	}
	for _, sect := range []string{".text", ".data", ".bss"} {
		if _, ok := tab.Lookup(sect); ok {
			t.Errorf("section symbol %s was kept", sect)
		}
	}
	if _, ok := tab.Lookup("bank.c"); ok {
		t.Error("file symbol bank.c was kept")
	}
	if got := tab.Closest("balnce", 3); len(got) == 0 || got[0] != "balance" {
		t.Errorf("Closest(balnce) = %q, want balance first", got)
	}
	if got := tab.Names("withd"); len(got) != 1 || got[0] != "withdraw" {
		t.Errorf("Names(withd) = %q", got)
	}
}

func TestNonPIE(t *testing.T) {
	path := build(t, "bank-nopie", "-no-pie")
	if pie, err := IsPIE(path); err != nil || pie {
		t.Fatalf("IsPIE(non-PIE) = %v, %v", pie, err)
	}
	tab, err := Load(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkStatic(t, tab, path, 0)

	p := start(t, path)
	bias, err := LoadBias(p.pid, path)
	if err != nil || bias != 0 {
		t.Fatalf("LoadBias(non-PIE) = %#x, %v; want 0", bias, err)
	}
	checkMemory(t, p.pid, tab)
}

func TestPIE(t *testing.T) {
	path := build(t, "bank-pie", "-pie", "-fPIE")
	if pie, err := IsPIE(path); err != nil || !pie {
		t.Fatalf("IsPIE(PIE) = %v, %v", pie, err)
	}
	p := start(t, path)
	bias, err := LoadBias(p.pid, path)
	if err != nil {
		t.Fatal(err)
	}
	if bias == 0 || bias%uint64(os.Getpagesize()) != 0 {
		t.Fatalf("LoadBias = %#x, want a non-zero page-aligned bias", bias)
	}
	// The same file through /proc/PID/exe: matched by device and inode.
	exe := fmt.Sprintf("/proc/%d/exe", p.pid)
	if b2, err := LoadBias(p.pid, exe); err != nil || b2 != bias {
		t.Errorf("LoadBias(%s) = %#x, %v; want %#x", exe, b2, err, bias)
	}
	// A hard link has another path but the same device and inode.
	link := filepath.Join(t.TempDir(), "other-name")
	if err := os.Link(path, link); err == nil {
		if b3, err := LoadBias(p.pid, link); err != nil || b3 != bias {
			t.Errorf("LoadBias(hard link) = %#x, %v; want %#x", b3, err, bias)
		}
	}
	tab, err := Load(path, bias)
	if err != nil {
		t.Fatal(err)
	}
	checkStatic(t, tab, path, bias)

	// A program whose file was deleted: maps says "(deleted)", /proc/PID/exe still works.
	gone := filepath.Join(t.TempDir(), "gone")
	if data, err := os.ReadFile(path); err != nil {
		t.Fatal(err)
	} else if err := os.WriteFile(gone, data, 0o755); err != nil {
		t.Fatal(err)
	}
	pg := start(t, gone)
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	gexe := fmt.Sprintf("/proc/%d/exe", pg.pid)
	gbias, err := LoadBias(pg.pid, gexe)
	if err != nil {
		t.Fatalf("LoadBias(deleted program) = %v", err)
	}
	gtab, err := Load(gexe, gbias)
	if err != nil {
		t.Fatal(err)
	}
	checkMemory(t, pg.pid, gtab)
	checkMemory(t, p.pid, tab)

	// Shared objects: merge libc at its own bias.
	maps, err := ReadMaps(p.pid)
	if err != nil {
		t.Fatal(err)
	}
	var libc string
	for _, m := range maps {
		if strings.Contains(filepath.Base(m.Path), "libc.so") || strings.Contains(filepath.Base(m.Path), "libc-") {
			libc = m.Path
			break
		}
	}
	if libc == "" {
		t.Skip("the test program does not map a libc.so (not glibc?): skipping the shared-object part")
	}
	lbias, err := LoadBias(p.pid, libc)
	if err != nil {
		t.Fatal(err)
	}
	lt, err := Load(libc, lbias)
	if err != nil {
		t.Fatal(err)
	}
	tab.Merge(lt)
	// The copy relocation in the program wins over libc's own stdout.
	if s, ok := tab.Lookup("stdout"); !ok || s.File != path {
		t.Errorf("Lookup(stdout) after Merge = %+v, %v; want the program's copy", s, ok)
	}
	if s, ok := tab.Lookup("balance"); !ok || s.File != path {
		t.Errorf("Lookup(balance) after Merge = %+v, %v", s, ok)
	}
	r, ok := tab.Lookup("read")
	if !ok || r.File != libc || r.Kind != Func {
		t.Fatalf("Lookup(read) after Merge = %+v, %v", r, ok)
	}
	// read is mapped executable at that address.
	mapped := false
	for _, m := range maps {
		if m.Contains(r.Addr) && m.Executable() {
			mapped = true
		}
	}
	if !mapped {
		t.Errorf("read at %#x is not in an executable mapping of the process", r.Addr)
	}
	if s, ok := tab.At(r.Addr + 1); !ok || s.Addr != r.Addr || s.File != libc {
		t.Errorf("At(read+1) = %+v, %v", s, ok)
	}
}

// TestMalformed loads damaged copies of a real program: errors are fine,
// panics are not.
func TestMalformed(t *testing.T) {
	path := build(t, "bank", "-no-pie")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	try := func(name string, b []byte) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		tab, err := Load(p, 0x1000)
		if err == nil {
			tab.At(0x401000)
			tab.Closest("mian", 3)
		} else if !strings.HasPrefix(err.Error(), "symbols: read "+p+": ") {
			t.Errorf("error without context: %v", err)
		}
		IsPIE(p)
	}
	for _, n := range []int{0, 4, 16, 63, 64, 200, len(data) / 2, len(data) - 100, len(data) - 1} {
		if n >= 0 && n <= len(data) {
			try(fmt.Sprintf("trunc%d", n), data[:n])
		}
	}
	// Overwrite fields of the ELF header and the section headers with junk.
	shoff := binary.LittleEndian.Uint64(data[0x28:])
	for i := 0; i < 400; i++ {
		b := append([]byte(nil), data...)
		var off uint64
		if i%2 == 0 {
			off = uint64(i*7) % 64
		} else {
			off = shoff + uint64(i*13)%(uint64(len(data))-shoff)
		}
		if off+4 <= uint64(len(b)) {
			binary.LittleEndian.PutUint32(b[off:], uint32(i*2654435761))
		}
		try("junk", b)
	}
}

type proc struct {
	pid   int
	stdin io.WriteCloser
}

// start runs the test program, waits until it says it is ready (so that it
// is blocked in read with everything mapped), and kills it at cleanup.
func start(t *testing.T, path string) proc {
	t.Helper()
	cmd := exec.Command(path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("test program did not start: %q, %v", line, err)
	}
	return proc{cmd.Process.Pid, stdin}
}

// checkMemory reads balance and counter through /proc/PID/mem at the
// addresses from tab and checks their initial values.
func checkMemory(t *testing.T, pid int, tab *Table) {
	t.Helper()
	mem, err := os.Open(fmt.Sprintf("/proc/%d/mem", pid))
	if err != nil {
		t.Skipf("cannot open /proc/%d/mem (ptrace restrictions?): %v", pid, err)
	}
	defer mem.Close()
	for _, v := range []struct {
		name string
		want uint64
	}{{"balance", 0x1122334455667788}, {"counter", 7}} {
		s, _ := tab.Lookup(v.name)
		buf := make([]byte, s.Size)
		if _, err := mem.ReadAt(buf, int64(s.Addr)); err != nil {
			t.Fatalf("read %s at %#x from /proc/%d/mem: %v", v.name, s.Addr, pid, err)
		}
		var got uint64
		if s.Size == 8 {
			got = binary.LittleEndian.Uint64(buf)
		} else {
			got = uint64(binary.LittleEndian.Uint32(buf))
		}
		if got != v.want {
			t.Errorf("%s at %#x = %#x, want %#x", v.name, s.Addr, got, v.want)
		}
	}
}
