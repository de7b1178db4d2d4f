package debuginfo

import (
	"debug/dwarf"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
)

// lineRow is one row of a line table (unbiased address).
type lineRow struct {
	addr     uint64
	line     int32
	file     int32
	stmt     bool
	end      bool
	prologue bool // DW_LNS_set_prologue_end: the function's body starts here
}

// lineSeq is one sequence of rows, [lo, hi) in pc.
type lineSeq struct {
	lo, hi     uint64
	start, end int // rows[start:end]
}

// lineTable is one unit's line program, decoded.
type lineTable struct {
	files []string
	rows  []lineRow
	seqs  []lineSeq // sorted by lo
}

// lineData gives the dwarf.Data that can read line tables.
func (in *Info) lineData() (*dwarf.Data, error) {
	if in.dl != nil {
		return in.dl, nil
	}
	line, err := in.section(".debug_line")
	if err != nil {
		return nil, err
	}
	info, _ := in.section(".debug_info")
	abbrev, _ := in.section(".debug_abbrev")
	dl, err := in.newData(abbrev, info, line)
	if err != nil {
		return nil, fmt.Errorf("debuginfo: %s: %w", in.dwarfFile(), err)
	}
	if b, ok := in.raw[".debug_rnglists"]; ok {
		dl.AddSection(".debug_rnglists", b)
	}
	in.dl = dl
	return dl, nil
}

// lineReader opens the unit's line program (nil when it has none).
func (in *Info) lineReader(u *unit) (lr *dwarf.LineReader, err error) {
	defer catch(&err)
	dl, err := in.lineData()
	if err != nil {
		return nil, err
	}
	return dl.LineReader(u.entry)
}

// lineTableOf decodes the unit's line table once.
func (in *Info) lineTableOf(u *unit) (*lineTable, error) {
	if u.lines != nil || u.lineErr != nil {
		return u.lines, u.lineErr
	}
	lr, err := in.lineReader(u)
	if err == nil {
		u.lines, err = decodeLines(lr)
	}
	if err != nil {
		u.lineErr = fmt.Errorf("debuginfo: line table of %s: %w", u.name, err)
	}
	return u.lines, u.lineErr
}

func decodeLines(lr *dwarf.LineReader) (t *lineTable, err error) {
	defer catch(&err)
	t = &lineTable{}
	if lr == nil {
		return t, nil
	}
	fileIdx := map[*dwarf.LineFile]int32{}
	var e dwarf.LineEntry
	seqStart := 0
	for n := 0; ; n++ {
		if err := lr.Next(&e); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, err
		}
		fi := int32(-1)
		if e.File != nil {
			var ok bool
			if fi, ok = fileIdx[e.File]; !ok {
				fi = int32(len(t.files))
				fileIdx[e.File] = fi
				t.files = append(t.files, e.File.Name)
			}
		}
		t.rows = append(t.rows, lineRow{addr: e.Address, line: int32(e.Line), file: fi, stmt: e.IsStmt, end: e.EndSequence, prologue: e.PrologueEnd})
		if e.EndSequence {
			rows := t.rows[seqStart:]
			// A sequence at address 0 is a discarded function (linker
			// garbage collection): it would shadow real code.
			if len(rows) > 1 && rows[0].addr != 0 {
				t.seqs = append(t.seqs, lineSeq{lo: rows[0].addr, hi: e.Address, start: seqStart, end: len(t.rows)})
			}
			seqStart = len(t.rows)
		}
	}
	sort.Slice(t.seqs, func(i, j int) bool { return t.seqs[i].lo < t.seqs[j].lo })
	return t, nil
}

// lookup finds the row covering pc (unbiased).
func (t *lineTable) lookup(pc uint64) (lineRow, bool) {
	i := sort.Search(len(t.seqs), func(i int) bool { return t.seqs[i].lo > pc }) - 1
	for ; i >= 0; i-- {
		s := t.seqs[i]
		if pc >= s.hi {
			continue
		}
		rows := t.rows[s.start:s.end]
		j := sort.Search(len(rows), func(j int) bool { return rows[j].addr > pc }) - 1
		if j >= 0 && !rows[j].end {
			return rows[j], true
		}
		return lineRow{}, false
	}
	return lineRow{}, false
}

// LineFor gives the source line of the run-time pc, with the file's base
// name ("bank.c"). ok is false for a pc without line information.
func (in *Info) LineFor(pc uint64) (file string, line int, ok bool) {
	full, line, ok := in.LinePathFor(pc)
	return path.Base(full), line, ok
}

// LinePathFor is LineFor with the file's full path as the line table has it.
func (in *Info) LinePathFor(pc uint64) (file string, line int, ok bool) {
	defer in.lock()()
	defer catch(nil)
	upc := pc - in.bias
	in.findLine(upc, func(_ *unit, t *lineTable) bool {
		r, found := t.lookup(upc)
		if found && r.line > 0 && r.file >= 0 && int(r.file) < len(t.files) {
			file, line, ok = t.files[r.file], int(r.line), true
			return true
		}
		return false
	})
	return
}

// findLine offers found the line table of each unit that may hold the
// unbiased pc, those whose ranges hold it first, then every unit, until
// found says it found what it looked for.
func (in *Info) findLine(pc uint64, found func(u *unit, t *lineTable) bool) {
	try := func(us []*unit) bool {
		for _, u := range us {
			if t, err := in.lineTableOf(u); err == nil && t != nil && found(u, t) {
				return true
			}
		}
		return false
	}
	if !try(in.unitsForPC(pc)) {
		try(in.units)
	}
}

// AfterPrologue gives the run-time address where the body of the function
// that starts at entry begins, as gdb and Delve place `break FUNC`: the
// line table's prologue_end mark (Go, clang) before end, else its next row
// after entry (gcc marks none; its second row follows the prologue that
// saves the frame pointer and spills the arguments). ok is false without
// line information there, or when the function has a single row.
func (in *Info) AfterPrologue(entry, end uint64) (pc uint64, ok bool) {
	defer in.lock()()
	defer catch(nil)
	upc, uend := entry-in.bias, end-in.bias
	if end == 0 {
		uend = ^uint64(0)
	}
	for _, u := range in.unitsForPC(upc) {
		t, err := in.lineTableOf(u)
		if err != nil || t == nil {
			continue
		}
		for _, s := range t.seqs {
			if upc < s.lo || upc >= s.hi {
				continue
			}
			rows := t.rows[s.start:s.end]
			i := sort.Search(len(rows), func(i int) bool { return rows[i].addr > upc })
			next := uint64(0)
			for _, r := range rows[i:] {
				if r.end || r.addr >= uend {
					break
				}
				if r.prologue {
					return r.addr + in.bias, true
				}
				if next == 0 && r.stmt {
					next = r.addr
				}
			}
			if i > 0 && rows[i-1].prologue && rows[i-1].addr == upc {
				return entry, true
			}
			if next != 0 {
				return next + in.bias, true
			}
			return 0, false
		}
	}
	return 0, false
}

// PCsFor gives the run-time addresses where code for file:line starts:
// for each run of is_stmt rows of that line, its first address. file is
// matched by base name or path suffix. When the line has no code the
// error names the nearest lines before and after that do.
func (in *Info) PCsFor(file string, line int) (pcs []uint64, err error) {
	defer in.lock()()
	defer catch(&err)
	known := false
	var lines []int
	seen := map[uint64]bool{}
	for _, u := range in.units {
		if u.lines == nil && !in.mentions(u, file) {
			continue
		}
		t, err := in.lineTableOf(u)
		if err != nil || t == nil {
			continue
		}
		match := map[int32]bool{}
		for i, f := range t.files {
			if fileMatches(f, file) {
				match[int32(i)] = true
			}
		}
		if len(match) == 0 {
			continue
		}
		known = true
		for _, s := range t.seqs {
			recorded := false
			for _, r := range t.rows[s.start:s.end] {
				if r.end {
					break
				}
				if match[r.file] && r.stmt && r.line > 0 {
					lines = append(lines, int(r.line))
				}
				if !match[r.file] || int(r.line) != line {
					recorded = false
					continue
				}
				if r.stmt && !recorded {
					recorded = true
					if !seen[r.addr] {
						seen[r.addr] = true
						pcs = append(pcs, r.addr+in.bias)
					}
				}
			}
		}
	}
	if !known {
		return nil, fmt.Errorf("debuginfo: no source file %q in the line tables", file)
	}
	if len(pcs) == 0 {
		before, after := 0, 0
		for _, l := range lines {
			if l < line && l > before {
				before = l
			}
			if l > line && (after == 0 || l < after) {
				after = l
			}
		}
		var near []string
		if before > 0 {
			near = append(near, fmt.Sprintf("%s:%d", file, before))
		}
		if after > 0 {
			near = append(near, fmt.Sprintf("%s:%d", file, after))
		}
		msg := ""
		if len(near) > 0 {
			msg = "; nearest lines with code: " + strings.Join(near, ", ")
		}
		return nil, fmt.Errorf("debuginfo: no code at %s:%d%s", file, line, msg)
	}
	sort.Slice(pcs, func(i, j int) bool { return pcs[i] < pcs[j] })
	return pcs, nil
}

// SourceFiles lists the full paths of the source files in the line tables.
func (in *Info) SourceFiles() []string {
	defer in.lock()()
	defer catch(nil)
	set := map[string]bool{}
	for _, u := range in.units {
		if t, err := in.lineTableOf(u); err == nil && t != nil {
			for _, f := range t.files {
				set[f] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// mentions tells from the line program header alone whether the unit's
// line table may name file.
func (in *Info) mentions(u *unit, file string) bool {
	lr, err := in.lineReader(u)
	if err != nil || lr == nil {
		return false
	}
	for _, f := range lr.Files() {
		if f != nil && fileMatches(f.Name, file) {
			return true
		}
	}
	return u.version < 5 // DWARF 4 may define files inside the program
}
