package repl

import (
	"fmt"

	"hwdbg/debugger"
	"hwdbg/debuginfo"
	"hwdbg/expr"
)

// The commands that show and change the selected frame's variables and
// types: info locals, info args, info frame, ptype, whatis, set var.

func (s *Session) infoLocals(Command) (Result, error) {
	vars, err := s.d.FrameVars(false)
	if err != nil {
		return nil, err
	}
	return varList{Vars: vars}, nil
}

func (s *Session) infoArgs(Command) (Result, error) {
	vars, err := s.d.FrameVars(true)
	if err != nil {
		return nil, err
	}
	return varList{Args: true, Vars: vars}, nil
}

func (s *Session) infoFrame(Command) (Result, error) {
	fi, err := s.d.InfoFrame()
	if err != nil {
		return nil, err
	}
	return frameInfo{fi}, nil
}

func (s *Session) ptype(cmd Command) (Result, error) {
	t, err := s.d.TypeOf(cmd.Rest)
	if err != nil {
		return nil, err
	}
	return typeShown{Expr: cmd.Rest, Name: typeName(t), Layout: debuginfo.PType(t)}, nil
}

func (s *Session) whatis(cmd Command) (Result, error) {
	t, err := s.d.TypeOf(cmd.Rest)
	if err != nil {
		return nil, err
	}
	return typeShown{Expr: cmd.Rest, Name: typeName(t)}, nil
}

// typeName is a type's name as declared: "const char *", "point_t".
func typeName(t *debugger.Type) string { return debuginfo.Declaration(t, "") }

func (s *Session) setVar(cmd Command) (Result, error) {
	val, typ, err := s.d.Assign(cmd.Rest)
	if err != nil {
		return nil, err
	}
	return assigned{Expr: cmd.Rest, Value: val, Type: typ.Name}, nil
}

// printAssign is print LHS = RHS: the assignment, then LHS's new value.
func (s *Session) printAssign(cmd Command) (Result, error) {
	val, typ, err := s.d.Assign(cmd.Rest)
	if err != nil {
		return nil, err
	}
	if cmd.Format != 0 {
		a, _ := expr.ParseAssignment(cmd.Rest)
		n, t, err := s.d.EvalInt(a.LHS.String())
		if err != nil {
			return nil, fmt.Errorf("print/%c: %w", cmd.Format, err)
		}
		val, typ = formatInt(uint64(n), cmd.Format, int(t.Size)), t
	}
	return printed{Expr: cmd.Rest, Value: val, Type: typ.Name}, nil
}
