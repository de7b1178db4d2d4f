package cfi

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"hwdbg/debuginfo/internal/dwread"
)

var le = binary.LittleEndian

// entry is one CIE or FDE: its 4-byte length, id and body.
func entry(id uint32, body ...byte) []byte {
	b := le.AppendUint32(nil, uint32(4+len(body)))
	b = le.AppendUint32(b, id)
	return append(b, body...)
}

// ehCIE is a version 1 .eh_frame CIE (code alignment 1, data alignment
// -8, return address in 16) with augmentation "zR", FDE pointers in
// encoding enc, and the initial instructions of amd64 (CFA = rsp+8, the
// return address at CFA-8).
func ehCIE(enc byte) []byte {
	return entry(0, 1, 'z', 'R', 0, 1, 0x78, 16, 1, enc, 0x0c, 7, 8, 0x90, 1)
}

// ehFDE is an FDE at off pointing at the CIE at 0, for [lo, lo+n) in
// udata4, with no augmentation data.
func ehFDE(off int, lo, n uint32, insns ...byte) []byte {
	body := le.AppendUint32(nil, lo)
	body = le.AppendUint32(body, n)
	body = append(body, 0)
	return entry(uint32(off+4), append(body, insns...)...)
}

// prologue is gcc -O0's "push rbp; mov rbp, rsp" as CFA instructions.
var prologue = []byte{0x41, 0x0e, 16, 0x86, 2, 0x43, 0x0d, 6}

func TestRows(t *testing.T) {
	cie := ehCIE(0x03)
	sec := append(cie, ehFDE(len(cie), 0x1000, 0x20, prologue...)...)
	sec = append(sec, 0, 0, 0, 0) // terminator
	tab := New(le, 8)
	if err := tab.Add(sec, true, 0x2000, 0); err != nil || tab.Len() != 1 {
		t.Fatalf("Add: %d FDEs, %v", tab.Len(), err)
	}
	for _, tc := range []struct {
		pc    uint64
		reg   int
		off   int64
		saved map[int]int64
	}{
		{0x1000, 7, 8, map[int]int64{16: -8}},
		{0x1001, 7, 16, map[int]int64{16: -8, 6: -16}},
		{0x1004, 6, 16, map[int]int64{16: -8, 6: -16}},
		{0x101f, 6, 16, map[int]int64{16: -8, 6: -16}},
	} {
		f, ok := tab.Find(tc.pc)
		if !ok || f.RA() != 16 || f.Signal() {
			t.Fatalf("Find(%#x) = %+v, %v", tc.pc, f, ok)
		}
		row, err := tab.Row(f, tc.pc)
		if err != nil || row.CFAReg != tc.reg || row.CFAOff != tc.off || row.CFAExpr != nil {
			t.Errorf("Row(%#x) = %+v, %v", tc.pc, row, err)
			continue
		}
		for r, off := range tc.saved {
			if rule := row.Regs[r]; rule.Kind != RuleOffset || rule.Off != off {
				t.Errorf("Row(%#x): reg %d rule %+v, want saved at %d", tc.pc, r, row.Regs[r], off)
			}
		}
	}
	for _, pc := range []uint64{0xfff, 0x1020} {
		if _, ok := tab.Find(pc); ok {
			t.Errorf("Find(%#x) found an FDE", pc)
		}
	}
}

func TestDebugFrame(t *testing.T) {
	// A version 4 CIE (address size 8) and an FDE with 8-byte addresses.
	cie := entry(0xffffffff, 4, 0, 8, 0, 1, 0x78, 16, 0x0c, 7, 8)
	body := le.AppendUint64(nil, 0x401000)
	body = le.AppendUint64(body, 0x10)
	sec := append(cie, entry(0, append(body, prologue...)...)...)
	tab := New(le, 8)
	if err := tab.Add(sec, false, 0, 0); err != nil || tab.Len() != 1 {
		t.Fatalf("Add: %d FDEs, %v", tab.Len(), err)
	}
	f, ok := tab.Find(0x401005)
	if !ok || f.Lo != 0x401000 || f.Hi != 0x401010 {
		t.Fatalf("Find = %+v, %v", f, ok)
	}
	if row, err := tab.Row(f, 0x401005); err != nil || row.CFAReg != 6 || row.CFAOff != 16 {
		t.Errorf("Row = %+v, %v", row, err)
	}
}

// TestDecodeErrors checks that malformed entries are DecodeErrors naming
// the section and the offset of the bad data, and that the entries
// around them are still read.
func TestDecodeErrors(t *testing.T) {
	cie := ehCIE(0x03)
	good := ehFDE(len(cie), 0x1000, 0x20, prologue...)
	badVersion := entry(0, 2, 0, 1, 0x78, 16)
	badAug := entry(0, 1, 'x', 'y', 0, 1, 0x78, 16)
	badAddrSize := entry(0xffffffff, 4, 0, 3, 0, 1, 0x78, 16)
	badEnc := entry(0, 1, 'z', 'R', 0, 1, 0x78, 16, 1, 0x05)
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	for _, tc := range []struct {
		name    string
		sec     []byte
		eh      bool
		fdes    int
		section string
		off     uint64
		msg     string
	}{
		{"length past the end", cat(cie, good, le.AppendUint32(nil, 0x100), []byte{1, 2}), true, 1, ".eh_frame", uint64(len(cie) + len(good)), "entry length 0x100 past the end"},
		{"CIE version", cat(badVersion, cie), true, 0, ".eh_frame", 8, "CIE at 0x0: unsupported CIE version 2"},
		{"augmentation", cat(cie, good, badAug), true, 1, ".eh_frame", uint64(len(cie)+len(good)) + 9, `unknown augmentation "xy"`},
		{"address size", badAddrSize, false, 0, ".debug_frame", 10, "bad address size 3"},
		{"pointer encoding", cat(badEnc, ehFDE(len(badEnc), 0x1000, 0x20)), true, 0, ".eh_frame", uint64(len(badEnc)) + 8, "FDE at 0x11: unknown pointer encoding 0x5"},
		{"truncated FDE", cat(cie, entry(uint32(len(cie)+4), 1, 2)), true, 0, ".eh_frame", uint64(len(cie)) + 8, "FDE at 0x16: truncated data"},
		{"truncated CIE", entry(0, 1, 'z', 'R', 0, 1, 0x78), true, 0, ".eh_frame", 14, "CIE at 0x0: truncated data"},
	} {
		tab := New(le, 8)
		err := tab.Add(tc.sec, tc.eh, 0x2000, 0)
		var de *dwread.DecodeError
		if !errors.As(err, &de) || de.Section != tc.section || de.Offset != tc.off || !strings.Contains(de.Err.Error(), tc.msg) {
			t.Errorf("%s: %v; want a DecodeError in %s at %#x containing %q", tc.name, err, tc.section, tc.off, tc.msg)
		}
		if tab.Len() != tc.fdes {
			t.Errorf("%s: %d FDEs, want %d", tc.name, tab.Len(), tc.fdes)
		}
	}
}

// TestProgramErrors checks the errors of CFA instructions: at the offset
// of the bad instruction in the section, naming the entry.
func TestProgramErrors(t *testing.T) {
	cie := ehCIE(0x03)
	insnsOff := uint64(len(cie)) + 4 + 4 + 8 + 1
	for _, tc := range []struct {
		name  string
		insns []byte
		off   uint64
		msg   string
	}{
		{"unknown instruction", []byte{0x41, 0x3f}, insnsOff + 1, "FDE at 0x16: unknown CFA instruction 0x3f"},
		{"restore_state", []byte{0x0b}, insnsOff, "DW_CFA_restore_state without remember_state"},
		{"truncated def_cfa", []byte{0x41, 0x0c, 7}, insnsOff + 3, "FDE at 0x16: truncated data"},
		{"truncated expression", []byte{0x0f, 5, 1}, insnsOff + 2, "truncated data"},
	} {
		sec := append(append([]byte(nil), cie...), ehFDE(len(cie), 0x1000, 0x20, tc.insns...)...)
		tab := New(le, 8)
		if err := tab.Add(sec, true, 0, 0); err != nil {
			t.Fatalf("%s: Add: %v", tc.name, err)
		}
		f, _ := tab.Find(0x1000)
		_, err := tab.Row(f, 0x1010)
		var de *dwread.DecodeError
		if !errors.As(err, &de) || de.Section != ".eh_frame" || de.Offset != tc.off || !strings.Contains(de.Err.Error(), tc.msg) {
			t.Errorf("%s: %v; want a DecodeError at %#x containing %q", tc.name, err, tc.off, tc.msg)
		}
	}
	// Rows before the bad instruction are still given.
	sec := append(append([]byte(nil), cie...), ehFDE(len(cie), 0x1000, 0x20, 0x41, 0x3f)...)
	tab := New(le, 8)
	tab.Add(sec, true, 0, 0)
	f, _ := tab.Find(0x1000)
	if row, err := tab.Row(f, 0x1000); err != nil || row.CFAReg != 7 || row.CFAOff != 8 {
		t.Errorf("Row before the bad instruction = %+v, %v", row, err)
	}
}

func FuzzParse(f *testing.F) {
	cie := ehCIE(0x1b)
	f.Add(append(cie, ehFDE(len(cie), 0x1000, 0x20, prologue...)...), true, uint64(0x2000))
	f.Add(entry(0xffffffff, 4, 0, 8, 0, 1, 0x78, 16, 0x0c, 7, 8), false, uint64(0))
	f.Fuzz(func(t *testing.T, b []byte, eh bool, secAddr uint64) {
		tab := New(le, 8)
		tab.Add(b, eh, secAddr, 0)
		for i := 0; i < tab.Len() && i < 50; i++ {
			fd := tab.FDE(i)
			tab.Row(fd, fd.Lo)
			tab.Row(fd, fd.Lo+(fd.Hi-fd.Lo)/2)
			tab.Find(fd.Lo)
		}
		tab4 := New(le, 4)
		tab4.Add(b, eh, secAddr, 0)
	})
}
