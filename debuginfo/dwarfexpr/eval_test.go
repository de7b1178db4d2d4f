package dwarfexpr

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"hwdbg/arch"
	"hwdbg/debuginfo/internal/dwread"
	"hwdbg/debuginfo/internal/dwtest"
)

func testCtx() *Context {
	return &Context{
		Frame:     dwtest.RegFrame{Regs: map[int]uint64{6: 0x7000, 7: 0x6f00}, CFAValue: 0x7010, PCValue: 0x401000},
		Mem:       dwtest.PatternMemory{},
		Order:     binary.LittleEndian,
		PtrSize:   8,
		Regs:      arch.DWARFRegsOf(elf.EM_X86_64),
		Bias:      0x10000,
		Addrx:     func(i uint64) (uint64, error) { return 0x4000 + 8*i, nil },
		FrameBase: func() (uint64, error) { return 0x7010, nil },
	}
}

func TestEval(t *testing.T) {
	le := func(v uint64) []byte { b := make([]byte, 8); binary.LittleEndian.PutUint64(b, v); return b }
	cat := func(parts ...[]byte) []byte {
		return []byte(strings.Join(func() []string {
			var s []string
			for _, p := range parts {
				s = append(s, string(p))
			}
			return s
		}(), ""))
	}
	for _, tc := range []struct {
		name string
		expr []byte
		want uint64
		err  string
	}{
		{"addr", cat([]byte{opAddr}, le(0x4010)), 0x14010, ""},
		{"addrx", []byte{opAddrx, 2}, 0x4010 + 0x10000, ""},
		{"fbreg -20", []byte{opFbreg, 0x6c}, 0x7010 - 20, ""},
		{"breg7 +8", []byte{opBreg0 + 7, 8}, 0x6f08, ""},
		{"bregx 6 -16", []byte{opBregx, 6, 0x70}, 0x7000 - 16, ""},
		{"cfa", []byte{opCFA}, 0x7010, ""},
		{"lit arithmetic", []byte{opLit0 + 5, opLit0 + 3, opMinus, opLit0 + 4, opMul}, 8, ""},
		{"plus_uconst", []byte{opLit0 + 1, opPlusUconst, 0x80, 0x01}, 129, ""},
		{"deref", []byte{opConst2u, 0x00, 0x20, opDeref}, binary.LittleEndian.Uint64([]byte{0, 7, 14, 21, 28, 35, 42, 49}), ""},
		{"bra taken", []byte{opLit0 + 1, opBra, 1, 0, opLit0 + 9, opLit0 + 2}, 2, ""},
		{"reg0", []byte{opReg0}, 0, "in register rax"},
		{"regx 3", []byte{opRegx, 3}, 0, "in register rbx"},
		{"piece", []byte{opFbreg, 0, opPiece, 4}, 0, "DW_OP_piece"},
		{"stack_value", []byte{opLit0 + 1, opStackValue}, 0, "computed"},
		{"entry_value", []byte{opEntryValue, 1, opReg0 + 5}, 0, "optimized out"},
		{"empty", nil, 0, "optimized out"},
		{"underflow", []byte{opPlus}, 0, "underflow"},
		{"truncated", []byte{opAddr, 1, 2}, 0, "truncated"},
		{"unknown reg", []byte{opBreg0 + 3, 0}, 0, "rbx not known"},
		{"div by zero", []byte{opLit0 + 1, opLit0, opDiv}, 0, "by zero"},
		{"tls", []byte{opLit0, opFormTLS}, 0, "thread-local"},
		{"loop", []byte{opSkip, 0xfd, 0xff}, 0, "does not terminate"},
	} {
		got, err := testCtx().Eval(tc.expr)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: got %#x, %v; want error containing %q", tc.name, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: got %#x, %v; want %#x", tc.name, got, err, tc.want)
		}
	}
	// A frame base given as a register means the register's contents.
	c := testCtx()
	c.RegValue = true
	if v, err := c.Eval([]byte{opReg0 + 6}); err != nil || v != 0x7000 {
		t.Errorf("frame base DW_OP_reg6 = %#x, %v", v, err)
	}
	// Call frame information runs its expressions with the CFA pushed.
	if v, err := testCtx().EvalPushed([]byte{opLit0 + 8, opMinus}, 0x7010); err != nil || v != 0x7008 {
		t.Errorf("EvalPushed(CFA-8) = %#x, %v", v, err)
	}
}

// TestEvalDecodeErrors checks that a malformed expression is a
// DecodeError at the offset of the bad operation or operand.
func TestEvalDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		expr []byte
		off  uint64
		msg  string
	}{
		{"truncated addr", []byte{opAddr, 1, 2}, 1, "truncated data"},
		{"truncated after ops", []byte{opLit0, opLit0 + 1, opConst4u, 1}, 3, "truncated data"},
		{"truncated bregx", []byte{opBregx, 0x80}, 2, "truncated data"},
		{"truncated regx", []byte{opLit0, opRegx}, 2, "truncated data"},
		{"truncated skip", []byte{opLit0, opSkip, 1}, 2, "truncated data"},
		{"truncated fbreg", []byte{opFbreg}, 1, "truncated data"},
		{"unknown opcode", []byte{opLit0, opLit0, 0xff}, 2, "unsupported DWARF expression opcode 0xff"},
		{"underflow", []byte{opLit0, opLit0, opPlus, opPlus}, 3, "stack underflow"},
		{"dup on empty", []byte{opDup}, 0, "DW_OP_dup on an empty stack"},
		{"rot", []byte{opLit0, opLit0, opRot}, 2, "DW_OP_rot: stack underflow"},
		{"branch out", []byte{opLit0, opSkip, 0x10, 0}, 1, "branch out of the expression"},
		{"branch before", []byte{opSkip, 0xf0, 0xff}, 0, "branch out of the expression"},
	} {
		_, err := testCtx().Eval(tc.expr)
		var de *dwread.DecodeError
		if !errors.As(err, &de) || de.Section != "DWARF expression" || de.Offset != tc.off || !strings.Contains(de.Err.Error(), tc.msg) {
			t.Errorf("%s: %v; want a DecodeError at %#x containing %q", tc.name, err, tc.off, tc.msg)
		}
	}
	// A refusal is not a decoding error.
	for _, expr := range [][]byte{{opReg0}, {opLit0, opStackValue}, {opLit0, opPiece, 4}, nil} {
		var de *dwread.DecodeError
		if _, err := testCtx().Eval(expr); errors.As(err, &de) {
			t.Errorf("%x: %v is a DecodeError", expr, err)
		}
	}
}

func TestStaticAddr(t *testing.T) {
	for _, tc := range []struct {
		expr        []byte
		v           uint64
		indexed, ok bool
	}{
		{[]byte{opAddr, 0x10, 0x20, 0, 0, 0, 0, 0, 0}, 0x2010, false, true},
		{[]byte{opAddrx, 0x81, 0x01}, 0x81, true, true},
		{[]byte{opGNUAddrIndex, 3}, 3, true, true},
		{[]byte{opAddr, 0x10, 0x20}, 0, false, false},
		{[]byte{opAddr, 0x10, 0x20, 0, 0, 0, 0, 0, 0, opStackValue}, 0, false, false},
		{[]byte{opFbreg, 0}, 0, false, false},
		{nil, 0, false, false},
	} {
		v, indexed, ok := StaticAddr(tc.expr, 8, binary.LittleEndian)
		if ok != tc.ok || ok && (v != tc.v || indexed != tc.indexed) {
			t.Errorf("StaticAddr(%x) = %#x, %v, %v; want %#x, %v, %v", tc.expr, v, indexed, ok, tc.v, tc.indexed, tc.ok)
		}
	}
}

func FuzzEvalExpr(f *testing.F) {
	f.Add([]byte{opFbreg, 0x6c})
	f.Add([]byte{opCFA, opLit0 + 8, opMinus, opDeref})
	f.Add([]byte{opAddr, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add([]byte{opLit0 + 1, opBra, 0xfb, 0xff})
	f.Fuzz(func(t *testing.T, expr []byte) {
		testCtx().Eval(expr)
		c := testCtx()
		c.RegValue = true
		c.EvalPushed(expr, 0x7010)
		StaticAddr(expr, 8, binary.LittleEndian)
		StaticAddr(expr, 4, binary.LittleEndian)
	})
}
