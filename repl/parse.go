// Package repl is hwdbg's command language: parsing, dispatch, the
// interactive prompt and script mode, and rendering of events as text or
// JSON. It knows nothing of ptrace.
package repl

import (
	"fmt"
	"hwdbg/internal/textdist"
	"sort"
	"strconv"
	"strings"

	"hwdbg/arch"
)

// maxLine bounds a command line; longer lines are refused whole.
const maxLine = 64 * 1024

// Command is one parsed command line.
type Command struct {
	Name string   // canonical name, e.g. "watch", "info watchpoints"
	Args []string // whitespace-separated arguments after the name
	Rest string   // the text after the name, trimmed

	// watch, rwatch, awatch
	Access   arch.Access
	Expr     string
	Size     int
	Thread   int
	Cond     string
	Modify   bool
	Location bool // watch -l: the address, kept after a local's frame returns

	// x/NFU and print/F
	Count  int
	Format byte
	Unit   int
}

type cmdInfo struct {
	name  string
	usage string
	help  string
}

// commands lists every command with its one-line help.
var commands = []cmdInfo{
	{"watch", "watch [-w|-r|-rw] [-m] [-l] EXPR [-s N] [thread TID] [if COND]", "stop when EXPR's memory is written (-w, default: every write, same value included), read (-r) or either (-rw); -m (modify) stops only when the value changed; -l keeps watching a local's address after its frame returns; thread TID uses that thread's own slots"},
	{"rwatch", "rwatch EXPR [-s N] [thread TID] [if COND]", "watch -r: stop when EXPR's memory is read"},
	{"awatch", "awatch [-m] EXPR [-s N] [thread TID] [if COND]", "watch -rw: stop when EXPR's memory is read or written"},
	{"hbreak", "hbreak FUNC|FILE:LINE|*ADDR", "hardware execution breakpoint"},
	{"break", "break FUNC|FILE:LINE|*ADDR [if COND]", "software breakpoint (alias b)"},
	{"tbreak", "tbreak FUNC|FILE:LINE|*ADDR [if COND]", "temporary software breakpoint: deleted when it first stops"},
	{"start", "start", "run to main (shared libraries are then loaded)"},
	{"condition", "condition N [COND]", "stop at N only when COND holds (no COND: always)"},
	{"ignore", "ignore N COUNT", "do not stop at N for its next COUNT crossings"},
	{"commands", "commands [N] ... end", "commands to run when N stops the program; 'silent' first hides the report, 'continue' resumes"},
	{"delete", "delete [N...]", "delete watch/breakpoints N (all without N)"},
	{"disable", "disable N...", "disable watch/breakpoints (their slots are freed)"},
	{"enable", "enable N...", "enable watch/breakpoints again"},
	{"continue", "continue", "resume every thread until a hit, a signal or the end (alias c)"},
	{"stepi", "stepi", "execute one instruction of the selected thread (alias si)"},
	{"info watchpoints", "info watchpoints", "list watch/breakpoints: range requested, slots, range covered, hits (also info breakpoints)"},
	{"info slots", "info slots", "every thread's debug-register slots as armed in the kernel, and how"},
	{"info registers", "info registers [NAME...]", "registers of the selected thread"},
	{"info threads", "info threads", "list the threads; * marks the selected one"},
	{"thread", "thread [TID]", "select a thread, or show the selected one"},
	{"print", "print[/F] EXPR", "evaluate EXPR (alias p); F is x, d, u, o, t or c"},
	{"x", "x/NFU ADDR", "examine memory: N units, F format (x d u o t c a s i), U unit (b h w g)"},
	{"backtrace", "backtrace [N]", "call stack of the selected thread, unwound by CFI (alias bt)"},
	{"frame", "frame [N]", "select frame N of the selected thread: print, watch and conditions see its locals (alias f)"},
	{"disassemble", "disassemble [FUNC|*ADDR]", "disassemble a function (default: the one at the pc)"},
	{"detach", "detach", "clear our debug registers on every thread and let the program run on"},
	{"kill", "kill", "kill the program"},
	{"quit", "quit", "leave: a started program is killed, an attached one detached (alias q)"},
	{"help", "help [COMMAND]", "list commands, or one command's usage"},
}

var aliases = map[string]string{
	"c": "continue", "cont": "continue", "si": "stepi", "p": "print", "bt": "backtrace",
	"where": "backtrace", "q": "quit", "exit": "quit", "d": "delete", "h": "help",
	"disas": "disassemble", "i": "info", "t": "thread", "b": "break", "br": "break", "f": "frame",
}

var infoSubs = map[string]string{
	"watchpoints": "info watchpoints", "breakpoints": "info watchpoints", "b": "info watchpoints",
	"break": "info watchpoints", "watch": "info watchpoints", "wat": "info watchpoints",
	"slots": "info slots", "registers": "info registers", "reg": "info registers", "r": "info registers",
	"threads": "info threads", "thr": "info threads",
}

func lookupCommand(name string) (cmdInfo, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return cmdInfo{}, false
}

// CommandNames lists the command words, for completion and suggestions.
func CommandNames() []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range commands {
		w := strings.Fields(c.name)[0]
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	sort.Strings(out)
	return out
}

// ParseCommand parses one line. An empty line gives a Command with an
// empty Name. It never panics.
func ParseCommand(line string) (Command, error) {
	if len(line) > maxLine {
		return Command{}, fmt.Errorf("line too long (%d bytes, at most %d)", len(line), maxLine)
	}
	line = strings.TrimSpace(line)
	if line == "" || strings.HasPrefix(line, "#") {
		return Command{}, nil
	}
	word, rest := line, ""
	if i := strings.IndexFunc(line, func(r rune) bool { return r == ' ' || r == '\t' || r == '/' }); i >= 0 {
		word, rest = line[:i], line[i:]
	}
	suffix := ""
	if strings.HasPrefix(rest, "/") {
		j := strings.IndexAny(rest, " \t")
		if j < 0 {
			j = len(rest)
		}
		suffix, rest = rest[1:j], rest[j:]
	}
	rest = strings.TrimSpace(rest)
	if a, ok := aliases[word]; ok {
		word = a
	}
	cmd := Command{Name: word, Rest: rest, Args: strings.Fields(rest)}
	if word == "info" {
		if len(cmd.Args) == 0 {
			return cmd, fmt.Errorf("info what? try: info watchpoints, info slots, info registers, info threads")
		}
		sub, ok := infoSubs[cmd.Args[0]]
		if !ok {
			return cmd, fmt.Errorf("unknown info subcommand %q: try info watchpoints, info slots, info registers, info threads", cmd.Args[0])
		}
		cmd.Name = sub
		cmd.Args = cmd.Args[1:]
		cmd.Rest = strings.TrimSpace(strings.TrimPrefix(rest, strings.Fields(rest)[0]))
	}
	info, ok := lookupCommand(cmd.Name)
	if !ok {
		return cmd, unknownCommand(word)
	}
	if suffix != "" && cmd.Name != "x" && cmd.Name != "print" {
		return cmd, fmt.Errorf("%s takes no /FORMAT", cmd.Name)
	}
	var err error
	switch cmd.Name {
	case "watch", "rwatch", "awatch":
		err = parseWatch(&cmd)
	case "hbreak", "break", "tbreak":
		if i := indexWord(cmd.Rest, "if"); i >= 0 {
			cmd.Cond = strings.TrimSpace(cmd.Rest[i+2:])
			cmd.Rest = strings.TrimSpace(cmd.Rest[:i])
			if cmd.Cond == "" {
				return cmd, fmt.Errorf("'if' needs a condition: %s", info.usage)
			}
		}
		if cmd.Rest == "" {
			err = fmt.Errorf("%s needs a location: %s", cmd.Name, info.usage)
		} else if len(strings.Fields(cmd.Rest)) > 1 {
			err = fmt.Errorf("%s takes one location: %s", cmd.Name, info.usage)
		}
	case "condition":
		if len(cmd.Args) == 0 {
			return cmd, fmt.Errorf("condition needs a watch/breakpoint number: %s", info.usage)
		}
		if n, e := strconv.Atoi(cmd.Args[0]); e != nil || n <= 0 {
			return cmd, fmt.Errorf("condition: %q is not a watch/breakpoint number", truncate(cmd.Args[0], 20))
		}
		cmd.Cond = strings.TrimSpace(strings.TrimPrefix(cmd.Rest, cmd.Args[0]))
	case "ignore":
		if len(cmd.Args) != 2 {
			return cmd, fmt.Errorf("ignore needs a number and a count: %s", info.usage)
		}
		if n, e := strconv.Atoi(cmd.Args[0]); e != nil || n <= 0 {
			return cmd, fmt.Errorf("ignore: %q is not a watch/breakpoint number", truncate(cmd.Args[0], 20))
		}
		if n, e := strconv.Atoi(cmd.Args[1]); e != nil || n < 0 {
			return cmd, fmt.Errorf("ignore: %q is not a count (0 or more)", truncate(cmd.Args[1], 20))
		}
	case "commands":
		if len(cmd.Args) > 1 {
			return cmd, fmt.Errorf("commands takes at most one watch/breakpoint number: %s", info.usage)
		}
		if len(cmd.Args) == 1 {
			if n, e := strconv.Atoi(cmd.Args[0]); e != nil || n <= 0 {
				return cmd, fmt.Errorf("commands: %q is not a watch/breakpoint number", truncate(cmd.Args[0], 20))
			}
		}
	case "print":
		cmd.Format = 0
		if suffix != "" {
			if len(suffix) != 1 || !strings.ContainsRune("xduotc", rune(suffix[0])) {
				return cmd, fmt.Errorf("bad print format %q: use x, d, u, o, t or c", "/"+suffix)
			}
			cmd.Format = suffix[0]
		}
		if cmd.Rest == "" {
			err = fmt.Errorf("print needs an expression: %s", info.usage)
		}
	case "x":
		err = parseExamine(&cmd, suffix)
	case "delete", "disable", "enable":
		if cmd.Name != "delete" && len(cmd.Args) == 0 {
			return cmd, fmt.Errorf("%s needs watch/breakpoint numbers: %s", cmd.Name, info.usage)
		}
		for _, a := range cmd.Args {
			if n, e := strconv.Atoi(a); e != nil || n <= 0 {
				return cmd, fmt.Errorf("%s: %q is not a watch/breakpoint number", cmd.Name, a)
			}
		}
	case "thread":
		if len(cmd.Args) > 1 {
			return cmd, fmt.Errorf("thread takes one thread id: %s", info.usage)
		}
		if len(cmd.Args) == 1 {
			if n, e := strconv.Atoi(cmd.Args[0]); e != nil || n <= 0 {
				return cmd, fmt.Errorf("thread: %q is not a thread id", cmd.Args[0])
			}
		}
	case "frame":
		if len(cmd.Args) > 1 {
			return cmd, fmt.Errorf("frame takes one frame number: %s", info.usage)
		}
		if len(cmd.Args) == 1 {
			if n, e := strconv.Atoi(cmd.Args[0]); e != nil || n < 0 {
				return cmd, fmt.Errorf("frame: %q is not a frame number", truncate(cmd.Args[0], 20))
			}
		}
	case "backtrace":
		if len(cmd.Args) > 1 {
			return cmd, fmt.Errorf("backtrace takes at most a frame count: %s", info.usage)
		}
		if len(cmd.Args) == 1 {
			if n, e := strconv.Atoi(cmd.Args[0]); e != nil || n <= 0 {
				return cmd, fmt.Errorf("backtrace: %q is not a frame count", cmd.Args[0])
			}
		}
	case "continue", "stepi", "detach", "kill", "quit", "info watchpoints", "info slots", "info threads", "start":
		if len(cmd.Args) > 0 {
			return cmd, fmt.Errorf("%s takes no arguments", cmd.Name)
		}
	}
	return cmd, err
}

func unknownCommand(word string) error {
	msg := fmt.Sprintf("unknown command %q", truncate(word, 40))
	var close []string
	for _, n := range CommandNames() {
		if strings.HasPrefix(n, word) || textdist.Distance(n, word, 2) <= 2 {
			close = append(close, n)
		}
	}
	if len(close) > 0 && len(close) <= 4 {
		msg += " (did you mean " + strings.Join(close, ", ") + "?)"
	}
	return fmt.Errorf("%s; type help for the list", msg)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// parseWatch reads [-w|-r|-rw] EXPR [-s N] [thread TID] [if COND].
func parseWatch(cmd *Command) error {
	switch cmd.Name {
	case "rwatch":
		cmd.Access = arch.Read
	case "awatch":
		cmd.Access = arch.ReadWrite
	default:
		cmd.Access = arch.Write
	}
	usage := "usage: watch [-w|-r|-rw] [-m] [-l] EXPR [-s N] [thread TID] [if COND]"
	text := cmd.Rest
	if i := indexWord(text, "if"); i >= 0 {
		cmd.Cond = strings.TrimSpace(text[i+2:])
		text = text[:i]
		if cmd.Cond == "" {
			return fmt.Errorf("'if' needs a condition; %s", usage)
		}
	}
	toks := strings.Fields(text)
	var expr []string
	for i := 0; i < len(toks); i++ {
		switch t := toks[i]; t {
		case "-m":
			cmd.Modify = true
		case "-l", "-location":
			cmd.Location = true
		case "-w", "-r", "-rw":
			if cmd.Name != "watch" {
				return fmt.Errorf("%s takes no access flag; use watch %s", cmd.Name, t)
			}
			cmd.Access = map[string]arch.Access{"-w": arch.Write, "-r": arch.Read, "-rw": arch.ReadWrite}[t]
		case "-s":
			if i+1 >= len(toks) {
				return fmt.Errorf("-s needs a size in bytes; %s", usage)
			}
			n, err := strconv.ParseInt(toks[i+1], 0, 32)
			if err != nil || n <= 0 {
				return fmt.Errorf("-s %s: the size must be a positive number of bytes", truncate(toks[i+1], 20))
			}
			cmd.Size = int(n)
			i++
		case "thread":
			if i+1 >= len(toks) {
				return fmt.Errorf("thread needs a thread id; %s", usage)
			}
			n, err := strconv.Atoi(toks[i+1])
			if err != nil || n <= 0 {
				return fmt.Errorf("thread %s: not a thread id", truncate(toks[i+1], 20))
			}
			cmd.Thread = n
			i++
		default:
			expr = append(expr, t)
		}
	}
	if cmd.Modify && cmd.Access == arch.Read {
		return fmt.Errorf("-m (stop only when the value changed) does not apply to reads")
	}
	cmd.Expr = strings.Join(expr, " ")
	if cmd.Expr == "" {
		return fmt.Errorf("%s needs an expression; %s", cmd.Name, usage)
	}
	return nil
}

// indexWord finds word as a whole word in s, or -1.
func indexWord(s, word string) int {
	for i := 0; i+len(word) <= len(s); i++ {
		if s[i:i+len(word)] != word {
			continue
		}
		before := i == 0 || s[i-1] == ' ' || s[i-1] == '\t'
		after := i+len(word) == len(s) || s[i+len(word)] == ' ' || s[i+len(word)] == '\t'
		if before && after {
			return i
		}
	}
	return -1
}

// parseExamine reads x's /NFU suffix: count, format, unit in any order
// after the count, as gdb does.
func parseExamine(cmd *Command, suffix string) error {
	cmd.Count, cmd.Format, cmd.Unit = 1, 'x', 4
	i := 0
	for i < len(suffix) && suffix[i] >= '0' && suffix[i] <= '9' {
		i++
	}
	if i > 0 {
		n, err := strconv.Atoi(suffix[:i])
		if err != nil || n <= 0 || n > 4096 {
			return fmt.Errorf("x: bad count %q (1 to 4096)", truncate(suffix[:i], 20))
		}
		cmd.Count = n
	}
	for _, c := range suffix[i:] {
		switch {
		case strings.ContainsRune("xduotcasi", c):
			cmd.Format = byte(c)
		case strings.ContainsRune("bhwg", c):
			cmd.Unit = map[rune]int{'b': 1, 'h': 2, 'w': 4, 'g': 8}[c]
		default:
			return fmt.Errorf("x: bad format letter %q: formats x d u o t c a s i, units b h w g", c)
		}
	}
	if cmd.Format == 'a' {
		cmd.Unit = 8
	}
	if cmd.Format == 'c' && !strings.ContainsAny(suffix[i:], "bhwg") {
		cmd.Unit = 1
	}
	if cmd.Rest == "" {
		return fmt.Errorf("x needs an address: x/NFU ADDR")
	}
	return nil
}
