package debuginfo

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestCPlusPlus(t *testing.T) {
	path := build(t, "prog.cc")
	in := mustLoad(t, path, 0)
	want := nm(t, path, true)
	if got := in.Language(); got != "c++" {
		t.Errorf("Language() = %q, want c++", got)
	}
	for _, tc := range []struct {
		name, sym string
		size      int64
	}{
		{"app::config", "app::config", 16},
		{"app::Config::instances", "app::Config::instances", 4},
		{"Widget::count", "Widget::count", 4},
		{"app::inner::scale", "app::inner::scale", 8},
		{"widget", "widget", 4},
	} {
		v, ok := in.LookupGlobal(tc.name)
		if !ok {
			t.Errorf("LookupGlobal(%q) failed", tc.name)
			continue
		}
		if a, ok := want[tc.sym]; !ok || v.Addr != a {
			t.Errorf("LookupGlobal(%q).Addr = %#x, nm -C says %#x", tc.name, v.Addr, a)
		}
		if v.Type == nil || v.Type.Size != tc.size {
			t.Errorf("LookupGlobal(%q).Type = %+v, want %d bytes", tc.name, v.Type, tc.size)
		}
	}
	ty, err := in.LookupType("app::Config")
	if err != nil {
		t.Fatalf("LookupType(app::Config): %v", err)
	}
	if f, ok := ty.Field("retries"); !ok || f.Offset != 8 || f.Type.Kind != Int {
		t.Errorf("app::Config.retries = %+v", f)
	}
	bump := want["Widget::bump(int)"]
	if name, entry, ok := in.FuncAt(bump + 4); !ok || name != "Widget::bump" || entry != bump {
		t.Errorf("FuncAt(Widget::bump+4) = %q, %#x, %v; want Widget::bump at %#x", name, entry, ok, bump)
	}
	if got := Demangle("_ZN6Widget4bumpEi"); got != "Widget::bump(int)" {
		t.Errorf("Demangle = %q", got)
	}
	mem := openFileMemory(t, path)
	v, _ := in.LookupGlobal("app::config")
	b := make([]byte, v.Type.Size)
	mem.ReadMemory(v.Addr, b)
	gdb := gdbPrint(t, path, "app::config")
	// Static members are not shown (left out): drop GDB's.
	gdb["app::config"] = regexp.MustCompile(`, static \w+ = \w+`).ReplaceAllString(gdb["app::config"], "")
	if got := in.Format(v.Type, b, mem); got != gdb["app::config"] {
		t.Errorf("Format(app::config) = %s, gdb says %s", got, gdb["app::config"])
	}
}

func TestRust(t *testing.T) {
	path := build(t, "prog.rs")
	in := mustLoad(t, path, 0)
	want := nm(t, path, true)
	if got := in.Language(); got != "rust" {
		t.Errorf("Language() = %q, want rust", got)
	}
	for _, name := range []string{"prog::COUNTER", "prog::LIMIT", "prog::config::NAME", "prog::config::LEVEL"} {
		v, ok := in.LookupGlobal(name)
		if !ok {
			t.Errorf("LookupGlobal(%q) failed", name)
			continue
		}
		if a, ok := want[name]; !ok || v.Addr != a {
			t.Errorf("LookupGlobal(%q).Addr = %#x, nm -C says %#x", name, v.Addr, a)
		}
	}
	mem := openFileMemory(t, path)
	for name, val := range map[string]string{"prog::LIMIT": "12", "prog::config::LEVEL": "3"} {
		v, _ := in.LookupGlobal(name)
		b := make([]byte, v.Type.Size)
		mem.ReadMemory(v.Addr, b)
		if got := in.Format(v.Type, b, mem); got != val {
			t.Errorf("Format(%s) = %s, want %s", name, got, val)
		}
	}
	if name, _, ok := in.FuncAt(want["prog::bump"] + 1); !ok || name != "prog::bump" {
		t.Errorf("FuncAt(prog::bump) = %q, %v", name, ok)
	}
}

// TestGo runs the Go program until it stops itself, then reads its
// variables through /proc/PID/mem and formats them as Delve would.
func TestGo(t *testing.T) {
	path := build(t, "prog.go")
	in := mustLoad(t, path, 0)
	want := nm(t, path, false)
	if got := in.Language(); got != "go" {
		t.Errorf("Language() = %q, want go", got)
	}
	kinds := map[string]Kind{"main.counter": Int, "main.greeting": GoString, "main.nums": GoSlice,
		"main.anyv": GoInterface, "main.errv": GoInterface, "main.pt": Struct, "main.arr": Array, "main.ptr": Pointer}
	for name, k := range kinds {
		v, ok := in.LookupGlobal(name)
		if !ok {
			t.Errorf("LookupGlobal(%q) failed", name)
			continue
		}
		if v.Addr != want[name] {
			t.Errorf("LookupGlobal(%q).Addr = %#x, nm says %#x", name, v.Addr, want[name])
		}
		if v.Type.Kind != k {
			t.Errorf("LookupGlobal(%q).Type = %s (%v), want %v", name, v.Type, v.Type.Kind, k)
		}
	}
	if _, ok := in.LookupGlobal("os.Args"); !ok {
		t.Error("LookupGlobal(os.Args) failed")
	}
	if name, _, ok := in.FuncAt(want["main.main"] + 8); !ok || name != "main.main" {
		t.Errorf("FuncAt(main.main+8) = %q %v", name, ok)
	}

	cmd := exec.Command(path, "stop")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); !strings.HasPrefix(line, "ready") {
		t.Fatalf("program said %q", line)
	}
	waitStopped(t, cmd.Process.Pid)
	f, err := os.Open(fmt.Sprintf("/proc/%d/mem", cmd.Process.Pid))
	if err != nil {
		t.Skipf("cannot read /proc/%d/mem: %v", cmd.Process.Pid, err)
	}
	defer f.Close()
	mem := procMemory{f}
	for name, val := range map[string]string{
		"main.counter":  "42",
		"main.greeting": `"hello, world"`,
		"main.nums":     "[]int len: 3, cap: 4, [1,2,3]",
		"main.anyv":     "interface {}(int) 42",
		"main.errv":     `error(*errors.errorString) *{s: "boom"}`,
		"main.pt":       `main.point {X: 1, Y: -2, Tag: "p"}`,
		"main.arr":      "[3]uint16 [7,8,9]",
	} {
		v, _ := in.LookupGlobal(name)
		b := make([]byte, v.Type.Size)
		if err := mem.ReadMemory(v.Addr, b); err != nil {
			t.Fatal(err)
		}
		if got := in.Format(v.Type, b, mem); got != val {
			t.Errorf("Format(%s) = %s, want %s", name, got, val)
		}
	}
}

// waitStopped waits until the process is in the stopped state.
func waitStopped(t *testing.T, pid int) {
	t.Helper()
	for i := 0; i < 500; i++ {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err == nil {
			s := string(b)
			if j := strings.LastIndexByte(s, ')'); j > 0 && len(s) > j+2 && (s[j+2] == 'T' || s[j+2] == 't') {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	t.Fatalf("process %d did not stop", pid)
}
