package debuginfo

import (
	"debug/dwarf"
	"debug/elf"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// patternMemory is a deterministic address space: every byte is a
// function of its address. Addresses below 0x1000 are unmapped.
type patternMemory struct{}

func (patternMemory) ReadMemory(addr uint64, b []byte) error {
	if addr < 0x1000 {
		return errors.New("unmapped")
	}
	for i := range b {
		b[i] = byte((addr + uint64(i)) * 7)
	}
	return nil
}

type regFrame struct {
	regs map[int]uint64
	cfa  uint64
	pc   uint64
}

func (f regFrame) Reg(r int) (uint64, bool) { v, ok := f.regs[r]; return v, ok }
func (f regFrame) CFA() (uint64, bool)      { return f.cfa, f.cfa != 0 }
func (f regFrame) PC() uint64               { return f.pc }

func testCtx() *evalCtx {
	return &evalCtx{
		frame:     regFrame{regs: map[int]uint64{6: 0x7000, 7: 0x6f00}, cfa: 0x7010, pc: 0x401000},
		mem:       patternMemory{},
		order:     binary.LittleEndian,
		ptrSize:   8,
		arch:      "amd64",
		bias:      0x10000,
		addrx:     func(i uint64) (uint64, error) { return 0x4000 + 8*i, nil },
		frameBase: func() (uint64, error) { return 0x7010, nil },
	}
}

func TestEval(t *testing.T) {
	le := func(v uint64) []byte { b := make([]byte, 8); binary.LittleEndian.PutUint64(b, v); return b }
	cat := func(parts ...[]byte) []byte {
		return []byte(strings.Join(func() []string {
			var s []string
			for _, p := range parts {
				s = append(s, string(p))
			}
			return s
		}(), ""))
	}
	for _, tc := range []struct {
		name string
		expr []byte
		want uint64
		err  string
	}{
		{"addr", cat([]byte{opAddr}, le(0x4010)), 0x14010, ""},
		{"addrx", []byte{opAddrx, 2}, 0x4010 + 0x10000, ""},
		{"fbreg -20", []byte{opFbreg, 0x6c}, 0x7010 - 20, ""},
		{"breg7 +8", []byte{opBreg0 + 7, 8}, 0x6f08, ""},
		{"bregx 6 -16", []byte{opBregx, 6, 0x70}, 0x7000 - 16, ""},
		{"cfa", []byte{opCFA}, 0x7010, ""},
		{"lit arithmetic", []byte{opLit0 + 5, opLit0 + 3, opMinus, opLit0 + 4, opMul}, 8, ""},
		{"plus_uconst", []byte{opLit0 + 1, opPlusUconst, 0x80, 0x01}, 129, ""},
		{"deref", []byte{opConst2u, 0x00, 0x20, opDeref}, binary.LittleEndian.Uint64([]byte{0, 7, 14, 21, 28, 35, 42, 49}), ""},
		{"bra taken", []byte{opLit0 + 1, opBra, 1, 0, opLit0 + 9, opLit0 + 2}, 2, ""},
		{"reg0", []byte{opReg0}, 0, "in register rax"},
		{"regx 3", []byte{opRegx, 3}, 0, "in register rbx"},
		{"piece", []byte{opFbreg, 0, opPiece, 4}, 0, "DW_OP_piece"},
		{"stack_value", []byte{opLit0 + 1, opStackValue}, 0, "computed"},
		{"entry_value", []byte{opEntryValue, 1, opReg0 + 5}, 0, "optimized out"},
		{"empty", nil, 0, "optimized out"},
		{"underflow", []byte{opPlus}, 0, "underflow"},
		{"truncated", []byte{opAddr, 1, 2}, 0, "truncated"},
		{"unknown reg", []byte{opBreg0 + 3, 0}, 0, "rbx not known"},
		{"div by zero", []byte{opLit0 + 1, opLit0, opDiv}, 0, "by zero"},
		{"tls", []byte{opLit0, opFormTLS}, 0, "thread-local"},
		{"loop", []byte{opSkip, 0xfd, 0xff}, 0, "does not terminate"},
	} {
		got, err := testCtx().eval(tc.expr)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: got %#x, %v; want error containing %q", tc.name, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: got %#x, %v; want %#x", tc.name, got, err, tc.want)
		}
	}
	// A frame base given as a register means the register's contents.
	c := testCtx()
	c.regValue = true
	if v, err := c.eval([]byte{opReg0 + 6}); err != nil || v != 0x7000 {
		t.Errorf("frame base DW_OP_reg6 = %#x, %v", v, err)
	}
}

func FuzzEvalExpr(f *testing.F) {
	f.Add([]byte{opFbreg, 0x6c})
	f.Add([]byte{opCFA, opLit0 + 8, opMinus, opDeref})
	f.Add([]byte{opAddr, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add([]byte{opLit0 + 1, opBra, 0xfb, 0xff})
	f.Fuzz(func(t *testing.T, expr []byte) {
		testCtx().eval(expr)
		c := testCtx()
		c.regValue = true
		c.evalWith(expr, 0x7010)
	})
}

func TestLocLists(t *testing.T) {
	le := binary.LittleEndian
	// DWARF 4: [0x10,0x20) -> reg0; base selection 0x1000; [0x0,0x8) -> fbreg 0; end.
	var loc []byte
	put := func(v uint64) { loc = le.AppendUint64(loc, v) }
	put(0x10)
	put(0x20)
	loc = append(loc, 1, 0, opReg0)
	put(^uint64(0))
	put(0x1000)
	put(0x0)
	put(0x8)
	loc = append(loc, 2, 0, opFbreg, 0)
	put(0)
	put(0)
	for _, tc := range []struct {
		pc   uint64
		want []byte
	}{{0x10 + 0x100, []byte{opReg0}}, {0x1004, []byte{opFbreg, 0}}, {0x1008, nil}, {0x5, nil}} {
		got, err := parseLoc(loc, 0, 0x100, tc.pc, 8, le)
		if string(got) != string(tc.want) || (tc.want == nil) != errors.Is(err, ErrOptimizedOut) {
			t.Errorf(".debug_loc at %#x = %x, %v; want %x", tc.pc, got, err, tc.want)
		}
	}
	// DWARF 5: offset_pair [4,8) from base 0x100; base_addressx 1 (0x4008);
	// startx_length 0 len 4; default fbreg 0.
	ll := []byte{lleOffsetPair, 4, 8, 1, opReg0, lleBaseAddrx, 1, lleOffsetPair, 0, 2, 1, opReg0 + 1,
		lleStartxLen, 0, 4, 1, opReg0 + 2, lleDefault, 2, opFbreg, 0, lleEnd}
	addrx := func(i uint64) (uint64, error) { return 0x4000 + 8*i, nil }
	for _, tc := range []struct {
		pc   uint64
		want []byte
	}{{0x104, []byte{opReg0}}, {0x4009, []byte{opReg0 + 1}}, {0x4002, []byte{opReg0 + 2}}, {0x9999, []byte{opFbreg, 0}}} {
		got, err := parseLocLists(ll, 0, 0x100, tc.pc, 8, le, addrx)
		if err != nil || string(got) != string(tc.want) {
			t.Errorf(".debug_loclists at %#x = %x, %v; want %x", tc.pc, got, err, tc.want)
		}
	}
}

func FuzzLocLists(f *testing.F) {
	f.Add([]byte{lleOffsetPair, 4, 8, 1, opReg0, lleEnd}, uint64(0x104))
	f.Add(make([]byte, 32), uint64(0))
	f.Fuzz(func(t *testing.T, b []byte, pc uint64) {
		addrx := func(i uint64) (uint64, error) { return 0x4000 + 8*i, nil }
		parseLocLists(b, 0, 0x100, pc, 8, binary.LittleEndian, addrx)
		parseLoc(b, 0, 0x100, pc, 8, binary.LittleEndian)
		parseLoc(b, 0, 0x100, pc, 4, binary.LittleEndian)
	})
}

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
		for i, fd := range c.fdes {
			if i > 50 {
				break
			}
			c.RowAt(fd.lo)
			c.RowAt(fd.lo + (fd.hi-fd.lo)/2)
			Unwind("amd64", []*CFI{c}, fd.lo+1, map[int]uint64{7: 0x7000, 6: 0x7100}, patternMemory{}, 8)
			Unwind("arm64", []*CFI{c}, fd.lo+1, map[int]uint64{31: 0x7000, 29: 0x7100, 30: 0x5000}, patternMemory{}, 8)
		}
	})
}

// FuzzLineTable decodes a mutated .debug_line against the C program's
// real .debug_info and looks pcs up in what it decoded.
func FuzzLineTable(f *testing.F) {
	path := build(f, "prog.c")
	ef, err := elf.Open(path)
	if err != nil {
		f.Fatal(err)
	}
	defer ef.Close()
	sec := func(n string) []byte {
		if s := ef.Section(n); s != nil {
			b, _ := s.Data()
			return b
		}
		return nil
	}
	info, abbrev, str, lineStr := sec(".debug_info"), sec(".debug_abbrev"), sec(".debug_str"), sec(".debug_line_str")
	f.Add(sec(".debug_line"), uint64(0x1160))
	f.Fuzz(func(t *testing.T, line []byte, pc uint64) {
		d, err := dwarf.New(abbrev, nil, nil, info, line, nil, nil, str)
		if err != nil {
			return
		}
		d.AddSection(".debug_line_str", lineStr)
		cu, err := d.Reader().Next()
		if err != nil || cu == nil {
			return
		}
		var lr *dwarf.LineReader
		func() {
			defer func() { recover() }() // debug/dwarf's own panics are caught by lineReader in the package
			lr, err = d.LineReader(cu)
		}()
		if err != nil || lr == nil {
			return
		}
		tab, err := decodeLines(lr)
		if err != nil {
			return
		}
		tab.lookup(pc)
		for _, s := range tab.seqs {
			tab.lookup(s.lo)
			tab.lookup(s.hi - 1)
		}
	})
}

func FuzzFormat(f *testing.F) {
	i32 := &Type{Name: "int", Kind: Int, Size: 4}
	u8 := &Type{Name: "uint8", Kind: Uint, Size: 1, Go: true}
	ch := &Type{Name: "char", Kind: Char, Size: 1}
	types := []*Type{
		i32,
		{Name: "struct s", Kind: Struct, Size: 8, Fields: []Field{{Name: "a", Type: i32}, {Name: "b", Offset: 4, Type: i32, BitSize: 5, BitOffset: 3}}},
		{Name: "char [6]", Kind: Array, Size: 6, Len: 6, Elem: ch},
		{Name: "string", Kind: GoString, Size: 16, Go: true, Fields: []Field{{Name: "str", Type: &Type{Kind: Pointer, Size: 8, Elem: u8, Go: true}}, {Name: "len", Offset: 8, Type: &Type{Kind: Int, Size: 8, Go: true}}}},
		{Name: "[]uint8", Kind: GoSlice, Size: 24, Go: true, Elem: u8, Fields: []Field{{Name: "array", Type: &Type{Kind: Pointer, Size: 8, Elem: u8, Go: true}}, {Name: "len", Offset: 8, Type: &Type{Kind: Int, Size: 8, Go: true}}, {Name: "cap", Offset: 16, Type: &Type{Kind: Int, Size: 8, Go: true}}}},
		{Name: "char *", Kind: Pointer, Size: 8, Elem: ch},
		{Name: "enum e", Kind: Enum, Size: 4, Enumerators: map[int64]string{1: "ONE"}},
		{Name: "double", Kind: Float, Size: 8},
		{Name: "error", Kind: GoInterface, Size: 16, Go: true, Fields: []Field{{Name: "tab", Type: &Type{Kind: Pointer, Size: 8}}, {Name: "data", Offset: 8, Type: &Type{Kind: Pointer, Size: 8}}}},
	}
	f.Add([]byte("\x01\x00\x00\x00\xff\x00\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00"), int64(3), int64(5))
	f.Fuzz(func(t *testing.T, b []byte, bitOff, bits int64) {
		for _, ty := range types {
			Format(ty, b, patternMemory{})
		}
		if bitOff >= 0 && bitOff < 1<<20 && bits >= 0 && bits < 1<<10 {
			ExtractBits(b, bitOff, bits)
			FormatBits(i32, b, bitOff, bits)
		}
	})
}

func TestExtractBits(t *testing.T) {
	b := []byte{0b1011_0110, 0b0000_0001}
	for _, tc := range []struct {
		off, size int64
		want      uint64
	}{{0, 1, 0}, {1, 2, 3}, {4, 4, 0b1011}, {7, 2, 0b11}, {0, 16, 0x01b6}, {12, 8, 0}} {
		if got := ExtractBits(b, tc.off, tc.size); got != tc.want {
			t.Errorf("ExtractBits(%d, %d) = %#b, want %#b", tc.off, tc.size, got, tc.want)
		}
	}
	i8 := &Type{Name: "signed char", Kind: Int, Size: 1}
	if got := FormatBits(i8, []byte{0b1110_0000}, 5, 3); got != "-1" {
		t.Errorf("FormatBits(signed 3 bits 111) = %s, want -1", got)
	}
}

func TestDemangle(t *testing.T) {
	for in, want := range map[string]string{
		"_ZN3app6configE":                   "app::config",
		"_ZN6Widget4bumpEi":                 "Widget::bump(int)",
		"_ZN4prog4bump17h41cd6b2e31e158c2E": "prog::bump",
		"_RNvCs1234_4prog4bump":             "prog::bump",
		"main.main":                         "main.main",
		"balance":                           "balance",
		"_ZN3app6configE@@VERS_1":           "app::config@@VERS_1",
		"_Zgarbage":                         "_Zgarbage",
	} {
		if got := Demangle(in); got != want {
			t.Errorf("Demangle(%q) = %q, want %q", in, got, want)
		}
	}
	if got := demangleNoParams("_ZN6Widget4bumpEi"); got != "Widget::bump" {
		t.Errorf("demangleNoParams = %q", got)
	}
}
