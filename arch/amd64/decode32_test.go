package amd64

import (
	"debug/elf"
	"strings"
	"testing"
)

// testRegs32 is a 32-bit thread as PTRACE_GETREGS reports it: every
// register zero-extended, cs the 32-bit code segment, gs based (the i386
// thread pointer).
func testRegs32() *Regs {
	return &Regs{
		Rax: 0x56559ff4, Rbx: 0x2000, Rcx: 0x3, Rdx: 0x4000, Rsi: 0x5000, Rdi: 0x6000,
		Rbp: 0xffffd5e8, Rsp: 0xffffd5d0,
		GsBase: 0xf7fc4540,
		Rip:    0x56556000, Cs: UserCS32,
	}
}

func TestClassify32(t *testing.T) {
	const pc = 0x56556000
	tests := []classifyCase{
		// gcc -m32 -fPIE: a global through the GOT pointer in eax.
		{"89 50 1c", "mov dword ptr [eax+0x1c], edx", wr, 4, 0x56559ff4 + 0x1c},
		{"8b 48 1c", "mov ecx, dword ptr [eax+0x1c]", rd, 4, 0x56559ff4 + 0x1c},
		// gcc -m32 -no-pie: absolute addresses.
		{"a3 10 c0 04 08", "mov dword ptr [0x804c010], eax", wr, 4, 0x804c010},
		{"c7 05 14 c0 04 08 2a 00 00 00", "mov dword ptr [0x804c014], 0x2a", wr, 4, 0x804c014},
		{"a1 10 c0 04 08", "mov eax, dword ptr [0x804c010]", rd, 4, 0x804c010},
		{"83 05 10 c0 04 08 01", "add dword ptr [0x804c010], 0x1", rdwr, 4, 0x804c010},
		{"ff 40 04", "inc dword ptr [eax+0x4]", rdwr, 4, 0x56559ff4 + 4},
		{"66 89 03", "mov word ptr [ebx], ax", wr, 2, 0x2000},
		{"88 03", "mov byte ptr [ebx], al", wr, 1, 0x2000},
		{"8b 44 8b 10", "mov eax, dword ptr [ebx+4*ecx+0x10]", rd, 4, 0x2000 + 3*4 + 0x10},
		{"89 45 f4", "mov dword ptr [ebp-0xc], eax", wr, 4, 0xffffd5e8 - 0xc},
		{"8b 44 24 04", "mov eax, dword ptr [esp+0x4]", rd, 4, 0xffffd5d0 + 4},
		// Addresses wrap at 4 GiB: [ebp+0x30] past 0xffffffff.
		{"8b 45 30", "mov eax, dword ptr [ebp+0x30]", rd, 4, (0xffffd5e8 + 0x30) & 0xffffffff},
		{"8b 41 fc", "mov eax, dword ptr [ecx-0x4]", rd, 4, 0xffffffff},
		{"8b 81 fc ff ff ff", "mov eax, dword ptr [ecx+0xfffffffc]", rd, 4, 0xffffffff},
		// The stack protector's canary: gs-based.
		{"65 a1 14 00 00 00", "mov eax, dword ptr gs:[0x14]", rd, 4, 0xf7fc4540 + 0x14},
		// 8-byte accesses still happen in 32-bit code.
		{"f2 0f 11 03", "movsd qword ptr [ebx], xmm0", wr, 8, 0x2000},
		{"0f c7 0b", "cmpxchg8b qword ptr [ebx]", rdwr, 8, 0x2000},
		{"dd 1b", "fstp qword ptr [ebx], st0", wr, 8, 0x2000},
		// The stack moves by 4 bytes.
		{"55", "push ebp", wr, 4, 0xffffd5d0 - 4},
		{"5d", "pop ebp", rd, 4, 0xffffd5d0},
		{"c3", "ret", rd, 4, 0xffffd5d0},
		{"e8 00 00 00 00", "call 0x56556005", wr, 4, 0xffffd5d0 - 4},
		{"ff 10", "call dword ptr [eax]", rd, 4, 0x56559ff4},
		{"ff 30", "push dword ptr [eax]", rd, 4, 0x56559ff4},
		{"66 50", "push ax", wr, 2, 0xffffd5d0 - 2},
		{"9c", "pushfd", wr, 4, 0xffffd5d0 - 4},
		{"60", "pushad", wr, 32, 0xffffd5d0 - 32},
		{"61", "popad", rd, 32, 0xffffd5d0},
		{"c9", "leave", rd, 4, 0xffffd5e8},
		// Bytes that mean something else in 64-bit code.
		{"48", "dec eax", none, 0, 0},
		{"40", "inc eax", none, 0, 0},
		{"ab", "stosd dword ptr [edi]", wr, 4, 0x6000},
		// 16-bit addressing (0x67 in 32-bit code).
		{"67 8b 07", "mov eax, dword ptr [bx]", rd, 4, 0x2000},
		{"8d 04 24", "lea eax, ptr [esp]", none, 0, 0},
		{"cd 80", "int 0x80", none, 0, 0},
	}
	checkClassify(t, New32(), pc, testRegs32(), tests, true)
}

// TestDecodeModes decodes the same bytes in both modes: what 32-bit code
// means by them is not what 64-bit code means.
func TestDecodeModes(t *testing.T) {
	tests := []struct {
		code       string
		text64     string // "" when 64-bit mode refuses the bytes
		text32     string
		len64, l32 int
	}{
		{"48 89 05 b3 2e 00 00", "mov qword ptr [rip+0x2eb3], rax", "dec eax", 7, 1},
		{"89 05 b3 2e 00 00", "mov dword ptr [rip+0x2eb3], eax", "mov dword ptr [0x2eb3], eax", 6, 6},
		{"55", "push rbp", "push ebp", 1, 1},
		{"60", "", "pushad", 0, 1},
	}
	for _, tc := range tests {
		code := hexBytes(t, tc.code)
		in64, err64 := New().Decode(code, 0x1000, nil)
		in32, err32 := New32().Decode(code, 0x1000, nil)
		if tc.text64 == "" {
			if err64 == nil {
				t.Errorf("%s: 64-bit mode decoded %q", tc.code, in64.Text)
			} else if !strings.Contains(err64.Error(), "64-bit") {
				t.Errorf("%s: error %q does not name the mode", tc.code, err64)
			}
		} else if err64 != nil || in64.Text != tc.text64 || in64.Len != tc.len64 {
			t.Errorf("%s in 64-bit mode: %q (%d bytes), %v; want %q", tc.code, in64.Text, in64.Len, err64, tc.text64)
		}
		if err32 != nil || in32.Text != tc.text32 || in32.Len != tc.l32 {
			t.Errorf("%s in 32-bit mode: %q (%d bytes), %v; want %q", tc.code, in32.Text, in32.Len, err32, tc.text32)
		}
	}
}

func TestForProgram(t *testing.T) {
	tests := []struct {
		class   elf.Class
		machine elf.Machine
		name    string // the backend's name; "" when refused
		refusal string // a word the refusal must hold
	}{
		{elf.ELFCLASS64, elf.EM_X86_64, "amd64", ""},
		{elf.ELFCLASS32, elf.EM_386, "386", ""},
		{elf.ELFCLASS32, elf.EM_X86_64, "", "x32"},
		{elf.ELFCLASS64, elf.EM_AARCH64, "", "AARCH64"},
		{elf.ELFCLASS32, elf.EM_ARM, "", "32-bit ARM"},
	}
	for _, from := range []*Backend{New(), New32()} {
		for _, tc := range tests {
			b, err := from.ForProgram(tc.class, tc.machine)
			if tc.name == "" {
				if err == nil || !strings.Contains(err.Error(), tc.refusal) || strings.Contains(err.Error(), "\n") {
					t.Errorf("%v %v from %s: %v, want one line naming %q", tc.class, tc.machine, from.Name(), err, tc.refusal)
				}
				continue
			}
			if err != nil || b.Name() != tc.name {
				t.Errorf("%v %v from %s: %v, want %s", tc.class, tc.machine, from.Name(), err, tc.name)
			}
		}
	}
	if New().Bits() != 64 || New32().Bits() != 32 || (&Backend{}).Bits() != 64 {
		t.Error("Bits")
	}
}

func TestRegs32(t *testing.T) {
	r := testRegs32()
	r.Rax = 0xffffffff_12345678 // high half never shown as eax
	if !r.Compat() || (&Regs{Cs: UserCS64}).Compat() {
		t.Error("Compat")
	}
	tests := []struct {
		name string
		want uint64
	}{
		{"eax", 0x12345678}, {"EAX", 0x12345678}, {"ebx", 0x2000}, {"ecx", 3}, {"edx", 0x4000},
		{"esi", 0x5000}, {"edi", 0x6000}, {"ebp", 0xffffd5e8}, {"esp", 0xffffd5d0},
		{"eip", 0x56556000}, {"pc", 0x56556000}, {"rax", 0xffffffff_12345678},
	}
	for _, tc := range tests {
		if v, ok := r.Get(tc.name); !ok || v != tc.want {
			t.Errorf("Get(%q) = %#x, %v; want %#x", tc.name, v, ok, tc.want)
		}
	}
	if !r.Set("eax", 0xaaaaaaaa_00000007) || r.Rax != 7 {
		t.Errorf("Set eax: rax %#x, want 7 (zero-extended low half)", r.Rax)
	}
	if !r.Set("eip", 0x56557000) || r.PC() != 0x56557000 {
		t.Errorf("Set eip: pc %#x", r.PC())
	}
	var names []string
	for _, reg := range r.List() {
		names = append(names, reg.Name)
		if v, _ := r.Get(reg.Name); v != reg.Value {
			t.Errorf("List %s = %#x, Get says %#x", reg.Name, reg.Value, v)
		}
	}
	want := "eax ecx edx ebx esp ebp esi edi eip eflags cs ss ds es fs gs fs_base gs_base"
	if strings.Join(names, " ") != want {
		t.Errorf("List order %v, want %s", names, want)
	}
}

func FuzzDecode32(f *testing.F) {
	for _, s := range []string{"89 50 1c", "a3 10 c0 04 08", "65 a1 14 00 00 00", "60", "67 8b 07", "8b 81 fc ff ff ff", "c5fc1103", "0f c7 0b"} {
		f.Add(hexBytes(f, s), uint64(0x56556000))
	}
	b := New32()
	regs := testRegs32()
	f.Fuzz(func(t *testing.T, code []byte, pc uint64) { checkDecoded(t, b, regs, code, pc) })
}
