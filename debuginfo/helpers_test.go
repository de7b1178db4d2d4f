package debuginfo

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// built caches test programs across tests of one run.
var (
	builtMu  sync.Mutex
	built    = map[string]string{}
	buildDir string
)

// build compiles testdata/src with the toolchain for its extension, or
// skips the test naming the missing tool. The result is shared by the
// tests of one run.
func build(t testing.TB, src string, extra ...string) string {
	t.Helper()
	builtMu.Lock()
	defer builtMu.Unlock()
	key := src + " " + strings.Join(extra, " ")
	if p, ok := built[key]; ok {
		return p
	}
	if buildDir == "" {
		d, err := os.MkdirTemp("", "debuginfo-test-")
		if err != nil {
			t.Fatal(err)
		}
		buildDir = d
	}
	abs, err := filepath.Abs(filepath.Join("testdata", src))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(buildDir, fmt.Sprintf("%s-%d", strings.ReplaceAll(src, ".", "_"), len(built)))
	var tool string
	var args []string
	switch filepath.Ext(src) {
	case ".c":
		tool, args = "gcc", append([]string{"-g", "-O0", "-o", out, abs}, extra...)
	case ".cc":
		tool, args = "g++", append([]string{"-g", "-O0", "-o", out, abs}, extra...)
	case ".go":
		tool = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
		if _, err := os.Stat(tool); err != nil {
			tool = "go"
		}
		args = append([]string{"build", "-o", out}, extra...)
		args = append(args, abs)
	case ".rs":
		// The crate is named after the file: "prog".
		tool, args = "rustc", append([]string{"-g", "-C", "opt-level=0", "--crate-name", "prog", "-o", out, abs}, extra...)
	}
	if _, err := exec.LookPath(tool); err != nil {
		t.Skipf("%s not found in PATH: cannot build testdata/%s", tool, src)
	}
	cmd := exec.Command(tool, args...)
	cmd.Dir = buildDir
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GO111MODULE=off", "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, msg)
	}
	built[key] = out
	return out
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

func mustLoad(t testing.TB, path string, bias uint64) *Info {
	t.Helper()
	in, err := Load(path, bias)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	t.Cleanup(func() { in.Close() })
	return in
}

// nm runs nm (with -C to demangle when demangle is set) and gives
// name -> address of defined symbols.
func nm(t testing.TB, path string, demangle bool) map[string]uint64 {
	t.Helper()
	if _, err := exec.LookPath("nm"); err != nil {
		t.Skip("nm not found in PATH: no ground truth for addresses")
	}
	args := []string{path}
	if demangle {
		args = []string{"-C", path}
	}
	out, err := exec.Command("nm", args...).Output()
	if err != nil {
		t.Fatalf("nm %s: %v", path, err)
	}
	m := map[string]uint64{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.SplitN(line, " ", 3)
		if len(f) != 3 || f[1] == "U" || f[1] == "w" {
			continue
		}
		if a, err := strconv.ParseUint(f[0], 16, 64); err == nil {
			if _, dup := m[f[2]]; !dup {
				m[f[2]] = a
			}
		}
	}
	return m
}

// lineRowT is one row of objdump --dwarf=decodedline.
type lineRowT struct {
	file string
	line int
	addr uint64
	stmt bool
}

func objdumpLines(t testing.TB, path string) []lineRowT {
	t.Helper()
	if _, err := exec.LookPath("objdump"); err != nil {
		t.Skip("objdump not found in PATH: no ground truth for lines")
	}
	out, err := exec.Command("objdump", "--dwarf=decodedline", path).Output()
	if err != nil {
		t.Fatalf("objdump --dwarf=decodedline %s: %v", path, err)
	}
	var rows []lineRowT
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || !strings.HasPrefix(f[2], "0x") {
			continue
		}
		n, err1 := strconv.Atoi(f[1])
		a, err2 := strconv.ParseUint(f[2][2:], 16, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		rows = append(rows, lineRowT{file: f[0], line: n, addr: a, stmt: f[len(f)-1] == "x"})
	}
	return rows
}

// gdbPrint runs "gdb -batch -ex 'print EXPR'..." on the file (static
// data only) and gives the values, without "$N = " and without GDB's
// " <symbol>" annotations of pointers.
func gdbPrint(t testing.TB, path string, exprs ...string) map[string]string {
	t.Helper()
	if _, err := exec.LookPath("gdb"); err != nil {
		t.Skip("gdb not found in PATH: no ground truth for values")
	}
	args := []string{"-batch", "-nx"}
	for _, e := range exprs {
		args = append(args, "-ex", "print "+e)
	}
	out, err := exec.Command("gdb", append(args, path)...).CombinedOutput()
	if err != nil {
		t.Fatalf("gdb: %v\n%s", err, out)
	}
	var vals []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "$") {
			if i := strings.Index(line, " = "); i > 0 {
				vals = append(vals, stripSyms(line[i+3:]))
			}
		}
	}
	if len(vals) != len(exprs) {
		t.Fatalf("gdb printed %d values for %d expressions:\n%s", len(vals), len(exprs), out)
	}
	m := map[string]string{}
	for i, e := range exprs {
		m[e] = vals[i]
	}
	return m
}

var symAnnotation = regexp.MustCompile(`(0x[0-9a-f]+) <[^>]+>`)

// stripSyms removes GDB's " <sym>" after addresses.
func stripSyms(s string) string { return symAnnotation.ReplaceAllString(s, "$1") }

// fileMemory reads the initial contents of an ELF file's loaded sections
// by address: the memory image of a program before it runs.
type fileMemory struct {
	f    *elf.File
	bias uint64
}

func openFileMemory(t testing.TB, path string) *fileMemory {
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &fileMemory{f: f}
}

func (m *fileMemory) ReadMemory(addr uint64, buf []byte) error {
	addr -= m.bias
	for _, s := range m.f.Sections {
		if s.Flags&elf.SHF_ALLOC == 0 || addr < s.Addr || addr+uint64(len(buf)) > s.Addr+s.Size {
			continue
		}
		if s.Type == elf.SHT_NOBITS {
			clear(buf)
			return nil
		}
		_, err := s.ReadAt(buf, int64(addr-s.Addr))
		return err
	}
	return fmt.Errorf("address %#x not in the file", addr+m.bias)
}

// procMemory reads a live process's memory through /proc/PID/mem.
type procMemory struct{ f *os.File }

func (m procMemory) ReadMemory(addr uint64, buf []byte) error {
	n, err := m.f.ReadAt(buf, int64(addr))
	if n == len(buf) {
		return nil
	}
	if err == nil {
		err = errors.New("short read")
	}
	return fmt.Errorf("read %#x: %w", addr, err)
}
