package main

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"hwdbg/internal/fixture"
)

// The trace command against testdata/writers.c: write_a writes its global
// 60000 times and write_b 40000 times. Like every test here, these need a
// machine that delivers debug-register traps: perf breakpoints count
// nothing where they are not delivered.

// traceEvent is the one trace event of a run.
func traceEvent(t *testing.T, r result) map[string]any {
	t.Helper()
	evs := r.byEvent("trace")
	if len(evs) != 1 {
		t.Fatalf("%d trace events, want 1:\n%s", len(evs), r)
	}
	return evs[0]
}

// checkTwoWriters checks a trace event of writers two: every write
// counted (or lost, and said), two stacks topped by write_a and write_b
// with their counts, each called from main.
func checkTwoWriters(t *testing.T, ev map[string]any) uint64 {
	t.Helper()
	hits, lost := uint64(ev["hits"].(float64)), uint64(ev["lost"].(float64))
	if hits == 0 {
		t.Fatalf("no write counted: does this machine deliver debug-register traps (hwdbg doctor)? %v", ev)
	}
	if hits+lost != 100000 {
		t.Fatalf("%d hits + %d lost, want 100000: %v", hits, lost, ev)
	}
	stacks := ev["stacks"].([]any)
	if len(stacks) != 2 {
		t.Fatalf("%d stacks, want 2: %v", len(stacks), stacks)
	}
	want := []struct {
		fn    string
		count float64
		line  float64 // the store's
	}{{"write_a", 60000, 34}, {"write_b", 40000, 39}}
	for i, w := range want {
		s := stacks[i].(map[string]any)
		frames := s["frames"].([]any)
		top := frames[0].(map[string]any)
		if top["func"] != w.fn || top["file"] != "writers.c" || top["line"] != w.line {
			t.Errorf("stack %d topped by %v, want %s in writers.c:%v", i, top, w.fn, w.line)
		}
		if lost == 0 && s["count"] != w.count {
			t.Errorf("stack %d (%s): count %v, want %v", i, w.fn, s["count"], w.count)
		}
		if len(frames) < 2 || frames[1].(map[string]any)["func"] != "main" {
			t.Errorf("stack %d: %s is not called from main: %v", i, w.fn, frames)
		}
	}
	threads := ev["threads"].([]any)
	if len(threads) != 1 || threads[0].(map[string]any)["hits"].(float64) != float64(hits) {
		t.Errorf("threads %v, want one with all %d hits", threads, hits)
	}
	if pcs := ev["pcs"].([]any); len(pcs) != 2 {
		t.Errorf("pcs %v, want the two writing instructions", pcs)
	}
	return hits
}

// TestTraceTwoWriters: a started program traced to its end, the report
// and a pprof profile of it.
func TestTraceTwoWriters(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "writers", fixture.PIE)
	prof := filepath.Join(t.TempDir(), "writers.pb.gz")
	r := hwdbg(t, "trace -w target -o "+prof+"\n", bin, "two", "nowait")
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r)
	}
	ev := traceEvent(t, r)
	hits := checkTwoWriters(t, ev)
	if ev["ended"] != "the program ended" || len(r.byEvent("exit")) != 1 {
		t.Errorf("ended %q, want the program's end:\n%s", ev["ended"], r)
	}
	if started := r.results("trace"); len(started) != 2 || started[0]["running"] != true || started[1]["format"] != "pprof" {
		t.Errorf("trace results %v: want the start, then the profile written", started)
	}
	f, err := os.Open(prof)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		t.Fatalf("the profile does not parse: %v", err)
	}
	var total int64
	byFunc := map[string]int64{}
	for _, s := range p.Sample {
		total += s.Value[0]
		byFunc[s.Location[0].Line[0].Function.Name] += s.Value[0]
	}
	if total != int64(hits) || byFunc["write_a"]+byFunc["write_b"] != total {
		t.Errorf("profile: %d hits (%v), want %d from write_a and write_b", total, byFunc, hits)
	}
}

// TestTraceFolded: -o with any other name writes folded stacks whose
// counts add up to the hits, each line rooted in main.
func TestTraceFolded(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "writers", fixture.PIE)
	out := filepath.Join(t.TempDir(), "writers.folded")
	r := hwdbg(t, "trace target -o "+out+"\n", bin, "two", "nowait")
	hits := uint64(traceEvent(t, r)["hits"].(float64))
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var sum uint64
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		i := strings.LastIndexByte(l, ' ')
		n, err := strconv.ParseUint(l[i+1:], 10, 64)
		if i < 0 || err != nil || !strings.Contains(l[:i], "main;write_") {
			t.Fatalf("folded line %q", l)
		}
		sum += n
	}
	if sum != hits || hits == 0 {
		t.Errorf("folded stacks add up to %d, want the %d hits:\n%s", sum, hits, b)
	}
}

// TestTraceNoSlots: a trace needs a free slot; the refusal names who
// holds them, and nothing is left held.
func TestTraceNoSlots(t *testing.T) {
	bin := fixture.C(t, "writers", fixture.PIE)
	r := hwdbg(t, "watch -w target\nwatch -rw target\nwatch -w sink\nwatch -rw sink\ntrace target for 10\n", bin, "two", "nowait")
	errs := r.byEvent("error")
	first := map[string]string{"amd64": "DR0", "arm64": "WP0"}[runtime.GOARCH]
	if r.code != 1 || len(errs) != 1 || errs[0]["command"] != "trace" ||
		!strings.Contains(errs[0]["message"].(string), "not enough hardware slots: needs 1, 0 free: "+first+" held by 1") {
		t.Fatalf("want the slot budget's refusal:\n%s", r)
	}
}

// TestTraceAttached: a trace of a process hwdbg attached to ends at its
// count, and the process runs on after hwdbg has left.
func TestTraceAttached(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "writers", fixture.PIE)
	prog := exec.Command(bin, "two")
	progIn, _ := prog.StdinPipe()
	progOut, _ := prog.StdoutPipe()
	if err := prog.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prog.Process.Kill(); prog.Wait() })
	lines := bufio.NewScanner(progOut)
	if !lines.Scan() {
		t.Fatal("writers did not start")
	}
	pid := lines.Text()

	dbg := exec.Command(hwdbgBin, "--json", "-q", "-p", pid)
	dbgIn, _ := dbg.StdinPipe()
	dbgOut, _ := dbg.StdoutPipe()
	dbg.Stderr = os.Stderr
	if err := dbg.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dbg.Process.Kill(); dbg.Wait() })
	events := make(chan map[string]any, 16)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(dbgOut)
		sc.Buffer(nil, 1<<22)
		for sc.Scan() {
			var ev map[string]any
			if json.Unmarshal(sc.Bytes(), &ev) == nil {
				events <- ev
			}
		}
	}()
	next := func(kind string) map[string]any {
		t.Helper()
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					t.Fatalf("hwdbg ended before a %s event", kind)
				}
				if ev["event"] == "error" {
					t.Fatalf("hwdbg: %v", ev)
				}
				if ev["event"] == kind {
					return ev
				}
			case <-time.After(scriptTimeout):
				t.Fatalf("no %s event", kind)
			}
		}
	}
	io.WriteString(dbgIn, "trace -w target for 100000\n")
	next("result") // running
	io.WriteString(progIn, "\n")
	ev := next("trace")
	if ev["ended"] != "100000 hits counted" {
		t.Errorf("ended %q, want at the count", ev["ended"])
	}
	checkTwoWriters(t, ev)
	dbgIn.Close()
	if err := dbg.Wait(); err != nil {
		t.Fatalf("hwdbg: %v", err)
	}
	// Detached, it runs on: it prints done and exits at its last line.
	if !lines.Scan() || lines.Text() != "done" {
		t.Fatalf("writers after the trace: %q", lines.Text())
	}
	io.WriteString(progIn, "\n")
	if err := prog.Wait(); err != nil {
		t.Fatalf("writers after hwdbg left: %v", err)
	}
}

// TestTraceReads: -r counts the instructions that read, although on
// amd64 the slot also fires on writes: read_target reads the global
// 30000 times, write_a writes it 20000 times.
func TestTraceReads(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "writers", fixture.PIE)
	r := hwdbg(t, "trace -r target\n", bin, "rw", "nowait")
	ev := traceEvent(t, r)
	hits, lost := ev["hits"].(float64), ev["lost"].(float64)
	if hits == 0 || hits+lost != 30000 {
		t.Fatalf("%v hits + %v lost, want the 30000 reads:\n%s", hits, lost, r)
	}
	for _, s := range ev["stacks"].([]any) {
		top := s.(map[string]any)["frames"].([]any)[0].(map[string]any)
		if top["func"] != "read_target" {
			t.Errorf("a read counted in %v", top)
		}
	}
}

// TestTraceThreads: writers threads has T1 write 10000 times, T2 20000
// and main 5000, then starts T3 (during the trace), which writes 30000
// times: per-thread counts, the late thread's included.
func TestTraceThreads(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "writers", fixture.PIE)
	r := hwdbg(t, "trace target\n", bin, "threads", "nowait")
	ev := traceEvent(t, r)
	if hits, lost := ev["hits"].(float64), ev["lost"].(float64); hits == 0 || hits+lost != 65000 {
		t.Fatalf("%v hits + %v lost, want 65000:\n%s", hits, lost, r)
	}
	var counts []int
	for _, th := range ev["threads"].([]any) {
		counts = append(counts, int(th.(map[string]any)["hits"].(float64)))
	}
	if ev["lost"].(float64) == 0 && fmtInts(counts) != "30000 20000 10000 5000" {
		t.Fatalf("per-thread hits %v, want 30000 (the thread started during the trace), 20000, 10000, 5000:\n%s", counts, r)
	}
	if len(counts) != 4 {
		t.Fatalf("%d threads counted, want 4 (the one started during the trace included):\n%s", len(counts), r)
	}
}

func fmtInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, " ")
}

// TestTraceForDuration: trace ... for DURATION ends when the time has
// passed, says so, and leaves the program stopped under hwdbg, alive, in
// the middle of its writes.
func TestTraceForDuration(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "hot", fixture.PIE)
	r := hwdbg(t, "trace -w &counter for 300ms\nprint counter > 0\n", bin, "1000000000")
	ev := traceEvent(t, r)
	if ev["ended"] != "300ms passed" {
		t.Errorf("ended %v, want 300ms passed", ev["ended"])
	}
	hits, secs := ev["hits"].(float64), ev["seconds"].(float64)
	if hits+ev["lost"].(float64) == 0 || secs < 0.3 || secs > 30 {
		t.Errorf("%v hits in %v s, want some, in 0.3 s or a little more\n%s", hits, secs, r)
	}
	if p := r.results("print"); len(p) != 1 || p[0]["value"] != "1" || len(r.byEvent("exit")) != 0 {
		t.Errorf("the program is stopped in its writes, not ended\n%s", r)
	}
}
