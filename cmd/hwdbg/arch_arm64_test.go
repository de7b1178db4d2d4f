//go:build arm64

package main

// What the shared behaviour tests expect that depends on the machine; see
// arch_amd64_test.go. The code layout is gcc -O0 for aarch64 with frame
// records in every function (internal/fixture adds
// -mno-omit-leaf-frame-pointer).

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"hwdbg/internal/fixture"
)

func slotName(i int) string { return fmt.Sprintf("WP%d", i) }

const (
	// withdraw: ...; adrp x0, balance; add x0, x0, :lo12:balance; str x1, [x0]
	withdrawStore = "str x1, [x0]"
	// auditor: ldr x0, [x0] (audit_log); mov/movk x1, 0x41414141; str x1, [x0]
	auditorStore = "str x1, [x0]"
	textReportBy = `withdraw\+40 \(bank\.c:12\): str x1, \[x0\]`
	// do_write: stp x29, x30, [sp, #-16]!; mov x29, sp; adrp x0, val;
	// add x0, x0, :lo12:val; mov x1, #0x7; str x1, [x0]
	stepsBeforeStore = 5
	storeInsnLen     = 4
	pcReg, spReg     = "pc", "sp"
)

// objdumpStore finds, in function fn, the store of a register through a
// base register that adrp and add pointed at sym (nm's address of sym):
//
//	adrp x0, b0000 <...>
//	add  x0, x0, #0x50
//	str  x1, [x0]
func objdumpStore(t *testing.T, bin, fn, sym string) uint64 {
	t.Helper()
	out := fixture.Tool(t, "objdump", bin)
	want := nmAddr(t, bin, sym)
	adrp := regexp.MustCompile(`^\s*[0-9a-f]+:\s+adrp\s+(x\d+), ([0-9a-f]+)`)
	add := regexp.MustCompile(`^\s*[0-9a-f]+:\s+add\s+(x\d+), (x\d+), #0x([0-9a-f]+)$`)
	str := regexp.MustCompile(`^\s*([0-9a-f]+):\s+str\s+x\d+, \[(x\d+)\]$`)
	page := map[string]uint64{} // register -> value known from adrp/add
	in := false
	for _, line := range strings.Split(out, "\n") {
		if strings.HasSuffix(line, "<"+fn+">:") {
			in = true
			continue
		}
		if !in {
			continue
		}
		if line == "" {
			break
		}
		if m := adrp.FindStringSubmatch(line); m != nil {
			page[m[1]], _ = strconv.ParseUint(m[2], 16, 64)
		} else if m := add.FindStringSubmatch(line); m != nil {
			if base, ok := page[m[2]]; ok {
				off, _ := strconv.ParseUint(m[3], 16, 64)
				page[m[1]] = base + off
			}
		} else if m := str.FindStringSubmatch(line); m != nil && page[m[2]] == want {
			n, _ := strconv.ParseUint(m[1], 16, 64)
			return n
		}
	}
	t.Fatalf("objdump: no store to %s in %s", sym, fn)
	return 0
}

// armedSlots reads, as a second tracer that has seized and stopped tid,
// which of tid's watchpoint and breakpoint slots are still enabled
// (NT_ARM_HW_WATCH / NT_ARM_HW_BREAK, ctrl bit 0): "" when none is.
func armedSlots(t *testing.T, tid int) string {
	t.Helper()
	var armed []string
	for _, bank := range []struct {
		nt     int
		prefix string
	}{{0x403, "WP"}, {0x402, "BP"}} {
		var st struct {
			Info, Pad uint32
			Regs      [16]struct {
				Addr       uint64
				Ctrl, Pad2 uint32
			}
		}
		iov := unix.Iovec{Base: (*byte)(unsafe.Pointer(&st))}
		iov.SetLen(int(unsafe.Sizeof(st)))
		if _, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GETREGSET, uintptr(tid), uintptr(bank.nt), uintptr(unsafe.Pointer(&iov)), 0, 0); e != 0 {
			t.Errorf("GETREGSET %#x of %d: %v", bank.nt, tid, e)
			return "unreadable " + bank.prefix + " slots"
		}
		for i := 0; i < int(st.Info&0xff) && i < 16; i++ {
			if r := st.Regs[i]; r.Ctrl&1 != 0 {
				armed = append(armed, fmt.Sprintf("%s%d=%#x ctrl %#x", bank.prefix, i, r.Addr, r.Ctrl))
			}
		}
	}
	return strings.Join(armed, ", ")
}

// hotWrites is how many writes the condition tests make (each hit is a trap and a step-over under TCG emulation, ~50x slower).
const hotWrites = 10000

// emulatesStepOver: every step over a breakpoint is a real single step.
const emulatesStepOver = false

// syscallInsn is the system call instruction as hwdbg disassembles it.
const syscallInsn = "svc #0x0"
