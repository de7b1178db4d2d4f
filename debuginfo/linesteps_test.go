package debuginfo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A line table of one sequence: line 10 at 0x100 (two rows, the second
// no statement), 11 at 0x108, a stretch of 10 again at 0x110 whose first
// row is no statement, 12 at 0x118, end at 0x120.
func testTable() *lineTable {
	t := &lineTable{files: []string{"/src/a.c"}}
	t.rows = []lineRow{
		{addr: 0x100, line: 10, stmt: true},
		{addr: 0x104, line: 10},
		{addr: 0x108, line: 11, stmt: true},
		{addr: 0x110, line: 10},
		{addr: 0x112, line: 10, stmt: true},
		{addr: 0x118, line: 12, stmt: true},
		{addr: 0x120, end: true},
	}
	t.seqs = []lineSeq{{lo: 0x100, hi: 0x120, start: 0, end: len(t.rows)}}
	return t
}

func TestSpanAt(t *testing.T) {
	tab := testTable()
	for _, c := range []struct {
		pc     uint64
		ok     bool
		line   int
		lo, hi uint64
		stmt   bool
	}{
		{0x100, true, 10, 0x100, 0x108, true},
		{0x106, true, 10, 0x100, 0x108, true},
		{0x108, true, 11, 0x108, 0x110, true},
		{0x110, true, 10, 0x110, 0x118, false},
		{0x114, true, 10, 0x110, 0x118, true},
		{0x11f, true, 12, 0x118, 0x120, true},
		{0x120, false, 0, 0, 0, false},
		{0xff, false, 0, 0, 0, false},
	} {
		s, ok := tab.spanAt(c.pc)
		if ok != c.ok || ok && (s.Line != c.line || s.Lo != c.lo || s.Hi != c.hi || s.Stmt != c.stmt || s.File != "/src/a.c") {
			t.Errorf("spanAt(%#x) = %+v, %v; want line %d [%#x, %#x) stmt %v, %v", c.pc, s, ok, c.line, c.lo, c.hi, c.stmt, c.ok)
		}
	}
}

func TestStartsIn(t *testing.T) {
	tab := testTable()
	got := tab.startsIn(0x100, 0x120)
	want := []LineStart{{0x100, "/src/a.c", 10}, {0x108, "/src/a.c", 11}, {0x112, "/src/a.c", 10}, {0x118, "/src/a.c", 12}}
	if len(got) != len(want) {
		t.Fatalf("startsIn = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("start %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if got := tab.startsIn(0x109, 0x118); len(got) != 1 || got[0].PC != 0x112 {
		t.Errorf("startsIn(0x109, 0x118) = %+v, want the start at 0x112 alone", got)
	}
}

// TestStepQueriesOnProgram checks the line spans and starts of a real
// program against objdump's decoded line table, and the functions' result
// types.
func TestStepQueriesOnProgram(t *testing.T) {
	bin := build(t, "prog.c")
	in := mustLoad(t, bin, 0)
	syms := nm(t, bin, false)
	fi, ok := in.FuncInfoAt(syms["b"] + 4)
	if !ok || fi.Name != "b" || fi.Entry != syms["b"] || fi.Lo != syms["b"] || fi.Hi <= fi.Lo || fi.Go {
		t.Fatalf("FuncInfoAt(b+4) = %+v, %v", fi, ok)
	}
	if fi.Result == nil || fi.Result.Name != "int" || fi.Result.Kind != Int {
		t.Errorf("b returns %v, want int", fi.Result)
	}
	stmts := map[uint64]int{}
	for _, r := range objdumpLines(t, bin) {
		if r.stmt && strings.HasSuffix(r.file, "prog.c") {
			stmts[r.addr] = r.line
		}
	}
	starts := in.LineStarts(fi.Lo, fi.Hi)
	if len(starts) < 2 {
		t.Fatalf("b has %d line starts: %+v", len(starts), starts)
	}
	src, _ := filepath.Abs(filepath.Join("testdata", "prog.c"))
	for _, s := range starts {
		if line, ok := stmts[s.PC]; !ok || line != s.Line {
			t.Errorf("start %+v: objdump has line %d there (%v)", s, line, ok)
		}
		if s.File != src {
			t.Errorf("start %+v: file %q, want %q", s, s.File, src)
		}
		span, ok := in.LineSpanAt(s.PC)
		if !ok || span.Lo != s.PC || span.Line != s.Line || !span.Stmt || span.Hi <= span.Lo {
			t.Errorf("LineSpanAt(%#x) = %+v, %v; want the span starting there", s.PC, span, ok)
		}
		if _, err := os.Stat(span.File); err != nil {
			t.Errorf("span file %q: %v", span.File, err)
		}
	}
	if _, ok := in.LineSpanAt(1); ok {
		t.Errorf("LineSpanAt(1) found a line")
	}
}
