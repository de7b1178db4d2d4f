package repl

import (
	"fmt"
	"os"
	"strings"

	"hwdbg/debugger"
)

// The trace command: every access counted while the program runs, then
// the report (a `trace` event) and, with -o, a pprof profile or folded
// stacks.

func (s *Session) trace(cmd Command) (Result, error) {
	s.checkTraps("the trace")
	var rep *debugger.TraceReport
	err := s.resume(func() ([]debugger.Event, error) {
		evs, err := s.d.Trace(debugger.TraceSpec{Expr: cmd.Expr, Access: cmd.Access, Size: cmd.Size,
			For: cmd.For, Count: cmd.Hits, Pages: cmd.Pages}, func(ts debugger.TraceStart) {
			s.show("trace", traceStarted{TraceStart: ts, Expr: cmd.Expr, Access: cmd.Access, For: cmd.For, Hits: cmd.Hits})
		})
		for _, ev := range evs {
			if r, ok := ev.(debugger.TraceReport); ok {
				rep = &r
			}
		}
		return evs, err
	})
	if rep == nil || cmd.Output == "" {
		return nil, err
	}
	res, werr := writeTraceFile(cmd.Output, *rep)
	if werr != nil {
		if err == nil {
			err = werr
		}
		return nil, err
	}
	return res, err
}

// writeTraceFile writes the report to name: a pprof profile for a name
// ending in .pb.gz, folded stacks otherwise.
func writeTraceFile(name string, rep debugger.TraceReport) (Result, error) {
	f, err := os.Create(name)
	if err != nil {
		return nil, fmt.Errorf("trace %d: cannot write its profile: %w", rep.ID, err)
	}
	res := traceWritten{ID: rep.ID, File: name, Format: "folded", Hits: rep.Report.Hits, Stacks: len(rep.Report.Stacks)}
	if strings.HasSuffix(name, ".pb.gz") {
		res.Format = "pprof"
		err = rep.Report.WritePprof(f, rep.Symbolize)
	} else {
		err = rep.Report.WriteFolded(f, func(pc uint64) string { return rep.Places[pc].Func })
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("write %s: %w", name, cerr)
	}
	if err != nil {
		return nil, fmt.Errorf("trace %d: %w", rep.ID, err)
	}
	return res, nil
}
