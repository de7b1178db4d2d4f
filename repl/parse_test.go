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
		{line: "continue now", wantErr: "continue takes no arguments"},
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
	for _, s := range []string{"watch -rw &x -s 8 thread 3 if x == 1", "x/4xg $sp", "info slots", "p/x *(int*)0x10", "delete 1 2", "hbreak *0x401000"} {
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
