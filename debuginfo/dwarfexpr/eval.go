// Package dwarfexpr is the DWARF expression machine: it runs a location
// expression (DW_OP_*) against a frame's registers and the traced
// program's memory and gives the address the expression names, or says
// why there is none (a register, a computed value, pieces, optimized
// out). It knows nothing of DIEs, units or call frame tables: the caller
// gives it what an expression may consult (Context).
package dwarfexpr

import (
	"encoding/binary"
	"errors"
	"fmt"

	"hwdbg/arch"
	"hwdbg/debuginfo/internal/dwread"
)

// Memory reads the traced process's memory.
type Memory interface {
	ReadMemory(addr uint64, buf []byte) error
}

// Frame is one stack frame as the expression machine sees it.
type Frame interface {
	// Reg is the value of a register by DWARF number, if known.
	Reg(dwarfReg int) (uint64, bool)
	// CFA is the canonical frame address (the caller's stack pointer
	// before the call), if known.
	CFA() (uint64, bool)
	// PC is the pc used to select location-list entries: the current pc
	// for the innermost frame, the return address minus one for callers.
	PC() uint64
}

// ErrOptimizedOut is wrapped by the errors of a variable the compiler did
// not keep at a pc.
var ErrOptimizedOut = errors.New("optimized out")

// RegisterError is returned for a variable that lives in a register.
type RegisterError struct {
	Reg  int
	Name string
}

func (e *RegisterError) Error() string {
	return fmt.Sprintf("in register %s: cannot watch a register", e.Name)
}

// Context is what an expression may consult.
type Context struct {
	Frame   Frame
	Mem     Memory
	Order   binary.ByteOrder
	PtrSize int
	// Regs names registers in errors (nil: "rN").
	Regs *arch.DWARFRegs
	// Bias is added to the addresses of DW_OP_addr and DW_OP_addrx.
	Bias uint64
	// Addrx gives entry idx of the unit's .debug_addr, unbiased.
	Addrx func(idx uint64) (uint64, error)
	// FrameBase gives the function's frame base, for DW_OP_fbreg.
	FrameBase func() (uint64, error)
	// RegValue makes a register location (DW_OP_regN) yield the
	// register's contents instead of an error: DW_AT_frame_base means it
	// so.
	RegValue bool
}

// exprSection names expressions in a DecodeError.
const exprSection = "DWARF expression"

const maxSteps = 10000

// Eval runs a location expression and gives the memory address it names.
func (c *Context) Eval(expr []byte) (uint64, error) { return c.run(expr, nil) }

// EvalPushed runs expr with first already on the stack, as call frame
// information runs its expressions with the CFA pushed.
func (c *Context) EvalPushed(expr []byte, first uint64) (uint64, error) {
	return c.run(expr, []uint64{first})
}

// machine is one run of an expression.
type machine struct {
	c    *Context
	expr []byte
	r    *dwread.Reader
	st   []uint64
	at   int // offset of the opcode being run
}

func (c *Context) run(expr []byte, stack []uint64) (uint64, error) {
	m := &machine{c: c, expr: expr, r: dwread.New(expr, 0, c.Order), st: stack}
	for steps := 0; m.r.More(); steps++ {
		if steps > maxSteps {
			return 0, errors.New("DWARF expression does not terminate")
		}
		m.at = m.r.Pos()
		v, done, err := m.step(m.r.U8())
		if err != nil || done {
			return v, err
		}
	}
	if err := m.r.Error(exprSection, 0, ""); err != nil {
		return 0, err
	}
	if len(m.st) == 0 {
		return 0, ErrOptimizedOut
	}
	return m.st[len(m.st)-1], nil
}

// step runs one operation; done is set when it ends the expression with
// the result v.
func (m *machine) step(op byte) (v uint64, done bool, err error) {
	switch {
	case op >= opLit0 && op <= opLit31:
		m.push(uint64(op - opLit0))
		return 0, false, nil
	case op >= opReg0 && op <= opReg31 || op == opRegx:
		v, err := m.register(op)
		return v, true, err
	case op >= opBreg0 && op <= opBreg31 || op == opBregx:
		return 0, false, m.bregister(op)
	}
	switch op {
	case opConst1u, opConst1s, opConst2u, opConst2s, opConst4u, opConst4s, opConst8u, opConst8s, opConstu, opConsts:
		m.push(m.constant(op))
	case opDup, opDrop, opOver, opPick, opSwap, opRot:
		err = m.stackOp(op)
	case opAbs, opNeg, opNot, opPlusUconst:
		err = m.unary(op)
	case opAnd, opDiv, opMinus, opMod, opMul, opOr, opPlus, opShl, opShr, opShra, opXor,
		opEq, opGe, opGt, opLe, opLt, opNe:
		err = m.binary(op)
	case opSkip, opBra:
		err = m.branch(op)
	case opDeref, opDerefSize:
		err = m.deref(op)
	case opAddr, opAddrx, opGNUAddrIndex, opConstx, opGNUConstIndex, opFbreg, opCFA:
		err = m.address(op)
	case opNop, opGNUUninit:
	default:
		return 0, true, m.refuse(op)
	}
	if err == nil {
		err = m.r.Error(exprSection, 0, "")
	}
	return 0, err != nil, err
}

func (m *machine) push(v uint64) { m.st = append(m.st, v) }

func (m *machine) pop() (uint64, error) {
	if len(m.st) == 0 {
		return 0, m.malformed("DWARF expression stack underflow")
	}
	v := m.st[len(m.st)-1]
	m.st = m.st[:len(m.st)-1]
	return v, nil
}

// malformed is a DecodeError at the operation being run.
func (m *machine) malformed(format string, args ...any) error {
	return &dwread.DecodeError{Section: exprSection, Offset: uint64(m.at), Err: fmt.Errorf(format, args...)}
}

// reg is the value of register r in the frame.
func (m *machine) reg(r int) (uint64, error) {
	if m.c.Frame == nil {
		return 0, fmt.Errorf("register %s: no frame", m.c.Regs.Name(r))
	}
	v, ok := m.c.Frame.Reg(r)
	if !ok {
		return 0, fmt.Errorf("register %s not known in this frame", m.c.Regs.Name(r))
	}
	return v, nil
}

// register runs DW_OP_regN and DW_OP_regx: a variable in a register,
// which cannot be watched (the register's value for a frame base).
func (m *machine) register(op byte) (uint64, error) {
	r := int(op - opReg0)
	if op == opRegx {
		r = int(m.r.Uleb())
	}
	if err := m.r.Error(exprSection, 0, ""); err != nil {
		return 0, err
	}
	pos := m.r.Pos()
	if m.c.RegValue && pos == len(m.expr) {
		return m.reg(r)
	}
	if pos < len(m.expr) && (m.expr[pos] == opPiece || m.expr[pos] == opBitPiece) {
		return 0, errors.New("split across registers and memory (DW_OP_piece): cannot watch")
	}
	return 0, &RegisterError{Reg: r, Name: m.c.Regs.Name(r)}
}

// bregister runs DW_OP_bregN and DW_OP_bregx: a register plus an offset.
func (m *machine) bregister(op byte) error {
	r := int(op - opBreg0)
	if op == opBregx {
		r = int(m.r.Uleb())
	}
	off := m.r.Sleb()
	if err := m.r.Error(exprSection, 0, ""); err != nil {
		return err
	}
	v, err := m.reg(r)
	if err != nil {
		return err
	}
	m.push(v + uint64(off))
	return nil
}

// constant reads the operand of a DW_OP_const*.
func (m *machine) constant(op byte) uint64 {
	switch op {
	case opConst1u:
		return uint64(m.r.U8())
	case opConst1s:
		return uint64(int64(int8(m.r.U8())))
	case opConst2u:
		return uint64(m.r.U16())
	case opConst2s:
		return uint64(int64(int16(m.r.U16())))
	case opConst4u:
		return uint64(m.r.U32())
	case opConst4s:
		return uint64(int64(int32(m.r.U32())))
	case opConstu:
		return m.r.Uleb()
	case opConsts:
		return uint64(m.r.Sleb())
	}
	return m.r.U64() // const8u, const8s
}

// stackOp runs the operations that rearrange the stack.
func (m *machine) stackOp(op byte) error {
	n := len(m.st)
	switch op {
	case opDup:
		if n == 0 {
			return m.malformed("DW_OP_dup on an empty stack")
		}
		m.push(m.st[n-1])
	case opDrop:
		_, err := m.pop()
		return err
	case opOver:
		if n < 2 {
			return m.malformed("DW_OP_over: stack underflow")
		}
		m.push(m.st[n-2])
	case opPick:
		i := int(m.r.U8())
		if i >= n {
			return m.malformed("DW_OP_pick: stack underflow")
		}
		m.push(m.st[n-1-i])
	case opSwap:
		if n < 2 {
			return m.malformed("DW_OP_swap: stack underflow")
		}
		m.st[n-1], m.st[n-2] = m.st[n-2], m.st[n-1]
	case opRot:
		if n < 3 {
			return m.malformed("DW_OP_rot: stack underflow")
		}
		m.st[n-1], m.st[n-2], m.st[n-3] = m.st[n-2], m.st[n-3], m.st[n-1]
	}
	return nil
}

// unary runs the operations on the top of the stack.
func (m *machine) unary(op byte) error {
	a, err := m.pop()
	if err != nil {
		return err
	}
	switch op {
	case opAbs:
		if int64(a) < 0 {
			a = -a
		}
	case opNeg:
		a = -a
	case opNot:
		a = ^a
	case opPlusUconst:
		a += m.r.Uleb()
	}
	m.push(a)
	return nil
}

// binary runs the arithmetic and comparisons of the top two entries.
func (m *machine) binary(op byte) error {
	y, err := m.pop()
	if err != nil {
		return err
	}
	x, err := m.pop()
	if err != nil {
		return err
	}
	v, err := binop(op, x, y)
	if err != nil {
		return err
	}
	m.push(v)
	return nil
}

// branch runs DW_OP_skip and DW_OP_bra.
func (m *machine) branch(op byte) error {
	off := int(int16(m.r.U16()))
	if err := m.r.Error(exprSection, 0, ""); err != nil {
		return err
	}
	if op == opBra {
		v, err := m.pop()
		if err != nil {
			return err
		}
		if v == 0 {
			return nil
		}
	}
	np := m.r.Pos() + off
	if np < 0 || np > len(m.expr) {
		return m.malformed("DWARF branch out of the expression")
	}
	m.r.Seek(np)
	return nil
}

// deref runs DW_OP_deref and DW_OP_deref_size: a load from memory.
func (m *machine) deref(op byte) error {
	size := m.c.PtrSize
	if op == opDerefSize {
		size = int(m.r.U8())
	}
	a, err := m.pop()
	if err != nil {
		return err
	}
	if size < 1 || size > 8 {
		return fmt.Errorf("DW_OP_deref_size %d", size)
	}
	if m.c.Mem == nil {
		return errors.New("needs memory to dereference")
	}
	var b [8]byte
	if err := m.c.Mem.ReadMemory(a, b[:size]); err != nil {
		return fmt.Errorf("read %#x: %w", a, err)
	}
	if m.c.Order == binary.BigEndian {
		var v uint64
		for _, x := range b[:size] {
			v = v<<8 | uint64(x)
		}
		m.push(v)
	} else {
		m.push(binary.LittleEndian.Uint64(b[:]))
	}
	return nil
}

// address runs the operations that push an address the context knows:
// a link-time address, an entry of .debug_addr, the frame base, the CFA.
func (m *machine) address(op byte) error {
	switch op {
	case opAddr:
		m.push(m.r.Addr(m.c.PtrSize) + m.c.Bias)
	case opAddrx, opGNUAddrIndex, opConstx, opGNUConstIndex:
		i := m.r.Uleb()
		if err := m.r.Error(exprSection, 0, ""); err != nil {
			return err
		}
		if m.c.Addrx == nil {
			return errors.New("DW_OP_addrx without .debug_addr")
		}
		a, err := m.c.Addrx(i)
		if err != nil {
			return err
		}
		if op == opAddrx || op == opGNUAddrIndex {
			a += m.c.Bias
		}
		m.push(a)
	case opFbreg:
		off := m.r.Sleb()
		if err := m.r.Error(exprSection, 0, ""); err != nil {
			return err
		}
		if m.c.FrameBase == nil {
			return errors.New("DW_OP_fbreg without a frame base")
		}
		fb, err := m.c.FrameBase()
		if err != nil {
			return err
		}
		m.push(fb + uint64(off))
	case opCFA:
		if m.c.Frame == nil {
			return errors.New("DW_OP_call_frame_cfa: no frame")
		}
		cfa, ok := m.c.Frame.CFA()
		if !ok {
			return errors.New("DW_OP_call_frame_cfa: the frame's CFA is not known")
		}
		m.push(cfa)
	}
	return nil
}

// refuse says why an operation ends the expression without an address.
func (m *machine) refuse(op byte) error {
	switch op {
	case opPiece, opBitPiece:
		return errors.New("split into pieces (DW_OP_piece): cannot watch as one range")
	case opStackValue, opImplicitValue, opImplicitPtr, opGNUImplicitP:
		return errors.New("value is computed, not stored in memory: cannot watch")
	case opEntryValue, opGNUEntryValue:
		return fmt.Errorf("known only at function entry: %w", ErrOptimizedOut)
	case opFormTLS, opGNUPushTLS:
		return errors.New("thread-local variable: not supported")
	}
	return m.malformed("unsupported DWARF expression opcode %#x", op)
}

func binop(op byte, x, y uint64) (uint64, error) {
	b2u := func(c bool) uint64 {
		if c {
			return 1
		}
		return 0
	}
	switch op {
	case opAnd:
		return x & y, nil
	case opOr:
		return x | y, nil
	case opXor:
		return x ^ y, nil
	case opPlus:
		return x + y, nil
	case opMinus:
		return x - y, nil
	case opMul:
		return x * y, nil
	case opDiv:
		if y == 0 || int64(y) == -1 && int64(x) == -1<<63 {
			return 0, errors.New("DW_OP_div by zero")
		}
		return uint64(int64(x) / int64(y)), nil
	case opMod:
		if y == 0 {
			return 0, errors.New("DW_OP_mod by zero")
		}
		return x % y, nil
	case opShl:
		if y >= 64 {
			return 0, nil
		}
		return x << y, nil
	case opShr:
		if y >= 64 {
			return 0, nil
		}
		return x >> y, nil
	case opShra:
		if y >= 64 {
			y = 63
		}
		return uint64(int64(x) >> y), nil
	case opEq:
		return b2u(x == y), nil
	case opNe:
		return b2u(x != y), nil
	case opGe:
		return b2u(int64(x) >= int64(y)), nil
	case opGt:
		return b2u(int64(x) > int64(y)), nil
	case opLe:
		return b2u(int64(x) <= int64(y)), nil
	case opLt:
		return b2u(int64(x) < int64(y)), nil
	}
	return 0, fmt.Errorf("bad binary op %#x", op)
}

// StaticAddr recognises the expression of a variable at a fixed address:
// DW_OP_addr A (static, A) or DW_OP_addrx I (indexed, I, to look up in
// .debug_addr), and nothing else.
func StaticAddr(expr []byte, ptrSize int, order binary.ByteOrder) (v uint64, indexed, ok bool) {
	if len(expr) == 0 {
		return 0, false, false
	}
	r := dwread.New(expr, 1, order)
	switch expr[0] {
	case opAddr:
		v = r.Addr(ptrSize)
	case opAddrx, opGNUAddrIndex:
		v, indexed = r.Uleb(), true
	default:
		return 0, false, false
	}
	return v, indexed, r.Err() == nil && r.Pos() == len(expr)
}
