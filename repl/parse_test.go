package repl

import (
	"strings"
	"testing"

	"hwdbg/arch"
)

func TestParseCommand(t *testing.T) {
	cases := []struct {
		line    string
		name    string
		expr    string
		access  arch.Access
		size    int
		thread  int
		cond    string
		wantErr string
	}{
		{line: "watch &balance", name: "watch", expr: "&balance", access: arch.Write},
		{line: "watch -w &balance", name: "watch", expr: "&balance", access: arch.Write},
		{line: "watch -r &x", name: "watch", expr: "&x", access: arch.Read},
		{line: "watch -rw &x -s 4", name: "watch", expr: "&x", access: arch.ReadWrite, size: 4},
		{line: "rwatch counter", name: "rwatch", expr: "counter", access: arch.Read},
		{line: "awatch *(int*)0x1000", name: "awatch", expr: "*(int*)0x1000", access: arch.ReadWrite},
		{line: "watch 0x601040 -s 12 thread 77", name: "watch", expr: "0x601040", access: arch.Write, size: 12, thread: 77},
		{line: "watch &x if x > 3 && y == 2", name: "watch", expr: "&x", access: arch.Write, cond: "x > 3 && y == 2"},
		{line: "watch (char*)&buf + 4 -s 0x10", name: "watch", expr: "(char*)&buf + 4", access: arch.Write, size: 16},
		{line: "  c  ", name: "continue"},
		{line: "si", name: "stepi"},
		{line: "i b", name: "info watchpoints"},
		{line: "info breakpoints", name: "info watchpoints"},
		{line: "info slots", name: "info slots"},
		{line: "p/x balance", name: "print"},
		{line: "x/4xg &balance", name: "x"},
		{line: "# a comment", name: ""},
		{line: "", name: ""},
		{line: "watch", wantErr: "watch needs an expression"},
		{line: "rwatch -w &x", wantErr: "rwatch takes no access flag"},
		{line: "watch &x -s", wantErr: "-s needs a size"},
		{line: "watch &x -s -3", wantErr: "positive number"},
		{line: "watch &x thread abc", wantErr: "not a thread id"},
		{line: "watch &x if", wantErr: "'if' needs a condition"},
		{line: "info", wantErr: "info what?"},
		{line: "info nothing", wantErr: "unknown info subcommand"},
		{line: "frobnicate", wantErr: `unknown command "frobnicate"`},
		{line: "delete x", wantErr: "not a watch/breakpoint number"},
		{line: "enable", wantErr: "enable needs watch/breakpoint numbers"},
		{line: "continue now", wantErr: `"now" is not a count`},
		{line: "x/4q &x", wantErr: "bad format letter"},
		{line: "x/0x &x", wantErr: "bad count"},
		{line: "p/q x", wantErr: "bad print format"},
		{line: "stepi/x", wantErr: "takes no /FORMAT"},
		{line: "print " + strings.Repeat("x", maxLine), wantErr: "line too long"},
	}
	for _, c := range cases {
		cmd, err := ParseCommand(c.line)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%q: error %v, want %q", truncate(c.line, 40), err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.line, err)
			continue
		}
		if cmd.Name != c.name || cmd.Expr != c.expr || cmd.Access != c.access || cmd.Size != c.size || cmd.Thread != c.thread || cmd.Cond != c.cond {
			t.Errorf("%q: got %+v", c.line, cmd)
		}
	}
}

func TestParseExamine(t *testing.T) {
	cases := []struct {
		line        string
		count, unit int
		format      byte
	}{
		{"x &a", 1, 4, 'x'},
		{"x/8xb &a", 8, 1, 'x'},
		{"x/2g &a", 2, 8, 'x'},
		{"x/3dw &a", 3, 4, 'd'},
		{"x/s &a", 1, 4, 's'},
		{"x/4c &a", 4, 1, 'c'},
		{"x/2a $sp", 2, 8, 'a'},
		{"x/5i $pc", 5, 4, 'i'},
	}
	for _, c := range cases {
		cmd, err := ParseCommand(c.line)
		if err != nil {
			t.Errorf("%q: %v", c.line, err)
			continue
		}
		if cmd.Count != c.count || cmd.Unit != c.unit || cmd.Format != c.format {
			t.Errorf("%q: count %d unit %d format %c", c.line, cmd.Count, cmd.Unit, cmd.Format)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"watch -rw &x -s 8 thread 3 if x == 1", "x/4xg $sp", "info slots", "p/x *(int*)0x10", "delete 1 2", "hbreak *0x401000",
		"condition -hitcount 1 % 1000", "condition -clear 2", "watch x if $hits % 7 == 0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		cmd, err := ParseCommand(line)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error has more than one line: %q", err)
			}
			return
		}
		if cmd.Name == "" {
			return
		}
		if _, ok := lookupCommand(cmd.Name); !ok {
			t.Errorf("parsed to unknown command %q", cmd.Name)
		}
	})
}

// Each command's argument parser: what it accepts and how it refuses.
func TestParseArguments(t *testing.T) {
	for _, c := range []struct {
		line, wantErr string
		check         func(Command) bool
	}{
		{line: "break main if x > 1", check: func(c Command) bool { return c.Rest == "main" && c.Cond == "x > 1" }},
		{line: "tbreak bank.c:17", check: func(c Command) bool { return c.Name == "tbreak" && c.Rest == "bank.c:17" }},
		{line: "hbreak", wantErr: "hbreak needs a location: hbreak FUNC|FILE:LINE|*ADDR"},
		{line: "break a b", wantErr: "break takes one location"},
		{line: "break main if", wantErr: "'if' needs a condition: break FUNC|FILE:LINE|*ADDR [if COND]"},
		{line: "condition 2 x == 1", check: func(c Command) bool { return c.Cond == "x == 1" }},
		{line: "condition 2", check: func(c Command) bool { return c.Cond == "" && c.Args[0] == "2" }},
		{line: "condition", wantErr: "condition needs a watch/breakpoint number"},
		{line: "condition x", wantErr: `condition: "x" is not a watch/breakpoint number`},
		{line: "condition -hitcount 2 > 100", check: func(c Command) bool { return c.Args[1] == "2" && c.HitOp == ">" && c.HitK == 100 }},
		{line: "condition -hitcount 2 % 1000", check: func(c Command) bool { return c.HitOp == "%" && c.HitK == 1000 }},
		{line: "condition -hitcount 3 >=7", check: func(c Command) bool { return c.HitOp == ">=" && c.HitK == 7 }},
		{line: "condition -hitcount 3 == 0x10", check: func(c Command) bool { return c.HitOp == "==" && c.HitK == 16 }},
		{line: "condition -clear 4", check: func(c Command) bool { return c.Args[0] == "-clear" && c.Args[1] == "4" }},
		{line: "condition -hitcount 2 % 0", wantErr: `condition -hitcount: "0" is not a hit count to compare with`},
		{line: "condition -hitcount 2 > -1", wantErr: `"-1" is not a hit count`},
		{line: "condition -hitcount 2 > many", wantErr: `"many" is not a hit count`},
		{line: "condition -hitcount 2 ~ 5", wantErr: "condition -hitcount needs an operator (== != < <= > >= or %, every K-th hit)"},
		{line: "condition -hitcount x > 5", wantErr: "condition -hitcount needs a watch/breakpoint number"},
		{line: "condition -clear", wantErr: "condition -clear needs a watch/breakpoint number"},
		{line: "condition -clear 1 2", wantErr: "condition -clear takes one watch/breakpoint number"},
		{line: "condition -per-g-hitcount 1 == 2", wantErr: `condition: unknown flag "-per-g-hitcount" (-hitcount N OP K, or -clear N)`},
		{line: "ignore 3 0", check: func(c Command) bool { return len(c.Args) == 2 }},
		{line: "ignore 3", wantErr: "ignore needs a number and a count"},
		{line: "ignore 0 1", wantErr: `ignore: "0" is not a watch/breakpoint number`},
		{line: "ignore 1 -1", wantErr: `ignore: "-1" is not a count (0 or more)`},
		{line: "commands", check: func(c Command) bool { return len(c.Args) == 0 }},
		{line: "commands 1 2", wantErr: "commands takes at most one watch/breakpoint number"},
		{line: "commands x", wantErr: `commands: "x" is not a watch/breakpoint number`},
		{line: "delete", check: func(c Command) bool { return len(c.Args) == 0 }},
		{line: "disable 1 0", wantErr: `disable: "0" is not a watch/breakpoint number`},
		{line: "print/x", wantErr: "print needs an expression: print[/F] EXPR"},
		{line: "p/xx a", wantErr: `bad print format "/xx"`},
		{line: "p/c a", check: func(c Command) bool { return c.Format == 'c' && c.Rest == "a" }},
		{line: "thread", check: func(c Command) bool { return c.Name == "thread" }},
		{line: "thread 1 2", wantErr: "thread takes one thread id"},
		{line: "thread -1", wantErr: `thread: "-1" is not a thread id`},
		{line: "frame 0", check: func(c Command) bool { return c.Args[0] == "0" }},
		{line: "frame 1 2", wantErr: "frame takes one frame number"},
		{line: "frame -1", wantErr: `frame: "-1" is not a frame number`},
		{line: "bt 0", wantErr: `backtrace: "0" is not a frame count`},
		{line: "bt 1 2", wantErr: "backtrace takes at most a frame count"},
		{line: "start now", wantErr: "start takes no arguments"},
		{line: "info threads 1", wantErr: "info threads takes no arguments"},
		{line: "info registers rip rsp", check: func(c Command) bool { return len(c.Args) == 2 }},
		{line: "x &a", wantErr: ""},
		{line: "x/4xg", wantErr: "x needs an address"},
		{line: "help/x", wantErr: "help takes no /FORMAT"},
		{line: "help watch", check: func(c Command) bool { return c.Rest == "watch" }},
	} {
		cmd, err := ParseCommand(c.line)
		switch {
		case c.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%q: error %v, want %q", c.line, err, c.wantErr)
			}
		case err != nil:
			t.Errorf("%q: %v", c.line, err)
		case c.check != nil && !c.check(cmd):
			t.Errorf("%q: got %+v", c.line, cmd)
		}
	}
}

// Every command in the table can be run, shown by help and reached by
// its aliases.
func TestCommandTable(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range commands {
		if seen[c.name] {
			t.Errorf("%s listed twice", c.name)
		}
		seen[c.name] = true
		if c.run == nil || c.help == "" || !strings.HasPrefix(c.usage, c.name) {
			t.Errorf("%s: incomplete entry (run set %v, usage %q, help %q)", c.name, c.run != nil, c.usage, c.help)
		}
	}
	for a, name := range aliases {
		if _, ok := lookupCommand(name); !ok && name != "info" {
			t.Errorf("alias %s names %s, not a command", a, name)
		}
	}
	for sub, name := range infoSubs {
		if _, ok := lookupCommand(name); !ok {
			t.Errorf("info %s names %s, not a command", sub, name)
		}
	}
}
