package repl

import (
	"strings"
	"testing"

	"hwdbg/debugger"
)

func TestRenderInspectResults(t *testing.T) {
	fi := debugger.FrameInfo{Level: 1, Frame: debugger.Frame{Location: atMain, CFA: 0x7fffffffe6d0,
		Args: []debugger.Arg{{Name: "n", Value: "3"}}}, CallerPC: 0x7ffff7dfb24a, CallerCFA: 0x7fffffffe770, CalleeCFA: 0x7fffffffe6a0,
		Language: "c", Saved: []debugger.SavedReg{{Name: "rbp", Addr: 0x7fffffffe6c0}, {Name: "rip", Addr: 0x7fffffffe6c8}}}
	checkResults(t, []resultCase{
		{"list", "list", listed{Path: "/src/bank.c", Lines: []srcLine{{28, "int main(void) {"}, {29, "\tlong x = 1;"}}},
			[]string{"28\tint main(void) {", "29\t\tlong x = 1;"},
			`{"command":"list","event":"result","file":"bank.c","lines":[{"line":28,"text":"int main(void) {"},{"line":29,"text":"\tlong x = 1;"}],"path":"/src/bank.c"}`},
		{"info locals", "info locals", varList{Vars: []debugger.Var{{Name: "x", Type: "long", Value: "1"}, {Name: "p", Type: "char *", Value: `0x4000 "hi"`}}},
			[]string{"x = 1", `p = 0x4000 "hi"`},
			`{"command":"info locals","event":"result","locals":[{"name":"x","type":"long","value":"1"},{"name":"p","type":"char *","value":"0x4000 \"hi\""}]}`},
		{"info locals, none", "info locals", varList{}, []string{"No locals."}, `{"command":"info locals","event":"result","locals":[]}`},
		{"info args, none", "info args", varList{Args: true}, []string{"No arguments."}, `{"args":[],"command":"info args","event":"result"}`},
		{"info frame", "info frame", frameInfo{fi},
			[]string{"Stack level 1, frame at 0x7fffffffe6d0:",
				" pc = 0x5555555551eb in main (bank.c:29); saved pc = 0x7ffff7dfb24a",
				" called by frame at 0x7fffffffe770, caller of frame at 0x7fffffffe6a0",
				" source language c.",
				" args: n=3",
				" Previous frame's sp is 0x7fffffffe6d0",
				" Saved registers:",
				"  rbp at 0x7fffffffe6c0, rip at 0x7fffffffe6c8"},
			`{"args":[{"name":"n","value":"3"}],"caller_cfa":"0x7fffffffe770","caller_pc":"0x7ffff7dfb24a","cfa":"0x7fffffffe6d0","command":"info frame","event":"result","file":"bank.c","func":"main","language":"c","level":1,"line":29,"pc":"0x5555555551eb","saved":{"rbp":"0x7fffffffe6c0","rip":"0x7fffffffe6c8"}}`},
		{"ptype", "ptype", typeShown{Expr: "acct", Name: "struct account", Layout: "struct account {\n    long balance;\n}"},
			[]string{"type = struct account {", "    long balance;", "}"},
			`{"command":"ptype","event":"result","expr":"acct","layout":"struct account {\n    long balance;\n}","type":"struct account"}`},
		{"whatis", "whatis", typeShown{Expr: "p", Name: "char *"}, []string{"type = char *"},
			`{"command":"whatis","event":"result","expr":"p","type":"char *"}`},
		{"set var", "set var", assigned{Expr: "x = 3", Value: "3", Type: "long"}, nil,
			`{"command":"set var","event":"result","expr":"x = 3","type":"long","value":"3"}`},
		{"display", "display", displaySet{shownDisplay{ID: 2, Expr: "x", Format: 'x', Value: "0x3"}}, []string{"2: /x x = 0x3"},
			`{"command":"display","event":"result","expr":"x","format":"x","id":2,"value":"0x3"}`},
		{"display that fails", "display", displayShown{Shown: []shownDisplay{{ID: 1, Expr: "*p", Err: "null pointer"}}},
			[]string{"1: *p = <error: null pointer>"},
			`{"command":"display","displays":[{"error":"null pointer","expr":"*p","id":1,"value":""}],"event":"result"}`},
		{"info display", "info display", displayList{Displays: []display{{ID: 1, Expr: "x"}, {ID: 3, Expr: "y", Format: 'x'}}},
			[]string{"Auto-display expressions now in effect:", "Num Enb Expression", "1:   y  x", "3:   y  /x y"},
			`{"command":"info display","displays":[{"expr":"x","id":1},{"expr":"y","format":"x","id":3}],"event":"result"}`},
		{"info display, none", "info display", displayList{}, []string{"There are no auto-display expressions now."},
			`{"command":"info display","displays":[],"event":"result"}`},
		{"undisplay", "undisplay", undisplayed{IDs: []int{1}}, nil, `{"command":"undisplay","deleted":[1],"event":"result"}`},
		{"help info", "help", helpList{Group: true, Entries: []helpEntry{{"info args", "the arguments"}}, Names: []string{"info args"}},
			[]string{"  info args                        the arguments"}, `{"command":"help","commands":["info args"],"event":"result"}`},
	})
}

// echo writes its text as it is, without a newline.
func TestRenderEcho(t *testing.T) {
	if got := render("echo", echoed{Text: "a\tb"}, false); got != "a\tb" {
		t.Errorf("echo text: %q", got)
	}
	if got := render("echo", echoed{Text: "a & b\n"}, true); got != `{"command":"echo","event":"result","text":"a & b\n"}`+"\n" {
		t.Errorf("echo JSON: %q", got)
	}
}

func TestRenderCallTargets(t *testing.T) {
	insns := []debugger.Instruction{{At: atMain, Text: "call 0x555555555030", Target: 0x555555555030, TargetName: "strcpy@plt"}}
	checkResults(t, []resultCase{{"call", "disassemble", instructions{Insns: insns},
		[]string{"   0x5555555551eb <main+8>:\tcall 0x555555555030 <strcpy@plt>"},
		`{"command":"disassemble","event":"result","instructions":[{"func":"main","insn":"call 0x555555555030","offset":8,"pc":"0x5555555551eb","target":"0x555555555030","target_name":"strcpy@plt"}]}`}})
}

// Every command has a one-line help, and help info lists every info
// subcommand.
func TestEveryCommandHasHelp(t *testing.T) {
	for _, c := range commands {
		if strings.TrimSpace(c.help) == "" || strings.Contains(c.help, "\n") || c.usage == "" || !strings.HasPrefix(c.usage, c.name) {
			t.Errorf("command %q: usage %q, help %q: want a usage starting with its name and a one-line help", c.name, c.usage, c.help)
		}
	}
	var s Session
	res, err := s.help(Command{Name: "help", Args: []string{"info"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, n := range res.(helpList).Names {
		got[n] = true
	}
	for _, c := range commands {
		if strings.HasPrefix(c.name, "info ") && !got[c.name] {
			t.Errorf("help info lacks %s", c.name)
		}
	}
	for sub, name := range infoSubs {
		if _, ok := lookupCommand(name); !ok {
			t.Errorf("info %s names %q, which is not a command", sub, name)
		}
	}
}
