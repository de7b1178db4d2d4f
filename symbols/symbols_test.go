package symbols

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// table builds a Table from hand-made symbols, as Load would.
func table(file string, sects []section, syms ...Symbol) *Table {
	t := &Table{sects: sects}
	for _, s := range syms {
		if s.File == "" {
			s.File = file
		}
		t.syms = append(t.syms, s)
	}
	t.rebuild()
	return t
}

func TestLookup(t *testing.T) {
	main := table("/bin/prog", nil,
		Symbol{Name: "counter", Addr: 0x4010, Size: 4, Kind: Object, Local: true},
		Symbol{Name: "balance", Addr: 0x4020, Size: 8, Kind: Object},
		Symbol{Name: "stdout@GLIBC_2.2.5", Addr: 0x4040, Size: 8, Kind: Object},
		Symbol{Name: "helper", Addr: 0x1100, Size: 10, Kind: Func, Local: true},
		Symbol{Name: "withdraw", Addr: 0x1200, Size: 40, Kind: Func},
	)
	lib := table("/lib/libc.so.6", nil,
		Symbol{Name: "stdout", Addr: 0x7f0000001000, Size: 8, Kind: Object},
		Symbol{Name: "counter", Addr: 0x7f0000002000, Size: 4, Kind: Object},
		Symbol{Name: "helper", Addr: 0x7f0000003000, Size: 4, Kind: Func, Local: true},
	)
	main.Merge(lib)
	main.Merge(lib) // twice: no duplicates

	tests := []struct {
		name     string
		wantAddr uint64
		wantFile string
		ok       bool
	}{
		{"balance", 0x4020, "/bin/prog", true},
		{"withdraw", 0x1200, "/bin/prog", true},
		// The global in libc wins over the main program's static.
		{"counter", 0x7f0000002000, "/lib/libc.so.6", true},
		// Two statics: the first loaded.
		{"helper", 0x1100, "/bin/prog", true},
		// The main program's copy (copy relocation) wins over libc's.
		{"stdout", 0x4040, "/bin/prog", true},
		{"stdout@GLIBC_2.2.5", 0x4040, "/bin/prog", true},
		{"stdout@@GLIBC_2.2.5", 0x4040, "/bin/prog", true},
		{"nosuch", 0, "", false},
		{"", 0, "", false},
		{"@", 0, "", false},
	}
	for _, tc := range tests {
		s, ok := main.Lookup(tc.name)
		if ok != tc.ok || s.Addr != tc.wantAddr || s.File != tc.wantFile {
			t.Errorf("Lookup(%q) = %+v, %v; want addr %#x in %s, %v", tc.name, s, ok, tc.wantAddr, tc.wantFile, tc.ok)
		}
	}
	if all := main.LookupAll("counter"); len(all) != 2 || !all[1].Local || all[1].Addr != 0x4010 {
		t.Errorf("LookupAll(counter) = %+v; want the global, then the static", all)
	}
	if n := main.Len(); n != 8 {
		t.Errorf("Len = %d after merging twice, want 8", n)
	}
	var nilTable *Table
	if _, ok := nilTable.Lookup("x"); ok {
		t.Error("nil table found a symbol")
	}
}

func TestAt(t *testing.T) {
	const file = "/bin/prog"
	sects := []section{
		{start: 0x1000, end: 0x2000, file: file, idx: 14}, // .text
		{start: 0x2000, end: 0x2100, file: file, idx: 15}, // .fini
		{start: 0x4000, end: 0x4100, file: file, idx: 24}, // .data
	}
	tab := table(file, sects,
		Symbol{Name: "_start", Addr: 0x1000, Size: 0, Kind: Func, sect: 14},
		Symbol{Name: "withdraw", Addr: 0x1100, Size: 0x40, Kind: Func, sect: 14},
		Symbol{Name: "__withdraw", Addr: 0x1100, Size: 0x40, Kind: Func, sect: 14},
		Symbol{Name: "local_alias", Addr: 0x1100, Size: 0x40, Kind: Func, Local: true, sect: 14},
		Symbol{Name: "outer", Addr: 0x1200, Size: 0x100, Kind: Func, sect: 14},
		Symbol{Name: "inner", Addr: 0x1210, Size: 0x10, Kind: Func, sect: 14},
		Symbol{Name: "asm_func", Addr: 0x1400, Size: 0, Kind: Func, sect: 14},
		Symbol{Name: "label", Addr: 0x1408, Size: 0, Kind: Other, sect: 14},
		Symbol{Name: "_fini", Addr: 0x2000, Size: 0, Kind: Func, sect: 15},
		Symbol{Name: "balance", Addr: 0x4020, Size: 8, Kind: Object, sect: 24},
	)
	tests := []struct {
		addr uint64
		want string // Describe, "" for not found
	}{
		{0xfff, ""},
		{0x1000, "_start"},
		{0x1005, "_start+5"},
		{0x1100, "withdraw"}, // global, fewest underscores
		{0x1116, "withdraw+22"},
		{0x113f, "withdraw+63"},
		{0x1140, ""}, // after withdraw, before outer: no size-0 func before it
		{0x1210, "inner"},
		{0x121f, "inner+15"},
		{0x1220, "outer+32"}, // after inner, still in outer
		{0x12ff, "outer+255"},
		{0x1300, ""},
		{0x1400, "asm_func"},
		{0x1409, "asm_func+9"}, // NOTYPE labels do not count
		{0x1fff, "asm_func+3071"},
		{0x2000, "_fini"},
		{0x20ff, "_fini+255"},
		{0x2100, ""}, // past the section of the last size-0 func
		{0x4020, "balance"},
		{0x4027, "balance+7"},
		{0x4028, ""},
		{^uint64(0), ""},
	}
	for _, tc := range tests {
		s, ok := tab.At(tc.addr)
		got := ""
		if ok {
			got = Describe(s, tc.addr)
		}
		if got != tc.want {
			t.Errorf("At(%#x) = %q, want %q", tc.addr, got, tc.want)
		}
	}
	if _, ok := (&Table{}).At(0x1000); ok {
		t.Error("empty table found a symbol")
	}
	// Without section information, a size-0 function extends to the next symbol only.
	noSect := table(file, nil,
		Symbol{Name: "a", Addr: 0x1000, Kind: Func},
		Symbol{Name: "b", Addr: 0x1100, Size: 8, Kind: Func},
		Symbol{Name: "c", Addr: 0x1200, Kind: Func},
	)
	for addr, want := range map[uint64]string{0x10ff: "a+255", 0x1108: "", 0x1200: "", 0x1201: ""} {
		s, ok := noSect.At(addr)
		got := ""
		if ok {
			got = Describe(s, addr)
		}
		if got != want {
			t.Errorf("no sections: At(%#x) = %q, want %q", addr, got, want)
		}
	}
}

func TestDescribe(t *testing.T) {
	s := Symbol{Name: "withdraw", Addr: 0x1000}
	for addr, want := range map[uint64]string{0x1000: "withdraw", 0x1016: "withdraw+22", 0xfff: "withdraw-1"} {
		if got := Describe(s, addr); got != want {
			t.Errorf("Describe(%#x) = %q, want %q", addr, got, want)
		}
	}
}

func TestNamesAndClosest(t *testing.T) {
	tab := table("/bin/prog", nil,
		Symbol{Name: "balance", Addr: 0x10, Size: 8, Kind: Object},
		Symbol{Name: "balance_total", Addr: 0x18, Size: 8, Kind: Object},
		Symbol{Name: "ballast", Addr: 0x20, Size: 8, Kind: Object},
		Symbol{Name: "Balance", Addr: 0x28, Size: 8, Kind: Object},
		Symbol{Name: "withdraw", Addr: 0x100, Size: 8, Kind: Func},
		Symbol{Name: "deposit", Addr: 0x200, Size: 8, Kind: Func},
		Symbol{Name: "stdout@GLIBC_2.2.5", Addr: 0x30, Size: 8, Kind: Object},
		Symbol{Name: "_IO_stdout", Addr: 0x38, Size: 8, Kind: Object},
	)
	if got, want := tab.Names("bal"), []string{"balance", "balance_total", "ballast"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Names(bal) = %q, want %q", got, want)
	}
	if got, want := tab.Names("std"), []string{"stdout"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Names(std) = %q, want %q", got, want)
	}
	if got := tab.Names("zz"); len(got) != 0 {
		t.Errorf("Names(zz) = %q", got)
	}
	if got := tab.Names(""); len(got) != 8 {
		t.Errorf("Names(\"\") = %q, want all 8", got)
	}

	tests := []struct {
		query string
		n     int
		want  []string
	}{
		{"balnce", 3, []string{"balance", "Balance"}},
		{"balnace", 1, []string{"balance"}}, // a swap is one edit
		{"balance", 2, []string{"balance", "Balance"}},
		{"BALANCE", 2, []string{"Balance", "balance"}},
		{"withdarw", 5, []string{"withdraw"}},
		{"depost", 5, []string{"deposit"}},
		{"stdout", 5, []string{"stdout", "_IO_stdout"}},
		{"bal", 2, []string{"balance", "ballast"}},
		{"xyzzy", 5, nil},
		{"", 5, nil},
		{"balance", 0, nil},
	}
	for _, tc := range tests {
		got := tab.Closest(tc.query, tc.n)
		if len(got) == 0 && len(tc.want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Closest(%q, %d) = %q, want %q", tc.query, tc.n, got, tc.want)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage")
	if err := os.WriteFile(garbage, []byte("this is not an ELF file at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(dir, "missing"), garbage, dir} {
		if _, err := Load(path, 0); err == nil {
			t.Errorf("Load(%s): no error", path)
		} else if want := "symbols: read " + path + ": "; len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
			t.Errorf("Load(%s) error %q does not start with %q", path, err, want)
		}
		if _, err := IsPIE(path); err == nil {
			t.Errorf("IsPIE(%s): no error", path)
		}
		if _, err := LoadBias(os.Getpid(), path); err == nil {
			t.Errorf("LoadBias(%s): no error", path)
		}
	}
}
