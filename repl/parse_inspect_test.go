package repl

import (
	"strings"
	"testing"
)

func TestParseInspectCommands(t *testing.T) {
	cases := []struct {
		line, name, rest string
		format           byte
		wantErr          string
	}{
		{line: "set var x = 3", name: "set var", rest: "x = 3"},
		{line: "set variable s.f = 'a'", name: "set var", rest: "s.f = 'a'"},
		{line: "set x = 3", name: "set var", rest: "x = 3"},
		{line: "set var x", wantErr: "set var needs an assignment"},
		{line: "set", wantErr: "set what?"},
		{line: "set listsize 5", wantErr: "unknown set subcommand"},
		{line: "l", name: "list"},
		{line: "list main", name: "list", rest: "main"},
		{line: "list a b", wantErr: "list takes one location"},
		{line: "list 0", wantErr: "lines count from 1"},
		{line: "list f.c:x", wantErr: "must be a number"},
		{line: "list 9,3", wantErr: "two line numbers in order"},
		{line: "info locals", name: "info locals"},
		{line: "info args", name: "info args"},
		{line: "info f", name: "info frame"},
		{line: "info display", name: "info display"},
		{line: "info nothing", wantErr: "info args, info display, info frame, info locals"},
		{line: "ptype", wantErr: "ptype needs an expression or a type"},
		{line: "whatis struct node", name: "whatis", rest: "struct node"},
		{line: "display/x count", name: "display", rest: "count", format: 'x'},
		{line: "display", name: "display"},
		{line: "display/x", wantErr: "needs an expression"},
		{line: "display/q x", wantErr: "bad display format"},
		{line: "undisplay 1 2", name: "undisplay", rest: "1 2"},
		{line: "undisplay x", wantErr: "not a display number"},
		{line: "echo a\\n", name: "echo", rest: "a\\n"},
	}
	for _, c := range cases {
		cmd, err := ParseCommand(c.line)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%q: error %v, want %q", c.line, err, c.wantErr)
			}
			continue
		}
		if err != nil || cmd.Name != c.name || cmd.Rest != c.rest || cmd.Format != c.format {
			t.Errorf("%q: %+v, %v; want %s %q /%c", c.line, cmd, err, c.name, c.rest, c.format)
		}
	}
}

func TestParseListArg(t *testing.T) {
	cases := []struct {
		in   string
		want listArg
	}{
		{"", listArg{}},
		{"-", listArg{kind: '-'}},
		{"42", listArg{kind: 'l', from: 42}},
		{"bank.c:17", listArg{kind: 'l', name: "bank.c", from: 17}},
		{"src/bank.c:17", listArg{kind: 'l', name: "src/bank.c", from: 17}},
		{"withdraw", listArg{kind: 'f', name: "withdraw"}},
		{"app::Widget::bump", listArg{kind: 'f', name: "app::Widget::bump"}},
		{"main.main", listArg{kind: 'f', name: "main.main"}},
		{"10,20", listArg{kind: 'r', from: 10, to: 20}},
	}
	for _, c := range cases {
		got, err := parseListArg(c.in)
		if err != nil || got != c.want {
			t.Errorf("%q: %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}

func FuzzParseListArg(f *testing.F) {
	for _, s := range []string{"", "-", "a.c:3", "f", "1,2", "x::y:3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := parseListArg(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error has more than one line: %q", err)
			}
			return
		}
		if (a.kind == 'l' || a.kind == 'r') && a.from <= 0 || a.kind == 'r' && a.to < a.from {
			t.Errorf("%q: bad range %+v", s, a)
		}
	})
}

func TestUnescapeEcho(t *testing.T) {
	for in, want := range map[string]string{
		`hello`:        "hello",
		`a\nb`:         "a\nb",
		`tab\there`:    "tab\there",
		`back\\slash`:  `back\slash`,
		`\"quoted\"`:   `"quoted"`,
		`\101\60x`:     "A0x",
		`\ lead`:       " lead",
		`end\`:         "end",
		`\q`:           "q",
		`\e[0m`:        "\x1b[0m",
		`100\% done\n`: "100% done\n",
	} {
		if got := unescapeEcho(in); got != want {
			t.Errorf("echo %s: %q, want %q", in, got, want)
		}
	}
}

func FuzzUnescapeEcho(f *testing.F) {
	for _, s := range []string{`a\nb`, `\\`, `\777`, `\`, `\x41`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := unescapeEcho(s)
		if !strings.Contains(s, `\`) && out != s {
			t.Errorf("%q without escapes became %q", s, out)
		}
		if len(out) > len(s) {
			t.Errorf("%q grew to %q", s, out)
		}
	})
}
