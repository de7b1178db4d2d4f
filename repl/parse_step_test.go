package repl

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"hwdbg/debugger"
)

func TestSplitRunArgs(t *testing.T) {
	for _, c := range []struct {
		in    string
		args  []string
		input string
		err   string
	}{
		{"3", []string{"3"}, "", ""},
		{"  a   b\tc ", []string{"a", "b", "c"}, "", ""},
		{`'a b' "c d" e\ f`, []string{"a b", "c d", "e f"}, "", ""},
		{`"say \"hi\" \$x \n"`, []string{`say "hi" $x \n`}, "", ""},
		{`'it'\''s'`, []string{"it's"}, "", ""},
		{`'' ""`, []string{"", ""}, "", ""},
		{"x < in.txt y", []string{"x", "y"}, "in.txt", ""},
		{"<in.txt", nil, "in.txt", ""},
		{"a<b c", []string{"a", "c"}, "b", ""},
		{`'<' "|"`, []string{"<", "|"}, "", ""},
		{"a > out", nil, "", "without a shell"},
		{"a | b", nil, "", "without a shell"},
		{"$HOME", nil, "", "without a shell"},
		{"<", nil, "", "needs a file name"},
		{"< <", nil, "", "needs a file name"},
		{"< a < b", nil, "", "given twice"},
		{"'a", nil, "", "not closed"},
		{`"a`, nil, "", "not closed"},
	} {
		args, input, err := splitRunArgs(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("splitRunArgs(%q): error %v, want one saying %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(args, c.args) || input != c.input {
			t.Errorf("splitRunArgs(%q) = %q, %q, %v; want %q, %q", c.in, args, input, err, c.args, c.input)
		}
	}
}

// FuzzSplitRunArgs: never a panic; quoted again, the words split back to
// themselves.
func FuzzSplitRunArgs(f *testing.F) {
	for _, s := range []string{"a b", `'x y' "z\"" \q`, "< in", "a > b", `"`, "''"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args, input, err := splitRunArgs(s)
		if err != nil {
			return
		}
		line := quoteArgs(args)
		if input != "" {
			line += " < " + quoteArgs([]string{input})
		}
		again, in2, err := splitRunArgs(line)
		if err != nil || input != in2 || len(again) != len(args) {
			t.Fatalf("%q -> %q, %q -> %q -> %q, %q, %v", s, args, input, line, again, in2, err)
		}
		for i := range args {
			if args[i] != again[i] {
				t.Fatalf("%q: word %d %q came back as %q (via %q)", s, i, args[i], again[i], line)
			}
		}
	})
}

func TestParseStepCommands(t *testing.T) {
	for _, c := range []struct {
		line  string
		name  string
		count int
		err   string
	}{
		{"n", "next", 1, ""},
		{"next 3", "next", 3, ""},
		{"s", "step", 1, ""},
		{"s 2", "step", 2, ""},
		{"si 4", "stepi", 4, ""},
		{"ni", "nexti", 1, ""},
		{"c 3", "continue", 3, ""},
		{"fin", "finish", 0, ""},
		{"u", "until", 0, ""},
		{"until stepping.c:12", "until", 0, ""},
		{"r", "run", 0, ""},
		{"next 0", "", 0, "not a count"},
		{"stepi -1", "", 0, "not a count"},
		{"continue 1 2", "", 0, "at most a count"},
		{"finish 2", "", 0, "no arguments"},
		{"until a b", "", 0, "at most one location"},
	} {
		cmd, err := ParseCommand(c.line)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want one saying %q", c.line, err, c.err)
			}
			continue
		}
		if err != nil || cmd.Name != c.name || cmd.Count != c.count {
			t.Errorf("%q = %s count %d, %v; want %s count %d", c.line, cmd.Name, cmd.Count, err, c.name, c.count)
		}
	}
	cmd, err := ParseCommand("run 'a b' < in")
	if err != nil || !reflect.DeepEqual(cmd.RunArgs, []string{"a b"}) || cmd.Input != "in" {
		t.Errorf("run 'a b' < in = %q < %q, %v", cmd.RunArgs, cmd.Input, err)
	}
	if cmd, _ := ParseCommand("run"); cmd.RunArgs != nil {
		t.Errorf("run alone keeps the arguments: %q", cmd.RunArgs)
	}
	if cmd, _ := ParseCommand("run < in"); cmd.RunArgs == nil || len(cmd.RunArgs) != 0 {
		t.Errorf("run < in gives no arguments: %q", cmd.RunArgs)
	}
}

func TestRenderStepResults(t *testing.T) {
	frame := debugger.Frame{Location: atMain}
	checkResults(t, []resultCase{
		{"run till exit", "finish", runTill{N: 1, Frame: frame},
			[]string{"Run till exit from #1  0x5555555551eb main+8 (bank.c:29)"}, ""},
		{"value returned", "finish", valueReturned{Returned: debugger.Returned{Func: "add", Type: "int", Value: "43"}, N: 2},
			[]string{"Value returned is $2 = 43"},
			`{"command":"finish","event":"result","func":"add","history":2,"type":"int","value":"43"}`},
		{"value not readable", "finish", valueReturned{Returned: debugger.Returned{Func: "big", Type: "struct big", Err: "in memory"}, N: 1},
			[]string{"Value returned has type: struct big. Cannot determine contents: in memory"},
			`{"command":"finish","error":"in memory","event":"result","func":"big","type":"struct big"}`},
		{"continue N", "continue", willIgnore{ID: 3, Kind: debugger.KindBreak, Count: 2},
			[]string{"Will ignore next 2 crossings of breakpoint 3.  Continuing."},
			`{"command":"continue","event":"result","id":3,"ignore":2}`},
		{"starting", "run", starting{Path: "/bin/prog", Args: []string{"a b", "c"}, Input: "in.txt", Pid: 7},
			[]string{"Starting program: /bin/prog 'a b' c < in.txt"},
			`{"args":["a b","c"],"command":"run","event":"result","input":"in.txt","pid":7,"program":"/bin/prog"}`},
		{"starting without arguments", "run", starting{Path: "/bin/prog", Pid: 7},
			[]string{"Starting program: /bin/prog"},
			`{"args":[],"command":"run","event":"result","input":"","pid":7,"program":"/bin/prog"}`},
	})
}

func TestSteppedLines(t *testing.T) {
	src := func(path string, line int) (string, error) {
		if path == "" {
			return "", errors.New("bank.c: No such file or directory.")
		}
		return "  x = f();", nil
	}
	at := debugger.Location{PC: 0x5555555551eb, Func: "main", Offset: 8, File: "bank.c", Line: 29}
	lib := debugger.Location{PC: 0x7ffff7c29d90, Func: "__libc_start_call_main", Object: "libc.so.6"}
	for _, c := range []struct {
		name string
		e    debugger.Stepped
		want []string
	}{
		{"same function", debugger.Stepped{Stop: debugger.Stop{At: at}, Path: "/s/bank.c"}, []string{"29\t  x = f();"}},
		{"new function", debugger.Stepped{Stop: debugger.Stop{At: at}, NewFunc: true, Path: "/s/bank.c"},
			[]string{"main () at bank.c:29", "29\t  x = f();"}},
		{"mid-line after finish", debugger.Stepped{Stop: debugger.Stop{At: at}, NewFunc: true, Mid: true, Path: "/s/bank.c"},
			[]string{"0x00005555555551eb in main () at bank.c:29", "29\t  x = f();"}},
		{"mid-line, same function", debugger.Stepped{Stop: debugger.Stop{At: at}, Mid: true, Path: "/s/bank.c"},
			[]string{"0x00005555555551eb\t29\t  x = f();"}},
		{"no source", debugger.Stepped{Stop: debugger.Stop{At: at}}, []string{"29\tbank.c: No such file or directory."}},
		{"no lines", debugger.Stepped{Stop: debugger.Stop{At: lib}, NewFunc: true, Mid: true},
			[]string{"0x00007ffff7c29d90 in __libc_start_call_main () from libc.so.6"}},
	} {
		if got := steppedLines(c.e, src); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
