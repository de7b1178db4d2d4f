package debugger

import (
	"fmt"

	"hwdbg/debuginfo"
	"hwdbg/expr"
	"hwdbg/symbols"
)

// Type is the type of a value (see expr.Type).
type Type = expr.Type

// frameScope is what expressions see of frame `frame` of thread tid: the
// scope they are evaluated in (expr.Scope). Its methods read registers
// with ptrace: they run on the tracer thread.
type frameScope struct {
	d     *Debugger
	tid   int
	frame int
}

var _ expr.Scope = (*frameScope)(nil)

// selected is the scope of the selected thread and frame.
func (d *Debugger) selected() *frameScope {
	return &frameScope{d: d, tid: d.Current, frame: d.frame}
}

func (s *frameScope) ReadMemory(addr uint64, buf []byte) error {
	return s.d.proc.ReadMemory(addr, buf)
}

func (s *frameScope) Register(name string) (uint64, bool, error) {
	regs, err := s.d.arch.GetRegs(s.tid)
	if err != nil {
		return 0, false, err
	}
	v, ok := regs.Get(name)
	return v, ok, nil
}

func (s *frameScope) PtrSize() int { return s.d.ptrSize }

func (s *frameScope) Language() string {
	if s.d.dwarf == nil {
		return ""
	}
	return s.d.dwarf.Language()
}

func (s *frameScope) DebugInfo() bool { return s.d.dwarf != nil }

func (s *frameScope) LookupType(name string) (*Type, bool) {
	if s.d.dwarf == nil {
		return nil, false
	}
	t, err := s.d.dwarf.LookupType(name)
	return t, err == nil
}

func (s *frameScope) Local(name string) (expr.Local, bool, error) {
	return s.d.local(s.tid, s.frame, name)
}

func (s *frameScope) Global(name string) (expr.Global, bool) {
	if s.d.dwarf == nil {
		return expr.Global{}, false
	}
	v, ok := s.d.dwarf.LookupGlobal(name)
	return expr.Global{Type: v.Type, Addr: v.Addr, Const: v.Const}, ok
}

func (s *frameScope) Symbol(name string) (expr.Symbol, bool) {
	sym, ok := s.d.lookup(name)
	return expr.Symbol{Addr: sym.Addr, Size: sym.Size, Func: sym.Kind == symbols.Func}, ok
}

func (s *frameScope) Func(name string) (uint64, bool) {
	if s.d.dwarf == nil {
		return 0, false
	}
	return s.d.dwarf.LookupFunc(name)
}

func (s *frameScope) FrameFunc() string {
	pc, ok := s.d.framePC(s.tid, s.frame)
	if !ok {
		return ""
	}
	fn, _, _ := s.d.funcAt(pc)
	return fn
}

func (s *frameScope) Closest(name string) []string {
	if s.d.symtab() == nil {
		return nil
	}
	return s.d.syms.Closest(name, 3)
}

func (s *frameScope) Where() string {
	fn := s.FrameFunc()
	if fn == "" {
		return ""
	}
	return fmt.Sprintf("%s (frame #%d of thread %d)", fn, s.frame, s.tid)
}

// Evaluate evaluates an expression for `print`: its value as text and
// its type.
func (d *Debugger) Evaluate(src string) (string, *Type, error) {
	if d.proc.Exited() {
		return "", nil, ErrExited
	}
	e, err := expr.Parse(src)
	if err != nil {
		return "", nil, err
	}
	var out string
	var typ *Type
	d.proc.Do(func() {
		s := d.selected()
		var v expr.Value
		v, err = expr.Eval(e, s)
		if err != nil {
			return
		}
		if v.Func != "" && v.Lvalue && v.Type != nil && v.Type.Kind != expr.KindPointer {
			// A function is its address, as gdb prints it; its bytes are
			// for x/i and disassemble.
			out, typ = fmt.Sprintf("{function} %#x <%s>", v.Addr, v.Func), v.Type
			return
		}
		var b []byte
		b, err = v.Load(s)
		if err != nil {
			return
		}
		typ = v.Type
		if v.BitSize > 0 {
			out = debuginfo.FormatBits(v.Type, b, v.BitOffset, v.BitSize)
			return
		}
		out = d.formatValue(v.Type, b)
	})
	return out, typ, err
}

// formatValue renders a value, naming the symbol a pointer points into.
func (d *Debugger) formatValue(t *Type, b []byte) string {
	var s string
	if d.dwarf != nil && t != nil && t.Kind != expr.KindBytes {
		s = d.dwarf.Format(t, b, d.mem())
	} else {
		s = expr.FormatValue(t, b, d.mem())
	}
	return s + d.pointsInto(t, b)
}

// pointsInto is " <sym+off>" for a C pointer into a function or a symbol
// of the program, "" otherwise.
func (d *Debugger) pointsInto(t *Type, b []byte) string {
	if t != nil && t.Kind == expr.KindPointer && !t.Go && (len(b) == 8 || len(b) == 4) {
		_, addr := expr.IntValue(b)
		if name, entry, ok := d.funcAt(addr); ok && addr != 0 {
			return " <" + describe(name, addr-entry) + ">"
		} else if sym, ok := d.symbolAt(addr); ok && addr != 0 {
			return " <" + describe(sym.BaseName(), addr-sym.Addr) + ">"
		}
	}
	return ""
}

func describe(name string, off uint64) string {
	if off == 0 {
		return name
	}
	return fmt.Sprintf("%s+%d", name, off)
}
