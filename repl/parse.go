// Package repl is hwdbg's command language: parsing, dispatch, the
// interactive prompt and script mode, and rendering of events as text or
// JSON. It knows nothing of ptrace.
package repl

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"hwdbg/arch"
	"hwdbg/internal/textdist"
)

// maxLine bounds a command line; longer lines are refused whole.
const maxLine = 64 * 1024

// Command is one parsed command line.
type Command struct {
	Name string   // canonical name, e.g. "watch", "info watchpoints"
	Args []string // whitespace-separated arguments after the name
	Rest string   // the text after the name, trimmed

	// watch, rwatch, awatch
	Access arch.Access
	Expr   string
	Size   int
	Thread int
	Cond   string
	Modify bool
	// condition -hitcount N OP K
	HitOp    string
	HitK     int64
	Location bool // watch -l: the address, kept after a local's frame returns

	// trace
	For    time.Duration // for DURATION
	Hits   uint64        // for COUNT
	Output string        // -o FILE
	Pages  int           // -pages N

	// run: the program's new arguments (nil: those of the last run) and
	// the file its input comes from (< FILE)
	RunArgs []string
	Input   string

	// x/NFU and print/F; the repeat count of next, step, stepi, continue
	Count  int
	Format byte
	Unit   int
}

var aliases = map[string]string{
	"c": "continue", "cont": "continue", "si": "stepi", "p": "print", "bt": "backtrace",
	"where": "backtrace", "q": "quit", "exit": "quit", "d": "delete", "h": "help",
	"disas": "disassemble", "i": "info", "t": "thread", "b": "break", "br": "break", "f": "frame",
	"r": "run", "n": "next", "s": "step", "fin": "finish", "u": "until", "ni": "nexti",
}

var infoSubs = map[string]string{
	"watchpoints": "info watchpoints", "breakpoints": "info watchpoints", "b": "info watchpoints",
	"break": "info watchpoints", "watch": "info watchpoints", "wat": "info watchpoints",
	"slots": "info slots", "registers": "info registers", "reg": "info registers", "r": "info registers",
	"threads": "info threads", "thr": "info threads",
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
			return cmd, fmt.Errorf("info what? try: %s", infoList())
		}
		sub, ok := infoSubs[cmd.Args[0]]
		if !ok {
			return cmd, fmt.Errorf("unknown info subcommand %q: try %s", truncate(cmd.Args[0], 40), infoList())
		}
		cmd.Name = sub
		cmd.Args = cmd.Args[1:]
		cmd.Rest = strings.TrimSpace(strings.TrimPrefix(rest, strings.Fields(rest)[0]))
	}
	if word == "set" {
		if err := parseSetWord(&cmd, rest); err != nil {
			return cmd, err
		}
	}
	c, ok := lookupCommand(cmd.Name)
	if !ok {
		return cmd, unknownCommand(word)
	}
	if suffix != "" && !c.format {
		return cmd, fmt.Errorf("%s takes no /FORMAT", cmd.Name)
	}
	if c.args == nil {
		return cmd, nil
	}
	return cmd, c.args(&cmd, suffix, c.usage)
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

// An argParser checks a command's arguments, and fills the fields of cmd
// they set; suffix is the /FORMAT after the command word, usage the
// command's usage line for the messages.
type argParser func(cmd *Command, suffix, usage string) error

// parseWatch reads [-w|-r|-rw] EXPR [-s N] [thread TID] [if COND].
func parseWatch(cmd *Command, _, _ string) error {
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
func parseExamine(cmd *Command, suffix, _ string) error {
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

// parseLocation reads the LOCATION [if COND] of hbreak, break and tbreak.
func parseLocation(cmd *Command, _, usage string) error {
	if i := indexWord(cmd.Rest, "if"); i >= 0 {
		cmd.Cond = strings.TrimSpace(cmd.Rest[i+2:])
		cmd.Rest = strings.TrimSpace(cmd.Rest[:i])
		if cmd.Cond == "" {
			return fmt.Errorf("'if' needs a condition: %s", usage)
		}
	}
	if cmd.Rest == "" {
		return fmt.Errorf("%s needs a location: %s", cmd.Name, usage)
	}
	if len(strings.Fields(cmd.Rest)) > 1 {
		return fmt.Errorf("%s takes one location: %s", cmd.Name, usage)
	}
	return nil
}

// isID tells whether s is a watch/breakpoint number (or a thread id).
func isID(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n > 0
}

// parseCondition reads N [COND], -hitcount N OP K, or -clear N.
func parseCondition(cmd *Command, _, usage string) error {
	if len(cmd.Args) > 0 && strings.HasPrefix(cmd.Args[0], "-") {
		return parseConditionFlag(cmd, usage)
	}
	if len(cmd.Args) == 0 {
		return fmt.Errorf("condition needs a watch/breakpoint number: %s", usage)
	}
	if !isID(cmd.Args[0]) {
		return fmt.Errorf("condition: %q is not a watch/breakpoint number", truncate(cmd.Args[0], 20))
	}
	cmd.Cond = strings.TrimSpace(strings.TrimPrefix(cmd.Rest, cmd.Args[0]))
	return nil
}

// parseConditionFlag reads Delve's forms of condition: -hitcount N OP K
// (OP and K may be written together: %1000), -clear N.
func parseConditionFlag(cmd *Command, usage string) error {
	flag := cmd.Args[0]
	switch flag {
	case "-hitcount", "-clear":
	default:
		return fmt.Errorf("condition: unknown flag %q (-hitcount N OP K, or -clear N): %s", truncate(flag, 20), usage)
	}
	if len(cmd.Args) < 2 || !isID(cmd.Args[1]) {
		return fmt.Errorf("condition %s needs a watch/breakpoint number: %s", flag, usage)
	}
	rest := strings.Join(cmd.Args[2:], "")
	if flag == "-clear" {
		if rest != "" {
			return fmt.Errorf("condition -clear takes one watch/breakpoint number: %s", usage)
		}
		return nil
	}
	for _, op := range []string{"==", "!=", "<=", ">=", "<", ">", "%"} {
		if k, ok := strings.CutPrefix(rest, op); ok {
			n, err := strconv.ParseInt(k, 0, 64)
			if err != nil || n < 0 || (op == "%" && n == 0) {
				return fmt.Errorf("condition -hitcount: %q is not a hit count to compare with (a number, 0 or more; more than 0 after %%)", truncate(k, 20))
			}
			cmd.HitOp, cmd.HitK = op, n
			return nil
		}
	}
	return fmt.Errorf("condition -hitcount needs an operator (== != < <= > >= or %%, every K-th hit) and a count: %s", usage)
}

// parseIgnore reads N COUNT.
func parseIgnore(cmd *Command, _, usage string) error {
	if len(cmd.Args) != 2 {
		return fmt.Errorf("ignore needs a number and a count: %s", usage)
	}
	if !isID(cmd.Args[0]) {
		return fmt.Errorf("ignore: %q is not a watch/breakpoint number", truncate(cmd.Args[0], 20))
	}
	if n, err := strconv.Atoi(cmd.Args[1]); err != nil || n < 0 {
		return fmt.Errorf("ignore: %q is not a count (0 or more)", truncate(cmd.Args[1], 20))
	}
	return nil
}

// oneArg checks the one optional argument of commands, thread, frame and
// backtrace: more than one is refused with the usage (takes says what the
// command takes), one that valid refuses is not the noun it should be;
// shorten truncates it in that message.
func oneArg(cmd *Command, usage, takes, noun string, valid func(string) bool, shorten bool) error {
	if len(cmd.Args) > 1 {
		return fmt.Errorf("%s takes %s: %s", cmd.Name, takes, usage)
	}
	if len(cmd.Args) == 1 && !valid(cmd.Args[0]) {
		arg := cmd.Args[0]
		if shorten {
			arg = truncate(arg, 20)
		}
		return fmt.Errorf("%s: %q is not %s", cmd.Name, arg, noun)
	}
	return nil
}

// parseCommands reads the [N] of commands.
func parseCommands(cmd *Command, _, usage string) error {
	return oneArg(cmd, usage, "at most one watch/breakpoint number", "a watch/breakpoint number", isID, true)
}

// parseIDs reads the N... of delete (none: all), disable and enable.
func parseIDs(cmd *Command, _, usage string) error {
	if cmd.Name != "delete" && len(cmd.Args) == 0 {
		return fmt.Errorf("%s needs watch/breakpoint numbers: %s", cmd.Name, usage)
	}
	for _, a := range cmd.Args {
		if !isID(a) {
			return fmt.Errorf("%s: %q is not a watch/breakpoint number", cmd.Name, a)
		}
	}
	return nil
}

// parsePrint reads print's /F and its expression.
func parsePrint(cmd *Command, suffix, usage string) error {
	if suffix != "" {
		if len(suffix) != 1 || !strings.ContainsRune("xduotc", rune(suffix[0])) {
			return fmt.Errorf("bad print format %q: use x, d, u, o, t or c", "/"+suffix)
		}
		cmd.Format = suffix[0]
	}
	if cmd.Rest == "" {
		return fmt.Errorf("print needs an expression: %s", usage)
	}
	return nil
}

// parseThread reads thread's [TID].
func parseThread(cmd *Command, _, usage string) error {
	return oneArg(cmd, usage, "one thread id", "a thread id", isID, false)
}

// parseFrame reads frame's [N], from 0.
func parseFrame(cmd *Command, _, usage string) error {
	isIndex := func(s string) bool {
		n, err := strconv.Atoi(s)
		return err == nil && n >= 0
	}
	return oneArg(cmd, usage, "one frame number", "a frame number", isIndex, true)
}

// parseBacktrace reads backtrace's [N], a count from 1.
func parseBacktrace(cmd *Command, _, usage string) error {
	return oneArg(cmd, usage, "at most a frame count", "a frame count", isID, false)
}

// noArgs refuses any argument.
func noArgs(cmd *Command, _, _ string) error {
	if len(cmd.Args) > 0 {
		return fmt.Errorf("%s takes no arguments", cmd.Name)
	}
	return nil
}

// atois reads arguments that parsing checked are numbers.
func atois(args []string) []int {
	var out []int
	for _, a := range args {
		n, _ := strconv.Atoi(a)
		out = append(out, n)
	}
	return out
}
