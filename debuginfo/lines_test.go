package debuginfo

import (
	"debug/dwarf"
	"debug/elf"
	"testing"
)

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
