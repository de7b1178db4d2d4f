package traceprof

import (
	"fmt"
	"io"

	"github.com/google/pprof/profile"
)

// Symbolizer names the function, source file and line of a pc ("" and 0
// where unknown).
type Symbolizer func(pc uint64) (fn, file string, line int)

// Pprof is the report as a pprof profile: one sample type, "hits"
// (count); a sample per stack and thread, labelled with the thread
// ("thread", a number); a location per pc (Stack.Lookup), its function and
// line from sym (nil: none). The lost accesses are said in a comment.
func (r Report) Pprof(sym Symbolizer) *profile.Profile {
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "hits", Unit: "count"}},
		PeriodType: &profile.ValueType{Type: "hits", Unit: "count"},
		Period:     1,
	}
	if r.Lost > 0 {
		p.Comments = append(p.Comments, fmt.Sprintf("%d accesses lost: the kernel found the ring full", r.Lost))
	}
	locs := map[uint64]*profile.Location{}
	funcs := map[[2]string]*profile.Function{}
	location := func(pc uint64) *profile.Location {
		if l := locs[pc]; l != nil {
			return l
		}
		l := &profile.Location{ID: uint64(len(p.Location) + 1), Address: pc}
		var fn, file string
		var line int
		if sym != nil {
			fn, file, line = sym(pc)
		}
		if fn == "" {
			fn = fmt.Sprintf("%#x", pc)
		}
		f := funcs[[2]string{fn, file}]
		if f == nil {
			f = &profile.Function{ID: uint64(len(p.Function) + 1), Name: fn, SystemName: fn, Filename: file}
			funcs[[2]string{fn, file}] = f
			p.Function = append(p.Function, f)
		}
		l.Line = []profile.Line{{Function: f, Line: int64(line)}}
		locs[pc] = l
		p.Location = append(p.Location, l)
		return l
	}
	for _, s := range r.byThread {
		ps := &profile.Sample{
			Value:    []int64{int64(s.Hits)},
			NumLabel: map[string][]int64{"thread": {int64(s.tid)}},
		}
		for i := range s.PCs {
			ps.Location = append(ps.Location, location(s.Lookup(i)))
		}
		p.Sample = append(p.Sample, ps)
	}
	return p
}

// WritePprof writes the report as a gzipped pprof profile (see Pprof), the
// form `go tool pprof` reads.
func (r Report) WritePprof(w io.Writer, sym Symbolizer) error {
	if err := r.Pprof(sym).Write(w); err != nil {
		return fmt.Errorf("write the pprof profile: %w", err)
	}
	return nil
}
