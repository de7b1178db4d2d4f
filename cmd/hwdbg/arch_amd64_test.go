//go:build amd64

package main

// What the shared behaviour tests expect that depends on the machine:
// slot names, instruction text, code layout, register names, and how a
// second tracer reads a thread's debug registers. arch_arm64_test.go has
// the same names for arm64.

import (
	"encoding/binary"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"hwdbg/internal/fixture"
)

// slotName is the name of the i-th data watchpoint slot.
func slotName(i int) string { return fmt.Sprintf("DR%d", i) }

const (
	// withdrawStore is the start of the disassembly of bank.c's store to
	// balance in withdraw; auditorStore the whole of the auditor's
	// corrupting store through a pointer.
	withdrawStore = "mov qword ptr [rip+"
	auditorStore  = "mov qword ptr [rax], 0x41414141"
	// textReportBy is the "by" line of the text hit report for that store.
	textReportBy = `withdraw\+19 \(bank\.c:12\): mov qword ptr \[rip\+0x[0-9a-f]+\], rax`
	// stepsBeforeStore: access.c's do_write is push rbp; mov rbp, rsp;
	// then the store to val.
	stepsBeforeStore = 2
	// storeInsnLen is the length of do_write's store, mov qword ptr
	// [rip+X], 7: the pc after the hit is this much past the hit's pc.
	storeInsnLen = 11
	// pcReg and spReg name the pc and the stack pointer.
	pcReg, spReg = "rip", "rsp"
)

// objdumpFunc is the disassembly objdump gives of function fn in bin, one
// line per instruction.
func objdumpFunc(t *testing.T, bin, fn string) []string {
	t.Helper()
	var lines []string
	in := false
	for _, line := range strings.Split(fixture.Tool(t, "objdump", bin), "\n") {
		if strings.HasSuffix(line, "<"+fn+">:") {
			in = true
			continue
		}
		if in && line == "" {
			break
		}
		if in {
			lines = append(lines, line)
		}
	}
	return lines
}

// objdumpStore finds, in function fn, the address of the instruction that
// stores a register to sym (AT&T: "mov %reg,OFF(%rip)  # ADDR <sym>").
func objdumpStore(t *testing.T, bin, fn, sym string) uint64 {
	t.Helper()
	re := regexp.MustCompile(`^\s*([0-9a-f]+):\s+mov\s+%\w+,0x[0-9a-f]+\(%rip\)\s+# [0-9a-f]+ <` + regexp.QuoteMeta(sym) + `>`)
	for _, line := range objdumpFunc(t, bin, fn) {
		if m := re.FindStringSubmatch(line); m != nil {
			n, _ := strconv.ParseUint(m[1], 16, 64)
			return n
		}
	}
	t.Fatalf("objdump: no store to %s in %s", sym, fn)
	return 0
}

// armedSlots reads, as a second tracer that has seized and stopped tid,
// what tid's debug registers still enable: "" when nothing is armed
// (DR7 = 0), else a description.
func armedSlots(t *testing.T, tid int) string {
	t.Helper()
	buf := make([]byte, 8)
	if _, err := unix.PtracePeekUser(tid, 848+7*8, buf); err != nil {
		t.Errorf("peek DR7 of %d: %v", tid, err)
		return "unreadable DR7"
	}
	if dr7 := binary.LittleEndian.Uint64(buf); dr7 != 0 {
		return fmt.Sprintf("DR7 = %#x", dr7)
	}
	return ""
}

// inEmulator is true inside the emulated amd64 kernel of scripts/amd64-vm
// (QEMU TCG), where make test runs these tests on machines that do not
// deliver debug-register traps.
var inEmulator = os.Getenv("HWDBG_AMD64_VM") == "1"

// hotWrites is how many writes the condition tests make: the full count
// the issue asks for, and fewer in the emulator, where a trap costs
// 140-400 µs instead of ~12 µs.
var hotWrites = map[bool]int{false: 100000, true: 10000}[inEmulator]

// emulatesStepOver: the backend emulates the instructions found under a
// breakpoint, so a step over one is no single step.
const emulatesStepOver = true

// syscallInsn is the system call instruction as hwdbg disassembles it.
const syscallInsn = "syscall"
