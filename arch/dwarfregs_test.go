package arch

import (
	"debug/elf"
	"testing"
)

func TestDWARFRegNames(t *testing.T) {
	for _, tc := range []struct {
		machine elf.Machine
		names   map[int]string
	}{
		{elf.EM_386, map[int]string{0: "eax", 1: "ecx", 2: "edx", 3: "ebx", 4: "esp", 5: "ebp", 6: "esi", 7: "edi", 8: "eip", 21: "xmm0", 28: "xmm7", 40: "r40"}},
		{elf.EM_X86_64, map[int]string{0: "rax", 1: "rdx", 2: "rcx", 3: "rbx", 6: "rbp", 7: "rsp", 16: "rip", 17: "xmm0", 32: "xmm15", 33: "r33", -1: "r-1"}},
		{elf.EM_AARCH64, map[int]string{0: "x0", 28: "x28", 29: "fp", 30: "lr", 31: "sp", 32: "r32", 64: "v0", 95: "v31", 96: "r96"}},
		{elf.EM_RISCV, map[int]string{0: "r0", 2: "r2"}},
	} {
		r := DWARFRegsOf(tc.machine)
		for reg, want := range tc.names {
			if got := r.Name(reg); got != want {
				t.Errorf("%v: Name(%d) = %q, want %q", tc.machine, reg, got, want)
			}
		}
	}
}

func TestDWARFRegsUnwindNumbers(t *testing.T) {
	for _, tc := range []struct {
		machine          elf.Machine
		name             string
		sp, fp, ra, word int
		sn, fn           string
	}{
		{elf.EM_X86_64, "amd64", 7, 6, 16, 8, "rsp", "rbp"},
		{elf.EM_386, "386", 4, 5, 8, 4, "esp", "ebp"},
		{elf.EM_AARCH64, "arm64", 31, 29, 30, 8, "sp", "fp"},
	} {
		r := DWARFRegsOf(tc.machine)
		if r == nil || r.Machine != tc.name || r.SP != tc.sp || r.FP != tc.fp || r.RA != tc.ra || r.Word != tc.word {
			t.Errorf("%v: %+v", tc.machine, r)
			continue
		}
		if r.Name(r.SP) != tc.sn || r.Name(r.FP) != tc.fn {
			t.Errorf("%v: sp %q, fp %q", tc.machine, r.Name(r.SP), r.Name(r.FP))
		}
	}
	if DWARFRegsOf(elf.EM_RISCV) != nil {
		t.Error("a numbering for riscv")
	}
}
