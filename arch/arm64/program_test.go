package arm64

import (
	"debug/elf"
	"strings"
	"testing"
)

func TestForProgram(t *testing.T) {
	b := New()
	tests := []struct {
		class   elf.Class
		machine elf.Machine
		refusal string // a word the refusal must hold; "" when accepted
	}{
		{elf.ELFCLASS64, elf.EM_AARCH64, ""},
		{elf.ELFCLASS32, elf.EM_ARM, "32-bit ARM"},
		{elf.ELFCLASS32, elf.EM_AARCH64, "32-bit ARM"},
		{elf.ELFCLASS64, elf.EM_X86_64, "X86_64"},
		{elf.ELFCLASS32, elf.EM_386, "386"},
	}
	for _, tc := range tests {
		got, err := b.ForProgram(tc.class, tc.machine)
		if tc.refusal == "" {
			if err != nil || got != b {
				t.Errorf("%v %v: %v, %v; want the backend itself (it keeps the threads' slots)", tc.class, tc.machine, got, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.refusal) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v %v: %v, want one line naming %q", tc.class, tc.machine, err, tc.refusal)
		}
	}
}
