package repl

import (
	"bytes"
	"testing"

	"hwdbg/debugger"
)

func TestBreakHitText(t *testing.T) {
	at := debugger.Location{PC: 0x401126, Func: "tick", Offset: 4}
	for _, tc := range []struct {
		slot, want string
	}{
		{"", "Breakpoint 1 hit: 0x401126 tick+4, thread 7\n"},              // software: no slot
		{"DR2", "Breakpoint 1 hit: 0x401126 tick+4, thread 7, slot DR2\n"}, // hbreak
	} {
		var b bytes.Buffer
		p := &printer{w: &failWriter{w: &b}}
		p.event(debugger.BreakHit{ID: 1, Tid: 7, At: at, Slot: tc.slot})
		if b.String() != tc.want {
			t.Errorf("slot %q: %q, want %q", tc.slot, b.String(), tc.want)
		}
	}
}

// Every event in both forms.
func TestEventRendering(t *testing.T) {
	by := debugger.Location{PC: 0x555555555156, Func: "withdraw", Offset: 22, File: "bank.c", Line: 17}
	hit := debugger.WatchHit{ID: 1, Expr: "&balance", Access: "write", Addr: 0x555555558010, Len: 8, Tid: 4312,
		Slots: []string{"DR0"}, Old: "100", New: "90", Insn: by, Text: "mov qword ptr [rip+0x2eb3], rax", Hits: 3, Stops: 2}
	read := hit
	read.Access, read.Old, read.Slots = "read", "90", []string{"DR0", "DR1"}
	undecoded := hit
	undecoded.Text, undecoded.Guessed = "", true
	guessed := hit
	guessed.Guessed = true
	at := debugger.Location{PC: 0x401126, Func: "tick", Offset: 4}
	for _, tc := range []struct {
		name string
		ev   debugger.Event
		text string
		json string
	}{
		{"write hit", hit,
			"Watchpoint 1 hit: -w &balance (8 bytes at 0x555555558010), thread 4312, slot DR0\n  old = 100\n  new = 90\n" +
				"  by 0x555555555156 withdraw+22 (bank.c:17): mov qword ptr [rip+0x2eb3], rax\n",
			`{"access":"write","addr":"0x555555558010","event":"watchpoint","expr":"&balance","file":"bank.c","func":"withdraw","guessed":false,"hits":3,"id":1,"insn":"mov qword ptr [rip+0x2eb3], rax","len":8,"line":17,"new":"90","object":"","offset":22,"old":"100","pc":"0x555555555156","slot":"DR0","slots":["DR0"],"stops":2,"tid":4312}`},
		{"read hit in two slots", read,
			"Watchpoint 1 hit: -r &balance (8 bytes at 0x555555558010), thread 4312, slots DR0, DR1\n  value = 90\n" +
				"  by 0x555555555156 withdraw+22 (bank.c:17): mov qword ptr [rip+0x2eb3], rax\n",
			`{"access":"read","addr":"0x555555558010","event":"watchpoint","expr":"&balance","file":"bank.c","func":"withdraw","guessed":false,"hits":3,"id":1,"insn":"mov qword ptr [rip+0x2eb3], rax","len":8,"line":17,"new":"90","object":"","offset":22,"old":"90","pc":"0x555555555156","slot":"DR0,DR1","slots":["DR0","DR1"],"stops":2,"tid":4312}`},
		{"undecoded", undecoded,
			"Watchpoint 1 hit: -w &balance (8 bytes at 0x555555558010), thread 4312, slot DR0\n  old = 100\n  new = 90\n" +
				"  by an instruction that could not be decoded, before 0x555555555156 (guessed: no symbol to decode from)\n", ""},
		{"guessed", guessed,
			"Watchpoint 1 hit: -w &balance (8 bytes at 0x555555558010), thread 4312, slot DR0\n  old = 100\n  new = 90\n" +
				"  by 0x555555555156 withdraw+22 (bank.c:17): mov qword ptr [rip+0x2eb3], rax (guessed: no symbol to decode from)\n", ""},
		{"hbreak hit", debugger.BreakHit{ID: 2, Tid: 7, At: at, Slot: "DR1", Hits: 5, Stops: 1},
			"Breakpoint 2 hit: 0x401126 tick+4, thread 7, slot DR1\n",
			`{"event":"breakpoint","file":"","func":"tick","hits":5,"id":2,"line":0,"offset":4,"pc":"0x401126","slot":"DR1","stops":1,"temporary":false,"tid":7}`},
		{"signal", debugger.Stop{Tid: 7, Reason: "signal", Signal: "SIGSEGV", At: at, Addr: 0x10},
			"Thread 7 received SIGSEGV at 0x401126 tick+4, fault address 0x10 (continue delivers it)\n",
			`{"addr":"0x10","event":"stop","file":"","func":"tick","line":0,"object":"","offset":4,"pc":"0x401126","reason":"signal","signal":"SIGSEGV","tid":7}`},
		{"step", debugger.Stop{Tid: 7, Reason: "step", At: at}, "0x401126 tick+4, thread 7\n",
			`{"event":"stop","file":"","func":"tick","line":0,"object":"","offset":4,"pc":"0x401126","reason":"step","signal":"","tid":7}`},
		{"interrupt", debugger.Stop{Tid: 7, Reason: "interrupt", At: at}, "Interrupted: thread 7 at 0x401126 tick+4\n", ""},
		{"scope", debugger.Stop{Tid: 7, Reason: "scope", At: at}, "  stopped at 0x401126 tick+4, thread 7\n", ""},
		{"other stop", debugger.Stop{Tid: 7, Reason: "exec", At: at}, "Thread 7 stopped: exec at 0x401126 tick+4\n", ""},
		{"exit", debugger.Exit{Pid: 9, Status: 3}, "Process 9 exited with status 3\n", `{"event":"exit","pid":9,"status":3}`},
		{"killed", debugger.Exit{Pid: 9, Signal: "SIGKILL"}, "Process 9 killed by SIGKILL\n", `{"event":"exit","pid":9,"signal":"SIGKILL"}`},
		{"notice", debugger.Notice{Text: "deleted watchpoint 2 (x): thread 8 exited"}, "deleted watchpoint 2 (x): thread 8 exited\n",
			`{"event":"notice","message":"deleted watchpoint 2 (x): thread 8 exited"}`},
		{"warning", debugger.Warning{Text: "a\nb"}, "warning: a; b\n", `{"event":"warning","message":"a; b"}`},
	} {
		for _, json := range []bool{false, true} {
			want := tc.text
			if json {
				want = tc.json
			}
			if want == "" {
				continue
			}
			if json {
				want += "\n"
			}
			var b bytes.Buffer
			p := &printer{w: &failWriter{w: &b}, json: json}
			p.event(tc.ev)
			if got := b.String(); got != want {
				t.Errorf("%s (json %v):\n%s\nwant\n%s", tc.name, json, got, want)
			}
		}
	}
}
