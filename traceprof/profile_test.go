package traceprof

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/google/pprof/profile"

	"hwdbg/arch/perfring"
)

// A program of three functions: main (0x1000-0x1100) calls write_a
// (0x2000-0x2100) and write_b (0x3000-0x3100); main's calls return to
// 0x1010 and 0x1020. Samples' ips are after the accessing instruction,
// 4 bytes on; a read at 0x3050 is left out.
var funcs = []struct {
	name, file string
	start, end uint64
}{
	{"main", "w.c", 0x1000, 0x1100},
	{"write_a", "w.c", 0x2000, 0x2100},
	{"write_b", "w.c", 0x3000, 0x3100},
}

func name(pc uint64) string {
	fn, _, _ := sym(pc)
	return fn
}

func sym(pc uint64) (string, string, int) {
	for _, f := range funcs {
		if pc >= f.start && pc < f.end {
			return f.name, f.file, int(pc-f.start) / 16
		}
	}
	return "", "", 0
}

func resolve(ip uint64) Access { return Access{PC: ip - 4, Counts: ip != 0x3054, Width: 8} }

// feed gives p: thread 1 writes from write_a 3 times and write_b once;
// thread 2 writes from write_a twice and reads from write_b once; 4
// samples of thread 2 lost.
func feed(p *Profile) {
	a := perfring.Sample{Pid: 1, Tid: 1, IP: 0x2014, Stack: []uint64{0x2014, 0x1010}}
	b := perfring.Sample{Pid: 1, Tid: 1, IP: 0x3024, Stack: []uint64{0x3024, 0x1020}}
	for i := 0; i < 3; i++ {
		p.Sample(&a)
	}
	p.Sample(&b)
	a.Tid = 2
	p.Sample(&a)
	p.Sample(&a)
	read := perfring.Sample{Pid: 1, Tid: 2, IP: 0x3054, Stack: []uint64{0x3054, 0x1020}}
	p.Sample(&read)
	p.Lost(2, 4)
}

func TestReport(t *testing.T) {
	p := New(resolve)
	feed(p)
	if h, l, d := p.Totals(); h != 6 || l != 4 || d != 1 {
		t.Fatalf("totals %d %d %d, want 6 hits, 4 lost, 1 dropped", h, l, d)
	}
	r := p.Report()
	want := Report{
		Hits: 6, Lost: 4, Dropped: 1,
		Threads: []ThreadHits{{Tid: 1, Hits: 4}, {Tid: 2, Hits: 2, Lost: 4}},
		PCs:     []PCHits{{0x2010, 5}, {0x3020, 1}},
		Stacks:  []Stack{{[]uint64{0x2010, 0x1010}, 5}, {[]uint64{0x3020, 0x1020}, 1}},
	}
	r.byThread = nil
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("report\n%+v\nwant\n%+v", r, want)
	}
	if s := want.Stacks[0]; s.Lookup(0) != 0x2010 || s.Lookup(1) != 0x100f {
		t.Errorf("lookup pcs %#x %#x", s.Lookup(0), s.Lookup(1))
	}
}

// TestNoCallchain: a sample whose callchain is empty, or does not start
// at its ip, still has the accessing instruction as its first frame.
func TestNoCallchain(t *testing.T) {
	p := New(nil)
	p.Sample(&perfring.Sample{Tid: 1, IP: 0x2000})
	p.Sample(&perfring.Sample{Tid: 1, IP: 0x2000, Stack: []uint64{0x1010}})
	r := p.Report()
	want := []Stack{{[]uint64{0x2000}, 1}, {[]uint64{0x2000, 0x1010}, 1}}
	if !reflect.DeepEqual(r.Stacks, want) {
		t.Fatalf("stacks %x, want %x", r.Stacks, want)
	}
}

func TestFolded(t *testing.T) {
	p := New(resolve)
	feed(p)
	var b bytes.Buffer
	if err := p.Report().WriteFolded(&b, name); err != nil {
		t.Fatal(err)
	}
	want := "main;write_a 5\nmain;write_b 1\n"
	if b.String() != want {
		t.Fatalf("folded:\n%s\nwant:\n%s", b.String(), want)
	}
	// Unnamed pcs are in hex; names lose what would break the format.
	b.Reset()
	odd := func(pc uint64) string {
		if pc == 0x100f {
			return "ns::f<a;b>\nx"
		}
		return ""
	}
	if err := p.Report().WriteFolded(&b, odd); err != nil {
		t.Fatal(err)
	}
	want = "0x101f;0x3020 1\nns::f<a,b> x;0x2010 5\n"
	if b.String() != want {
		t.Fatalf("folded:\n%s\nwant:\n%s", b.String(), want)
	}
	sum := 0
	for _, l := range strings.Split(strings.TrimSpace(want), "\n") {
		sum += int(l[len(l)-1] - '0')
	}
	if sum != 6 {
		t.Fatalf("folded counts add up to %d, not the 6 hits", sum)
	}
}

// TestPprof: the profile reads back with the pprof library, its totals
// are the report's, per thread too, and its locations are symbolized.
func TestPprof(t *testing.T) {
	p := New(resolve)
	feed(p)
	var b bytes.Buffer
	if err := p.Report().WritePprof(&b, sym); err != nil {
		t.Fatal(err)
	}
	prof, err := profile.Parse(&b)
	if err != nil {
		t.Fatal(err)
	}
	if err := prof.CheckValid(); err != nil {
		t.Fatal(err)
	}
	if len(prof.SampleType) != 1 || prof.SampleType[0].Type != "hits" || prof.SampleType[0].Unit != "count" {
		t.Fatalf("sample types %v", prof.SampleType)
	}
	total := int64(0)
	byThread := map[int64]int64{}
	byLeaf := map[string]int64{}
	for _, s := range prof.Sample {
		total += s.Value[0]
		byThread[s.NumLabel["thread"][0]] += s.Value[0]
		leaf := s.Location[0].Line[0]
		byLeaf[leaf.Function.Name+":"+leaf.Function.Filename] += s.Value[0]
		if caller := s.Location[1].Line[0].Function.Name; caller != "main" {
			t.Errorf("caller %q, want main", caller)
		}
	}
	if total != 6 || byThread[1] != 4 || byThread[2] != 2 {
		t.Errorf("total %d, by thread %v; want 6, 1: 4, 2: 2", total, byThread)
	}
	if byLeaf["write_a:w.c"] != 5 || byLeaf["write_b:w.c"] != 1 {
		t.Errorf("by function %v", byLeaf)
	}
	if len(prof.Comments) != 1 || !strings.Contains(prof.Comments[0], "4 accesses lost") {
		t.Errorf("comments %q", prof.Comments)
	}
	for _, l := range prof.Location {
		if l.Address == 0x2010 && l.Line[0].Line != 1 {
			t.Errorf("write_a's access at line %d, want 1", l.Line[0].Line)
		}
	}
}

// TestPieces: samples of one thread that follow each other at one ip with
// one stack, from pieces less than the instruction's width apart, are one
// access; anything else between them, or pieces as far apart as the
// width, makes them two.
func TestPieces(t *testing.T) {
	const lo, hi = 0x4000, 0x4008
	wide := func(ip uint64) Access {
		return Access{PC: ip - 4, Counts: true, Width: map[uint64]int{0x2014: 16, 0x2024: 8}[ip]}
	}
	at := func(tid int, ip, piece uint64, caller uint64) *perfring.Sample {
		return &perfring.Sample{Tid: tid, IP: ip, Piece: piece, Stack: []uint64{ip, caller}}
	}
	for _, tc := range []struct {
		name         string
		samples      []*perfring.Sample
		lost         bool // thread 1 loses samples after the first
		hits, merged uint64
	}{
		{"a 16-byte store over both pieces", []*perfring.Sample{at(1, 0x2014, hi, 0x1010), at(1, 0x2014, lo, 0x1010)}, false, 1, 1},
		{"twice", []*perfring.Sample{at(1, 0x2014, hi, 0x1010), at(1, 0x2014, lo, 0x1010), at(1, 0x2014, hi, 0x1010), at(1, 0x2014, lo, 0x1010)}, false, 2, 2},
		{"an 8-byte store to each piece in turn", []*perfring.Sample{at(1, 0x2024, lo, 0x1010), at(1, 0x2024, hi, 0x1010)}, false, 2, 0},
		{"the same piece twice", []*perfring.Sample{at(1, 0x2014, lo, 0x1010), at(1, 0x2014, lo, 0x1010)}, false, 2, 0},
		{"another stack", []*perfring.Sample{at(1, 0x2014, lo, 0x1010), at(1, 0x2014, hi, 0x1020)}, false, 2, 0},
		{"another thread", []*perfring.Sample{at(1, 0x2014, lo, 0x1010), at(2, 0x2014, hi, 0x1010)}, false, 2, 0},
		{"lost samples between", []*perfring.Sample{at(1, 0x2014, lo, 0x1010), at(1, 0x2014, hi, 0x1010)}, true, 2, 0},
		{"no piece address (one piece)", []*perfring.Sample{at(1, 0x2014, 0, 0x1010), at(1, 0x2014, 0, 0x1010)}, false, 2, 0},
		{"an instruction of unknown width", []*perfring.Sample{at(1, 0x2034, lo, 0x1010), at(1, 0x2034, hi, 0x1010)}, false, 2, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := New(wide)
			for i, s := range tc.samples {
				if i == 1 && tc.lost {
					p.Lost(1, 3)
				}
				p.Sample(s)
			}
			r := p.Report()
			if r.Hits != tc.hits || r.Merged != tc.merged {
				t.Fatalf("%d hits, %d merged; want %d, %d", r.Hits, r.Merged, tc.hits, tc.merged)
			}
			var sum uint64
			for _, s := range r.Stacks {
				sum += s.Hits
			}
			if sum != tc.hits {
				t.Errorf("stacks add up to %d, want %d", sum, tc.hits)
			}
		})
	}
}

// TestLimit: with a limit of n, the n earliest accesses by time count,
// whatever order the threads' samples arrive in; the rest are After.
func TestLimit(t *testing.T) {
	p := New(resolve)
	reached := p.SetLimit(3)
	a := func(tid int, time uint64, ip uint64) *perfring.Sample {
		return &perfring.Sample{Tid: tid, IP: ip, Time: time, Stack: []uint64{ip, 0x1010}}
	}
	// Thread 1's ring is read first: its late accesses come before
	// thread 2's early ones.
	for _, s := range []*perfring.Sample{a(1, 10, 0x2014), a(1, 50, 0x2014), a(1, 60, 0x3024)} {
		p.Sample(s)
	}
	select {
	case <-reached:
	default:
		t.Fatal("3 accesses recorded, the limit not reached")
	}
	for _, s := range []*perfring.Sample{a(2, 20, 0x3024), a(2, 30, 0x3024), a(2, 70, 0x2014)} {
		p.Sample(s)
	}
	if h, _, _ := p.Totals(); h != 3 {
		t.Fatalf("%d hits so far, want the limit, 3", h)
	}
	r := p.Report()
	r.byThread = nil
	want := Report{Hits: 3, After: 3,
		Threads: []ThreadHits{{Tid: 2, Hits: 2}, {Tid: 1, Hits: 1}},
		PCs:     []PCHits{{0x3020, 2}, {0x2010, 1}},
		Stacks:  []Stack{{[]uint64{0x3020, 0x1010}, 2}, {[]uint64{0x2010, 0x1010}, 1}},
	}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("report\n%+v\nwant\n%+v", r, want)
	}
}

// FuzzProfile: any samples, in any order, with any limit: the counts add
// up (hits + merged + dropped + after is every sample), per thread and
// per stack too.
func FuzzProfile(f *testing.F) {
	f.Add([]byte{1, 0x14, 0, 1, 0x14, 1, 2, 0x24, 0}, uint8(0))
	f.Add([]byte{1, 0x14, 1, 1, 0x14, 0, 1, 0x54, 1, 3, 0x14, 0}, uint8(2))
	f.Fuzz(func(t *testing.T, b []byte, n uint8) {
		p := New(func(ip uint64) Access { return Access{PC: ip, Counts: ip != 0x54, Width: int(ip & 0x1f)} })
		if n > 0 {
			p.SetLimit(uint64(n))
		}
		var samples uint64
		for i := 0; i+2 < len(b); i += 3 {
			if b[i] == 0 {
				p.Lost(1, 1)
				continue
			}
			samples++
			p.Sample(&perfring.Sample{Tid: int(b[i] % 4), IP: uint64(b[i+1]), Piece: 0x4000 + 8*uint64(b[i+2]%3), Time: uint64(i), Stack: []uint64{0x1010}})
		}
		r := p.Report()
		if r.Hits+r.Merged+r.Dropped+r.After != samples {
			t.Fatalf("%d samples: %d hits + %d merged + %d dropped + %d after", samples, r.Hits, r.Merged, r.Dropped, r.After)
		}
		if n > 0 && r.Hits > uint64(n) {
			t.Fatalf("%d hits over the limit %d", r.Hits, n)
		}
		var th, st, pc uint64
		for _, x := range r.Threads {
			th += x.Hits
		}
		for _, x := range r.Stacks {
			st += x.Hits
		}
		for _, x := range r.PCs {
			pc += x.Hits
		}
		if th != r.Hits || st != r.Hits || pc != r.Hits {
			t.Fatalf("hits %d: threads %d, stacks %d, pcs %d", r.Hits, th, st, pc)
		}
	})
}
