package debuginfo

import (
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"hwdbg/debuginfo/internal/dwtest"
)

func TestCGlobals(t *testing.T) {
	path := build(t, "prog.c")
	want := nm(t, path, false)
	for _, bias := range []uint64{0, 0x555555554000} {
		in := mustLoad(t, path, bias)
		if got := in.Language(); got != "c" {
			t.Errorf("Language() = %q, want c", got)
		}
		for _, tc := range []struct {
			name string
			sym  string // nm name ("counter" is a file static)
			kind Kind
			size int64
		}{
			{"balance", "balance", Int, 8},
			{"counter", "counter", Int, 4},
			{"prog.c::counter", "counter", Int, 4},
			{"flg", "flg", Struct, 8},
			{"out", "out", Struct, 64},
			{"head", "head", Pointer, 8},
			{"zeros", "zeros", Array, 80},
			{"ratio", "ratio", Float, 4},
			{"uc", "uc", Char, 1},
			{"flag", "flag", Bool, 1},
			{"ecol", "ecol", Enum, 4},
		} {
			v, ok := in.LookupGlobal(tc.name)
			if !ok {
				t.Errorf("LookupGlobal(%q) failed", tc.name)
				continue
			}
			if v.Addr != want[tc.sym]+bias {
				t.Errorf("LookupGlobal(%q).Addr = %#x, want nm's %#x + %#x", tc.name, v.Addr, want[tc.sym], bias)
			}
			if v.Type == nil || v.Type.Kind != tc.kind || v.Type.Size != tc.size {
				t.Errorf("LookupGlobal(%q).Type = %+v, want %v of %d bytes", tc.name, v.Type, tc.kind, tc.size)
			}
		}
		if _, ok := in.LookupGlobal("no_such_var"); ok {
			t.Error("LookupGlobal(no_such_var) succeeded")
		}
		for _, fn := range []string{"a", "b", "c", "main"} {
			entry, ok := in.LookupFunc(fn)
			if !ok || entry != want[fn]+bias {
				t.Errorf("LookupFunc(%q) = %#x, %v; want %#x", fn, entry, ok, want[fn]+bias)
			}
			name, e2, ok := in.FuncAt(want[fn] + bias + 3)
			if !ok || name != fn || e2 != entry {
				t.Errorf("FuncAt(%s+3) = %q, %#x, %v", fn, name, e2, ok)
			}
		}
		names := in.GlobalNames("ba")
		if len(names) == 0 || names[0] != "balance" {
			t.Errorf("GlobalNames(ba) = %v", names)
		}
	}
}

// TestCTypes checks layouts against offsetof as the C program prints it.
func TestCTypes(t *testing.T) {
	path := build(t, "prog.c")
	out, err := exec.Command(path, "offsets").Output()
	if err != nil {
		t.Fatalf("%s offsets: %v", path, err)
	}
	truth := map[string]int64{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		n, _ := strconv.ParseInt(f[1], 10, 64)
		truth[f[0]] = n
	}
	in := mustLoad(t, path, 0)
	for _, tc := range []struct {
		typ, field, key string
	}{
		{"struct outer", "id", "outer.id"},
		{"struct outer", "in", "outer.in"},
		{"outer", "arr", "outer.arr"},
		{"struct outer", "name", "outer.name"},
		{"struct outer", "col", "outer.col"},
		{"struct inner", "d", "inner.d"},
		{"struct node", "next", "node.next"},
		{"struct flags", "tail", "flags.tail"},
	} {
		ty, err := in.LookupType(tc.typ)
		if err != nil {
			t.Fatalf("LookupType(%q): %v", tc.typ, err)
		}
		f, ok := ty.Field(tc.field)
		if !ok {
			t.Errorf("%s has no field %s", tc.typ, tc.field)
			continue
		}
		if f.Offset != truth[tc.key] {
			t.Errorf("%s.%s at %d, offsetof says %d", tc.typ, tc.field, f.Offset, truth[tc.key])
		}
	}
	for _, tc := range []struct{ typ, key string }{{"struct outer", "sizeof.outer"}, {"struct flags", "sizeof.flags"}} {
		ty, _ := in.LookupType(tc.typ)
		if ty.Size != truth[tc.key] {
			t.Errorf("sizeof(%s) = %d, C says %d", tc.typ, ty.Size, truth[tc.key])
		}
	}
	// Bitfields: ready:1 mode:3 delta:5 wide:20 from bit 0 of an unsigned int.
	flags, _ := in.LookupType("struct flags")
	for _, tc := range []struct {
		name              string
		off, bitOff, bits int64
		storage           int64
	}{
		{"ready", 0, 0, 1, 1}, {"mode", 0, 1, 3, 1}, {"delta", 0, 4, 5, 2}, {"wide", 1, 1, 20, 3},
	} {
		f, ok := flags.Field(tc.name)
		if !ok || f.Offset != tc.off || f.BitOffset != tc.bitOff || f.BitSize != tc.bits || f.StorageSize() != tc.storage {
			t.Errorf("flags.%s = %+v (storage %d), want offset %d bit %d size %d storage %d",
				tc.name, f, f.StorageSize(), tc.off, tc.bitOff, tc.bits, tc.storage)
		}
	}
	for _, name := range []string{"int", "unsigned int", "unsigned", "long", "char", "unsigned char", "enum color", "struct node *", "float"} {
		if _, err := in.LookupType(name); err != nil {
			t.Errorf("LookupType(%q): %v", name, err)
		}
	}
	if p, err := in.LookupType("struct node*"); err != nil || p.Kind != Pointer || p.Elem == nil || p.Elem.Name != "struct node" {
		t.Errorf("LookupType(struct node*) = %+v, %v", p, err)
	}
	if _, err := in.LookupType("struct nosuch"); err == nil {
		t.Error("LookupType(struct nosuch) succeeded")
	}
}

// TestCFormat formats the initial values of globals as GDB prints them.
func TestCFormat(t *testing.T) {
	path := build(t, "prog.c")
	in := mustLoad(t, path, 0)
	mem := openFileMemory(t, path)
	exprs := []string{"balance", "flg", "out.in", "head", "n1", "zeros", "msg", "ratio", "uc", "flag", "ecol", "out.arr", "counter"}
	gdb := gdbPrint(t, path, exprs...)
	value := func(name string) string {
		parts := strings.SplitN(name, ".", 2)
		v, ok := in.LookupGlobal(parts[0])
		if !ok {
			t.Fatalf("LookupGlobal(%q) failed", parts[0])
		}
		ty, addr := v.Type, v.Addr
		if len(parts) == 2 {
			f, ok := ty.Field(parts[1])
			if !ok {
				t.Fatalf("no field %s", name)
			}
			ty, addr = f.Type, addr+uint64(f.Offset)
		}
		b := make([]byte, ty.Size)
		if err := mem.ReadMemory(addr, b); err != nil {
			t.Fatal(err)
		}
		return in.Format(ty, b, mem)
	}
	for _, e := range exprs {
		if got := value(e); got != gdb[e] {
			t.Errorf("Format(%s) = %s\n             gdb says %s", e, got, gdb[e])
		}
	}
	// GDB prints the whole char array; so do we.
	if got, want := value("out.name"), `"hello\000\000\000\000\000\000\000\000\000\000"`; got != want {
		t.Errorf("Format(out.name) = %s, want %s", got, want)
	}
	flg, _ := in.LookupGlobal("flg")
	b := make([]byte, 8)
	mem.ReadMemory(flg.Addr, b)
	delta, _ := flg.Type.Field("delta")
	if got := FormatBits(delta.Type, b[delta.Offset:], delta.BitOffset, delta.BitSize); got != "-3" {
		t.Errorf("FormatBits(delta) = %s, want -3", got)
	}
}

func TestCLines(t *testing.T) {
	path := build(t, "prog.c")
	in := mustLoad(t, path, 0x1000)
	rows := objdumpLines(t, path)
	if len(rows) < 20 {
		t.Fatalf("objdump gave %d line rows", len(rows))
	}
	// The last row at an address wins, as in any line-table lookup.
	last := map[uint64]lineRowT{}
	for _, r := range rows {
		last[r.addr] = r
	}
	for a, r := range last {
		file, line, ok := in.LineFor(a + 0x1000)
		if !ok || file != r.file || line != r.line {
			t.Errorf("LineFor(%#x) = %s:%d %v, objdump says %s:%d", a, file, line, ok, r.file, r.line)
		}
	}
	if full, _, ok := in.LinePathFor(rows[0].addr + 0x1000); !ok || !strings.HasSuffix(full, "/testdata/prog.c") {
		t.Errorf("LinePathFor = %q, want the full path", full)
	}
	src, err := os.ReadFile("testdata/prog.c")
	if err != nil {
		t.Fatal(err)
	}
	lineOf := func(marker string) int {
		for i, l := range strings.Split(string(src), "\n") {
			if strings.Contains(l, marker) {
				return i + 1
			}
		}
		t.Fatalf("no %q in prog.c", marker)
		return 0
	}
	for _, m := range []string{"call-b", "call-c", "stop-in-c"} {
		n := lineOf(m)
		pcs, err := in.PCsFor("prog.c", n)
		if err != nil || len(pcs) == 0 {
			t.Errorf("PCsFor(prog.c:%d): %v, %v", n, pcs, err)
			continue
		}
		first := ^uint64(0)
		for _, r := range rows {
			if r.line == n && r.stmt && r.addr < first {
				first = r.addr
			}
		}
		if pcs[0] != first+0x1000 {
			t.Errorf("PCsFor(prog.c:%d)[0] = %#x, objdump's first row is %#x", n, pcs[0], first+0x1000)
		}
		for _, pc := range pcs {
			if _, l, _ := in.LineFor(pc); l != n {
				t.Errorf("LineFor(PCsFor(prog.c:%d)) = %d", n, l)
			}
		}
	}
	// A blank line: the error names the nearest lines with code.
	blank := lineOf("volatile int sink;") + 1
	if _, err := in.PCsFor("testdata/prog.c", blank); err == nil || !strings.Contains(err.Error(), "nearest lines with code") {
		t.Errorf("PCsFor(blank line %d) error = %v", blank, err)
	}
	if _, err := in.PCsFor("nosuch.c", 3); err == nil {
		t.Error("PCsFor(nosuch.c) succeeded")
	}
	if _, _, ok := in.LineFor(0x10); ok {
		t.Error("LineFor(0x10) succeeded")
	}
}

func TestNoDWARF(t *testing.T) {
	path := build(t, "prog.c", "-g0")
	if _, err := Load(path, 0); !errors.Is(err, ErrNoDWARF) {
		t.Errorf("Load(no -g) = %v, want ErrNoDWARF", err)
	}
	if _, err := Load("/nonexistent", 0); err == nil {
		t.Error("Load(/nonexistent) succeeded")
	}
}

// TestMalformed corrupts the C program's DWARF sections byte by byte at
// many places: every query must return an error or a result, never panic.
func TestMalformed(t *testing.T) {
	path := build(t, "prog.c")
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ef, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var spans [][2]int
	for _, s := range ef.Sections {
		if strings.HasPrefix(s.Name, ".debug_") || s.Name == ".eh_frame" {
			spans = append(spans, [2]int{int(s.Offset), int(s.Size)})
		}
	}
	ef.Close()
	dir := t.TempDir()
	for i := 0; i < 150; i++ {
		b := append([]byte(nil), orig...)
		sp := spans[i%len(spans)]
		for k := 0; k < 1+i%5; k++ {
			p := sp[0] + (i*7919+k*104729)%max(sp[1], 1)
			b[p] ^= byte(0x5a + i)
		}
		p := filepath.Join(dir, "bad")
		if err := os.WriteFile(p, b, 0o755); err != nil {
			t.Fatal(err)
		}
		in, err := Load(p, 0)
		if err != nil {
			continue
		}
		in.Language()
		in.LookupGlobal("out")
		in.LookupType("struct flags")
		in.GlobalNames("")
		for pc := uint64(0x1100); pc < 0x1300; pc += 0x21 {
			in.LineFor(pc)
			in.FuncAt(pc)
			if vars, err := in.Locals(pc); err == nil {
				for _, v := range vars {
					in.VarAddress(v, dwtest.RegFrame{Regs: map[int]uint64{6: 0x7000, 7: 0x6f00}, CFAValue: 0x7010, PCValue: pc}, dwtest.PatternMemory{})
				}
			}
		}
		in.PCsFor("prog.c", 60)
		if c, err := in.CFI(); err == nil {
			in.Unwind(0x1160, map[int]uint64{7: 0x7000, 6: 0x7100, 16: 0x1160}, dwtest.PatternMemory{}, 8)
			_ = c
		}
		in.Close()
	}
}
