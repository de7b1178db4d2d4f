package debuginfo

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"hwdbg/arch"
)

// wordMemory is a sparse little-endian memory of 4-byte words.
type wordMemory map[uint64]uint32

func (m wordMemory) ReadMemory(addr uint64, b []byte) error {
	for i := range b {
		a := addr + uint64(i)
		w, ok := m[a&^3]
		if !ok {
			return fmt.Errorf("unmapped %#x", a)
		}
		b[i] = byte(w >> (8 * (a & 3)))
	}
	return nil
}

// TestUnwindFramePointers386 follows an i386 frame-pointer chain, without
// CFI: the saved ebp at [ebp], the return address at [ebp+4], and the
// caller's esp at ebp+8. Reading 8-byte words would take the return
// address as the high half of the saved ebp.
func TestUnwindFramePointers386(t *testing.T) {
	mem := wordMemory{
		0xffffd000: 0xffffd020, 0xffffd004: 0x08049111, // bump's frame
		0xffffd020: 0xffffd040, 0xffffd024: 0x08049222, // outer's
		0xffffd040: 0, 0xffffd044: 0x08049333, // main's: the chain ends
	}
	regs := map[int]uint64{4: 0xffffcff0, 5: 0xffffd000, 8: 0x08049100}
	frames, err := Unwind(arch.DWARFRegsOf(elf.EM_386), nil, 0x08049100, regs, mem, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ pc, cfa, sp uint64 }{
		{0x08049100, 0xffffd008, 0xffffcff0},
		{0x08049111, 0xffffd028, 0xffffd008},
		{0x08049222, 0xffffd048, 0xffffd028},
	}
	if len(frames) < len(want) {
		t.Fatalf("%d frames, want at least %d: %+v", len(frames), len(want), frames)
	}
	for i, w := range want {
		f := frames[i]
		if f.PC != w.pc || f.CFA != w.cfa || f.Regs[4] != w.sp {
			t.Errorf("frame %d: pc %#x cfa %#x esp %#x, want %#x %#x %#x", i, f.PC, f.CFA, f.Regs[4], w.pc, w.cfa, w.sp)
		}
	}
	if _, err := Unwind(arch.DWARFRegsOf(elf.EM_386), nil, 0x08049100, map[int]uint64{7: 1}, mem, 10); err == nil || !strings.Contains(err.Error(), "esp") {
		t.Errorf("no esp: %v", err)
	}
}

// vdsoImage reads this process's vDSO from memory, and where it is mapped.
func vdsoImage(t *testing.T) ([]byte, uint64) {
	t.Helper()
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		t.Skipf("no /proc/self/maps: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[5] != "[vdso]" {
			continue
		}
		lo, hi, _ := strings.Cut(fields[0], "-")
		start, _ := strconv.ParseUint(lo, 16, 64)
		end, _ := strconv.ParseUint(hi, 16, 64)
		mem, err := os.Open("/proc/self/mem")
		if err != nil {
			t.Skipf("no /proc/self/mem: %v", err)
		}
		defer mem.Close()
		b := make([]byte, end-start)
		if _, err := mem.ReadAt(b, int64(start)); err != nil {
			t.Fatalf("read the vdso: %v", err)
		}
		return b, start
	}
	t.Skip("this process has no vDSO")
	return nil, 0
}

// TestLoadCFIImage reads the CFI of this process's own vDSO from memory:
// every function the vDSO exports starts an FDE at its run-time address.
func TestLoadCFIImage(t *testing.T) {
	image, start := vdsoImage(t)
	c, err := LoadCFIImage("[vdso]", image, start)
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() == 0 {
		t.Fatal("no FDEs in the vDSO")
	}
	f, err := elf.NewFile(bytes.NewReader(image))
	if err != nil {
		t.Fatal(err)
	}
	syms, err := f.DynamicSymbols()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) != elf.STT_FUNC || s.Value == 0 || s.Size == 0 {
			continue
		}
		at := start + s.Value
		if got, ok := c.FuncStart(at + s.Size/2); !ok || got != at {
			t.Errorf("%s at %#x: FuncStart says %#x, %v", s.Name, at, got, ok)
		}
		checked++
	}
	if checked == 0 {
		t.Skip("the vDSO exports no function with a size")
	}
}

func TestLoadCFIImageErrors(t *testing.T) {
	hdr := make([]byte, 64)
	copy(hdr, elf.ELFMAG)
	hdr[elf.EI_CLASS], hdr[elf.EI_DATA], hdr[elf.EI_VERSION] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), 1
	binary.LittleEndian.PutUint16(hdr[16:], uint16(elf.ET_DYN))
	for name, image := range map[string][]byte{
		"empty":       nil,
		"not ELF":     []byte("hello, world"),
		"no segments": hdr,
	} {
		if c, err := LoadCFIImage("[vdso]", image, 0xf7fc0000); err == nil || c != nil || !strings.Contains(err.Error(), "[vdso]") {
			t.Errorf("%s: %v, %v; want an error naming the image", name, c, err)
		}
	}
}

func FuzzLoadCFIImage(f *testing.F) {
	f.Add([]byte("\x7fELF\x01\x01\x01"), uint64(0xf7fc0000))
	f.Add(make([]byte, 64), uint64(0))
	f.Fuzz(func(t *testing.T, image []byte, start uint64) {
		c, err := LoadCFIImage("[vdso]", image, start)
		if err == nil && c != nil {
			c.FuncStart(start)
		}
	})
}
