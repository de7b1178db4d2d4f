//go:build linux && amd64

package debuginfo

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"hwdbg/arch"
	"hwdbg/symbols"
)

// stoppedC runs prog.c under ptrace until it stops itself in c() with
// raise(SIGSTOP), and gives its pid and registers (DWARF numbers). It must
// be called on a locked OS thread; the child is killed at cleanup.
func stoppedC(t *testing.T, path string) (int, uint64, map[int]uint64) {
	cmd := exec.Command(path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Ptrace: true}
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start %s under ptrace: %v", path, err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		syscall.Kill(pid, syscall.SIGKILL)
		var ws syscall.WaitStatus
		syscall.Wait4(pid, &ws, 0, nil)
	})
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil || !ws.Stopped() {
		t.Fatalf("wait for exec stop: %v %v", ws, err)
	}
	if err := syscall.PtraceCont(pid, 0); err != nil {
		t.Fatalf("PTRACE_CONT: %v", err)
	}
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil || !ws.Stopped() || ws.StopSignal() != syscall.SIGSTOP {
		t.Fatalf("wait for SIGSTOP: %v %v", ws, err)
	}
	var r syscall.PtraceRegs
	if err := syscall.PtraceGetRegs(pid, &r); err != nil {
		t.Fatalf("PTRACE_GETREGS: %v", err)
	}
	regs := map[int]uint64{0: r.Rax, 1: r.Rdx, 2: r.Rcx, 3: r.Rbx, 4: r.Rsi, 5: r.Rdi, 6: r.Rbp, 7: r.Rsp,
		8: r.R8, 9: r.R9, 10: r.R10, 11: r.R11, 12: r.R12, 13: r.R13, 14: r.R14, 15: r.R15, 16: r.Rip}
	return pid, r.Rip, regs
}

// TestUnwindLocals stops a real C program in c() (called from b, a, main)
// inside libc's raise, unwinds through libc's .eh_frame and the
// program's CFI, and reads locals of two frames through their locations.
func TestUnwindLocals(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the ptrace part of this test reads amd64 registers")
	}
	path := build(t, "prog.c")
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pid, pc, regs := stoppedC(t, path)

	f, err := os.Open(fmt.Sprintf("/proc/%d/mem", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mem := procMemory{f}
	bias, err := symbols.LoadBias(pid, path)
	if err != nil {
		t.Fatal(err)
	}
	in := mustLoad(t, path, bias)
	own, err := in.CFI()
	if err != nil || own.Len() == 0 {
		t.Fatalf("CFI of the program: %d FDEs, %v", own.Len(), err)
	}
	tables := []*CFI{own}
	maps, err := symbols.ReadMaps(pid)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{path: true}
	for _, m := range maps {
		if !strings.HasPrefix(m.Path, "/") || seen[m.Path] || !strings.Contains(m.Path, ".so") {
			continue
		}
		seen[m.Path] = true
		b, err := symbols.LoadBias(pid, m.Path)
		if err != nil {
			continue
		}
		c, err := LoadCFI(m.Path, b)
		if err != nil {
			t.Fatalf("LoadCFI(%s): %v", m.Path, err)
		}
		tables = append(tables, c)
	}
	if len(tables) < 2 {
		t.Fatal("no shared objects mapped: cannot unwind through libc")
	}

	src, _ := os.ReadFile("testdata/prog.c")
	lineOf := func(marker string) int {
		for i, l := range strings.Split(string(src), "\n") {
			if strings.Contains(l, marker) {
				return i + 1
			}
		}
		return -1
	}
	want := []struct {
		fn   string
		line int
	}{{"c", lineOf("stop-in-c")}, {"b", lineOf("call-c")}, {"a", lineOf("call-b")}, {"main", lineOf("call-a")}}

	check := func(name string, frames []UnwoundFrame) []UnwoundFrame {
		t.Helper()
		var ours []UnwoundFrame
		var trace []string
		for _, fr := range frames {
			fn, _, ok := in.FuncAt(fr.LookupPC())
			_, line, _ := in.LineFor(fr.LookupPC())
			trace = append(trace, fmt.Sprintf("%#x %s:%d", fr.PC, fn, line))
			if ok {
				ours = append(ours, fr)
			}
		}
		if len(ours) < len(want) {
			t.Fatalf("%s: %d frames in the program, want %d:\n%s", name, len(ours), len(want), strings.Join(trace, "\n"))
		}
		for i, w := range want {
			fn, _, _ := in.FuncAt(ours[i].LookupPC())
			_, line, _ := in.LineFor(ours[i].LookupPC())
			if fn != w.fn || line != w.line {
				t.Errorf("%s: frame %d = %s:%d, want %s:%d\n%s", name, i, fn, line, w.fn, w.line, strings.Join(trace, "\n"))
			}
		}
		return ours
	}
	frames, err := Unwind(arch.DWARFRegsOf(elf.EM_X86_64), tables, pc, regs, mem, 64)
	if err != nil {
		t.Fatal(err)
	}
	if fn, _, ok := in.FuncAt(pc); ok {
		t.Fatalf("stopped in %s, expected inside libc", fn)
	}
	ours := check("CFI", frames)
	if frames[len(frames)-1].PC == 0 {
		t.Errorf("last frame has pc 0")
	}

	// Locals through DW_OP_fbreg with DW_OP_call_frame_cfa frame bases.
	read := func(fr UnwoundFrame, name string) string {
		t.Helper()
		vars, err := in.Locals(fr.LookupPC())
		if err != nil {
			t.Fatalf("Locals: %v", err)
		}
		for _, v := range vars {
			if v.Name != name {
				continue
			}
			a, err := in.VarAddress(v, fr.Frame(), mem)
			if err != nil {
				t.Fatalf("VarAddress(%s): %v", name, err)
			}
			b := make([]byte, v.Type.Size)
			if err := mem.ReadMemory(a, b); err != nil {
				t.Fatal(err)
			}
			return in.Format(v.Type, b, mem)
		}
		var names []string
		for _, v := range vars {
			names = append(names, v.Name)
		}
		t.Fatalf("no local %s among %v", name, names)
		return ""
	}
	for _, tc := range []struct {
		frame      int
		name, want string
	}{{0, "local_c", "48"}, {0, "depth", "6"}, {0, "buf", "{7, 8, 9}"}, {1, "local_b", "6"}, {1, "x", "3"}} {
		if got := read(ours[tc.frame], tc.name); got != tc.want {
			t.Errorf("frame %d: %s = %s, want %s", tc.frame, tc.name, got, tc.want)
		}
	}
	vars, _ := in.Locals(ours[0].LookupPC())
	for _, v := range vars {
		if v.Name == "inner_only" {
			t.Error("inner_only is out of scope at the raise() line but listed")
		}
		if v.Func != "c" {
			t.Errorf("local %s: Func = %q", v.Name, v.Func)
		}
	}
	lo, hi, fn, ok := in.ScopeOf(ours[0].LookupPC())
	cEntry, _ := in.LookupFunc("c")
	if !ok || fn != "c" || lo != cEntry || hi <= ours[0].PC {
		t.Errorf("ScopeOf(c frame) = %#x-%#x %q %v", lo, hi, fn, ok)
	}

	// Frame pointers alone, from c's frame (gcc -O0 keeps rbp); c's frame
	// is the innermost here, so start at the call instruction's pc.
	fpFrames, err := Unwind(arch.DWARFRegsOf(elf.EM_X86_64), nil, ours[0].PC-1, ours[0].Regs, mem, 8)
	if err != nil {
		t.Fatal(err)
	}
	check("frame pointers", fpFrames)
	if !fpFrames[1].FromFP {
		t.Error("frame-pointer unwind not marked FromFP")
	}

	// The CFA of c's frame is what DW_OP_call_frame_cfa gives: the stack
	// pointer before the call, i.e. just above the return address.
	ra := make([]byte, 8)
	mem.ReadMemory(ours[0].CFA-8, ra)
	if binary.LittleEndian.Uint64(ra) != ours[1].PC {
		t.Errorf("[CFA-8] of c = %#x, want b's return address %#x", binary.LittleEndian.Uint64(ra), ours[1].PC)
	}
}
