package repl

import (
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"hwdbg/debugger"
)

// The trace command: every access counted while the program runs, then
// the report (a `trace` event) and, with -o, a pprof profile or folded
// stacks.

func (s *Session) trace(cmd Command) (Result, error) {
	spec := debugger.TraceSpec{Expr: cmd.Expr, Access: cmd.Access, Size: cmd.Size, For: cmd.For, Count: cmd.Hits,
		Pages: cmd.Pages, Output: cmd.Output}
	return nil, s.resume(func() ([]debugger.Event, error) {
		stop := func() {}
		evs, err := s.d.Trace(spec, func(ts debugger.TraceStart) {
			s.show("trace", traceStarted{TraceStart: ts, Expr: cmd.Expr, Access: cmd.Access, For: cmd.For, Hits: cmd.Hits})
			s.checkTraps(fmt.Sprintf("trace %d", ts.ID))
			stop = s.liveLine(ts.Meter)
		})
		stop()
		return evs, err
	})
}

// traced runs f (continue) with the live line of the active trace, if
// there is one.
func (s *Session) traced(f func() ([]debugger.Event, error)) func() ([]debugger.Event, error) {
	return func() ([]debugger.Event, error) {
		stop := s.liveLine(s.d.ActiveMeter())
		defer stop()
		return f()
	}
}

// liveRefresh is how often the live line is rewritten.
const liveRefresh = 250 * time.Millisecond

// liveLine shows, on a terminal, one line rewritten in place with the
// trace's hits, rate and lost samples while the program runs under it;
// the returned stop clears it. Nothing is shown in a script or with
// --json.
func (s *Session) liveLine(m debugger.TraceMeter) (stop func()) {
	if !s.live || !m.Valid() {
		return func() {}
	}
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(liveRefresh)
		defer tick.Stop()
		shown := false
		for {
			select {
			case <-done:
				if shown {
					fmt.Fprint(s.out.w, "\r\033[K")
				}
				return
			case <-tick.C:
			}
			hits, lost, ran := m.Now()
			fmt.Fprint(s.out.w, "\r\033[K"+liveText(m.ID(), hits, lost, ran))
			shown = true
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// terminal says whether w is a terminal.
func terminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// traceShown follows an event shown to the user: a trace's report with -o
// writes its profile.
func (s *Session) traceShown(ev debugger.Event) error {
	rep, ok := ev.(debugger.TraceReport)
	if !ok || rep.Output == "" {
		return nil
	}
	res, err := writeTraceFile(rep.Output, rep)
	if err != nil {
		s.out.error("trace", err)
		return err
	}
	s.show("trace", res)
	return nil
}

// deleteTraces ends the traces among ids (every one when ids is empty),
// each with its report, and returns the other ids.
func (s *Session) deleteTraces(ids []int) ([]int, error) {
	if len(ids) == 0 {
		if m := s.d.ActiveMeter(); m.Valid() {
			return nil, s.endTrace(m.ID(), "deleted")
		}
		return nil, nil
	}
	var rest []int
	var err error
	for _, id := range ids {
		if !s.d.IsTrace(id) {
			rest = append(rest, id)
			continue
		}
		if e := s.endTrace(id, "deleted"); err == nil {
			err = e
		}
	}
	return rest, err
}

// endTrace ends trace id and shows its report.
func (s *Session) endTrace(id int, why string) error {
	rep, ok := s.d.EndTrace(id, why)
	if !ok {
		return nil
	}
	s.out.event(rep)
	return s.traceShown(rep)
}

// endTraceOnClose ends the active trace when the session ends, with its
// report.
func (s *Session) endTraceOnClose() {
	if m := s.d.ActiveMeter(); m.Valid() {
		s.endTrace(m.ID(), "the session ended")
	}
}

// withTrace adds the active trace's row to info watchpoints' rows, in id
// order.
func (s *Session) withTrace(rows []watchRow) []watchRow {
	ti, ok := s.d.ActiveTrace()
	if !ok {
		return rows
	}
	i := sort.Search(len(rows), func(i int) bool { return rows[i].ID > ti.ID })
	return slices.Insert(rows, i, traceRow(ti))
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
