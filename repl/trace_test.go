package repl

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"hwdbg/arch"
	"hwdbg/debugger"
	"hwdbg/traceprof"
)

func TestParseTrace(t *testing.T) {
	for _, c := range []struct {
		line    string
		want    Command
		wantErr string
	}{
		{line: "trace counter", want: Command{Expr: "counter", Access: arch.Write}},
		{line: "trace -r &s.f for 2s", want: Command{Expr: "&s.f", Access: arch.Read, For: 2 * time.Second}},
		{line: "trace -rw *p for 1000 -o out.pb.gz", want: Command{Expr: "*p", Access: arch.ReadWrite, Hits: 1000, Output: "out.pb.gz"}},
		{line: "trace 0x601040 -s 16 -pages 64 for 500ms", want: Command{Expr: "0x601040", Access: arch.Write, Size: 16, Pages: 64, For: 500 * time.Millisecond}},
		{line: "trace (char*)&buf + 4 -w", want: Command{Expr: "(char*)&buf + 4", Access: arch.Write}},
		{line: "trace", wantErr: "trace needs an expression"},
		{line: "trace for 2s", wantErr: "trace needs an expression"},
		{line: "trace x for", wantErr: "for needs a duration"},
		{line: "trace x for 0", wantErr: "at least one hit"},
		{line: "trace x for -2s", wantErr: "positive duration"},
		{line: "trace x for soon", wantErr: "positive duration"},
		{line: "trace x -o", wantErr: "-o needs a file name"},
		{line: "trace x -s 0", wantErr: "positive number of bytes"},
		{line: "trace x -pages 3", wantErr: "power of two"},
	} {
		cmd, err := ParseCommand(c.line)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%q: error %v, want %q", c.line, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.line, err)
			continue
		}
		got := Command{Expr: cmd.Expr, Access: cmd.Access, Size: cmd.Size, For: cmd.For, Hits: cmd.Hits, Output: cmd.Output, Pages: cmd.Pages}
		if cmd.Name != "trace" || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: %s %+v, want trace %+v", c.line, cmd.Name, got, c.want)
		}
	}
}

func FuzzParseTrace(f *testing.F) {
	for _, s := range []string{"-r x for 2s -o a.pb.gz", "0x10 -s 8 for 100", "-pages 8 x for 1m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, args string) {
		cmd, err := ParseCommand("trace " + args)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error has more than one line: %q", err)
			}
			return
		}
		if cmd.Expr == "" || cmd.For < 0 || cmd.Size < 0 || cmd.Pages < 0 || cmd.Pages&(cmd.Pages-1) != 0 {
			t.Errorf("%q parsed to %+v", args, cmd)
		}
	})
}

func TestRenderTrace(t *testing.T) {
	main := debugger.Location{PC: 0x401200, Func: "main", Offset: 0x20, File: "w.c", Line: 9}
	wa := debugger.Location{PC: 0x401136, Func: "write_a", Offset: 6, File: "w.c", Line: 3}
	rep := debugger.TraceReport{TraceTarget: debugger.TraceTarget{ID: 2, Expr: "target", Access: arch.Write, Addr: 0x404028, Len: 8, Slots: []string{"DR1"}},
		Ended: "2s passed", Took: 2 * time.Second,
		Report: traceprof.Report{Hits: 6, Lost: 1,
			Threads: []traceprof.ThreadHits{{Tid: 7, Hits: 6, Lost: 1}},
			PCs:     []traceprof.PCHits{{PC: 0x401136, Hits: 6}},
			Stacks:  []traceprof.Stack{{PCs: []uint64{0x401136, 0x401221}, Hits: 6}}},
		Places: map[uint64]debugger.Location{0x401136: wa, 0x401220: main}}
	text := "Trace 2: -w target (8 bytes at 0x404028), slot DR1: 6 hits, 1 lost in 2s (3 hits/s); ended: 2s passed\n" +
		"  1 access was lost: the ring was full (a larger ring: -pages N)\n" +
		"  by thread:\n    7        6 (1 lost)\n" +
		"  by instruction:\n    6        0x401136 write_a+6 (w.c:3)\n" +
		"  by stack:\n    6        #0 0x401136 write_a+6 (w.c:3)\n             #1 0x401221 main+33 (w.c:9)\n"
	json := `{"access":"write","addr":"0x404028","after":0,"dropped":0,"ended":"2s passed","event":"trace","expr":"target","hits":6,"id":2,"len":8,"lost":1,"merged":0,` +
		`"pcs":[{"file":"w.c","func":"write_a","hits":6,"line":3,"offset":6,"pc":"0x401136"}],"seconds":2,"slots":["DR1"],` +
		`"stacks":[{"count":6,"frames":[{"file":"w.c","func":"write_a","line":3,"pc":"0x401136"},{"file":"w.c","func":"main","line":9,"pc":"0x401221"}]}],` +
		`"threads":[{"hits":6,"lost":1,"tid":7}]}` + "\n"
	for _, asJSON := range []bool{false, true} {
		var b bytes.Buffer
		p := &printer{w: &failWriter{w: &b}, json: asJSON}
		p.event(rep)
		want := map[bool]string{false: text, true: json}[asJSON]
		if b.String() != want {
			t.Errorf("trace report (json %v):\n%s\nwant\n%s", asJSON, b.String(), want)
		}
	}
	checkResults(t, []resultCase{
		{"trace started", "trace", traceStarted{TraceStart: debugger.TraceStart{ID: 2, Addr: 0x404028, Len: 8, Slots: []string{"DR1"}, Threads: 3, Pages: 1024},
			Expr: "target", Access: arch.Read, Hits: 100},
			[]string{"Trace 2: -r target (8 bytes at 0x404028), slot DR1, 3 threads: running until 100 hits (Ctrl-C ends it)"},
			`{"access":"read","addr":"0x404028","command":"trace","count":100,"event":"result","expr":"target","id":2,"len":8,"pages":1024,"running":true,"slots":["DR1"],"threads":3}`},
		{"trace written", "trace", traceWritten{ID: 2, File: "t.pb.gz", Format: "pprof", Hits: 6, Stacks: 1},
			[]string{"Trace 2: 6 hits in 1 stack written to t.pb.gz (pprof)"},
			`{"command":"trace","event":"result","file":"t.pb.gz","format":"pprof","hits":6,"id":2,"stacks":1}`},
	})
}

// TestRenderTraceCounts: the lines for accesses after the count and for
// accesses two pieces reported; a paused trace; its row of info
// watchpoints; the live line.
func TestRenderTraceCounts(t *testing.T) {
	rep := debugger.TraceReport{TraceTarget: debugger.TraceTarget{ID: 3, Expr: "pair", Access: arch.Write, Addr: 0x404030, Len: 16, Slots: []string{"DR0", "DR1"}},
		Ended: "1000 hits counted", Took: time.Second, Report: traceprof.Report{Hits: 1000, After: 37, Merged: 1000}}
	want := []string{
		"Trace 3: -w pair (16 bytes at 0x404030), slots DR0,DR1: 1000 hits, 0 lost in 1s (1000 hits/s); ended: 1000 hits counted",
		"  37 more recorded after the first 1000 (the count) while the program was being stopped: not reported",
		"  1000 accesses reported by two pieces of the range were counted once",
	}
	if got := traceText(rep); !reflect.DeepEqual(got, want) {
		t.Errorf("report:\n%q\nwant\n%q", got, want)
	}
	if d := traceData(rep); d["after"] != uint64(37) || d["merged"] != uint64(1000) {
		t.Errorf("json: after %v, merged %v", d["after"], d["merged"])
	}
	paused := debugger.TracePaused{ID: 3, Cause: "breakpoint 1 stopped the program", Hits: 48213}
	for asJSON, want := range map[bool]string{
		false: "Trace 3 paused: breakpoint 1 stopped the program; continue resumes it, delete 3 ends it and reports (48213 hits so far)\n",
		true:  `{"cause":"breakpoint 1 stopped the program","event":"trace_paused","hits":48213,"id":3,"lost":0}` + "\n",
	} {
		var b bytes.Buffer
		p := &printer{w: &failWriter{w: &b}, json: asJSON}
		p.event(paused)
		if b.String() != want {
			t.Errorf("paused (json %v): %q, want %q", asJSON, b.String(), want)
		}
	}
	row := traceRow(debugger.TraceInfo{TraceTarget: debugger.TraceTarget{ID: 3, Expr: "pair", Access: arch.Write, Addr: 0x404030, Len: 16, Slots: []string{"DR0", "DR1"}},
		Pieces: []arch.Piece{{Addr: 0x404030, Len: 8}, {Addr: 0x404038, Len: 8}}, Hits: 48213, Ran: 2200 * time.Millisecond,
		Paused: "breakpoint 1 stopped the program", Count: 100000})
	checkResults(t, []resultCase{{"info watchpoints with a trace", "info watchpoints", watchList{Rows: []watchRow{row}},
		[]string{
			"Num  Kind   Enb  What                     Requested                    Slots      Covers                             Hits     Stops",
			"3    trace  y    pair                     16 bytes at 0x404030         DR0,DR1    0x404030+8 0x404038+8              48213    -",
			"     trace write of pair, through perf events: paused (breakpoint 1 stopped the program), 0 lost, 2.2s run",
			"     ends after 100000 hits",
		},
		`{"command":"info watchpoints","event":"result","watchpoints":[{"access":"write","addr":"0x404030","commands":null,"cond":"","covers":[{"addr":"0x404030","len":8},{"addr":"0x404038","len":8}],` +
			`"enabled":true,"engine":"perf","expr":"pair","hits":48213,"id":3,"ignore":0,"kind":"trace","len":16,"lost":0,"modify":false,"paused":"breakpoint 1 stopped the program","seconds":2.2,"slots":["DR0","DR1"],"thread":0,"thread_hits":{}}]}`}})
	if got := liveText(2, 48213, 0, 2200*time.Millisecond); got != "trace 2: 48213 hits, 21.9k/s, 0 lost, 2.2 s" {
		t.Errorf("live line %q", got)
	}
	for _, c := range []struct {
		hits uint64
		d    time.Duration
		want string
	}{{0, 0, "-/s"}, {500, time.Second, "500/s"}, {3_000_000, time.Second, "3.00M/s"}} {
		if got := perSecond(c.hits, c.d); got != c.want {
			t.Errorf("perSecond(%d, %v) = %q, want %q", c.hits, c.d, got, c.want)
		}
	}
}
