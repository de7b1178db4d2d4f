package symbols

import (
	"debug/elf"
	"regexp"
	"strconv"
	"testing"

	"hwdbg/internal/fixture"
)

// The PLT stubs are named as objdump names them, at the same addresses.
func TestPLTNamesMatchObjdump(t *testing.T) {
	for _, v := range []fixture.Variant{fixture.PIE, fixture.NoPIE} {
		bin := fixture.C(t, "inspecting", v)
		tab, err := Load(bin, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := map[uint64]string{}
		for _, m := range regexp.MustCompile(`(?m)^([0-9a-f]+) <([A-Za-z_][\w.]*@plt)>:$`).FindAllStringSubmatch(fixture.Tool(t, "objdump", bin), -1) {
			a, _ := strconv.ParseUint(m[1], 16, 64)
			want[a] = m[2]
		}
		if f, err := elf.Open(bin); err == nil {
			dynamic := f.Section(".interp") != nil
			f.Close()
			if dynamic && len(want) == 0 {
				t.Fatalf("%s: objdump names no PLT stub in a dynamic program", v)
			}
		}
		got := map[uint64]string{}
		for _, s := range tab.plt {
			got[s.Addr] = s.Name
		}
		for a, n := range want {
			if got[a] != n {
				t.Errorf("%s: %#x is %q, objdump says %q", v, a, got[a], n)
			}
			if s, ok := tab.PLTAt(a + 4); !ok || s.Name != n {
				t.Errorf("%s: PLTAt(%#x+4) = %v, %v", v, a, s, ok)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: named %v, objdump %v", v, got, want)
		}
	}
}

func TestStubSlot(t *testing.T) {
	cases := []struct {
		m         elf.Machine
		code      []byte
		addr, got uint64
		slot      uint64
		ok        bool
	}{
		// endbr64; bnd jmp *0x2fe2(%rip)
		{elf.EM_X86_64, []byte{0xf3, 0x0f, 0x1e, 0xfa, 0xf2, 0xff, 0x25, 0xe2, 0x2f, 0, 0, 0x0f, 0x1f, 0x44, 0, 0}, 0x1030, 0, 0x1030 + 11 + 0x2fe2, true},
		// jmp *0x804c00c
		{elf.EM_386, []byte{0xff, 0x25, 0x0c, 0xc0, 0x04, 0x08, 0x68, 0, 0, 0, 0, 0xe9, 0, 0, 0, 0}, 0x8049030, 0, 0x804c00c, true},
		// jmp *0xc(%ebx)
		{elf.EM_386, []byte{0xff, 0xa3, 0x0c, 0, 0, 0, 0x68, 0, 0, 0, 0, 0xe9, 0, 0, 0, 0}, 0x1030, 0x3ff4, 0x4000, true},
		// adrp x16, 0x11000; ldr x17, [x16, #0xf80]; add x16, x16, #0xf80; br x17
		{elf.EM_AARCH64, []byte{0x10, 0, 0, 0xb0, 0x11, 0xc2, 0x47, 0xf9, 0x10, 0x02, 0x3e, 0x91, 0x20, 0x02, 0x1f, 0xd6}, 0x10640, 0, 0x11000 + 0xf80, true},
		{elf.EM_X86_64, []byte{0x90, 0x90, 0x90}, 0x1000, 0, 0, false},
	}
	for i, c := range cases {
		slot, ok := stubSlot(c.m, c.code, c.addr, c.got)
		if ok != c.ok || slot != c.slot {
			t.Errorf("case %d: slot %#x %v, want %#x %v", i, slot, ok, c.slot, c.ok)
		}
	}
}

func FuzzStubSlot(f *testing.F) {
	f.Add([]byte{0xff, 0x25, 1, 2, 3, 4}, uint8(0))
	f.Add([]byte{0x90, 0, 0, 0xb0, 0x11, 0xc2, 0x47, 0xf9}, uint8(2))
	f.Fuzz(func(t *testing.T, code []byte, m uint8) {
		machine := []elf.Machine{elf.EM_X86_64, elf.EM_386, elf.EM_AARCH64}[int(m)%3]
		stubSlot(machine, code, 0x1000, 0x4000) // must not panic
	})
}
