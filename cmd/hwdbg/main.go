// Command hwdbg is a Linux debugger built around the CPU's hardware
// watchpoints: who wrote (or read) this memory, from which thread, with
// which instruction, and what changed.
//
// This file reads flags and picks the mode; everything else is in repl and
// debugger.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"hwdbg/debugfile"
	"hwdbg/debugger"
	"hwdbg/repl"
)

const version = "hwdbg 0.1.0"

type multi []string

func (m *multi) String() string     { return strings.Join(*m, "; ") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

const usage = `usage:
  hwdbg [options] [--] PROGRAM [ARG...]   start PROGRAM, stopped before its first instruction
  hwdbg [options] -p PID                  attach to every thread of a running process
  hwdbg doctor [--json]                   what this machine allows (debug-register traps, perf, BPF)

options:
  -x FILE     run the commands in FILE first (repeatable; after ~/.hwdbginit)
  -ex CMD     run one command first (repeatable, after the -x files)
  -nx, -n     do not run ~/.hwdbginit (commands run at every start, before -x and -ex)
  --batch     no prompt: run -x/-ex, then commands from stdin until EOF, then leave
  --json      events as JSON lines on stdout, nothing else: when stdout is not a
              terminal, the program's standard output goes to hwdbg's standard
              error (unless --tty or --program-output say where)
  --tty PATH  the program's standard input, output and error on PATH (a terminal
              such as /dev/pts/3, or a file)
  --program-output FILE
              the program's standard output and error into FILE (created or
              truncated); its input stays hwdbg's terminal, or /dev/null
  -q          no banner
  -p PID      attach to a running process (it keeps its own input and output)
  --version   print the version
  -h, --help  this help

environment:
  HWDBG_DEBUG_FILE_DIRECTORY  where separate debug files (libc6-dbg's, objcopy
              --only-keep-debug's) are looked for, colon-separated; default /usr/lib/debug
`

func main() {
	// HWDBG_CPUPROFILE=FILE writes a CPU profile of hwdbg itself (for
	// work on hwdbg's own speed).
	if path := os.Getenv("HWDBG_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			pprof.StartCPUProfile(f)
			code := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
			pprof.StopCPUProfile()
			f.Close()
			os.Exit(code)
		}
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin *os.File, stdout, stderr io.Writer) (status int) {
	// `hwdbg doctor`; a program named doctor is `hwdbg -- doctor`.
	if len(args) > 0 && args[0] == "doctor" {
		return doctor(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("hwdbg", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var files, cmds multi
	var batch, jsonOut, quiet, showVersion, noInit, noInitShort bool
	var pidArg, ttyPath, progOut string
	fs.Var(&files, "x", "")
	fs.Var(&cmds, "ex", "")
	fs.BoolVar(&batch, "batch", false, "")
	fs.BoolVar(&jsonOut, "json", false, "")
	fs.BoolVar(&quiet, "q", false, "")
	fs.BoolVar(&showVersion, "version", false, "")
	fs.StringVar(&pidArg, "p", "", "")
	fs.BoolVar(&noInit, "nx", false, "")
	fs.BoolVar(&noInitShort, "n", false, "")
	fs.StringVar(&ttyPath, "tty", "", "")
	fs.StringVar(&progOut, "program-output", "", "")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			fmt.Fprint(stdout, fullUsage())
			return repl.ExitOK
		}
		fmt.Fprintf(stderr, "hwdbg: %v\n%s", err, usage)
		return repl.ExitUsage
	}
	if showVersion {
		fmt.Fprintln(stdout, version)
		return repl.ExitOK
	}
	rest := fs.Args()
	if pidArg != "" && len(rest) > 0 {
		fmt.Fprintf(stderr, "hwdbg: give either -p PID or a PROGRAM, not both\n%s", usage)
		return repl.ExitUsage
	}
	if pidArg == "" && len(rest) == 0 {
		fmt.Fprintf(stderr, "hwdbg: no program to debug: give PROGRAM [ARG...] or -p PID\n%s", usage)
		return repl.ExitUsage
	}
	if err := checkBeforeStart(pidArg != "", ttyPath, progOut, files); err != nil {
		fmt.Fprintf(stderr, "hwdbg: %v\n", err)
		return repl.ExitUsage
	}
	interactive := isTerminal(stdin)
	var d *debugger.Debugger
	var err error
	if pidArg != "" {
		pid, perr := strconv.Atoi(pidArg)
		if perr != nil || pid <= 0 {
			fmt.Fprintf(stderr, "hwdbg: -p %s: not a process id\n", pidArg)
			return repl.ExitUsage
		}
		d, err = debugger.Attach(pid)
	} else {
		stdio, serr := programStdio(stdioChoice{tty: ttyPath, output: progOut, json: jsonOut, interactive: interactive},
			stdin, stdout, stderr)
		if serr != nil {
			fmt.Fprintf(stderr, "hwdbg: %v\n", serr)
			return repl.ExitUsage
		}
		d, err = debugger.LaunchStdio(rest[0], rest[1:], stdio)
	}
	if err != nil {
		if jsonOut {
			stdout.Write(repl.JSONLine(map[string]any{"event": "error", "message": err.Error(), "command": ""}))
		} else {
			fmt.Fprintf(stderr, "hwdbg: %v\n", err)
		}
		return repl.ExitFailed
	}
	if !quiet && !jsonOut {
		banner(stdout, d, rest)
	}
	if !d.HasDebugInfo() {
		why := "it has no debug information (DWARF), and no separate debug file was found (by build id or .gnu_debuglink; " + debugfile.EnvDirs + " lists where to look)"
		if err := d.DebugInfoProblem(); err != nil {
			why = "its debug information cannot be read: " + err.Error()
		}
		fmt.Fprintf(stderr, "hwdbg: %s: source-level features (types, fields, locals, lines) are off; symbols and addresses work\n", why)
	}
	s := repl.NewSession(d, stdout, jsonOut)
	// A bug must not leave the program stopped or with our slots set.
	defer func() {
		if r := recover(); r != nil {
			s.Close()
			fmt.Fprintf(stderr, "hwdbg: internal error (the program was %s): %v\n", map[bool]string{true: "killed", false: "detached"}[d.Launched()], r)
			status = repl.ExitFailed
		}
	}()
	init := ""
	if !noInit && !noInitShort {
		init = repl.InitFile()
	}
	opt := repl.Options{Init: init, Files: files, Cmds: cmds, Batch: batch, Interactive: interactive, In: stdin}
	if out, ok := stdout.(*os.File); interactive && (!ok || !isTerminal(out)) {
		// Our output is a pipe or a file (hwdbg --json PROGRAM | jq .):
		// the prompt goes where the user sees it, and only there.
		opt.PromptTo = stderr
	}
	return s.Run(opt)
}

// checkBeforeStart refuses what must fail before a program is started or
// attached to: a channel for the program's output given to an attached
// one, two channels, a command file that cannot be read.
func checkBeforeStart(attach bool, tty, output string, files []string) error {
	if attach && (tty != "" || output != "") {
		return fmt.Errorf("--tty and --program-output are for a program hwdbg starts; a process attached to with -p keeps its own output")
	}
	if tty != "" && output != "" {
		return fmt.Errorf("give either --tty or --program-output, not both")
	}
	for _, f := range files {
		if _, err := os.ReadFile(f); err != nil {
			return fmt.Errorf("-x %s: cannot read the command file: %w", f, unwrapPath(err))
		}
	}
	return nil
}

// banner says what hwdbg debugs and what to type next.
func banner(w io.Writer, d *debugger.Debugger, program []string) {
	if d.Launched() {
		fmt.Fprintf(w, "%s: started %s, pid %d, stopped before its first instruction\n", version, program[0], d.Pid())
		fmt.Fprintln(w, "Type help for commands, start to run to main, quit to leave.")
	} else {
		n := len(d.Threads())
		fmt.Fprintf(w, "%s: attached to process %d (%d %s), stopped\n", version, d.Pid(), n, map[bool]string{true: "thread", false: "threads"}[n == 1])
		fmt.Fprintln(w, "Type help for commands, continue to let it run, quit to detach and leave.")
	}
	if d.Symbols() == nil {
		fmt.Fprintln(w, "warning: no symbol table: use addresses")
	}
}

// fullUsage is the usage and the command table, one line a command.
func fullUsage() string {
	return usage + "\ncommands (help COMMAND at the prompt tells its usage):\n" + strings.Join(repl.CommandSummary(), "\n") + "\n"
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
