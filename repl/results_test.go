package repl

import (
	"bytes"
	"strings"
	"testing"

	"hwdbg/arch"
	"hwdbg/debugger"
)

// render renders one result the way a session does, as text or JSON.
func render(command string, r Result, json bool) string {
	var b bytes.Buffer
	p := &printer{w: &failWriter{w: &b}, json: json}
	p.show(command, r)
	return b.String()
}

var (
	atMain     = debugger.Location{PC: 0x5555555551eb, Func: "main", Offset: 8, File: "bank.c", Line: 29}
	atWithdraw = debugger.Location{PC: 0x555555555171, Func: "withdraw", Offset: 8}
)

// resultCase is one result and its two renderings: text lines, and the
// JSON line ("" for none).
type resultCase struct {
	name    string
	command string
	result  Result
	text    []string
	json    string
}

func checkResults(t *testing.T, cases []resultCase) {
	t.Helper()
	for _, tc := range cases {
		text := ""
		if len(tc.text) > 0 {
			text = strings.Join(tc.text, "\n") + "\n"
		}
		if got := render(tc.command, tc.result, false); got != text {
			t.Errorf("%s: text\n%q\nwant\n%q", tc.name, got, text)
		}
		json := ""
		if tc.json != "" {
			json = tc.json + "\n"
		}
		if got := render(tc.command, tc.result, true); got != json {
			t.Errorf("%s: JSON\n%s\nwant\n%s", tc.name, got, json)
		}
	}
}

func TestRenderWatchAndBreakResults(t *testing.T) {
	checkResults(t, []resultCase{
		{"watch", "watch", watchSet{ID: 5, Access: arch.Write, Expr: "&balance", Addr: 0x555555558030, Len: 8, Slots: []string{"DR1"}},
			[]string{"Watchpoint 5: -w &balance (8 bytes at 0x555555558030), slot DR1"},
			`{"access":"write","addr":"0x555555558030","command":"watch","event":"result","expr":"&balance","id":5,"len":8,"slots":["DR1"]}`},
		{"rwatch with a note", "rwatch", watchSet{ID: 2, Access: arch.Read, Expr: "buf", Addr: 0x1000, Len: 12, Slots: []string{"WP0", "WP1"}, Note: "watches 16 bytes"},
			[]string{"Watchpoint 2: -r buf (12 bytes at 0x1000), slots WP0,WP1", "Note: watches 16 bytes"},
			`{"access":"read","addr":"0x1000","command":"rwatch","event":"result","expr":"buf","id":2,"len":12,"note":"watches 16 bytes","slots":["WP0","WP1"]}`},
		{"awatch without slots", "awatch", watchSet{ID: 3, Access: arch.ReadWrite, Expr: "x", Addr: 0x10, Len: 4},
			[]string{"Watchpoint 3: -rw x (4 bytes at 0x10), slots -"},
			`{"access":"rw","addr":"0x10","command":"awatch","event":"result","expr":"x","id":3,"len":4,"slots":null}`},
		{"break", "break", breakSet{Kind: debugger.KindBreak, ID: 1, Addr: 0x5555555551eb, At: atMain},
			[]string{"Breakpoint 1 at 0x5555555551eb <main+8>"},
			`{"addr":"0x5555555551eb","command":"break","event":"result","id":1,"kind":"break"}`},
		{"tbreak", "tbreak", breakSet{Kind: debugger.KindTBreak, ID: 2, Addr: 0x555555555171, At: atWithdraw},
			[]string{"Temporary breakpoint 2 at 0x555555555171 <withdraw+8>"},
			`{"addr":"0x555555555171","command":"tbreak","event":"result","id":2,"kind":"tbreak"}`},
		{"hbreak", "hbreak", breakSet{Kind: debugger.KindHBreak, ID: 3, Addr: 0x555555555192, At: debugger.Location{PC: 0x555555555192, Func: "teller", Offset: 12}, Slots: []string{"DR0"}},
			[]string{"Hardware breakpoint 3 at 0x555555555192 <teller+12>, slot DR0"},
			`{"addr":"0x555555555192","command":"hbreak","event":"result","id":3,"kind":"hbreak","slots":["DR0"]}`},
		{"break at an address with no symbol", "break", breakSet{Kind: debugger.KindBreak, ID: 4, Addr: 0x401000},
			[]string{"Breakpoint 4 at 0x401000"},
			`{"addr":"0x401000","command":"break","event":"result","id":4,"kind":"break"}`},
		{"start", "start", startBreak{breakSet{Kind: debugger.KindTBreak, ID: 4, Addr: 0x5555555551eb, At: atMain}},
			[]string{"Temporary breakpoint 4 at 0x5555555551eb <main+8>"}, ""},
		{"condition removed", "condition", conditionSet{ID: 5},
			[]string{"Watchpoint/breakpoint 5 now stops unconditionally."},
			`{"command":"condition","cond":"","event":"result","id":5}`},
		{"condition set", "condition", conditionSet{ID: 9, Cond: "balance > 1"}, nil,
			`{"command":"condition","cond":"balance > 1","event":"result","id":9}`},
		{"hit-count condition set", "condition", conditionSet{ID: 9, HitCond: "$hits % 1000 == 0"}, nil,
			`{"command":"condition","cond":"","event":"result","hit_cond":"$hits % 1000 == 0","id":9}`},
		{"ignore", "ignore", ignoreSet{ID: 3, Count: 2},
			[]string{"Will ignore the next 2 crossings of 3."},
			`{"command":"ignore","count":2,"event":"result","id":3}`},
		{"commands opened", "commands", commandsOpened{ID: 1},
			[]string{`Type commands for 1, one per line; end with a line saying just "end".`}, ""},
		{"commands set", "commands", commandsSet{ID: 1, Lines: []string{"silent", "continue"}}, nil,
			`{"command":"commands","commands":["silent","continue"],"event":"result","id":1}`},
		{"commands cleared", "commands", commandsSet{ID: 1}, nil,
			`{"command":"commands","commands":null,"event":"result","id":1}`},
		{"delete some", "delete", deleted{IDs: []int{4, 6}}, nil, `{"command":"delete","deleted":[4,6],"event":"result"}`},
		{"delete all", "delete", deleted{}, nil, `{"command":"delete","deleted":null,"event":"result"}`},
		{"disable", "disable", enabled{IDs: []int{3, 6}}, nil, `{"command":"disable","event":"result","ids":[3,6]}`},
		{"enable", "enable", enabled{IDs: []int{3}}, nil, `{"command":"enable","event":"result","ids":[3]}`},
	})
}

func TestRenderSessionResults(t *testing.T) {
	checkResults(t, []resultCase{
		{"detach", "detach", detached{Pid: 4312},
			[]string{"Detached from process 4312; it runs on with our debug registers cleared."},
			`{"command":"detach","event":"result","pid":4312}`},
		{"kill", "kill", killed{Pid: 4312}, []string{"Killed process 4312."}, `{"command":"kill","event":"result","pid":4312}`},
		{"help one", "help", helpEntry{Usage: "info slots", Help: "every thread's slots"},
			[]string{"info slots -- every thread's slots"},
			`{"command":"help","event":"result","help":"every thread's slots","usage":"info slots"}`},
		{"help list", "help", helpList{Entries: []helpEntry{{"start", "run to main"}, {"watch [-w|-r|-rw] [-m] [-l] EXPR [-s N] [thread TID]", "stop"}}, Names: []string{"start", "watch"}},
			[]string{
				"  start                            run to main",
				"  watch [-w|-r|-rw] [-m] [-l] EXPR [-s N] [thread TID] stop",
				"EXPR: &sym, sym, 0xADDR with -s N, *(TYPE*)0xADDR, $reg; LOCATION: func or *ADDR.",
			},
			`{"command":"help","commands":["start","watch"],"event":"result"}`},
		{"print", "print", printed{Expr: "&balance", Value: "(long int *) 0x555555558030 <balance>", Type: "long int *"},
			[]string{"(long int *) 0x555555558030 <balance>"},
			`{"command":"print","event":"result","expr":"&balance","type":"long int *","value":"(long int *) 0x555555558030 <balance>"}`},
	})
}

func TestRenderInfoWatchpoints(t *testing.T) {
	header := "Num  Kind   Enb  What                     Requested                    Slots      Covers                             Hits     Stops"
	checkResults(t, []resultCase{
		{"none", "info watchpoints", watchList{}, []string{"No watchpoints or breakpoints."},
			`{"command":"info watchpoints","event":"result","watchpoints":[]}`},
		{"software breakpoint with commands", "info watchpoints", watchList{Rows: []watchRow{{
			ID: 1, Kind: debugger.KindBreak, Label: "break", Enabled: true, Expr: "main", Addr: 0x5555555551eb, Len: 1, At: atMain,
			Hits: 1, Stops: 1, ThreadHits: map[int]int{4312: 1}, Commands: []string{"print balance"}}}},
			[]string{header,
				"1    break  y    main                     at 0x5555555551eb <main+8>   int3                                          1        1",
				"     hits by thread 4312: 1",
				"        print balance"},
			`{"command":"info watchpoints","event":"result","watchpoints":[{"addr":"0x5555555551eb","commands":["print balance"],"cond":"","enabled":true,"expr":"main","hits":1,"id":1,"ignore":0,"kind":"break","len":1,"modify":false,"stops":1,"thread":0,"thread_hits":{"4312":1}}]}`},
		{"every note", "info watchpoints", watchList{Rows: []watchRow{{
			ID: 7, Kind: debugger.KindWatch, Label: "read", Enabled: true, Expr: "a_rather_long_expression[12].field", Addr: 0x555555558030, Len: 8,
			Slots: []string{"DR2"}, Covers: []arch.Piece{{Addr: 0x555555558030, Len: 8}}, Hits: 5, Stops: 2, ThreadHits: map[int]int{12: 3, 11: 2},
			Thread: 11, Cond: "x > 1", HitCond: "$hits % 5 == 0", Ignore: 2, Modify: true, ReadAsRW: true}}},
			[]string{header,
				"7    read   y    a_rather_long_expression... 8 bytes at 0x555555558030    DR2        0x555555558030+8                   5        2",
				"     stops only when the value changes (-m)",
				"     x86 has no read-only slot: a read-or-write slot, writes filtered by decoding the instruction",
				"     only thread 11, in its own slots",
				"     stop only if $hits % 5 == 0 (hit-count condition)",
				"     stop only if x > 1",
				"     ignore next 2 crossings",
				"     hits by thread 11: 2, thread 12: 3"},
			`{"command":"info watchpoints","event":"result","watchpoints":[{"addr":"0x555555558030","commands":null,"cond":"x > 1","covers":[{"addr":"0x555555558030","len":8}],"enabled":true,"expr":"a_rather_long_expression[12].field","hit_cond":"$hits % 5 == 0","hits":5,"id":7,"ignore":2,"kind":"read","len":8,"modify":true,"slots":["DR2"],"stops":2,"thread":11,"thread_hits":{"11":2,"12":3}}]}`},
		{"disabled, two pieces; tbreak; hbreak", "info watchpoints", watchList{Rows: []watchRow{
			{ID: 6, Kind: debugger.KindWatch, Label: "write", Expr: "&s", Addr: 0x1004, Len: 8, Slots: []string{"DR1", "DR2"},
				Covers: []arch.Piece{{Addr: 0x1004, Len: 4}, {Addr: 0x1008, Len: 4}}},
			{ID: 2, Kind: debugger.KindTBreak, Label: "tbreak", Enabled: true, Expr: "withdraw", Addr: 0x555555555171, Len: 1, At: atWithdraw},
			{ID: 3, Kind: debugger.KindHBreak, Label: "hbreak", Enabled: true, Expr: "teller", Addr: 0x555555555192, Len: 1,
				Slots: []string{"DR0"}, Covers: []arch.Piece{{Addr: 0x555555555192, Len: 1}}}}},
			[]string{header,
				"6    write  n    &s                       8 bytes at 0x1004            -          0x1004+4 0x1008+4                  0        0",
				"2    tbreak y    withdraw                 at 0x555555555171 <withdraw+8> int3                                          0        0",
				"3    hbreak y    teller                   1 bytes at 0x555555555192    DR0        0x555555555192+1                   0        0"},
			`{"command":"info watchpoints","event":"result","watchpoints":[` +
				`{"addr":"0x1004","commands":null,"cond":"","covers":[{"addr":"0x1004","len":4},{"addr":"0x1008","len":4}],"enabled":false,"expr":"&s","hits":0,"id":6,"ignore":0,"kind":"write","len":8,"modify":false,"slots":["DR1","DR2"],"stops":0,"thread":0,"thread_hits":{}},` +
				`{"addr":"0x555555555171","commands":null,"cond":"","enabled":true,"expr":"withdraw","hits":0,"id":2,"ignore":0,"kind":"tbreak","len":1,"modify":false,"stops":0,"thread":0,"thread_hits":{}},` +
				`{"addr":"0x555555555192","commands":null,"cond":"","covers":[{"addr":"0x555555555192","len":1}],"enabled":true,"expr":"teller","hits":0,"id":3,"ignore":0,"kind":"hbreak","len":1,"modify":false,"slots":["DR0"],"stops":0,"thread":0,"thread_hits":{}}]}`},
		{"kernel engine, and a fallback", "info watchpoints", watchList{Rows: []watchRow{
			{ID: 1, Kind: debugger.KindWatch, Label: "write", Enabled: true, Expr: "&counter", Addr: 0x4010, Len: 8, Slots: []string{"DR0"},
				Covers: []arch.Piece{{Addr: 0x4010, Len: 8}}, Hits: 200000, Stops: 1, Cond: "counter == 199999", Engine: "kernel"},
			{ID: 2, Kind: debugger.KindWatch, Label: "write", Enabled: true, Expr: "&g", Addr: 0x4020, Len: 4, Slots: []string{"DR1"},
				Covers: []arch.Piece{{Addr: 0x4020, Len: 4}}, Cond: "q > 1", Engine: "ptrace", EngineWhy: "the condition is evaluated by hwdbg: q: q is a local of a frame"}}},
			[]string{header,
				"1    write  y    &counter                 8 bytes at 0x4010            DR0        0x4010+8                           200000   1",
				"     stop only if counter == 199999",
				"     engine kernel: counted and judged in the kernel (BPF)",
				"2    write  y    &g                       4 bytes at 0x4020            DR1        0x4020+4                           0        0",
				"     stop only if q > 1",
				"     engine ptrace, not kernel: the condition is evaluated by hwdbg: q: q is a local of a frame"},
			`{"command":"info watchpoints","event":"result","watchpoints":[` +
				`{"addr":"0x4010","commands":null,"cond":"counter == 199999","covers":[{"addr":"0x4010","len":8}],"enabled":true,"engine":"kernel","expr":"&counter","hits":200000,"id":1,"ignore":0,"kind":"write","len":8,"modify":false,"slots":["DR0"],"stops":1,"thread":0,"thread_hits":{}},` +
				`{"addr":"0x4020","commands":null,"cond":"q > 1","covers":[{"addr":"0x4020","len":4}],"enabled":true,"engine":"ptrace","engine_why":"the condition is evaluated by hwdbg: q: q is a local of a frame","expr":"&g","hits":0,"id":2,"ignore":0,"kind":"write","len":4,"modify":false,"slots":["DR1"],"stops":0,"thread":0,"thread_hits":{}}]}`},
	})
}

func TestRenderThreadResults(t *testing.T) {
	slot := func(name string, enabled bool, addr uint64, n int, acc arch.Access, owners ...int) debugger.SlotView {
		return debugger.SlotView{Name: name, Slot: arch.Slot{Enabled: enabled, Addr: addr, Len: n, Access: acc}, Owners: owners}
	}
	frames := []debugger.Frame{
		{Location: atMain, CFA: 0x7fffffffe6d0, Args: []debugger.Arg{{Name: "argc", Value: "1"}, {Name: "argv", Value: "0x7fffffffe7d8"}}},
		{Location: debugger.Location{PC: 0x7ffff7dfb24a, Func: "__libc_start_call_main", Offset: 122, File: "libc_start_call_main.h", Line: 58}},
		{Location: debugger.Location{PC: 0x7ffff7dfc000, Object: "libc.so.6"}},
	}
	checkResults(t, []resultCase{
		{"info slots", "info slots", slotTable{Names: []string{"DR0", "DR1", "DR2", "DR3"}, Threads: []threadSlots{
			{Tid: 4312, ArmedBy: "ptrace debug registers", Slots: []debugger.SlotView{
				slot("DR0", true, 0x555555555192, 1, arch.Exec, 3),
				slot("DR1", true, 0x555555558030, 8, arch.Write, 5, 9),
				slot("DR2", false, 0, 0, 0, 7),
				slot("DR3", false, 0, 0, 0),
			}},
			{Tid: 4313, ArmedBy: "perf events", Slots: []debugger.SlotView{slot("DR0", true, 0x1000, 4, arch.ReadWrite)}},
			{Tid: 4314, ArmedBy: "nothing"},
		}},
			[]string{
				"The CPU has 4 debug-register slots (DR0 DR1 DR2 DR3); per thread, as armed in the kernel:",
				"Thread 4312: through ptrace debug registers",
				"  DR0  0x555555555192     len 1  exec   owner 3",
				"  DR1  0x555555558030     len 8  write  owner 5,9",
				"  DR2  free (owner 7, disabled)",
				"  DR3  free",
				"Thread 4313: through perf events",
				"  DR0  0x1000             len 4  rw     -",
				"Thread 4314: through nothing",
			},
			`{"armed":{"4312":"ptrace debug registers","4313":"perf events","4314":"nothing"},"command":"info slots","count":4,"event":"result","slots":{` +
				`"4312":[{"access":"exec","addr":"0x555555555192","enabled":true,"len":1,"owners":[3],"slot":"DR0"},{"access":"write","addr":"0x555555558030","enabled":true,"len":8,"owners":[5,9],"slot":"DR1"},` +
				`{"access":"none","addr":"0x0","enabled":false,"len":0,"owners":[7],"slot":"DR2"},{"access":"none","addr":"0x0","enabled":false,"len":0,"owners":null,"slot":"DR3"}],` +
				`"4313":[{"access":"rw","addr":"0x1000","enabled":true,"len":4,"owners":null,"slot":"DR0"}],"4314":null}}`},
		{"info registers", "info registers", registers{Tid: 4312, Regs: []arch.Reg{{Name: "rsp", Value: 0x7fffffffe6c0}, {Name: "rax", Value: ^uint64(0)}}},
			[]string{"rsp        0x7fffffffe6c0     140737488348864", "rax        0xffffffffffffffff -1"},
			`{"command":"info registers","event":"result","registers":{"rax":"0xffffffffffffffff","rsp":"0x7fffffffe6c0"},"tid":4312}`},
		{"info threads", "info threads", threadList{Current: 4313, Threads: []threadRow{
			{Tid: 4312, Name: "bank", At: debugger.Location{PC: 0x7ffff7e59f16, Func: "__futex_abstimed_wait_common", Offset: 198, File: "futex-internal.c", Line: 57}},
			{Tid: 4313, Name: "bank", At: atMain}}},
			[]string{"  Id       Name             Where",
				"  4312     bank             0x7ffff7e59f16 __futex_abstimed_wait_common+198 (futex-internal.c:57)",
				"* 4313     bank             0x5555555551eb main+8 (bank.c:29)"},
			`{"command":"info threads","event":"result","threads":[{"current":false,"func":"__futex_abstimed_wait_common","name":"bank","pc":"0x7ffff7e59f16","tid":4312},{"current":true,"func":"main","name":"bank","pc":"0x5555555551eb","tid":4313}]}`},
		{"thread", "thread", currentThread{Tid: 4312, Name: "bank", At: atMain},
			[]string{"[Current thread is 4312 (bank) at 0x5555555551eb main+8 (bank.c:29)]"},
			`{"command":"thread","event":"result","func":"main","pc":"0x5555555551eb","tid":4312}`},
		{"frame", "frame", frameSel{N: 1, Frame: frames[1]},
			[]string{"#1  0x7ffff7dfb24a __libc_start_call_main+122 (libc_start_call_main.h:58)"},
			`{"command":"frame","event":"result","file":"libc_start_call_main.h","frame":1,"func":"__libc_start_call_main","line":58,"pc":"0x7ffff7dfb24a"}`},
		{"backtrace", "backtrace", backtrace{Tid: 4312, Selected: 1, Frames: frames},
			[]string{"#0  main (argc=1, argv=0x7fffffffe7d8) at bank.c:29",
				"#1  0x7ffff7dfb24a in __libc_start_call_main () at libc_start_call_main.h:58",
				"#2  0x7ffff7dfc000 in ?? () from libc.so.6"},
			`{"command":"backtrace","event":"result","frames":[` +
				`{"args":[{"name":"argc","value":"1"},{"name":"argv","value":"0x7fffffffe7d8"}],"file":"bank.c","func":"main","line":29,"object":"","offset":8,"pc":"0x5555555551eb"},` +
				`{"args":[],"file":"libc_start_call_main.h","func":"__libc_start_call_main","line":58,"object":"","offset":122,"pc":"0x7ffff7dfb24a"},` +
				`{"args":[],"file":"","func":"","line":0,"object":"libc.so.6","offset":0,"pc":"0x7ffff7dfc000"}],"tid":4312}`},
		{"no threads", "info threads", threadList{}, []string{"  Id       Name             Where"},
			`{"command":"info threads","event":"result","threads":null}`},
	})
}

func TestRenderMemoryResults(t *testing.T) {
	balance := debugger.Location{PC: 0x555555558030, Func: "balance"}
	insns := []debugger.Instruction{
		{At: debugger.Location{PC: 0x555555555169, Func: "withdraw"}, Text: "push rbp"},
		{At: atWithdraw, Text: "mov rax, qword ptr [rip+0x2eb8]"},
	}
	checkResults(t, []resultCase{
		{"disassemble", "disassemble", instructions{PC: 0x555555555171, Insns: insns},
			[]string{"   0x555555555169 <withdraw>:\tpush rbp", "=> 0x555555555171 <withdraw+8>:\tmov rax, qword ptr [rip+0x2eb8]"},
			`{"command":"disassemble","event":"result","instructions":[{"func":"withdraw","insn":"push rbp","offset":0,"pc":"0x555555555169"},{"func":"withdraw","insn":"mov rax, qword ptr [rip+0x2eb8]","offset":8,"pc":"0x555555555171"}]}`},
		{"x/s", "x", memString{Addr: 0x555555558060, Value: "hi\n"},
			[]string{`0x555555558060: "hi\n"`},
			`{"addr":"0x555555558060","command":"x","event":"result","value":"hi\n"}`},
		{"x/3xg: two lines", "x", memory{Addr: 0x555555558060, Unit: 8, Format: 'x', Words: []uint64{0, 1, 0x41414141},
			Syms: map[uint64]debugger.Location{0x555555558060: {PC: 0x555555558060, Func: "audit_entries"}, 0x555555558070: {PC: 0x555555558070, Func: "audit_entries", Offset: 16}}},
			[]string{"0x555555558060 <audit_entries>:\t0x0000000000000000\t0x0000000000000001",
				"0x555555558070 <audit_entries+16>:\t0x0000000041414141"},
			`{"addr":"0x555555558060","command":"x","event":"result","format":"x","unit":8,"values":["0x0000000000000000","0x0000000000000001","0x0000000041414141"]}`},
		{"x/8xb", "x", memory{Addr: 0x555555558030, Unit: 1, Format: 'x', Words: []uint64{0x64, 0, 0, 0, 0, 0, 0, 0},
			Syms: map[uint64]debugger.Location{0x555555558030: balance}},
			[]string{"0x555555558030 <balance>:\t0x64\t0x00\t0x00\t0x00\t0x00\t0x00\t0x00\t0x00"},
			`{"addr":"0x555555558030","command":"x","event":"result","format":"x","unit":1,"values":["0x64","0x00","0x00","0x00","0x00","0x00","0x00","0x00"]}`},
		{"x/2dw, negative", "x", memory{Addr: 0x1000, Unit: 4, Format: 'd', Words: []uint64{100, 0xffffffff}},
			[]string{"0x1000:\t100\t-1"},
			`{"addr":"0x1000","command":"x","event":"result","format":"d","unit":4,"values":["100","-1"]}`},
		{"x/2a", "x", memory{Addr: 0x7fffffffe6c0, Unit: 8, Format: 'a', Words: []uint64{0x555555555171, 0},
			Syms: map[uint64]debugger.Location{0x555555555171: atWithdraw}},
			[]string{"0x7fffffffe6c0:\t0x555555555171 <withdraw+8>\t0x0"},
			`{"addr":"0x7fffffffe6c0","command":"x","event":"result","format":"a","unit":8,"values":["0x555555555171 <withdraw+8>","0x0"]}`},
		{"x/9c: eight a line", "x", memory{Addr: 0x2000, Unit: 1, Format: 'c', Words: []uint64{'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 0}},
			[]string{"0x2000:\t97 'a'\t98 'b'\t99 'c'\t100 'd'\t101 'e'\t102 'f'\t103 'g'\t104 'h'", `0x2008:` + "\t" + `0 '\x00'`},
			`{"addr":"0x2000","command":"x","event":"result","format":"c","unit":1,"values":["97 'a'","98 'b'","99 'c'","100 'd'","101 'e'","102 'f'","103 'g'","104 'h'","0 '\\x00'"]}`},
	})
}

func TestFormatInt(t *testing.T) {
	for _, tc := range []struct {
		u    uint64
		f    byte
		size int
		want string
	}{
		{100, 'x', 8, "0x64"},
		{100, 'o', 8, "0144"},
		{100, 't', 8, "1100100"},
		{100, 'c', 8, "100 'd'"},
		{0xff, 'd', 1, "-1"},
		{0xff, 'u', 1, "255"},
		{0x1ff, 'x', 1, "0xff"},
		{^uint64(0), 'd', 8, "-1"},
		{^uint64(0), 'u', 0, "18446744073709551615"},
	} {
		if got := formatInt(tc.u, tc.f, tc.size); got != tc.want {
			t.Errorf("formatInt(%#x, %c, %d) = %q, want %q", tc.u, tc.f, tc.size, got, tc.want)
		}
	}
}

// The trap probe runs after the first result that set a hardware slot, and
// names it.
func TestTrapProbeNames(t *testing.T) {
	for _, tc := range []struct {
		r    Result
		want string
	}{
		{watchSet{ID: 1}, "watchpoint 1"},
		{breakSet{Kind: debugger.KindHBreak, ID: 2}, "hardware breakpoint 2"},
		{breakSet{Kind: debugger.KindBreak, ID: 3}, ""},
		{breakSet{Kind: debugger.KindTBreak, ID: 4}, ""},
		{startBreak{breakSet{Kind: debugger.KindTBreak, ID: 5}}, ""},
		{printed{}, ""},
	} {
		got := ""
		if p, ok := tc.r.(slotSetter); ok {
			got = p.trapProbe()
		}
		if got != tc.want {
			t.Errorf("%#v: %q, want %q", tc.r, got, tc.want)
		}
	}
}
