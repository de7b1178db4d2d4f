package amd64

import (
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"hwdbg/arch"
)

func hexBytes(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// testRegs has distinct values so an address names its registers.
func testRegs() *Regs {
	return &Regs{
		Rax: 0x1000, Rbx: 0x2000, Rcx: 0x3, Rdx: 0x4000, Rsi: 0x5000, Rdi: 0x6000,
		Rbp: 0x7ff0, Rsp: 0x7f00, R8: 0x8000, R12: 0xc000,
		FsBase: 0x7f0000000000, GsBase: 0x100000,
		Rip: 0x401000,
	}
}

type access uint8

const (
	none access = iota
	rd
	wr
	rdwr
)

func (a access) String() string { return [...]string{"none", "read", "write", "rw"}[a] }

// classifyCase is one instruction and how it must decode: text is a
// substring of the disassembly ("" to skip), or with exact the whole of it.
type classifyCase struct {
	code string
	text string
	acc  access
	len  int
	addr uint64
}

func TestClassify(t *testing.T) {
	const pc = 0x401000
	tests := []classifyCase{
		{"48 89 05 b3 2e 00 00", "mov qword ptr [rip+0x2eb3], rax", wr, 8, pc + 7 + 0x2eb3},
		{"48 8b 05 b3 2e 00 00", "mov rax, qword ptr [rip+0x2eb3]", rd, 8, pc + 7 + 0x2eb3},
		{"48 83 05 b3 2e 00 00 01", "add qword ptr [rip+0x2eb3], 0x1", rdwr, 8, pc + 8 + 0x2eb3},
		{"48 39 05 b3 2e 00 00", "cmp qword ptr [rip+0x2eb3], rax", rd, 8, pc + 7 + 0x2eb3},
		// A negative 32-bit displacement is below the instruction.
		{"8b 05 00 ff ff ff", "mov eax, dword ptr [rip+0xffffff00]", rd, 4, pc + 6 - 0x100},
		{"48 8b 83 00 ff ff ff", "mov rax, qword ptr [rbx+0xffffff00]", rd, 8, 0x2000 - 0x100},
		{"48 a1 10 20 00 40 00 00 00 80", "mov rax, qword ptr [0x8000000040002010]", rd, 8, 0x8000000040002010},
		{"f0 48 0f c1 05 b3 2e 00 00", "xadd", rdwr, 8, pc + 9 + 0x2eb3},
		{"48 8d 05 b3 2e 00 00", "lea rax", none, 0, 0},
		{"48 01 03", "add qword ptr [rbx], rax", rdwr, 8, 0x2000},
		{"48 03 03", "add rax, qword ptr [rbx]", rd, 8, 0x2000},
		{"48 87 03", "xchg", rdwr, 8, 0x2000},
		{"f0 48 0f b1 0b", "cmpxchg", rdwr, 8, 0x2000},
		{"48 0f c7 0b", "cmpxchg16b", rdwr, 16, 0x2000},
		{"0f b6 03", "movzx eax, byte ptr [rbx]", rd, 1, 0x2000},
		{"48 63 03", "movsxd", rd, 4, 0x2000},
		{"0f 94 c0", "setz al", none, 0, 0},
		{"0f 94 03", "setz byte ptr [rbx]", wr, 1, 0x2000},
		{"c7 03 2a 00 00 00", "mov dword ptr [rbx], 0x2a", wr, 4, 0x2000},
		{"66 89 03", "mov word ptr [rbx], ax", wr, 2, 0x2000},
		{"88 03", "mov byte ptr [rbx], al", wr, 1, 0x2000},
		{"ff 30", "push qword ptr [rax]", rd, 8, 0x1000},
		{"8f 00", "pop qword ptr [rax]", wr, 8, 0x1000},
		{"50", "push rax", wr, 8, 0x7f00 - 8},
		{"58", "pop rax", rd, 8, 0x7f00},
		{"c3", "ret", rd, 8, 0x7f00},
		{"e8 00 00 00 00", "call", wr, 8, 0x7f00 - 8},
		{"ff 10", "call qword ptr [rax]", rd, 8, 0x1000},
		{"ff 24 c5 00 10 00 00", "jmp qword ptr [8*rax+0x1000]", rd, 8, 0x1000*8 + 0x1000},
		{"c9", "leave", rd, 8, 0x7ff0},
		{"9c", "pushf", wr, 8, 0x7f00 - 8},
		{"48 a5", "movsq", rdwr, 8, 0x6000},
		{"f3 48 ab", "rep stosq", wr, 8, 0x6000},
		{"aa", "stosb", wr, 1, 0x6000},
		{"ac", "lodsb", rd, 1, 0x5000},
		{"a6", "cmpsb", rd, 1, 0x5000},
		{"f2 ae", "scasb", rd, 1, 0x6000},
		{"0f 1f 44 00 00", "nop", none, 0, 0},
		{"90", "nop", none, 0, 0},
		{"0f 18 08", "prefetcht0", none, 0, 0},
		{"0f ae 3b", "clflush", none, 0, 0},
		{"48 f7 23", "mul qword ptr [rbx]", rd, 8, 0x2000},
		{"48 f7 3b", "idiv qword ptr [rbx]", rd, 8, 0x2000},
		{"48 f7 1b", "neg qword ptr [rbx]", rdwr, 8, 0x2000},
		{"ff 03", "inc dword ptr [rbx]", rdwr, 4, 0x2000},
		{"48 d1 23", "shl qword ptr [rbx], 0x1", rdwr, 8, 0x2000},
		{"48 0f ab 03", "bts qword ptr [rbx], rax", rdwr, 8, 0x2000},
		{"48 0f a3 03", "bt qword ptr [rbx], rax", rd, 8, 0x2000},
		{"85 03", "test dword ptr [rbx], eax", rd, 4, 0x2000},
		{"0f 11 03", "movups xmmword ptr [rbx], xmm0", wr, 16, 0x2000},
		{"0f 10 03", "movups xmm0, xmmword ptr [rbx]", rd, 16, 0x2000},
		{"66 0f d6 03", "movq qword ptr [rbx], xmm0", wr, 8, 0x2000},
		{"f2 0f 11 03", "movsd qword ptr [rbx], xmm0", wr, 8, 0x2000},
		{"f2 0f 10 03", "movsd xmm0, qword ptr [rbx]", rd, 8, 0x2000},
		{"0f 2b 03", "movntps", wr, 16, 0x2000},
		{"0f c3 03", "movnti", wr, 4, 0x2000},
		{"c5 fc 11 03", "vmovups ymmword ptr [rbx], ymm0", wr, 32, 0x2000},
		{"c5 fc 10 03", "vmovups ymm0, ymmword ptr [rbx]", rd, 32, 0x2000},
		{"c5 fc 58 03", "vaddps", rd, 32, 0x2000},
		{"dd 1b", "fstp qword ptr [rbx]", wr, 8, 0x2000},
		{"dd 03", "fld", rd, 8, 0x2000},
		{"d8 03", "fadd", rd, 4, 0x2000},
		{"0f ae 1b", "stmxcsr dword ptr [rbx]", wr, 4, 0x2000},
		{"0f ae 13", "ldmxcsr dword ptr [rbx]", rd, 4, 0x2000},
		{"0f 38 f1 03", "movbe dword ptr [rbx], eax", wr, 4, 0x2000},
		{"64 48 8b 04 25 28 00 00 00", "mov rax, qword ptr fs:[0x28]", rd, 8, 0x7f0000000000 + 0x28},
		{"65 48 8b 04 25 10 00 00 00", "gs:", rd, 8, 0x100000 + 0x10},
		{"48 8b 44 8b 10", "mov rax, qword ptr [rbx+4*rcx+0x10]", rd, 8, 0x2000 + 3*4 + 0x10},
		{"49 89 44 24 f8", "mov qword ptr [r12-0x8], rax", wr, 8, 0xc000 - 8},
		{"67 8b 03", "mov eax, dword ptr [ebx]", rd, 4, 0x2000},
		{"0f 31", "rdtsc", none, 0, 0},
		{"48 89 d8", "mov rax, rbx", none, 0, 0},
		{"cc", "int3", none, 0, 0},
	}
	checkClassify(t, New(), pc, testRegs(), tests, false)
}

// checkClassify decodes each case at pc with regs and checks its text,
// access, length and address; and without registers, the same access at
// an unknown address.
func checkClassify(t *testing.T, b *Backend, pc uint64, regs arch.Regs, tests []classifyCase, exact bool) {
	t.Helper()
	for _, tc := range tests {
		code := hexBytes(t, tc.code)
		in, err := b.Decode(code, pc, regs)
		if err != nil {
			t.Errorf("%s: %v", tc.code, err)
			continue
		}
		got := none
		switch {
		case in.MemReads && in.MemWrites:
			got = rdwr
		case in.MemReads:
			got = rd
		case in.MemWrites:
			got = wr
		}
		if in.Len != len(code) || in.PC != pc {
			t.Errorf("%s (%s): len %d pc %#x", tc.code, in.Text, in.Len, in.PC)
		}
		if (exact && in.Text != tc.text) || (!exact && tc.text != "" && !strings.Contains(in.Text, tc.text)) {
			t.Errorf("%s: text %q, want %q", tc.code, in.Text, tc.text)
		}
		if got != tc.acc || in.Mem != (tc.acc != none) {
			t.Errorf("%s (%s): access %v (mem %v), want %v", tc.code, in.Text, got, in.Mem, tc.acc)
		}
		if in.MemLen != tc.len {
			t.Errorf("%s (%s): len %d, want %d", tc.code, in.Text, in.MemLen, tc.len)
		}
		if in.MemAddr != tc.addr {
			t.Errorf("%s (%s): addr %#x, want %#x", tc.code, in.Text, in.MemAddr, tc.addr)
		}
		// Without registers the access is still classified; the address is unknown.
		in2, err := b.Decode(code, pc, nil)
		if err != nil || in2.MemAddr != 0 || in2.MemReads != in.MemReads || in2.MemWrites != in.MemWrites || in2.Text != in.Text {
			t.Errorf("%s without regs: %+v, %v", tc.code, in2, err)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	b := New()
	for _, code := range []string{"", "48", "0f", "c5", "48 89", "ff ff"} {
		_, err := b.Decode(hexBytes(t, code), 0x1000, nil)
		if err == nil {
			t.Errorf("%q decoded", code)
			continue
		}
		if !strings.Contains(err.Error(), "0x1000") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error %q lacks the address or is not one line", code, err)
		}
	}
}

// partialRegs knows only some registers: the address must come out as unknown.
type partialRegs struct{ Regs }

var _ arch.Regs = (*partialRegs)(nil)

func (p *partialRegs) Get(name string) (uint64, bool) {
	if name == "fs_base" {
		return 0, false
	}
	return p.Regs.Get(name)
}

func TestMemAddrUnknown(t *testing.T) {
	b := New()
	in, err := b.Decode(hexBytes(t, "64 48 8b 04 25 28 00 00 00"), 0x1000, &partialRegs{*testRegs()})
	if err != nil || !in.Mem || in.MemAddr != 0 {
		t.Errorf("fs: without fs_base: %+v, %v", in, err)
	}
	// vpgatherdd ymm0, [rax+ymm1*4], ymm2: a vector index has no single address.
	in, err = b.Decode(hexBytes(t, "c4 e2 6d 90 04 88"), 0x1000, testRegs())
	if err != nil {
		t.Skipf("x86asm cannot decode vpgatherdd: %v", err)
	}
	if !in.Mem || !in.MemReads || in.MemAddr != 0 {
		t.Errorf("vpgatherdd: %+v", in)
	}
}

func TestRegs(t *testing.T) {
	r := testRegs()
	if r.PC() != 0x401000 || r.SP() != 0x7f00 || r.FP() != 0x7ff0 {
		t.Errorf("PC/SP/FP = %#x %#x %#x", r.PC(), r.SP(), r.FP())
	}
	r.SetPC(0x1234)
	for _, n := range []string{"pc", "rip", "RIP"} {
		if v, ok := r.Get(n); !ok || v != 0x1234 {
			t.Errorf("Get(%q) = %#x, %v", n, v, ok)
		}
	}
	if v, ok := r.Get("sp"); !ok || v != 0x7f00 {
		t.Errorf("sp = %#x", v)
	}
	if v, ok := r.Get("fp"); !ok || v != 0x7ff0 {
		t.Errorf("fp = %#x", v)
	}
	if _, ok := r.Get("x0"); ok {
		t.Error("x0 exists on amd64")
	}
	if !r.Set("orig_rax", 60) || r.OrigRax != 60 || r.Set("xmm0", 1) {
		t.Error("Set")
	}
	var names []string
	for _, reg := range r.List() {
		names = append(names, reg.Name)
		if v, _ := r.Get(reg.Name); v != reg.Value {
			t.Errorf("List %s = %#x, Get says %#x", reg.Name, reg.Value, v)
		}
	}
	want := "rax rbx rcx rdx rsi rdi rbp rsp r8 r9 r10 r11 r12 r13 r14 r15 rip eflags cs ss ds es fs gs fs_base gs_base"
	if strings.Join(names, " ") != want {
		t.Errorf("List order %v", names)
	}
}

// TestClassifyAssembled checks the classifier on code from the system
// assembler, when there is one.
func TestClassifyAssembled(t *testing.T) {
	as, err := exec.LookPath("as")
	if err != nil {
		t.Skip("no `as` (GNU assembler) on PATH; the hand-assembled table covers the classifier")
	}
	objcopy, err := exec.LookPath("objcopy")
	if err != nil {
		t.Skip("no `objcopy` on PATH to extract the assembled bytes")
	}
	cases := []struct {
		src string
		acc access
	}{
		{"mov %rax, 8(%rsp)", wr},
		{"mov 8(%rsp), %rax", rd},
		{"addl $1, (%rbx)", rdwr},
		{"lock incq (%rbx)", rdwr},
		{"cmpb $0, (%rdi)", rd},
		{"lea 8(%rsp), %rax", none},
		{"movaps %xmm1, (%rsp)", wr},
		{"vmovdqu %ymm1, (%rdi)", wr},
		{"vpaddd (%rsi), %ymm1, %ymm2", rd},
		{"setne 3(%rbx)", wr},
		{"fistpll (%rbx)", wr},
		{"xchg %eax, (%rbx)", rdwr},
		{"pushq 16(%rbp)", rd},
		{"notq (%rbx)", rdwr},
	}
	dir := t.TempDir()
	b := New()
	for i, c := range cases {
		s := filepath.Join(dir, "x.s")
		o := filepath.Join(dir, "x.o")
		bin := filepath.Join(dir, "x.bin")
		if err := os.WriteFile(s, []byte(c.src+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(as, "--64", "-o", o, s).CombinedOutput(); err != nil {
			t.Fatalf("case %d: as %q: %v: %s", i, c.src, err, out)
		}
		if out, err := exec.Command(objcopy, "-O", "binary", "-j", ".text", o, bin).CombinedOutput(); err != nil {
			t.Fatalf("objcopy: %v: %s", err, out)
		}
		code, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		in, err := b.Decode(code, 0x1000, nil)
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		if in.Len != len(code) {
			t.Errorf("%s: decoded %d of %d bytes", c.src, in.Len, len(code))
		}
		got := none
		switch {
		case in.MemReads && in.MemWrites:
			got = rdwr
		case in.MemReads:
			got = rd
		case in.MemWrites:
			got = wr
		}
		if got != c.acc {
			t.Errorf("%s (%s): %v, want %v", c.src, in.Text, got, c.acc)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{"48890500000000", "f0480fc105b32e0000", "c5fc1103", "62f17c481003", "f3 48 ab", "67 8b 03", "64 48 8b 04 25 28 00 00 00", "c4e26d900488"} {
		f.Add(hexBytes(f, s), uint64(0x401000))
	}
	b := New()
	regs := testRegs()
	f.Fuzz(func(t *testing.T, code []byte, pc uint64) { checkDecoded(t, b, regs, code, pc) })
}

// checkDecoded holds a decoder to what every decoded instruction must be:
// a length within the bytes and the machine's longest instruction, a
// memory flag that agrees with its reads and writes, an address within
// the mode's reach, and a decoding without registers too.
func checkDecoded(t *testing.T, b *Backend, regs arch.Regs, code []byte, pc uint64) {
	t.Helper()
	in, err := b.Decode(code, pc, regs)
	if err != nil {
		return
	}
	if in.Len <= 0 || in.Len > b.MaxInsnLen() || in.Len > len(code) {
		t.Fatalf("% x: length %d", code, in.Len)
	}
	if in.Mem != (in.MemReads || in.MemWrites) {
		t.Fatalf("% x (%s): Mem %v but reads %v writes %v", code, in.Text, in.Mem, in.MemReads, in.MemWrites)
	}
	if b.bits == 32 && in.MemAddr > 0xffffffff {
		t.Fatalf("% x (%s): address %#x beyond 32-bit code's 4 GiB", code, in.Text, in.MemAddr)
	}
	if _, err := b.Decode(code, pc, nil); err != nil {
		t.Fatalf("% x decodes with regs but not without: %v", code, err)
	}
}
