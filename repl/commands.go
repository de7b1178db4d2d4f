package repl

import (
	"fmt"
	"sort"
	"strings"
)

// cmdInfo is one command: its name, its one-line help, how its arguments
// are read and what runs it.
type cmdInfo struct {
	name  string
	usage string
	help  string
	// format: the command takes a /FORMAT after its name (print/x, x/4xg).
	format bool
	// args checks the arguments and fills the Command fields they set;
	// nil takes any arguments.
	args argParser
	// live: the command needs the program (it refuses once it is gone).
	live bool
	// run runs the command and returns what it reports, rendered by the
	// session (results.go); nil for a command that reports nothing.
	run handler
}

// A handler runs one parsed command. It never writes: it returns a result
// for the session to render, or an error. Commands that resume the program
// hand the events to the session as they come (cmd_running.go).
type handler func(s *Session, cmd Command) (Result, error)

// commands lists every command in the order help shows them. It is filled
// in init: the handlers reach back to the table (help, and the commands
// run by a watchpoint's commands), which a variable's initializer may not.
var commands []cmdInfo

func init() {
	commands = []cmdInfo{
		{name: "watch", usage: "watch [-w|-r|-rw] [-m] [-l] EXPR [-s N] [thread TID] [if COND]", help: "stop when EXPR's memory is written (-w, default: every write, same value included), read (-r) or either (-rw); -m (modify) stops only when the value changed; -l keeps watching a local's address after its frame returns; thread TID uses that thread's own slots",
			args: parseWatch, live: true, run: (*Session).watch},
		{name: "rwatch", usage: "rwatch EXPR [-s N] [thread TID] [if COND]", help: "watch -r: stop when EXPR's memory is read",
			args: parseWatch, live: true, run: (*Session).watch},
		{name: "awatch", usage: "awatch [-m] EXPR [-s N] [thread TID] [if COND]", help: "watch -rw: stop when EXPR's memory is read or written",
			args: parseWatch, live: true, run: (*Session).watch},
		{name: "hbreak", usage: "hbreak FUNC|FILE:LINE|*ADDR", help: "hardware execution breakpoint",
			args: parseLocation, live: true, run: (*Session).breakpoint},
		{name: "break", usage: "break FUNC|FILE:LINE|*ADDR [if COND]", help: "software breakpoint (alias b)",
			args: parseLocation, live: true, run: (*Session).breakpoint},
		{name: "tbreak", usage: "tbreak FUNC|FILE:LINE|*ADDR [if COND]", help: "temporary software breakpoint: deleted when it first stops",
			args: parseLocation, live: true, run: (*Session).breakpoint},
		{name: "start", usage: "start", help: "run to main (shared libraries are then loaded)",
			args: noArgs, live: true, run: (*Session).start},
		{name: "condition", usage: "condition N [COND] | condition -hitcount N OP K | condition -clear N", help: "stop at N only when COND holds (no COND: always); in COND, $hits is N's hit count (every access to its range or crossing of its location so far, this one included, whether or not a condition held): watch x if $hits % 1000 == 0; -hitcount (Delve's) stops only when the hit count OP K holds (OP: == != < <= > >=), or with % K at every K-th hit, and with COND both must hold; -clear removes both. COND is C: + - * / % (integers, typed as C types them; a divisor of 0 is refused when it is a constant, and stops with the error when it is 0 at a hit, as gdb does), & && || ! and comparisons",
			args: parseCondition, run: (*Session).condition},
		{name: "ignore", usage: "ignore N COUNT", help: "do not stop at N for its next COUNT crossings",
			args: parseIgnore, run: (*Session).ignore},
		{name: "commands", usage: "commands [N] ... end", help: "commands to run when N stops the program; 'silent' first hides the report, 'continue' resumes",
			args: parseCommands, run: (*Session).openCommands},
		{name: "delete", usage: "delete [N...]", help: "delete watch/breakpoints N (all without N)",
			args: parseIDs, run: (*Session).delete},
		{name: "disable", usage: "disable N...", help: "disable watch/breakpoints (their slots are freed)",
			args: parseIDs, run: (*Session).enable},
		{name: "enable", usage: "enable N...", help: "enable watch/breakpoints again",
			args: parseIDs, run: (*Session).enable},
		{name: "trace", usage: traceUsage, help: "count every access to EXPR's memory (-w writes, default; -r reads; -rw both) while the program runs, without stopping it, until DURATION of running, COUNT hits (the first COUNT reported), Ctrl-C, the program's end or an exec; a stop of yours (watchpoint, breakpoint, signal) pauses it with its slots held: continue records on, delete N ends it; report hits per thread, instruction and stack; -o FILE.pb.gz writes a pprof profile, any other name folded stacks; on a terminal a live line shows hits and rate",
			args: parseTrace, live: true, run: (*Session).trace},
		{name: "run", usage: "run [ARG...] [< FILE]", help: "run the program from its start (alias r): again after it exited, or, once asked, while it runs; ARGs replace its arguments, < FILE gives its input; watch- and breakpoints are set again",
			args: parseRun, run: (*Session).runProgram},
		{name: "continue", usage: "continue [N]", help: "resume every thread until a hit, a signal or the end (alias c); N ignores the breakpoint that stopped us N-1 more times",
			args: parseCount, live: true, run: (*Session).cont},
		{name: "next", usage: "next [N]", help: "run to the next source line of this function, over calls (alias n)",
			args: parseCount, live: true, run: (*Session).next},
		{name: "step", usage: "step [N]", help: "run to the next source line, into calls that have line information (alias s)",
			args: parseCount, live: true, run: (*Session).stepLine},
		{name: "until", usage: "until [LOCATION]", help: "next, but never back to an earlier line (a loop runs to its end); with LOCATION, run until this frame reaches it or returns (alias u)",
			args: parseUntil, live: true, run: (*Session).until},
		{name: "finish", usage: "finish", help: "run until the selected frame returns, and show the value it returned (alias fin)",
			args: noArgs, live: true, run: (*Session).finish},
		{name: "stepi", usage: "stepi [N]", help: "execute N instructions (default 1) of the selected thread (alias si)",
			args: parseCount, live: true, run: (*Session).stepi},
		{name: "nexti", usage: "nexti [N]", help: "stepi, but a call runs until the called function returns (alias ni)",
			args: parseCount, live: true, run: (*Session).nexti},
		{name: "info watchpoints", usage: "info watchpoints", help: "list watch/breakpoints: range requested, slots, range covered, hits (every access to the range, or crossing of the location, whether or not the condition held; by thread under the row) and stops (how many times it stopped the program), conditions, engine (kernel: conditions judged in the kernel; HWDBG_ENGINE=kernel|ptrace forces one) (also info breakpoints)",
			args: noArgs, run: (*Session).infoWatchpoints},
		{name: "info slots", usage: "info slots", help: "every thread's debug-register slots as armed in the kernel, and how",
			args: noArgs, live: true, run: (*Session).infoSlots},
		{name: "info registers", usage: "info registers [NAME...]", help: "registers of the selected thread",
			live: true, run: (*Session).infoRegisters},
		{name: "info threads", usage: "info threads", help: "list the threads; * marks the selected one",
			args: noArgs, live: true, run: (*Session).infoThreads},
		{name: "thread", usage: "thread [TID]", help: "select a thread, or show the selected one",
			args: parseThread, live: true, run: (*Session).thread},
		{name: "print", usage: "print[/F] EXPR", help: "evaluate EXPR (alias p); F is x, d, u, o, t or c",
			format: true, args: parsePrint, live: true, run: (*Session).print},
		{name: "x", usage: "x/NFU ADDR", help: "examine memory: N units, F format (x d u o t c a s i), U unit (b h w g)",
			format: true, args: parseExamine, live: true, run: (*Session).examine},
		{name: "backtrace", usage: "backtrace [N]", help: "call stack of the selected thread, unwound by CFI (alias bt)",
			args: parseBacktrace, live: true, run: (*Session).backtrace},
		{name: "frame", usage: "frame [N]", help: "select frame N of the selected thread: print, watch and conditions see its locals (alias f)",
			args: parseFrame, live: true, run: (*Session).frame},
		{name: "disassemble", usage: "disassemble [FUNC|*ADDR]", help: "disassemble a function (default: the one at the pc)",
			live: true, run: (*Session).disassemble},
		{name: "list", usage: "list [FUNC|FILE:LINE|LINE|FIRST,LAST|-]", help: "show source lines around the selected frame's line, a function or a line; list again shows the next lines, list - the ones before (alias l)",
			args: parseList, live: true, run: (*Session).list},
		{name: "info locals", usage: "info locals", help: "the local variables of the selected frame and their values",
			args: noArgs, live: true, run: (*Session).infoLocals},
		{name: "info args", usage: "info args", help: "the arguments of the selected frame and their values",
			args: noArgs, live: true, run: (*Session).infoArgs},
		{name: "info frame", usage: "info frame", help: "the selected frame: level, pc, function and line, caller, frame address (CFA), arguments, saved registers",
			args: noArgs, live: true, run: (*Session).infoFrame},
		{name: "ptype", usage: "ptype EXPR|TYPE", help: "the type of EXPR, or TYPE, laid out: struct and union members, enumerators, what a typedef names",
			args: needExpr, live: true, run: (*Session).ptype},
		{name: "whatis", usage: "whatis EXPR|TYPE", help: "the name of the type of EXPR, or of TYPE",
			args: needExpr, live: true, run: (*Session).whatis},
		{name: "set var", usage: "set var LVALUE = EXPR", help: "assign to a variable, *p, s.f or a[i]: integers, chars ('c'), floats, pointers, enums; also print LVALUE = EXPR",
			args: parseSetVar, live: true, run: (*Session).setVar},
		{name: "display", usage: "display[/F] [EXPR]", help: "show EXPR (with print's format F) at every stop, numbered; no EXPR shows them all now",
			format: true, args: parseDisplay, live: true, run: (*Session).display},
		{name: "undisplay", usage: "undisplay [N...]", help: "stop showing displays N (all without N)",
			args: parseUndisplay, run: (*Session).undisplay},
		{name: "info display", usage: "info display", help: "list the expressions display shows at every stop",
			args: noArgs, run: (*Session).infoDisplay},
		{name: "echo", usage: "echo TEXT", help: "print TEXT as it is, no newline added: escapes \\n \\t \\\\ \\NNN as in gdb (scripts mark their progress with it)",
			run: (*Session).echo},
		{name: "detach", usage: "detach", help: "clear our debug registers on every thread and let the program run on",
			args: noArgs, live: true, run: (*Session).detach},
		{name: "kill", usage: "kill", help: "kill the program",
			args: noArgs, live: true, run: (*Session).kill},
		{name: "quit", usage: "quit", help: "leave: a started program is killed, an attached one detached (alias q)",
			args: noArgs, run: (*Session).quit},
		{name: "help", usage: "help [COMMAND]", help: "list commands, or one command's usage",
			run: (*Session).help},
	}
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

// dispatch runs a parsed command through its entry in the table and
// renders what it reports.
func (s *Session) dispatch(cmd Command) error {
	c, ok := lookupCommand(cmd.Name)
	if !ok || c.run == nil {
		return fmt.Errorf("command %q is not implemented", cmd.Name)
	}
	if c.live {
		if err := s.needLive(); err != nil {
			return err
		}
	}
	res, err := c.run(s, cmd)
	if res != nil {
		s.show(cmd.Name, res)
		if p, ok := res.(slotSetter); ok && p.trapProbe() != "" {
			s.checkTraps(p.trapProbe())
		}
	}
	return err
}
