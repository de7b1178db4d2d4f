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

func resolve(ip uint64) (uint64, bool) { return ip - 4, ip != 0x3054 }

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
