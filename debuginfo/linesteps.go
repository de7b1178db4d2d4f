package debuginfo

import (
	"debug/dwarf"
	"path"
	"sort"
)

// What line stepping (next, step, until, finish) asks of the line tables
// and of a function's entry: the line a pc is on and the addresses it
// spans, where each line of a function begins, a function's pc range and
// the type it returns.

// LineSpan is one source line's stretch of code around a pc: the rows of
// the line table, consecutive in pc, that give the same file and line.
type LineSpan struct {
	File string // the file's path (relative ones joined to the unit's directory)
	Line int
	// Lo and Hi bound the stretch: [Lo, Hi), run-time addresses.
	Lo, Hi uint64
	// Stmt says that the row at Lo is a statement boundary (is_stmt).
	Stmt bool
}

// Base is the file's base name ("bank.c").
func (s LineSpan) Base() string { return path.Base(s.File) }

// Contains tells whether pc is in the stretch.
func (s LineSpan) Contains(pc uint64) bool { return pc >= s.Lo && pc < s.Hi }

// LineStart is a row of a line table where a new line begins (its file or
// line differ from the row before it) at a statement boundary: where a
// line step stops.
type LineStart struct {
	PC   uint64 // run-time address
	File string // as LineSpan.File
	Line int
}

// LineSpanAt gives the stretch of code of the line holding the run-time
// pc. ok is false for a pc without line information.
func (in *Info) LineSpanAt(pc uint64) (span LineSpan, ok bool) {
	defer in.lock()()
	defer catch(nil)
	upc := pc - in.bias
	in.findLine(upc, func(u *unit, t *lineTable) bool {
		s, found := t.spanAt(upc)
		if found {
			span, ok = s, true
			span.File = absSource(u, s.File)
			span.Lo += in.bias
			span.Hi += in.bias
		}
		return found
	})
	return span, ok
}

// spanAt is the stretch of rows of the same file and line around the
// unbiased pc.
func (t *lineTable) spanAt(pc uint64) (LineSpan, bool) {
	for _, s := range t.seqs {
		if pc < s.lo || pc >= s.hi {
			continue
		}
		rows := t.rows[s.start:s.end]
		j := sort.Search(len(rows), func(j int) bool { return rows[j].addr > pc }) - 1
		if j < 0 || rows[j].end || rows[j].line <= 0 || rows[j].file < 0 || int(rows[j].file) >= len(t.files) {
			return LineSpan{}, false
		}
		same := func(r lineRow) bool { return r.line == rows[j].line && r.file == rows[j].file && !r.end }
		lo := j
		for lo > 0 && same(rows[lo-1]) {
			lo--
		}
		hi := j + 1
		for hi < len(rows) && same(rows[hi]) {
			hi++
		}
		end := s.hi
		if hi < len(rows) {
			end = rows[hi].addr
		}
		// The stretch starts at a statement boundary when any of its rows
		// up to pc is one: gcc repeats a line's row without is_stmt.
		stmt := false
		for _, r := range rows[lo : j+1] {
			stmt = stmt || r.stmt
		}
		return LineSpan{File: t.files[rows[j].file], Line: int(rows[j].line), Lo: rows[lo].addr, Hi: end, Stmt: stmt}, true
	}
	return LineSpan{}, false
}

// LineStarts lists, in pc order, the rows in the run-time range [lo, hi)
// (a function's code) where a new line begins at a statement boundary.
func (in *Info) LineStarts(lo, hi uint64) (out []LineStart) {
	defer in.lock()()
	defer catch(nil)
	ulo, uhi := lo-in.bias, hi-in.bias
	seen := map[uint64]bool{}
	for _, u := range in.unitsForPC(ulo) {
		t, err := in.lineTableOf(u)
		if err != nil || t == nil {
			continue
		}
		for _, r := range t.startsIn(ulo, uhi) {
			if !seen[r.PC] {
				seen[r.PC] = true
				r.PC += in.bias
				r.File = absSource(u, r.File)
				out = append(out, r)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PC < out[j].PC })
	return out
}

// startsIn lists the line starts of the table in the unbiased [lo, hi):
// in each stretch of rows of one file and line, its first statement row.
func (t *lineTable) startsIn(lo, hi uint64) []LineStart {
	var out []LineStart
	for _, s := range t.seqs {
		if s.hi <= lo || s.lo >= hi {
			continue
		}
		var prev *lineRow
		started := false
		for i := s.start; i < s.end; i++ {
			r := &t.rows[i]
			if r.end {
				break
			}
			if prev == nil || prev.line != r.line || prev.file != r.file {
				started = false
			}
			prev = r
			if started || !r.stmt {
				continue
			}
			started = true
			if r.line <= 0 || r.addr < lo || r.addr >= hi || r.file < 0 || int(r.file) >= len(t.files) {
				continue
			}
			out = append(out, LineStart{PC: r.addr, File: t.files[r.file], Line: int(r.line)})
		}
	}
	return out
}

// absSource is the path of a source file named by u's line table: a
// relative one is relative to the unit's compilation directory.
func absSource(u *unit, file string) string {
	if path.IsAbs(file) || u.entry == nil {
		return file
	}
	if dir, ok := u.entry.Val(dwarf.AttrCompDir).(string); ok && dir != "" {
		return path.Join(dir, file)
	}
	return file
}

// FuncInfo is what stepping needs of the function holding a pc.
type FuncInfo struct {
	Name  string
	Entry uint64 // run-time entry address
	// Lo and Hi bound the function's range holding the pc.
	Lo, Hi uint64
	// Go: the function is in a Go unit.
	Go bool
	// Result is the type the function returns, nil for void (C) or when
	// the DWARF does not say (Go gives its results as parameters).
	Result *Type
	// Inlined are the run-time pc ranges of the functions inlined into
	// this one (the outermost of each nest): next runs over them.
	Inlined [][2]uint64
}

// InInlined tells whether pc is in code inlined into the function.
func (fi FuncInfo) InInlined(pc uint64) bool {
	for _, r := range fi.Inlined {
		if pc >= r[0] && pc < r[1] {
			return true
		}
	}
	return false
}

// FuncInfoAt describes the function holding the run-time pc.
func (in *Info) FuncInfoAt(pc uint64) (fi FuncInfo, ok bool) {
	defer in.lock()()
	defer catch(nil)
	f, u, ok := in.funcAt(pc - in.bias)
	if !ok {
		return FuncInfo{}, false
	}
	fi = FuncInfo{Name: f.name, Entry: f.entry + in.bias, Lo: f.low + in.bias, Hi: f.high + in.bias, Go: u != nil && u.lang == "go"}
	for _, r := range in.inlinedRanges(f.off) {
		fi.Inlined = append(fi.Inlined, [2]uint64{r[0] + in.bias, r[1] + in.bias})
	}
	if off, ok := in.resultType(f.off); ok {
		if t, err := in.typeAt(off); err == nil {
			fi.Result = t
		}
	}
	return fi, true
}

// resultType is the offset of the type the function at off returns,
// following its declaration (DW_AT_specification) or the abstract
// instance it is a concrete copy of (DW_AT_abstract_origin). ok is false
// for a function that returns nothing.
func (in *Info) resultType(off dwarf.Offset) (dwarf.Offset, bool) {
	for hops := 0; hops < 4; hops++ {
		e, err := in.entryAt(off)
		if err != nil {
			return 0, false
		}
		if t, ok := e.Val(dwarf.AttrType).(dwarf.Offset); ok {
			return t, true
		}
		next, ok := e.Val(dwarf.AttrSpecification).(dwarf.Offset)
		if !ok {
			if next, ok = e.Val(dwarf.AttrAbstractOrigin).(dwarf.Offset); !ok {
				return 0, false
			}
		}
		off = next
	}
	return 0, false
}

// inlinedRanges lists the unbiased pc ranges of the subroutines inlined
// into the function whose DIE is at off, outside any other inlined one
// (inside its lexical blocks too).
func (in *Info) inlinedRanges(off dwarf.Offset) [][2]uint64 {
	r := in.d.Reader()
	r.Seek(off)
	fn, err := r.Next()
	if err != nil || fn == nil || !fn.Children {
		return nil
	}
	var out [][2]uint64
	depth := 1
	for depth > 0 {
		e, err := r.Next()
		if err != nil || e == nil {
			break
		}
		if e.Tag == 0 {
			depth--
			continue
		}
		if e.Tag == dwarf.TagInlinedSubroutine {
			if rs, err := in.d.Ranges(e); err == nil {
				out = append(out, rs...)
			}
			if e.Children {
				r.SkipChildren()
			}
			continue
		}
		if e.Children {
			if e.Tag == dwarf.TagLexDwarfBlock {
				depth++
			} else {
				r.SkipChildren()
			}
		}
	}
	return out
}
