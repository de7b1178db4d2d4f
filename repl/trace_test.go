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
	rep := debugger.TraceReport{ID: 2, Expr: "target", Access: arch.Write, Addr: 0x404028, Len: 8, Slots: []string{"DR1"},
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
	json := `{"access":"write","addr":"0x404028","dropped":0,"ended":"2s passed","event":"trace","expr":"target","hits":6,"id":2,"len":8,"lost":1,` +
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
