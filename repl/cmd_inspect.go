package repl

import (
	"fmt"

	"hwdbg/debugger"
	"hwdbg/expr"
)

// The commands that read the program: print, x, disassemble.

func (s *Session) print(cmd Command) (Result, error) {
	if expr.IsAssignment(cmd.Rest) {
		return s.printAssign(cmd)
	}
	var val string
	var typ *debugger.Type
	var err error
	if cmd.Format != 0 {
		var n int64
		if n, typ, err = s.d.EvalInt(cmd.Rest); err != nil {
			return nil, fmt.Errorf("print/%c: %w", cmd.Format, err)
		}
		val = formatInt(uint64(n), cmd.Format, int(typ.Size))
	} else if val, typ, err = s.d.Evaluate(cmd.Rest); err != nil {
		return nil, err
	}
	return printed{Expr: cmd.Rest, Value: val, Type: typ.Name}, nil
}

func (s *Session) examine(cmd Command) (Result, error) {
	addr, err := s.d.EvalAddress(cmd.Rest)
	if err != nil {
		return nil, err
	}
	switch cmd.Format {
	case 'i':
		return s.instructions(addr, cmd.Count)
	case 's':
		b, err := s.d.ReadString(addr, 4096)
		if err != nil {
			return nil, err
		}
		return memString{Addr: addr, Value: b}, nil
	}
	b, err := s.d.ReadMemory(addr, cmd.Count*cmd.Unit)
	if err != nil {
		return nil, err
	}
	m := memory{Addr: addr, Unit: cmd.Unit, Format: cmd.Format, Syms: map[uint64]debugger.Location{}}
	for i := 0; i < cmd.Count; i++ {
		chunk := b[i*cmd.Unit : (i+1)*cmd.Unit]
		var u uint64
		for j := len(chunk) - 1; j >= 0; j-- {
			u = u<<8 | uint64(chunk[j])
		}
		m.Words = append(m.Words, u)
		if cmd.Format == 'a' {
			m.Syms[u] = s.d.Locate(u)
		}
	}
	for _, start := range m.lineStarts() {
		m.Syms[start] = s.d.Locate(start)
	}
	return m, nil
}

func (s *Session) disassemble(cmd Command) (Result, error) {
	var addr uint64
	var err error
	if cmd.Rest == "" {
		addr, err = s.d.PC()
	} else {
		addr, err = s.d.ResolveLocation(cmd.Rest)
	}
	if err != nil {
		return nil, err
	}
	return s.instructions(addr, 0)
}

// instructions decodes n instructions from addr (the function at addr for
// 0), the current pc marked.
func (s *Session) instructions(addr uint64, n int) (Result, error) {
	ins, err := s.d.Disassemble(addr, n)
	if err != nil {
		return nil, err
	}
	pc, _ := s.d.PC()
	return instructions{PC: pc, Insns: ins}, nil
}
