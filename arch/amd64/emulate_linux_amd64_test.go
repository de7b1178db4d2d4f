//go:build linux && amd64

package amd64

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"hwdbg/arch"
)

// The emulator against the CPU: each instruction runs twice from the same
// registers and memory, emulated and single-stepped for real in a traced
// child, and both must end with the same registers, flags and memory.

// The child's test area: mapped by it at a fixed address below 2 GiB (so
// that 32-bit and absolute addresses reach it), readable, writable and
// executable. The instruction sits in its middle; everything else is data.
const (
	areaAddr = 0x40000000
	areaSize = 0x4000
	codeAddr = areaAddr + 0x1800
)

// cpu is a traced child, stopped at its exec, whose one thread runs the
// instructions a test gives it, one single step at a time.
type cpu struct {
	t    *testing.T
	pid  int
	mem  int  // its /proc/PID/mem
	base Regs // its registers at the exec stop (valid segment selectors)
}

// newCPU starts the child and makes it map the test area. The calling
// goroutine must be locked to its OS thread.
func newCPU(t *testing.T) *cpu {
	pid := startTraced(t)
	r, err := New().GetRegs(pid)
	if err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(fmt.Sprintf("/proc/%d/mem", pid), unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	c := &cpu{t: t, pid: pid, mem: fd, base: *r.(*Regs)}
	// A syscall instruction at its pc: mmap(areaAddr, areaSize, RWX,
	// MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE, -1, 0).
	c.write(c.base.Rip, []byte{0x0f, 0x05})
	regs := c.base
	regs.Rax, regs.Rdi, regs.Rsi, regs.Rdx = unix.SYS_MMAP, areaAddr, areaSize, unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC
	regs.R10, regs.R8, regs.R9 = unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED_NOREPLACE, ^uint64(0), 0
	out, sig := c.run(regs)
	if sig != unix.SIGTRAP || out.Rax != areaAddr {
		t.Fatalf("the child's mmap of the test area at %#x: rax %#x, signal %v", areaAddr, out.Rax, sig)
	}
	return c
}

func (c *cpu) write(addr uint64, b []byte) {
	if n, err := unix.Pwrite(c.mem, b, int64(addr)); err != nil || n != len(b) {
		c.t.Fatalf("write %d bytes at %#x of the child: %d, %v", len(b), addr, n, err)
	}
}

func (c *cpu) read(addr uint64, b []byte) {
	if n, err := unix.Pread(c.mem, b, int64(addr)); err != nil || n != len(b) {
		c.t.Fatalf("read %d bytes at %#x of the child: %d, %v", len(b), addr, n, err)
	}
}

// run single-steps the child from regs, and returns its registers after
// the step and the signal it stopped with (SIGTRAP for a completed step).
func (c *cpu) run(regs Regs) (Regs, unix.Signal) {
	b := New()
	if err := b.SetRegs(c.pid, &regs); err != nil {
		c.t.Fatalf("set the child's registers: %v", err)
	}
	if err := unix.PtraceSingleStep(c.pid); err != nil {
		c.t.Fatal(err)
	}
	var ws unix.WaitStatus
	if _, err := unix.Wait4(c.pid, &ws, 0, nil); err != nil || !ws.Stopped() {
		c.t.Fatalf("wait for the child's step: status %#x, %v", uint32(ws), err)
	}
	r, err := b.GetRegs(c.pid)
	if err != nil {
		c.t.Fatal(err)
	}
	return *r.(*Regs), ws.StopSignal()
}

// areaMem is the test area as the emulator sees it: a copy of its bytes.
// Any access outside it is refused.
type areaMem struct {
	buf      []byte
	accesses []arch.MemAccess
}

var errOutside = errors.New("outside the test area")

func (m *areaMem) Access(a arch.MemAccess, buf []byte) error {
	if a.Addr < areaAddr || a.Addr+uint64(len(buf)) > areaAddr+uint64(len(m.buf)) || a.Addr+uint64(len(buf)) < a.Addr {
		return errOutside
	}
	m.accesses = append(m.accesses, a)
	off := a.Addr - areaAddr
	if a.Write {
		copy(m.buf[off:], buf)
	} else {
		copy(buf, m.buf[off:])
	}
	return nil
}

// startStates are the registers an instruction starts from: general
// registers pointing into the test area (so that memory operands land
// there), some of them small (for index registers), or random (for the
// flags of arithmetic); rsp and the fs and gs bases always in the area;
// random arithmetic flags.
func startStates(base Regs, rng *rand.Rand) []Regs {
	var states []Regs
	for kind := 0; kind < 6; kind++ {
		r := base
		for i := 0; i < 16; i++ {
			v := uint64(areaAddr + 0x2000 + 0x100*i)
			switch {
			case kind == 1 && i%2 == 0, kind == 2 && i%2 == 1:
				v = uint64(rng.Intn(8))
			case kind >= 3:
				v = rng.Uint64() >> uint(rng.Intn(64))
			}
			*r.gpr(i) = v
		}
		r.Rsp = areaAddr + 0x3800
		r.FsBase, r.GsBase = areaAddr+0x100, areaAddr+0x200
		r.Eflags = 0x202 | uint64(rng.Intn(1<<12))&arithFlags
		r.Rip = codeAddr
		r.OrigRax = ^uint64(0)
		states = append(states, r)
	}
	return states
}

// compare runs code from regs on the emulator and on the CPU, over the
// same random area, and reports differences. It returns false, having
// run nothing on the CPU, when the emulator refused.
func (c *cpu) compare(t *testing.T, code []byte, regs Regs, rng *rand.Rand) (bool, error) {
	// Random bytes, half of the words an address in the area: the
	// targets of returns and jumps through memory.
	area := make([]byte, areaSize)
	rng.Read(area)
	for i := 0; i < areaSize; i += 8 {
		if rng.Intn(2) == 0 {
			binary.LittleEndian.PutUint64(area[i:], areaAddr+uint64(rng.Intn(areaSize)))
		}
	}
	copy(area[codeAddr-areaAddr:], code)
	m := &areaMem{buf: bytes.Clone(area)}
	emu, err := New().Emulate(code, &regs, m)
	if err != nil {
		return false, err
	}
	c.write(areaAddr, area)
	got, sig := c.run(regs)
	after := make([]byte, areaSize)
	c.read(areaAddr, after)
	want := *emu.(*Regs)
	text := fmt.Sprintf("% x (%s)", code, disasm(code))
	if sig != unix.SIGTRAP {
		t.Errorf("%s: emulated, but the CPU stopped with %v at %#x", text, sig, got.Rip)
		return true, nil
	}
	if got != want {
		t.Errorf("%s from\n\t%s:\ncpu\t%s\nemu\t%s", text, regDiff(regs, regs), regDiff(got, regs), regDiff(want, regs))
	}
	if !bytes.Equal(after, m.buf) {
		for i := range after {
			if after[i] != m.buf[i] {
				t.Errorf("%s: memory at %#x: cpu %#x, emu %#x (accesses %+v)", text, areaAddr+i, after[i], m.buf[i], m.accesses)
				break
			}
		}
	}
	return true, nil
}

// regDiff shows the registers that differ from before, and the flags.
func regDiff(r, before Regs) string {
	s := fmt.Sprintf("rip=%#x eflags=%#x", r.Rip, r.Eflags)
	for i := 0; i < 16; i++ {
		if *r.gpr(i) != *before.gpr(i) || r == before {
			s += fmt.Sprintf(" %s=%#x", gpr64[i], *r.gpr(i))
		}
	}
	return s
}

// TestEmulateAgainstCPU: every instruction of the table is emulated from
// at least one start state, and each emulation ends as the CPU's step.
func TestEmulateAgainstCPU(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c := newCPU(t)
	rng := rand.New(rand.NewSource(1))
	for _, tc := range emulatedTable {
		code := hexBytes(t, tc.code)
		ran := 0
		for _, regs := range startStates(c.base, rng) {
			ok, err := c.compare(t, code, regs, rng)
			if errors.Is(err, ErrNotEmulated) {
				t.Errorf("% x (%s): %v", code, tc.text, err)
				break
			}
			if ok {
				ran++
			}
		}
		if ran == 0 {
			t.Errorf("% x (%s): emulated from no start state", code, tc.text)
		}
	}
}

// TestEmulateRandomAgainstCPU: random encodings around the emulated
// opcodes; every one the emulator accepts must end as the CPU's step.
func TestEmulateRandomAgainstCPU(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c := newCPU(t)
	rng := rand.New(rand.NewSource(2))
	tries, want := 20000, 3000
	if testing.Short() {
		tries, want = 2000, 300
	}
	ran := 0
	ops := map[string]int{}
	for i := 0; i < tries && ran < want && !t.Failed(); i++ {
		code := randomInsn(rng)
		for _, regs := range startStates(c.base, rng) {
			if ok, _ := c.compare(t, code, regs, rng); ok {
				ran++
				ops[strings.Fields(disasm(code))[0]]++
			}
		}
	}
	t.Logf("%d emulated instructions compared with the CPU: %v", ran, ops)
	if ran < want/10 {
		t.Errorf("only %d random instructions were emulated", ran)
	}
}

// randomOpcodes are the opcodes of the emulated instructions and some
// neighbours that must be refused (xchg, segment moves, string
// operations, adc, shifts, jrcxz).
var randomOpcodes = [][]byte{
	{0x00}, {0x01}, {0x02}, {0x03}, {0x04}, {0x05}, {0x08}, {0x09}, {0x0a}, {0x0b}, {0x0c}, {0x0d},
	{0x10}, {0x11}, {0x20}, {0x21}, {0x22}, {0x23}, {0x24}, {0x25}, {0x28}, {0x29}, {0x2a}, {0x2b}, {0x2c}, {0x2d},
	{0x30}, {0x31}, {0x32}, {0x33}, {0x34}, {0x35}, {0x38}, {0x39}, {0x3a}, {0x3b}, {0x3c}, {0x3d},
	{0x50}, {0x53}, {0x54}, {0x55}, {0x57}, {0x58}, {0x5b}, {0x5c}, {0x5d}, {0x5f},
	{0x63}, {0x68}, {0x6a}, {0x80}, {0x81}, {0x83}, {0x84}, {0x85}, {0x86}, {0x87},
	{0x88}, {0x89}, {0x8a}, {0x8b}, {0x8c}, {0x8d}, {0x8e}, {0x90},
	{0xa0}, {0xa1}, {0xa2}, {0xa3}, {0xa4}, {0xa8}, {0xa9}, {0xab},
	{0xb0}, {0xb4}, {0xb7}, {0xb8}, {0xbc}, {0xbf}, {0xc1}, {0xc6}, {0xc7}, {0xd1}, {0xf6}, {0xf7}, {0xfe}, {0xff},
	{0x0f, 0xb6}, {0x0f, 0xb7}, {0x0f, 0xbe}, {0x0f, 0xbf}, {0x0f, 0x1f}, {0x0f, 0x1e},
	{0x70}, {0x72}, {0x74}, {0x76}, {0x78}, {0x7a}, {0x7c}, {0x7d}, {0x7e}, {0x7f},
	{0x0f, 0x80}, {0x0f, 0x85}, {0x0f, 0x8c}, {0x0f, 0x8f}, {0xe8}, {0xe9}, {0xeb}, {0xc2}, {0xc3}, {0xe3},
}

// randomInsn is a random encoding: maybe a prefix, maybe a REX, an opcode
// of randomOpcodes, then random bytes, half of them small so that
// displacements often land in the test area.
func randomInsn(rng *rand.Rand) []byte {
	var b []byte
	if rng.Intn(3) == 0 {
		b = append(b, []byte{0x66, 0x67, 0x64, 0x65, 0x2e, 0xf0, 0xf3}[rng.Intn(7)])
	}
	if rng.Intn(2) == 0 {
		b = append(b, 0x40|byte(rng.Intn(16)))
	}
	b = append(b, randomOpcodes[rng.Intn(len(randomOpcodes))]...)
	for len(b) < 15 {
		v := byte(rng.Intn(256))
		if rng.Intn(2) == 0 {
			v = []byte{0x00, 0x01, 0x08, 0x10, 0x20, 0x40, 0xf8, 0xff}[rng.Intn(8)]
		}
		b = append(b, v)
	}
	return b
}
