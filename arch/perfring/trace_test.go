package perfring_test

import (
	"bufio"
	"bytes"
	"debug/elf"
	"io"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"hwdbg/arch"
	"hwdbg/arch/perfring"
	"hwdbg/internal/fixture"
	"hwdbg/traceprof"
)

// These tests trace testdata/writers.c for real: they need a machine that
// delivers debug-register traps (perf breakpoints count nothing where the
// traps are not delivered), which is where `make test` runs this package.

// writers is a running testdata/writers.c and its symbols.
type writers struct {
	t     *testing.T
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
	funcs map[string][2]uint64 // name: [start, end)
}

// startWriters starts writers MODE (built without PIE: the addresses are
// the symbols') and returns it with the numbers of its first line.
func startWriters(t *testing.T, mode string) (*writers, []int) {
	t.Helper()
	bin := fixture.C(t, "writers", fixture.NoPIE)
	w := &writers{t: t, funcs: map[string][2]uint64{}}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	syms, err := f.Symbols()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range syms {
		w.funcs[s.Name] = [2]uint64{s.Value, s.Value + s.Size}
	}
	w.cmd = exec.Command(bin, mode)
	if w.stdin, err = w.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := w.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	w.out = bufio.NewScanner(out)
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if w.cmd.ProcessState == nil {
			w.cmd.Process.Kill()
			w.cmd.Wait()
		}
	})
	return w, w.ints()
}

// ints reads the next line of numbers.
func (w *writers) ints() []int {
	w.t.Helper()
	var ns []int
	for _, f := range strings.Fields(w.line()) {
		n, err := strconv.Atoi(f)
		if err != nil {
			w.t.Fatalf("writers printed %q, not numbers", f)
		}
		ns = append(ns, n)
	}
	return ns
}

func (w *writers) line() string {
	w.t.Helper()
	if !w.out.Scan() {
		w.t.Fatalf("writers ended early: %v", w.out.Err())
	}
	return w.out.Text()
}

// next lets the program go on to its next phase.
func (w *writers) next() {
	w.t.Helper()
	if _, err := io.WriteString(w.stdin, "\n"); err != nil {
		w.t.Fatal(err)
	}
}

// done waits for the program's "done".
func (w *writers) done() {
	w.t.Helper()
	if l := w.line(); l != "done" {
		w.t.Fatalf("writers printed %q, not done", l)
	}
}

// exit lets the program exit and checks that it exited with status 0: a
// trace never stops it, and leaves it running when it ends.
func (w *writers) exit() {
	w.t.Helper()
	w.next()
	if err := w.cmd.Wait(); err != nil {
		w.t.Fatalf("writers: %v", err)
	}
}

// record runs writers MODE with its main thread traced for acc accesses
// to its global into h, through its one phase; then it calls ended, if
// not nil, closes the recorder and lets the program exit. split, if not
// nil, splits the global into the pieces traced.
func record(t *testing.T, mode string, split func(arch.Piece) []arch.Piece, acc arch.Access, h perfring.Handler, opt perfring.Options, ended func()) *writers {
	t.Helper()
	w, first := startWriters(t, mode)
	pieces := []arch.Piece{w.target()}
	if split != nil {
		pieces = split(pieces[0])
	}
	rec, err := perfring.Open(pieces, acc, h, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if err := rec.AddThread(first[0]); err != nil {
		t.Fatal(err)
	}
	w.next()
	w.done()
	if ended != nil {
		ended()
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	w.exit()
	return w
}

// funcAt says which function of the program pc is in.
func (w *writers) funcAt(pc uint64) string {
	for name, r := range w.funcs {
		if pc >= r[0] && pc < r[1] && r[1] > r[0] {
			return name
		}
	}
	return "?"
}

// target is the piece that covers the program's global.
func (w *writers) target() arch.Piece {
	return arch.Piece{Addr: w.funcs["target"][0], Len: 8}
}

// mustHit fails a test that recorded nothing, saying why that may be.
func mustHit(t *testing.T, r traceprof.Report) {
	t.Helper()
	if r.Hits == 0 {
		t.Fatalf("no access recorded (%d lost): perf breakpoints count nothing on a machine that does not deliver debug-register traps (`hwdbg doctor`); `make test` runs this package where they are delivered", r.Lost)
	}
}

// TestTwoWriters: write_a writes the global 60000 times, write_b 40000:
// two instructions, two stacks (each under main), one thread.
func TestTwoWriters(t *testing.T) {
	prof := traceprof.New(nil)
	w := record(t, "two", nil, arch.Write, prof, perfring.Options{}, nil)
	pid := w.cmd.Process.Pid
	r := prof.Report()
	mustHit(t, r)
	t.Logf("%d hits, %d lost", r.Hits, r.Lost)
	if r.Hits+r.Lost != 100000 || r.Dropped != 0 {
		t.Fatalf("%d hits + %d lost (%d dropped), want 100000", r.Hits, r.Lost, r.Dropped)
	}
	if len(r.Threads) != 1 || r.Threads[0].Tid != pid || r.Threads[0].Hits != r.Hits {
		t.Errorf("threads %+v, want all %d hits from %d", r.Threads, r.Hits, pid)
	}
	if r.Lost > 0 {
		t.Fatalf("%d of 100000 samples lost at the default ring size", r.Lost)
	}
	want := []struct {
		fn   string
		hits uint64
	}{{"write_a", 60000}, {"write_b", 40000}}
	if len(r.PCs) != 2 || len(r.Stacks) != 2 {
		t.Fatalf("pcs %x, stacks %x: want two of each", r.PCs, r.Stacks)
	}
	for i, x := range want {
		if pc := r.PCs[i]; w.funcAt(pc.PC) != x.fn || pc.Hits != x.hits {
			t.Errorf("pc %d: %#x in %s, %d hits; want in %s, %d", i, pc.PC, w.funcAt(pc.PC), pc.Hits, x.fn, x.hits)
		}
		s := r.Stacks[i]
		if len(s.PCs) < 2 || w.funcAt(s.PCs[0]) != x.fn || w.funcAt(s.Lookup(1)) != "main" || s.Hits != x.hits {
			t.Errorf("stack %d: %x (%d hits); want %s called by main, %d hits", i, s.PCs, s.Hits, x.fn, x.hits)
		}
	}
	checkWriters(t, w, r)
}

// checkWriters checks the folded stacks and the pprof profile of the two
// writers' trace: they add up to the hits, with write_a and write_b
// called by main.
func checkWriters(t *testing.T, w *writers, r traceprof.Report) {
	var folded bytes.Buffer
	if err := r.WriteFolded(&folded, w.funcAt); err != nil {
		t.Fatal(err)
	}
	byLeaf := map[string]uint64{}
	for _, l := range strings.Split(strings.TrimSpace(folded.String()), "\n") {
		stack, count, _ := strings.Cut(l, " ")
		n, _ := strconv.ParseUint(count, 10, 64)
		frames := strings.Split(stack, ";")
		if len(frames) < 2 || frames[len(frames)-2] != "main" {
			t.Errorf("folded line %q: not called by main", l)
		}
		byLeaf[frames[len(frames)-1]] += n
	}
	if byLeaf["write_a"] != 60000 || byLeaf["write_b"] != 40000 || len(byLeaf) != 2 {
		t.Errorf("folded stacks by function %v:\n%s", byLeaf, folded.String())
	}
	var pb bytes.Buffer
	sym := func(pc uint64) (string, string, int) { return w.funcAt(pc), "writers.c", 0 }
	if err := r.WritePprof(&pb, sym); err != nil {
		t.Fatal(err)
	}
	prof, err := profile.Parse(&pb)
	if err != nil {
		t.Fatal(err)
	}
	byLeaf = map[string]uint64{}
	for _, s := range prof.Sample {
		byLeaf[s.Location[0].Line[0].Function.Name] += uint64(s.Value[0])
	}
	if byLeaf["write_a"] != 60000 || byLeaf["write_b"] != 40000 || len(byLeaf) != 2 {
		t.Errorf("pprof samples by function %v", byLeaf)
	}
}

// TestThreads: per-thread counts, a thread added after the trace began
// included, and threads removed when they exit.
func TestThreads(t *testing.T) {
	w, first := startWriters(t, "threads")
	if len(first) != 3 {
		t.Fatalf("writers threads printed %v", first)
	}
	pid, t1, t2 := first[0], first[1], first[2]
	prof := traceprof.New(nil)
	rec, err := perfring.Open([]arch.Piece{w.target()}, arch.Write, prof, perfring.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	for _, tid := range first {
		if err := rec.AddThread(tid); err != nil {
			t.Fatal(err)
		}
	}
	w.next()
	t3 := w.ints()[0] // started after the trace began, waiting
	if err := rec.AddThread(t3); err != nil {
		t.Fatal(err)
	}
	w.next()
	w.done()
	// t1, t2 and t3 have exited.
	for _, tid := range []int{t1, t2, t3} {
		rec.RemoveThread(tid)
	}
	if got := rec.Threads(); len(got) != 1 || got[0] != pid {
		t.Errorf("threads traced after the others exited: %v, want [%d]", got, pid)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	w.exit()
	r := prof.Report()
	mustHit(t, r)
	want := map[int]uint64{pid: 5000, t1: 10000, t2: 20000, t3: 30000}
	got := map[int]uint64{}
	for _, th := range r.Threads {
		got[th.Tid] = th.Hits + th.Lost
		t.Logf("thread %d: %d hits, %d lost", th.Tid, th.Hits, th.Lost)
	}
	for tid, n := range want {
		if got[tid] != n {
			t.Errorf("thread %d: %d hits + lost, want %d", tid, got[tid], n)
		}
	}
	if len(got) != len(want) || r.Hits+r.Lost != 65000 {
		t.Errorf("%d threads, %d hits + %d lost; want 4 threads, 65000", len(got), r.Hits, r.Lost)
	}
}

// TestReadWrite: read_target reads the global 30000 times, write_a
// writes it 20000 times. A read-or-write trace counts both; a write trace
// the writes; a read trace the reads where the hardware traps on reads
// alone (arm64), both where it cannot (amd64: telling them apart is the
// debugger's).
func TestReadWrite(t *testing.T) {
	reads := uint64(30000)
	if runtime.GOARCH == "amd64" {
		reads = 50000
	}
	for _, tc := range []struct {
		acc               arch.Access
		hits              uint64
		readPCs, writePCs uint64
	}{
		{arch.ReadWrite, 50000, 30000, 20000},
		{arch.Write, 20000, 0, 20000},
		{arch.Read, reads, 30000, reads - 30000},
	} {
		t.Run(tc.acc.String(), func(t *testing.T) {
			prof := traceprof.New(nil)
			w := record(t, "rw", nil, tc.acc, prof, perfring.Options{}, nil)
			r := prof.Report()
			mustHit(t, r)
			if r.Hits+r.Lost != tc.hits || r.Lost != 0 {
				t.Fatalf("%d hits, %d lost; want %d hits", r.Hits, r.Lost, tc.hits)
			}
			by := map[string]uint64{}
			for _, pc := range r.PCs {
				by[w.funcAt(pc.PC)] += pc.Hits
			}
			if by["read_target"] != tc.readPCs || by["write_a"] != tc.writePCs {
				t.Errorf("hits by function %v; want read_target %d, write_a %d", by, tc.readPCs, tc.writePCs)
			}
		})
	}
}

// TestPieces: a range split in two 4-byte pieces shares one ring per
// thread, and each piece records the writes to its half. (A write to
// both halves at once is left out: the hardware reports it once per
// piece, and the emulated amd64 kernel once.)
func TestPieces(t *testing.T) {
	prof := traceprof.New(nil)
	halves := func(p arch.Piece) []arch.Piece {
		return []arch.Piece{{Addr: p.Addr, Len: 4}, {Addr: p.Addr + 4, Len: 4}}
	}
	w := record(t, "halves", halves, arch.Write, prof, perfring.Options{}, nil)
	r := prof.Report()
	mustHit(t, r)
	if r.Hits+r.Lost != 100000 || r.Lost != 0 || len(r.Stacks) != 2 {
		t.Fatalf("%d hits + %d lost in %d stacks; want 100000 in 2", r.Hits, r.Lost, len(r.Stacks))
	}
	by := map[string]uint64{}
	for _, pc := range r.PCs {
		by[w.funcAt(pc.PC)] += pc.Hits
	}
	if by["write_lo"] != 60000 || by["write_hi"] != 40000 {
		t.Errorf("hits by function %v; want write_lo 60000, write_hi 40000", by)
	}
}

// stall is a handler that holds the reader at its first sample until
// released, so that the ring fills and the kernel drops samples.
type stall struct {
	*traceprof.Profile
	first   bool
	release chan struct{}
}

func (s *stall) Sample(x *perfring.Sample) {
	if !s.first {
		s.first = true
		<-s.release
	}
	s.Profile.Sample(x)
}

// TestLost: with a one-page ring whose reader is held, most samples are
// lost; every access is still accounted for, recorded or lost.
func TestLost(t *testing.T) {
	h := &stall{Profile: traceprof.New(nil), release: make(chan struct{})}
	record(t, "two", nil, arch.Write, h, perfring.Options{Pages: 1, Tick: time.Millisecond}, func() { close(h.release) })
	r := h.Report()
	mustHit(t, r)
	t.Logf("%d hits, %d lost", r.Hits, r.Lost)
	if r.Lost == 0 || r.Hits+r.Lost != 100000 {
		t.Fatalf("%d hits + %d lost; want some lost, 100000 in all", r.Hits, r.Lost)
	}
	if th := r.Threads; len(th) != 1 || th[0].Hits != r.Hits || th[0].Lost != r.Lost {
		t.Errorf("threads %+v", th)
	}
}
