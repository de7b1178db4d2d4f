package expr

import (
	"testing"
)

// calleeScope is the C program stopped in a callee of main that has a
// local named counter (shadowing the global) and no q. Its Local reads
// the frame main's names were bound to: q is main's, 11 then 12.
func calleeScope(q uint32) *fakeScope {
	s := cScope()
	s.mem[0x7ffd0000] = le32(0)
	s.mem[0x7ffe0000-0x10] = append(le32(q, 0), le64(0x2010)...)
	s.locals = map[string]Local{"counter": {Type: tInt, Addr: 0x7ffd0000, Frame: &Frame{Tid: 7, CFA: 0x7ffd0100, Func: "callee"}}}
	s.fn, s.where = "callee", "callee (frame #0 of thread 7)"
	return s
}

// boundFrame is calleeScope as a condition bound in main sees it: its
// locals are main's.
func boundFrame(q uint32) *fakeScope {
	s := calleeScope(q)
	s.locals = cScope().locals
	return s
}

func TestBind(t *testing.T) {
	cases := []struct {
		in               string
		err              string
		empty, frame, fn bool
		at               *fakeScope // where it is evaluated
		want             int64
		evalErr          string
	}{
		// main's q, read in main's frame from the callee.
		{in: "q > 10", frame: true, fn: true, at: boundFrame(11), want: 1},
		{in: "q > 11", frame: true, fn: true, at: boundFrame(11), want: 0},
		{in: "q > 11", frame: true, fn: true, at: boundFrame(12), want: 1},
		// The global counter, though the callee has a local counter.
		{in: "counter == 42", at: calleeScope(0), want: 1},
		{in: "counter == 42 && q == 11", frame: true, fn: true, at: boundFrame(11), want: 1},
		// A static local of main, from anywhere.
		{in: "static_b == 5", fn: true, at: calleeScope(0), want: 1},
		// Registers and constants: nothing to bind.
		{in: "$rax == 0x1234", empty: true, at: calleeScope(0), want: 1},
		{in: "1", empty: true, at: calleeScope(0), want: 1},
		// A local not readable where it was bound is read at each hit.
		{in: "opt > 1", frame: true, fn: true, at: boundFrame(11), evalErr: "opt: optimized out"},
		// A scope that lacks a bound local says so.
		{in: "q > 1", frame: true, fn: true, at: calleeScope(0), evalErr: "q is not in scope in its frame now"},
		{in: "head->next->val == 7 && arr[1] == 20", at: calleeScope(0), want: 1},
		// Refused when bound, naming the scope.
		{in: "nosuch > 1", err: `no symbol "nosuch" in the scope of main (frame #0, where the watch was set) nor among the program's globals`},
		{in: "coun > 1", err: `no symbol "coun" in the scope of main (frame #0, where the watch was set) nor among the program's globals (did you mean counter?)`},
		{in: "q > 1 && (struct nosuch*)counter", err: `unknown type "struct nosuch"`},
		{in: "LIMIT > 1", err: "LIMIT is a constant with no storage"},
	}
	for _, c := range cases {
		e, err := Parse(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		b, err := Bind(e, cScope())
		if failed(t, c.in, err, c.err) {
			continue
		}
		if b.Empty() != c.empty || b.ReadsFrame() != c.frame || b.ReadsFunc() != c.fn {
			t.Errorf("%s: empty %v, reads frame %v, reads function %v; want %v, %v, %v", c.in, b.Empty(), b.ReadsFrame(), b.ReadsFunc(), c.empty, c.frame, c.fn)
		}
		v, err := b.Eval(c.at)
		var n int64
		if err == nil {
			n, err = v.Int(c.at)
		}
		if !failed(t, c.in+" evaluated", err, c.evalErr) && n != c.want {
			t.Errorf("%s = %d, want %d", c.in, n, c.want)
		}
	}
}

func TestBindWithoutScope(t *testing.T) {
	// Where the frame's function is unknown the error names none.
	s := bareScope()
	e, _ := Parse("nosuch > 1")
	if _, err := Bind(e, s); err == nil || err.Error() != `no symbol "nosuch" in the program` {
		t.Errorf("error %v", err)
	}
}

func TestBindGo(t *testing.T) {
	// counter, bound in package pkg's method, is main.counter: a package
	// that has a counter of its own where the condition is evaluated does
	// not change it.
	e, _ := Parse("counter == 7 && limit == 3")
	b, err := Bind(e, goScope())
	if err != nil {
		t.Fatal(err)
	}
	at := goScope()
	at.fn = "other/pkg.F"
	at.globals["other/pkg.counter"] = Global{Type: tGoInt, Addr: 0x5040}
	v, err := b.Eval(at)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := v.Int(at); err != nil || n != 1 {
		t.Errorf("%s = %d, %v; want 1", e, n, err)
	}
	// A package-qualified name needs no binding.
	e, _ = Parse("main.counter == 7")
	if b, err := Bind(e, goScope()); err != nil || !b.Empty() {
		t.Errorf("%s: %v, %+v; want nothing bound", e, err, b)
	}
}
