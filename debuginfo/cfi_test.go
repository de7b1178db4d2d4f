package debuginfo

import (
	"debug/elf"
	"encoding/binary"
	"testing"

	"hwdbg/arch"
	"hwdbg/debuginfo/internal/dwtest"
)

// TestCFIRows checks the rows of gcc -O0's prologue in the C program's
// .eh_frame: at entry CFA = rsp+8 with the return address at CFA-8;
// after "push rbp; mov rbp, rsp" CFA = rbp+16 with rbp saved at CFA-16.
func TestCFIRows(t *testing.T) {
	path := build(t, "prog.c")
	in := mustLoad(t, path, 0)
	c, err := in.CFI()
	if err != nil {
		t.Fatal(err)
	}
	entry, ok := in.LookupFunc("c")
	if !ok {
		t.Fatal("no c")
	}
	for _, tc := range []struct {
		pc    uint64
		reg   int
		off   int64
		saved map[int]int64
	}{
		{entry, 7, 8, map[int]int64{16: -8}},
		{entry + 1, 7, 16, map[int]int64{16: -8, 6: -16}},
		{entry + 4, 6, 16, map[int]int64{16: -8, 6: -16}},
	} {
		row, ok, err := c.RowAt(tc.pc)
		if !ok || err != nil || row.CFAReg != tc.reg || row.CFAOff != tc.off || row.RA != 16 {
			t.Errorf("RowAt(c+%d) = %+v, %v, %v", tc.pc-entry, row, ok, err)
			continue
		}
		for r, off := range tc.saved {
			if row.Saved[r] != off {
				t.Errorf("RowAt(c+%d): reg %d saved at %d, want %d", tc.pc-entry, r, row.Saved[r], off)
			}
		}
	}
	if _, ok, _ := c.RowAt(0x10); ok {
		t.Error("RowAt(0x10) found an FDE")
	}
}

func cfiSeeds(f *testing.F) {
	path := build(f, "prog.c")
	ef, err := elf.Open(path)
	if err != nil {
		f.Fatal(err)
	}
	defer ef.Close()
	if s := ef.Section(".eh_frame"); s != nil {
		b, _ := s.Data()
		f.Add(b, true, s.Addr)
	}
	if s := ef.Section(".debug_frame"); s != nil {
		b, _ := s.Data()
		f.Add(b, false, uint64(0))
	}
}

func FuzzCFI(f *testing.F) {
	cfiSeeds(f)
	f.Add([]byte{0x10, 0, 0, 0, 0, 0, 0, 0, 1, 'z', 'R', 0, 1, 0x78, 0x10, 1, 0x1b, 0x0c, 7, 8}, true, uint64(0x2000))
	f.Fuzz(func(t *testing.T, b []byte, eh bool, secAddr uint64) {
		c, err := ParseCFI(b, eh, secAddr, binary.LittleEndian, 8)
		if c == nil {
			if err == nil {
				t.Fatal("nil CFI without an error")
			}
			return
		}
		amd64, arm64 := arch.DWARFRegsOf(elf.EM_X86_64), arch.DWARFRegsOf(elf.EM_AARCH64)
		for i := 0; i < c.t.Len() && i <= 50; i++ {
			fd := c.t.FDE(i)
			c.RowAt(fd.Lo)
			c.RowAt(fd.Lo + (fd.Hi-fd.Lo)/2)
			Unwind(amd64, []*CFI{c}, fd.Lo+1, map[int]uint64{7: 0x7000, 6: 0x7100}, dwtest.PatternMemory{}, 8)
			Unwind(arm64, []*CFI{c}, fd.Lo+1, map[int]uint64{31: 0x7000, 29: 0x7100, 30: 0x5000}, dwtest.PatternMemory{}, 8)
		}
	})
}
