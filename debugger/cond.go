package debugger

import (
	"fmt"
	"slices"
	"strings"

	"hwdbg/debuginfo"
	"hwdbg/expr"
)

// A data watchpoint's condition binds its names where it was given, as
// gdb does (see expr.Bind): in the frame selected by the `watch` (or
// `condition`) command. A breakpoint's condition is evaluated where it
// stops.

// condition is a watch- or breakpoint's condition.
type condition struct {
	x expr.Expr
	// bound is x with its names bound in scope; nil for a condition
	// evaluated in the frame that hits.
	bound *expr.Bound
	scope *condScope
}

// condScope is the frame a condition's names were bound in: its thread,
// its canonical frame address (its identity while it lives), its function
// and its number then.
type condScope struct {
	tid   int
	cfa   uint64
	fn    string
	frame int
	when  string // "the watch was set" or "the condition was set"
	image int    // d.image then: exec replaces the program
}

// describe names the scope for messages: "main (frame #0 when the watch
// was set)".
func (s *condScope) describe() string {
	return fmt.Sprintf("%s (frame #%d when %s)", s.fn, s.frame, s.when)
}

// maxCondFrames bounds the walk up a stack for a condition's frame.
const maxCondFrames = 1024

// parseCond parses a condition evaluated where it stops.
func parseCond(src string) (*condition, error) {
	e, err := expr.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("bad condition: %w", err)
	}
	return &condition{x: e}, nil
}

// bindCond parses a data watchpoint's condition and binds its names in
// the selected frame. A name found neither there nor among the program's
// globals is refused now, naming the scope. It runs on the tracer thread.
func (d *Debugger) bindCond(src, when string) (*condition, error) {
	c, err := parseCond(src)
	if err != nil {
		return nil, err
	}
	s := &condScope{tid: d.Current, frame: d.frame, when: when, image: d.image}
	if d.dwarf != nil {
		if fs, err := d.frames(d.Current, d.frame+1); err == nil && d.frame < len(fs) {
			f := fs[d.frame]
			s.cfa = f.CFA
			s.fn, _, _ = d.funcAt(f.LookupPC())
		}
	}
	b, err := expr.Bind(c.x, bindingScope{d.selected(), s})
	if err != nil {
		return nil, fmt.Errorf("bad condition: %w", err)
	}
	if !b.Empty() {
		c.bound, c.scope = b, s // else registers and constants: nothing to bind
	}
	return c, nil
}

// checkBreakCond refuses a breakpoint's condition that names something
// found neither among the locals in scope where the breakpoint stops (at
// pc) nor among the program's globals and symbols, as gdb does when the
// breakpoint is set; the condition is still evaluated at each stop, in the
// frame that stops. Unknown types are refused too. It runs on the tracer
// thread.
func (d *Debugger) checkBreakCond(src string, pc uint64) error {
	c, err := parseCond(src)
	if err != nil {
		return err
	}
	if _, err := expr.Bind(c.x, stopScope{d.selected(), pc}); err != nil {
		return fmt.Errorf("bad condition: %w", err)
	}
	return nil
}

// stopScope is what a breakpoint's condition will see where it stops, as
// far as it is known before any stop: the locals in scope at pc (present,
// not read), and the program's globals and symbols.
type stopScope struct {
	*frameScope
	pc uint64
}

func (s stopScope) Local(name string) (expr.Local, bool, error) {
	if s.d.dwarf == nil || !s.d.hasLocal(s.pc, name) {
		return expr.Local{}, false, nil
	}
	return expr.Local{Frame: &expr.Frame{}}, true, nil // read at each stop
}

func (s stopScope) FrameFunc() string {
	fn, _, _ := s.d.funcAt(s.pc)
	return fn
}

func (s stopScope) Where() string {
	fn := s.FrameFunc()
	if fn == "" {
		return ""
	}
	return fmt.Sprintf("%s (where the breakpoint stops)", fn)
}

// bindingScope is the selected frame as a condition given there sees it.
type bindingScope struct {
	*frameScope
	cond *condScope
}

func (s bindingScope) Where() string {
	if s.cond.fn == "" {
		return ""
	}
	return fmt.Sprintf("%s (frame #%d, where %s)", s.cond.fn, s.cond.frame, s.cond.when)
}

// condsHold evaluates w's hit-count condition, then its condition, for a
// hit of thread tid whose hit count ($hits) is hits: both must hold. An
// error in either stops the program: it is the notice of the stop.
func (d *Debugger) condsHold(w *Watchpoint, tid int, hits uint64) (bool, *Notice) {
	for _, c := range []struct {
		c   *condition
		src string
	}{{w.hitCond, w.HitCond}, {w.cond, w.Cond}} {
		if c.c == nil {
			continue
		}
		ok, err := d.condHolds(c.c, tid, hits)
		if err != nil {
			return true, &Notice{Text: fmt.Sprintf("error in the condition of %d (%s): %v; stopped", w.ID, c.src, err)}
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

// condHolds evaluates condition c for a hit in thread tid, $hits being
// hits: in its innermost frame, or, bound, in the frame it was bound to.
func (d *Debugger) condHolds(c *condition, tid int, hits uint64) (bool, error) {
	var s expr.Scope = hitScope{&frameScope{d: d, tid: tid}, hits}
	var v expr.Value
	var err error
	if c.bound == nil {
		v, err = expr.Eval(c.x, s)
	} else {
		s = hitScope{&boundScope{frameScope: frameScope{d: d, tid: tid}, cond: c.scope}, hits}
		v, err = d.evalBound(c, s)
	}
	if err != nil {
		return false, err
	}
	n, err := v.Int(s)
	if err != nil {
		return false, err
	}
	return n != 0, nil
}

// hitScope is a scope at a hit: $hits is its hit count.
type hitScope struct {
	expr.Scope
	hits uint64
}

func (s hitScope) Hits() uint64 { return s.hits }

// hitCountOps are the operators of condition -hitcount N OP K, as Delve
// has them: "% K" stops at every K-th hit.
var hitCountOps = []string{"==", "!=", "<", "<=", ">", ">=", "%"}

// hitCondition is the condition on $hits that condition -hitcount OP K
// means.
func hitCondition(op string, k int64) (*condition, string, error) {
	if !slices.Contains(hitCountOps, op) {
		return nil, "", fmt.Errorf("%q is not a hit-count operator: give one of %s", op, strings.Join(hitCountOps, " "))
	}
	if k < 0 || (op == "%" && k == 0) {
		return nil, "", fmt.Errorf("the hit count to compare with must be a count (0 or more; more than 0 after %%), not %d", k)
	}
	src := fmt.Sprintf("$hits %s %d", op, k)
	if op == "%" {
		src += " == 0"
	}
	c, err := parseCond(src)
	return c, src, err
}

// evalBound evaluates a bound condition in s. An error names the scope
// when the condition reads locals of a frame.
func (d *Debugger) evalBound(c *condition, s expr.Scope) (expr.Value, error) {
	if c.scope.image != d.image && c.bound.ReadsFunc() {
		return expr.Value{}, fmt.Errorf("in the scope of %s: that frame is gone: the program called exec since", c.scope.describe())
	}
	v, err := c.bound.Eval(s)
	if err != nil && c.bound.ReadsFrame() {
		return expr.Value{}, fmt.Errorf("in the scope of %s: %w", c.scope.describe(), err)
	}
	return v, err
}

// boundScope is a bound condition being evaluated at a hit: the registers
// are the hitting thread's, the locals those of the frame the condition
// was bound to, found once per evaluation.
type boundScope struct {
	frameScope
	cond   *condScope
	frame  debuginfo.UnwoundFrame
	err    error
	looked bool
}

// Local reads a bound local in its frame; a local it no longer has there
// is an error, as is a frame that has returned.
func (s *boundScope) Local(name string) (expr.Local, bool, error) {
	if !s.looked {
		s.looked = true
		s.frame, s.err = s.d.condFrame(s.cond, s.tid)
	}
	if s.err != nil {
		return expr.Local{}, true, fmt.Errorf("%s: %w", name, s.err)
	}
	l, _, ok, err := s.d.frameVar(s.frame, name)
	if !ok {
		return expr.Local{}, true, fmt.Errorf("%s is not in scope where %s is now (%#x)", name, s.cond.fn, s.frame.LookupPC())
	}
	return l, true, err
}

// condFrame finds the frame a condition was bound to: in the thread that
// hit (a callee's write), else in the thread it was bound in, by its
// canonical frame address and function.
func (d *Debugger) condFrame(s *condScope, hit int) (debuginfo.UnwoundFrame, error) {
	if s.cfa == 0 {
		return debuginfo.UnwoundFrame{}, fmt.Errorf("that frame cannot be told apart from others (no call frame information where it was bound)")
	}
	tids := []int{hit}
	if s.tid != hit && d.HasThread(s.tid) {
		tids = append(tids, s.tid)
	}
	var unread error
	for _, tid := range tids {
		fs, err := d.frames(tid, maxCondFrames)
		if err != nil {
			unread = err
			continue
		}
		for _, f := range fs {
			if f.CFA != s.cfa {
				continue
			}
			if fn, _, _ := d.funcAt(f.LookupPC()); fn == s.fn {
				return f, nil
			}
		}
	}
	if unread != nil && s.tid != hit {
		return debuginfo.UnwoundFrame{}, fmt.Errorf("that frame is in thread %d, whose stack cannot be read now: %v", s.tid, unread)
	}
	return debuginfo.UnwoundFrame{}, fmt.Errorf("that frame has returned")
}
