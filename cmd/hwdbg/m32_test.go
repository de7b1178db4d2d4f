//go:build amd64

package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"hwdbg/internal/fixture"
)

// An i386 program (gcc -m32) on the amd64 kernel: testdata/m32.c.

// m32Lines are m32.c's lines the tests expect: the store to counter in
// bump, the call of bump in outer and of outer in main.
const (
	m32StoreLine = 23
	m32BumpCall  = 28
	m32OuterCall = 40
	m32PauseCall = 38
)

func TestI386WatchHit(t *testing.T) {
	needTraps(t)
	for _, tc := range []struct {
		v    fixture.Variant
		expr string
	}{
		{fixture.I386, "counter"},
		{fixture.I386, "&counter"},
		{fixture.I386NoPIE, "counter"},
		{fixture.I386NoPIE, "&counter"},
	} {
		t.Run(string(tc.v)+"/"+tc.expr, func(t *testing.T) {
			bin := fixture.C(t, "m32", tc.v)
			script := "watch -w " + tc.expr + "\ncontinue\nbacktrace\ninfo registers\n" +
				"print wide\nprint *(long*)&wide\nprint where\nprint *where\nprint rec\nprint $esp\n" +
				"watch -w wide\ncontinue\ncontinue\n"
			r := hwdbg(t, script, bin)
			if r.code != 0 {
				t.Fatalf("exit %d\n%s", r.code, r)
			}
			hits := r.byEvent("watchpoint")
			if len(hits) != 2 {
				t.Fatalf("want 2 hits, got %d\n%s", len(hits), r)
			}
			h := hits[0]
			// A 4-byte int is one slot, and reads as an int.
			if h["id"] != float64(1) || h["slot"] != "DR0" || h["len"] != float64(4) || h["access"] != "write" {
				t.Errorf("hit: %v", h)
			}
			if h["old"] != "5" || h["new"] != "11" {
				t.Errorf("old %v new %v, want 5 -> 11", h["old"], h["new"])
			}
			if h["func"] != "bump" || h["line"] != float64(m32StoreLine) || !strings.HasSuffix(fmt.Sprint(h["file"]), "m32.c") {
				t.Errorf("accessing instruction at %v+%v (%v:%v), want bump (m32.c:%d)", h["func"], h["offset"], h["file"], h["line"], m32StoreLine)
			}
			// The instruction is decoded as 32-bit code: objdump's store to
			// counter in bump, at the run-time address.
			addr := hexArg(t, h["addr"])
			bias := addr - nmAddr(t, bin, "counter")
			if tc.v == fixture.I386NoPIE && bias != 0 {
				t.Errorf("non-PIE bias %#x, want 0", bias)
			}
			pc := hexArg(t, h["pc"])
			src := objdumpStore32(t, bin, "bump", pc-bias)
			insn := fmt.Sprint(h["insn"])
			if !strings.HasPrefix(insn, "mov dword ptr [") || !strings.HasSuffix(insn, "], "+src) {
				t.Errorf("insn %q, want a 32-bit store of %s (objdump: mov %%%s,...)", insn, src, src)
			}
			if tc.v == fixture.I386NoPIE && insn != fmt.Sprintf("mov dword ptr [%#x], %s", addr, src) {
				t.Errorf("insn %q, want the absolute address %#x", insn, addr)
			}

			// bt: bump, outer, main at least.
			bt := r.results("backtrace")
			if len(bt) != 1 {
				t.Fatalf("backtrace results: %v\n%s", bt, r)
			}
			frames := bt[0]["frames"].([]any)
			want := []struct {
				fn   string
				line int
			}{{"bump", m32StoreLine + 1}, {"outer", m32BumpCall}, {"main", m32OuterCall}}
			if len(frames) < len(want) {
				t.Fatalf("backtrace has %d frames, want at least %d\n%s", len(frames), len(want), r)
			}
			for i, w := range want {
				f := frames[i].(map[string]any)
				if f["func"] != w.fn || f["line"] != float64(w.line) {
					t.Errorf("frame %d: %v:%v, want %s at m32.c:%d", i, f["func"], f["line"], w.fn, w.line)
				}
			}

			// Registers: i386's names, the pc right after the store.
			regs := r.results("info registers")
			if len(regs) != 1 {
				t.Fatalf("info registers: %v", regs)
			}
			rs := regs[0]["registers"].(map[string]any)
			if _, ok := rs["rax"]; ok {
				t.Errorf("a 32-bit thread's registers listed with x86-64 names: %v", rs)
			}
			eip := hexArg(t, rs["eip"])
			if f0 := hexArg(t, frames[0].(map[string]any)["pc"]); eip != f0 || eip <= pc || eip > pc+15 {
				t.Errorf("eip %#x, frame 0 at %#x, the store at %#x", eip, f0, pc)
			}
			if rs["cs"] != "0x23" {
				t.Errorf("cs %v, want 0x23 (32-bit code)", rs["cs"])
			}

			// print reads 4-byte longs and pointers (ILP32).
			prints := r.results("print")
			wantPrints := []struct{ expr, re string }{
				{"wide", `^287454020$`},
				{"*(long*)&wide", `^287454020$`},
				{"where", fmt.Sprintf(`^\(int \*\) %#x <counter>$`, addr)},
				{"*where", `^11$`},
				{"rec", `^\{tag = 7, val = -3, name = 0x[0-9a-f]{1,8} "rec", big = 72623859790382856\}$`},
				{"$esp", `^\(void \*\) 0x[0-9a-f]{1,8}$`},
			}
			if len(prints) != len(wantPrints) {
				t.Fatalf("print results: %v\n%s", prints, r)
			}
			for i, w := range wantPrints {
				if v := fmt.Sprint(prints[i]["value"]); prints[i]["expr"] != w.expr || !regexp.MustCompile(w.re).MatchString(v) {
					t.Errorf("print %v = %q, want %s", prints[i]["expr"], v, w.re)
				}
			}

			// A 4-byte long: one slot, written in main.
			h = hits[1]
			if h["id"] != float64(2) || h["len"] != float64(4) || h["old"] != "287454020" || h["new"] != "42" || h["func"] != "main" {
				t.Errorf("second hit: %v", h)
			}
			if insn := fmt.Sprint(h["insn"]); !strings.HasPrefix(insn, "mov dword ptr [") || !strings.HasSuffix(insn, "], 0x2a") {
				t.Errorf("second hit's insn %q, want mov dword ptr [...], 0x2a", insn)
			}
			if !strings.Contains(r.output(), "counter = 11, wide = 42") {
				t.Errorf("program output missing\n%s", r)
			}
			if ex := r.byEvent("exit"); len(ex) != 1 || ex[0]["status"] != float64(0) {
				t.Errorf("exit events %v", ex)
			}
		})
	}
}

// TestI386TextReport checks the text hit report of a 32-bit program.
func TestI386TextReport(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "m32", fixture.I386)
	r := runScript(t, "watch -w counter\ncontinue\n", "-q", bin)
	out := strings.Join(r.text, "\n")
	re := regexp.MustCompile(`Watchpoint 1 hit: -w counter \(4 bytes at 0x[0-9a-f]{1,8}\), thread \d+, slot DR0\n  old = 5\n  new = 11\n  by 0x[0-9a-f]{1,8} bump\+\d+ \(m32\.c:` +
		strconv.Itoa(m32StoreLine) + `\): mov dword ptr \[e[a-d]x\+0x[0-9a-f]+\], e[a-d]x`)
	if !re.MatchString(out) {
		t.Fatalf("hit report:\n%s\n%s", out, r.stderr)
	}
}

// TestI386AttachBacktrace attaches to a 32-bit program waiting in a
// system call: the thread stops in the vDSO (__kernel_vsyscall), whose
// CFI is read from memory, and bt reaches main through libc.
func TestI386AttachBacktrace(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "m32", fixture.I386)
	cmd := exec.Command(bin, "wait")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || !strings.HasPrefix(line, "ready") {
		t.Fatalf("m32 did not start: %q %v", line, err)
	}
	// Let it enter pause().
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid))
		if f := strings.Fields(string(b)); len(f) > 2 && f[2] == "S" || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	r := hwdbg(t, "backtrace\nprint counter\ndetach\n", "-p", strconv.Itoa(cmd.Process.Pid))
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	bt := r.results("backtrace")
	if len(bt) != 1 {
		t.Fatalf("backtrace results: %v\n%s", bt, r)
	}
	frames := bt[0]["frames"].([]any)
	var where []string
	found := false
	for _, f := range frames {
		f := f.(map[string]any)
		where = append(where, fmt.Sprintf("%v (%v:%v) in %v", f["func"], f["file"], f["line"], f["object"]))
		if f["func"] == "main" && f["line"] == float64(m32PauseCall) {
			found = true
		}
	}
	if len(frames) < 2 || !found {
		t.Errorf("backtrace from pause() does not reach main at m32.c:%d:\n%s", m32PauseCall, strings.Join(where, "\n"))
	}
	if p := r.results("print"); len(p) != 1 || p[0]["value"] != "5" {
		t.Errorf("print counter: %v", p)
	}
}

// objdumpStore32 is the source register (e.g. "edx") of the store
// objdump shows in function fn at link-time address at: "mov %edx,...".
func objdumpStore32(t *testing.T, bin, fn string, at uint64) string {
	t.Helper()
	re := regexp.MustCompile(`^\s*([0-9a-f]+):\s+mov\s+%(e[a-z]{2}),`)
	for _, line := range objdumpFunc(t, bin, fn) {
		if m := re.FindStringSubmatch(line); m != nil {
			if n, _ := strconv.ParseUint(m[1], 16, 64); n == at {
				return m[2]
			}
		}
	}
	t.Fatalf("objdump: no register store at %#x in %s", at, fn)
	return ""
}
