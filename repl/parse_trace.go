package repl

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"hwdbg/arch"
)

// traceUsage is the trace command's usage line.
const traceUsage = "trace [-w|-r|-rw] EXPR [-s N] [for DURATION|COUNT] [-o FILE] [-pages N]"

// parseTrace reads [-w|-r|-rw] EXPR [-s N] [for DURATION|COUNT] [-o FILE]
// [-pages N].
func parseTrace(cmd *Command, _, _ string) error {
	usage := "usage: " + traceUsage
	cmd.Access = arch.Write
	toks := strings.Fields(cmd.Rest)
	var expr []string
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		arg := func(what string) (string, error) {
			if i+1 >= len(toks) {
				return "", fmt.Errorf("%s needs %s; %s", t, what, usage)
			}
			i++
			return toks[i], nil
		}
		var err error
		switch t {
		case "-w", "-r", "-rw":
			cmd.Access = map[string]arch.Access{"-w": arch.Write, "-r": arch.Read, "-rw": arch.ReadWrite}[t]
		case "-s":
			var v string
			if v, err = arg("a size in bytes"); err == nil {
				cmd.Size, err = positive(v, "-s", "the size must be a positive number of bytes")
			}
		case "-pages":
			var v string
			if v, err = arg("a number of pages"); err == nil {
				cmd.Pages, err = positive(v, "-pages", "the ring size must be a power of two pages")
				if err == nil && cmd.Pages&(cmd.Pages-1) != 0 {
					err = fmt.Errorf("-pages %d: the ring size must be a power of two pages", cmd.Pages)
				}
			}
		case "-o":
			cmd.Output, err = arg("a file name")
		case "for":
			var v string
			if v, err = arg("a duration (2s, 500ms) or a count of hits"); err == nil {
				err = parseTraceEnd(cmd, v)
			}
		default:
			expr = append(expr, t)
		}
		if err != nil {
			return err
		}
	}
	cmd.Expr = strings.Join(expr, " ")
	if cmd.Expr == "" {
		return fmt.Errorf("trace needs an expression; %s", usage)
	}
	return nil
}

// parseTraceEnd reads the DURATION or COUNT after for.
func parseTraceEnd(cmd *Command, v string) error {
	if n, err := strconv.ParseUint(v, 10, 64); err == nil {
		if n == 0 {
			return fmt.Errorf("for 0: a trace needs at least one hit to count")
		}
		cmd.Hits = n
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return fmt.Errorf("for %s: give a positive duration (2s, 500ms, 1m) or a count of hits", truncate(v, 20))
	}
	cmd.For = d
	return nil
}

// positive reads a positive int for flag, or says why not.
func positive(v, flag, why string) (int, error) {
	n, err := strconv.ParseInt(v, 0, 32)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s %s: %s", flag, truncate(v, 20), why)
	}
	return int(n), nil
}
