package amd64

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"golang.org/x/arch/x86/x86asm"

	"hwdbg/arch"
)

// emulatedTable is every instruction form the emulator must emulate, with
// its disassembly (x86asm's Intel syntax, "endbr" for endbr64/endbr32).
// emulate_linux_amd64_test.go runs each against the CPU.
var emulatedTable = []struct{ code, text string }{
	{"90", "nop"},
	{"66 90", "data16 nop"},
	{"0f 1f 04 00", "nop dword ptr [rax+rax], eax"},
	{"2e 66 0f 1f 04 00", "nop word ptr [rax+rax], ax"},
	{"0f 1f 00", "nop dword ptr [rax], eax"},
	{"f3 0f 1e fa", "endbr"},
	{"f3 0f 1e fb", "endbr"},
	{"48 89 d8", "mov rax, rbx"},
	{"89 d8", "mov eax, ebx"},
	{"66 89 d8", "mov ax, bx"},
	{"88 d8", "mov al, bl"},
	{"88 dc", "mov ah, bl"},
	{"88 ef", "mov bh, ch"},
	{"40 88 fe", "mov sil, dil"},
	{"4d 89 f8", "mov r8, r15"},
	{"45 89 d1", "mov r9d, r10d"},
	{"66 45 89 e3", "mov r11w, r12w"},
	{"45 88 f5", "mov r13b, r14b"},
	{"48 89 e5", "mov rbp, rsp"},
	{"b8 ff ff ff ff", "mov eax, -0x1"},
	{"48 c7 c0 ff ff ff ff", "mov rax, -0x1"},
	{"48 b8 88 77 66 55 44 33 22 11", "mov rax, 0x1122334455667788"},
	{"66 b8 34 12", "mov ax, 0x1234"},
	{"b0 80", "mov al, 0x80"},
	{"b4 7f", "mov ah, 0x7f"},
	{"41 bf 01 00 00 00", "mov r15d, 0x1"},
	{"41 b0 ff", "mov r8b, 0xff"},
	{"48 89 7d f8", "mov qword ptr [rbp-0x8], rdi"},
	{"89 7d ec", "mov dword ptr [rbp-0x14], edi"},
	{"66 89 45 fe", "mov word ptr [rbp-0x2], ax"},
	{"88 45 ff", "mov byte ptr [rbp-0x1], al"},
	{"88 64 24 07", "mov byte ptr [rsp+0x7], ah"},
	{"40 88 34 24", "mov byte ptr [rsp], sil"},
	{"48 8b 44 24 08", "mov rax, qword ptr [rsp+0x8]"},
	{"8b 45 fc", "mov eax, dword ptr [rbp-0x4]"},
	{"66 8b 44 24 02", "mov ax, word ptr [rsp+0x2]"},
	{"8a 45 ff", "mov al, byte ptr [rbp-0x1]"},
	{"8a 3c 24", "mov bh, byte ptr [rsp]"},
	{"48 89 7c 24 30", "mov qword ptr [rsp+0x30], rdi"},
	{"48 89 84 24 00 04 00 00", "mov qword ptr [rsp+0x400], rax"},
	{"48 8b 44 d3 10", "mov rax, qword ptr [rbx+8*rdx+0x10]"},
	{"89 54 b7 e0", "mov dword ptr [rdi+4*rsi-0x20], edx"},
	{"48 89 0c 44", "mov qword ptr [rsp+2*rax], rcx"},
	{"4b 8b 04 2c", "mov rax, qword ptr [r12+r13]"},
	{"49 8b 45 00", "mov rax, qword ptr [r13]"},
	{"48 8b 45 00", "mov rax, qword ptr [rbp]"},
	{"4f 8b 54 48 7f", "mov r10, qword ptr [r8+2*r9+0x7f]"},
	{"48 89 05 00 01 00 00", "mov qword ptr [rip+0x100], rax"},
	{"8b 05 00 ff ff ff", "mov eax, dword ptr [rip+0xffffff00]"},
	{"c6 05 10 00 00 00 05", "mov byte ptr [rip+0x10], 0x5"},
	{"48 c7 45 f0 ff ff ff ff", "mov qword ptr [rbp-0x10], -0x1"},
	{"c7 44 24 04 00 00 00 80", "mov dword ptr [rsp+0x4], -0x80000000"},
	{"66 c7 45 fa ef be", "mov word ptr [rbp-0x6], -0x4111"},
	{"c6 44 24 03 9c", "mov byte ptr [rsp+0x3], 0x9c"},
	{"48 c7 04 24 ff ff ff 7f", "mov qword ptr [rsp], 0x7fffffff"},
	{"64 48 8b 04 25 28 00 00 00", "mov rax, qword ptr fs:[0x28]"},
	{"64 48 89 0c 25 10 00 00 00", "mov qword ptr fs:[0x10], rcx"},
	{"65 8b 04 25 08 00 00 00", "mov eax, dword ptr gs:[0x8]"},
	{"64 48 8b 03", "mov rax, qword ptr fs:[rbx]"},
	{"67 8b 4b 04", "mov ecx, dword ptr [ebx+0x4]"},
	{"67 89 4c 44 08", "mov dword ptr [esp+2*eax+0x8], ecx"},
	{"a1 10 20 00 40 00 00 00 00", "mov eax, dword ptr [0x40002010]"},
	{"48 a3 18 20 00 40 00 00 00 00", "mov qword ptr [0x40002018], rax"},
	{"a0 01 20 00 40 00 00 00 00", "mov al, byte ptr [0x40002001]"},
	{"89 0c 25 20 20 00 40", "mov dword ptr [0x40002020], ecx"},
	{"48 8b 04 cd 00 20 00 40", "mov rax, qword ptr [8*rcx+0x40002000]"},
	{"0f b6 45 ff", "movzx eax, byte ptr [rbp-0x1]"},
	{"0f b7 44 24 02", "movzx eax, word ptr [rsp+0x2]"},
	{"48 0f b6 c3", "movzx rax, bl"},
	{"0f b6 cc", "movzx ecx, ah"},
	{"66 0f b6 c3", "movzx ax, bl"},
	{"0f be 45 ff", "movsx eax, byte ptr [rbp-0x1]"},
	{"48 0f bf 04 24", "movsx rax, word ptr [rsp]"},
	{"0f be ca", "movsx ecx, dl"},
	{"48 63 45 fc", "movsxd rax, dword ptr [rbp-0x4]"},
	{"48 63 d1", "movsxd rdx, ecx"},
	{"66 0f be c0", "movsx ax, al"},
	{"48 8d 45 e0", "lea rax, ptr [rbp-0x20]"},
	{"8d 44 b7 10", "lea eax, ptr [rdi+4*rsi+0x10]"},
	{"66 8d 43 01", "lea ax, ptr [rbx+0x1]"},
	{"48 8d 64 24 f8", "lea rsp, ptr [rsp-0x8]"},
	{"48 8d 3d 23 01 00 00", "lea rdi, ptr [rip+0x123]"},
	{"64 48 8d 43 08", "lea rax, ptr [rbx+0x8]"},
	{"67 8d 04 0b", "lea eax, ptr [ebx+ecx]"},
	{"48 8d 04 c5 00 00 00 00", "lea rax, ptr [8*rax]"},
	{"55", "push rbp"},
	{"41 56", "push r14"},
	{"54", "push rsp"},
	{"6a 01", "push 0x1"},
	{"6a 80", "push 0xffffff80"},
	{"68 78 56 34 12", "push 0x12345678"},
	{"66 50", "push ax"},
	{"66 68 34 12", "push 0x1234"},
	{"5d", "pop rbp"},
	{"41 5c", "pop r12"},
	{"5c", "pop rsp"},
	{"66 58", "pop ax"},
	{"48 83 ec 08", "sub rsp, 0x8"},
	{"48 81 ec 00 10 00 00", "sub rsp, 0x1000"},
	{"48 83 c4 28", "add rsp, 0x28"},
	{"48 83 e4 f0", "and rsp, -0x10"},
	{"31 c0", "xor eax, eax"},
	{"45 31 c0", "xor r8d, r8d"},
	{"48 85 ff", "test rdi, rdi"},
	{"a8 01", "test al, 0x1"},
	{"81 ff ff ff ff 7f", "cmp edi, 0x7fffffff"},
	{"48 39 d8", "cmp rax, rbx"},
	{"80 7d ff 00", "cmp byte ptr [rbp-0x1], 0x0"},
	{"48 39 44 24 08", "cmp qword ptr [rsp+0x8], rax"},
	{"48 3b 44 24 08", "cmp rax, qword ptr [rsp+0x8]"},
	{"f7 04 24 01 00 00 00", "test dword ptr [rsp], 0x1"},
	{"84 45 ff", "test byte ptr [rbp-0x1], al"},
	{"03 45 f8", "add eax, dword ptr [rbp-0x8]"},
	{"48 2b 04 24", "sub rax, qword ptr [rsp]"},
	{"25 ff 00 00 00", "and eax, 0xff"},
	{"48 83 c8 ff", "or rax, -0x1"},
	{"80 c9 80", "or cl, 0x80"},
	{"04 7f", "add al, 0x7f"},
	{"66 83 e8 01", "sub ax, 0x1"},
	{"4d 01 d1", "add r9, r10"},
	{"28 dc", "sub ah, bl"},
	{"30 ed", "xor ch, ch"},
	{"48 03 05 40 00 00 00", "add rax, qword ptr [rip+0x40]"},
	{"64 83 3c 25 18 00 00 00 00", "cmp dword ptr fs:[0x18], 0x0"},
	{"ff c0", "inc eax"},
	{"48 ff cf", "dec rdi"},
	{"66 41 ff c0", "inc r8w"},
	{"fe cb", "dec bl"},
	{"fe c4", "inc ah"},
	{"eb 1e", "jmp .+0x1e"},
	{"e9 fb 0f 00 00", "jmp .+0xffb"},
	{"e9 fb fe ff ff", "jmp .-0x105"},
	{"74 0e", "jz .+0xe"},
	{"0f 85 fa 03 00 00", "jnz .+0x3fa"},
	{"7c de", "jl .-0x22"},
	{"7f 06", "jnle .+0x6"},
	{"72 06", "jb .+0x6"},
	{"73 06", "jnb .+0x6"},
	{"76 06", "jbe .+0x6"},
	{"77 06", "jnbe .+0x6"},
	{"78 06", "js .+0x6"},
	{"79 06", "jns .+0x6"},
	{"7a 06", "jp .+0x6"},
	{"7b 06", "jnp .+0x6"},
	{"70 06", "jo .+0x6"},
	{"71 06", "jno .+0x6"},
	{"7e 06", "jle .+0x6"},
	{"7d f6", "jnl .-0xa"},
	{"ff e0", "jmp rax"},
	{"41 ff e3", "jmp r11"},
	{"ff 64 24 08", "jmp qword ptr [rsp+0x8]"},
	{"ff 25 00 01 00 00", "jmp qword ptr [rip+0x100]"},
}

// disasm is x86asm's Intel syntax for code, "endbr" for endbr64 and
// endbr32, or the decoding error.
func disasm(code []byte) string {
	if endbr(code) {
		return "endbr"
	}
	inst, err := x86asm.Decode(code, 64)
	if err != nil {
		return err.Error()
	}
	return x86asm.IntelSyntax(inst, 0, nil)
}

// TestEmulatedTable: the table's bytes are the instructions it names.
func TestEmulatedTable(t *testing.T) {
	for _, tc := range emulatedTable {
		if got := disasm(hexBytes(t, tc.code)); got != tc.text {
			t.Errorf("%s: %q, the table says %q", tc.code, got, tc.text)
		}
	}
}

// flatMem is a memory of any address: reads give the address's bytes,
// writes are recorded.
type flatMem struct {
	accesses []arch.MemAccess
	refuse   error
}

func (m *flatMem) Access(a arch.MemAccess, buf []byte) error {
	if m.refuse != nil {
		return m.refuse
	}
	m.accesses = append(m.accesses, a)
	if !a.Write {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], a.Addr)
		copy(buf, w[:])
	}
	return nil
}

func TestEmulateRefuses(t *testing.T) {
	for _, tc := range []struct{ code, why string }{
		{"f0 48 83 00 01", "prefix"},                 // lock add qword ptr [rax], 1
		{"48 83 45 f8 01", "add qword ptr"},          // read-modify-write of memory
		{"48 01 03", "add qword ptr"},                // the same, from a register
		{"ff 00", "inc dword ptr"},                   // inc of memory
		{"f3 aa", "prefix"},                          // rep stosb
		{"f3 90", "prefix"},                          // pause
		{"0f 05", "syscall"},                         //
		{"e8 00 00 00 00", "call"},                   // a shadow stack would need the return address too
		{"c3", "ret"},                                //
		{"ff d0", "call"},                            // call rax
		{"66 e9 00 00 00 00", "operand-size prefix"}, // jmp with a 16-bit operand
		{"ff 14 24", "call qword ptr"},               // call [rsp]: two accesses
		{"ff 15 00 01 00 00", "call qword ptr"},      // call [rip+0x100]
		{"e3 fe", "jrcxz"},                           //
		{"e2 fe", "loop"},                            //
		{"ff 2c 24", "jmp far"},                      // far jump through memory
		{"ff e4", "% x"},                             // jmp rsp: fine, a control
		{"ff 75 10", "push qword ptr"},               // push of memory: two accesses
		{"8f 00", "pop qword ptr"},                   //
		{"8e d8", "mov ds"},                          // mov ds, eax
		{"8c d8", "ds"},                              // mov eax, ds
		{"0f 20 c0", "register CR0"},                 // mov rax, cr0
		{"0f 28 04 24", "movaps"},                    //
		{"48 87 d8", "xchg"},                         //
		{"48 11 d8", "adc"},                          //
		{"cc", "int3"},                               //
		{"f4", "hlt"},                                //
		{"0f a0", "push fs"},                         // push fs
		{"67 8b 05 00 01 00 00", "register EIP"},     // eip-relative
		{"c5 fd 6f 04 24", "prefix"},                 // vmovdqa ymm0, [rsp]
		{"48 c1 e0 04", "shl"},                       //
		{"0f b1 0b", "cmpxchg"},                      //
		{"", "% x"},                                  // nothing to decode
		{"48", "truncated"},                          // a lone REX
		{"8b 84 24 00 01", "truncated"},              // cut in its displacement
		{"48 8d c0", "% x"},                          // lea rax, rax does not exist
		{"fe 38", "% x"},                             // fe /7 does not exist
		{"66 0f b6 05 00 00 00 00 90", "movzx"},      // fine: a control, see below
		{"0f 1e fa", "% x"},                          // x86asm knows no such nop
		{"f2 0f 1e fa", "% x"},                       // not endbr64
		{"f3 0f 1e fc", "% x"},                       // not endbr64
		{"f3 48 0f 1e fa", "% x"},                    // rdsspq? not endbr64
		{"36 8f 04 24", "pop qword ptr"},             // pop of memory
		{"65 48 8b 04 25 00 00 00 00", "gs-ok"},      // fine: gs-based load
		{"9c", "pushfq"},                             //
		{"0f 0b", "ud2"},                             //
		{"48 63 c0", "movsxd"},                       // fine
		{"c6 f8 00", "xabort"},                       // c6 f8 is xabort, not mov
		{"48 c7 f8 00 00 00 00", "xbegin"},           // c7 f8 is xbegin
		{"8d 04 25 00 00 00 00", "lea"},              // fine: lea eax, [0]
		{"0f 1f 80 00 00 00 00", "nop"},              // fine
		{"6a 01", "push"},                            // fine
		{"66 6a 01", "push"},                         // fine: push of 2 bytes
	} {
		code := hexBytes(t, tc.code)
		r := testRegs()
		r.Rip = 0x401000
		out, err := New().Emulate(code, r, &flatMem{})
		fine := tc.why == "nop" || tc.why == "movzx" || tc.why == "gs-ok" || tc.why == "movsxd" || tc.why == "lea" || tc.why == "push"
		if tc.code == "ff e4" {
			if out, err := New().Emulate(code, r, &flatMem{}); err != nil || out.PC() != r.Rsp {
				t.Errorf("jmp rsp: %v, %v", out, err)
			}
			continue
		}
		if fine {
			if err != nil {
				t.Errorf("% x (%s): %v", code, disasm(code), err)
			} else if out.PC() != r.Rip+uint64(len(code))-map[bool]uint64{true: 1}[tc.why == "movzx"] {
				t.Errorf("% x (%s): pc %#x", code, disasm(code), out.PC())
			}
			continue
		}
		if err == nil {
			t.Errorf("% x (%s): emulated, should be refused", code, disasm(code))
			continue
		}
		if !errors.Is(err, ErrNotEmulated) {
			t.Errorf("% x (%s): refused with %v, not ErrNotEmulated", code, disasm(code), err)
		}
		if tc.why != "% x" && !strings.Contains(err.Error(), tc.why) {
			t.Errorf("% x (%s): %q does not say %q", code, disasm(code), err, tc.why)
		}
	}
	// The mode and the thread: 32-bit code, a thread that steps itself.
	r := testRegs()
	if _, err := New32().Emulate([]byte{0x90}, r, &flatMem{}); !errors.Is(err, arch.ErrNoEmulation) {
		t.Errorf("32-bit backend: %v", err)
	}
	r.Cs = UserCS32
	if _, err := New().Emulate([]byte{0x90}, r, &flatMem{}); !errors.Is(err, ErrNotEmulated) {
		t.Errorf("a thread in 32-bit code: %v", err)
	}
	// A branch to a non-canonical address faults on the CPU.
	r = testRegs()
	r.Rax = 0x0000800000000000
	if _, err := New().Emulate([]byte{0xff, 0xe0}, r, &flatMem{}); !errors.Is(err, errFault) || !strings.Contains(err.Error(), "non-canonical") {
		t.Errorf("jmp rax to %#x: %v", r.Rax, err)
	}
	r = testRegs()
	r.Eflags |= flagTF
	if _, err := New().Emulate([]byte{0x90}, r, &flatMem{}); !errors.Is(err, ErrNotEmulated) || !strings.Contains(err.Error(), "TF") {
		t.Errorf("TF set: %v", err)
	}
	if _, err := New().Emulate([]byte{0x90}, nil, &flatMem{}); err == nil {
		t.Error("nil registers: emulated")
	}
}

// TestEmulateRefusedAccess: a refused access refuses the emulation, with
// its reason, and leaves the registers given alone.
func TestEmulateRefusedAccess(t *testing.T) {
	no := errors.New("watched")
	for _, code := range []string{"48 89 7d f8", "48 8b 45 f8", "55", "5d", "48 39 44 24 08"} {
		r := testRegs()
		before := *r
		_, err := New().Emulate(hexBytes(t, code), r, &flatMem{refuse: no})
		if !errors.Is(err, no) {
			t.Errorf("%s: %v, want the memory's refusal", code, err)
		}
		if *r != before {
			t.Errorf("%s: the registers given changed", code)
		}
	}
}

// TestEmulateVia: how each access is addressed, and where.
func TestEmulateVia(t *testing.T) {
	r := testRegs() // rbx 0x2000, rbp 0x7ff0, rsp 0x7f00, fs 0x7f0000000000, gs 0x100000
	const pc = 0x401000
	for _, tc := range []struct {
		code  string
		via   arch.Via
		addr  uint64
		n     int
		write bool
	}{
		{"48 89 7d f8", arch.ViaStack, 0x7ff0 - 8, 8, true},               // mov [rbp-8], rdi
		{"8b 44 24 08", arch.ViaStack, 0x7f08, 4, false},                  // mov eax, [rsp+8]
		{"8b 04 0c", arch.ViaStack, 0x7f03, 4, false},                     // mov eax, [rsp+rcx]
		{"55", arch.ViaStack, 0x7f00 - 8, 8, true},                        // push rbp
		{"66 55", arch.ViaStack, 0x7f00 - 2, 2, true},                     // push bp
		{"5d", arch.ViaStack, 0x7f00, 8, false},                           // pop rbp
		{"48 89 05 00 01 00 00", arch.ViaStatic, pc + 7 + 0x100, 8, true}, // mov [rip+0x100], rax
		{"8b 05 00 ff ff ff", arch.ViaStatic, pc + 6 - 0x100, 4, false},   // mov eax, [rip-0x100]
		{"89 0c 25 20 20 00 40", arch.ViaStatic, 0x40002020, 4, true},     // mov [0x40002020], ecx
		{"8b 0c 25 00 00 00 80", arch.ViaStatic, 0xffffffff80000000, 4, false},
		{"48 a1 10 20 00 40 00 00 00 80", arch.ViaStatic, 0x8000000040002010, 8, false},
		{"48 8b 04 cd 00 20 00 40", arch.ViaOther, 0x40002000 + 3*8, 8, false}, // a table
		{"64 48 8b 04 25 28 00 00 00", arch.ViaThread, 0x7f0000000028, 8, false},
		{"65 89 43 08", arch.ViaThread, 0x100000 + 0x2008, 4, true}, // mov gs:[rbx+8], eax
		{"48 89 03", arch.ViaOther, 0x2000, 8, true},                // mov [rbx], rax
		{"67 8b 43 fc", arch.ViaOther, 0x2000 - 4, 4, false},        // mov eax, [ebx-4]
		{"3e 89 03", arch.ViaOther, 0x2000, 4, true},                // ds: is flat
	} {
		m := &flatMem{}
		r.Rip = pc
		if _, err := New().Emulate(hexBytes(t, tc.code), r, m); err != nil {
			t.Errorf("%s (%s): %v", tc.code, disasm(hexBytes(t, tc.code)), err)
			continue
		}
		want := arch.MemAccess{Addr: tc.addr, Len: tc.n, Write: tc.write, Via: tc.via}
		if len(m.accesses) != 1 || m.accesses[0] != want {
			t.Errorf("%s (%s): accesses %+v, want %+v", tc.code, disasm(hexBytes(t, tc.code)), m.accesses, want)
		}
	}
}

// FuzzEmulate: any bytes, from any registers. The emulator never panics;
// what it emulates is one of the instructions it knows, leaves the pc
// after it, changes no register but the general ones, the pc and the
// arithmetic flags, and makes at most one access of at most 8 bytes.
func FuzzEmulate(f *testing.F) {
	for _, tc := range emulatedTable {
		f.Add(hexBytes(f, tc.code), uint64(0x7f00), uint64(0x893))
	}
	for _, s := range []string{"f0 48 83 00 01", "c5 fd 6f 04 24", "67 8b 05 00 01 00 00", "f3 0f 1e fa", "0f 05"} {
		f.Add(hexBytes(f, s), uint64(0x7f00), uint64(0x202))
	}
	known := map[x86asm.Op]bool{x86asm.NOP: true, x86asm.MOV: true, x86asm.MOVZX: true, x86asm.MOVSX: true,
		x86asm.MOVSXD: true, x86asm.LEA: true, x86asm.PUSH: true, x86asm.POP: true, x86asm.ADD: true,
		x86asm.SUB: true, x86asm.CMP: true, x86asm.AND: true, x86asm.OR: true, x86asm.XOR: true,
		x86asm.TEST: true, x86asm.INC: true, x86asm.DEC: true, x86asm.JMP: true,
		x86asm.JO: true, x86asm.JNO: true, x86asm.JB: true, x86asm.JAE: true, x86asm.JE: true, x86asm.JNE: true,
		x86asm.JBE: true, x86asm.JA: true, x86asm.JS: true, x86asm.JNS: true, x86asm.JP: true, x86asm.JNP: true,
		x86asm.JL: true, x86asm.JGE: true, x86asm.JLE: true, x86asm.JG: true}
	f.Fuzz(func(t *testing.T, code []byte, sp, flags uint64) {
		r := testRegs()
		r.Rsp, r.Eflags = sp, flags
		before := *r
		m := &flatMem{}
		out, err := New().Emulate(code, r, m)
		if *r != before {
			t.Fatalf("% x: the registers given changed", code)
		}
		if err != nil {
			if strings.Contains(err.Error(), "x86asm failed") {
				t.Fatalf("% x: %v", code, err)
			}
			return
		}
		after := *out.(*Regs)
		n, branch := 4, false
		if !endbr(code) {
			inst, derr := x86asm.Decode(code, 64)
			if derr != nil || !known[inst.Op] {
				t.Fatalf("% x (%s): emulated an instruction it does not know (%v)", code, disasm(code), derr)
			}
			n = inst.Len
			_, rel := inst.Args[0].(x86asm.Rel)
			branch = rel || inst.Op == x86asm.JMP
		}
		if after.Rip != uint64(int64(after.Rip<<16)>>16) {
			t.Fatalf("% x (%s): non-canonical pc %#x", code, disasm(code), after.Rip)
		}
		if !branch && after.Rip != before.Rip+uint64(n) {
			t.Fatalf("% x (%s): pc %#x, want %#x", code, disasm(code), after.Rip, before.Rip+uint64(n))
		}
		if after.Eflags&^arithFlags != before.Eflags&^arithFlags {
			t.Fatalf("% x (%s): flags %#x from %#x", code, disasm(code), after.Eflags, before.Eflags)
		}
		for i := 0; i < 16; i++ {
			*after.gpr(i), *before.gpr(i) = 0, 0
		}
		after.Rip, after.Eflags, before.Rip, before.Eflags = 0, 0, 0, 0
		if after != before {
			t.Fatalf("% x (%s): changed a register that is not a general one", code, disasm(code))
		}
		if len(m.accesses) > 1 || (len(m.accesses) == 1 && (m.accesses[0].Len <= 0 || m.accesses[0].Len > 8 || m.accesses[0].Via == 0)) {
			t.Fatalf("% x (%s): accesses %+v", code, disasm(code), m.accesses)
		}
	})
}
