package debuginfo

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// DWARF expression opcodes used by name.
const (
	opAddr          = 0x03
	opDeref         = 0x06
	opConst1u       = 0x08
	opConst1s       = 0x09
	opConst2u       = 0x0a
	opConst2s       = 0x0b
	opConst4u       = 0x0c
	opConst4s       = 0x0d
	opConst8u       = 0x0e
	opConst8s       = 0x0f
	opConstu        = 0x10
	opConsts        = 0x11
	opDup           = 0x12
	opDrop          = 0x13
	opOver          = 0x14
	opPick          = 0x15
	opSwap          = 0x16
	opRot           = 0x17
	opXderef        = 0x18
	opAbs           = 0x19
	opAnd           = 0x1a
	opDiv           = 0x1b
	opMinus         = 0x1c
	opMod           = 0x1d
	opMul           = 0x1e
	opNeg           = 0x1f
	opNot           = 0x20
	opOr            = 0x21
	opPlus          = 0x22
	opPlusUconst    = 0x23
	opShl           = 0x24
	opShr           = 0x25
	opShra          = 0x26
	opXor           = 0x27
	opBra           = 0x28
	opEq            = 0x29
	opGe            = 0x2a
	opGt            = 0x2b
	opLe            = 0x2c
	opLt            = 0x2d
	opNe            = 0x2e
	opSkip          = 0x2f
	opLit0          = 0x30
	opLit31         = 0x4f
	opReg0          = 0x50
	opReg31         = 0x6f
	opBreg0         = 0x70
	opBreg31        = 0x8f
	opRegx          = 0x90
	opFbreg         = 0x91
	opBregx         = 0x92
	opPiece         = 0x93
	opDerefSize     = 0x94
	opNop           = 0x96
	opCall2         = 0x98
	opCall4         = 0x99
	opCallRef       = 0x9a
	opFormTLS       = 0x9b
	opCFA           = 0x9c
	opBitPiece      = 0x9d
	opImplicitValue = 0x9e
	opStackValue    = 0x9f
	opImplicitPtr   = 0xa0
	opAddrx         = 0xa1
	opConstx        = 0xa2
	opEntryValue    = 0xa3
	opConstType     = 0xa4
	opRegvalType    = 0xa5
	opDerefType     = 0xa6
	opConvert       = 0xa8
	opGNUPushTLS    = 0xe0
	opGNUUninit     = 0xf0
	opGNUEntryValue = 0xf3
	opGNUImplicitP  = 0xf2
	opGNUParamRef   = 0xfa
	opGNUAddrIndex  = 0xfb
	opGNUConstIndex = 0xfc
)

// buf is a bounds-checked cursor over DWARF bytes. The first error sticks;
// reads after it give zero.
type buf struct {
	b     []byte
	pos   int
	order binary.ByteOrder
	err   error
}

var errShort = errors.New("truncated data")

func (b *buf) need(n int) bool {
	if b.err != nil {
		return false
	}
	if n < 0 || b.pos+n > len(b.b) || b.pos+n < b.pos {
		b.err = errShort
		return false
	}
	return true
}

func (b *buf) u8() uint8 {
	if !b.need(1) {
		return 0
	}
	b.pos++
	return b.b[b.pos-1]
}

func (b *buf) u16() uint16 {
	if !b.need(2) {
		return 0
	}
	b.pos += 2
	return b.order.Uint16(b.b[b.pos-2:])
}

func (b *buf) u32() uint32 {
	if !b.need(4) {
		return 0
	}
	b.pos += 4
	return b.order.Uint32(b.b[b.pos-4:])
}

func (b *buf) u64() uint64 {
	if !b.need(8) {
		return 0
	}
	b.pos += 8
	return b.order.Uint64(b.b[b.pos-8:])
}

func (b *buf) addr(size int) uint64 {
	switch size {
	case 1:
		return uint64(b.u8())
	case 2:
		return uint64(b.u16())
	case 4:
		return uint64(b.u32())
	case 8:
		return b.u64()
	}
	if b.err == nil {
		b.err = fmt.Errorf("bad address size %d", size)
	}
	return 0
}

func (b *buf) uleb() uint64 {
	var v uint64
	for shift := uint(0); ; shift += 7 {
		if !b.need(1) {
			return 0
		}
		c := b.b[b.pos]
		b.pos++
		if shift < 64 {
			v |= uint64(c&0x7f) << shift
		}
		if c&0x80 == 0 {
			return v
		}
	}
}

func (b *buf) sleb() int64 {
	var v int64
	var shift uint
	for {
		if !b.need(1) {
			return 0
		}
		c := b.b[b.pos]
		b.pos++
		if shift < 64 {
			v |= int64(c&0x7f) << shift
		}
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v
		}
	}
}

func (b *buf) bytes(n uint64) []byte {
	if n > uint64(len(b.b)) || !b.need(int(n)) {
		b.err = errShort
		return nil
	}
	b.pos += int(n)
	return b.b[b.pos-int(n) : b.pos]
}

// evalCtx is what a location expression may consult.
type evalCtx struct {
	frame     Frame
	mem       Memory
	order     binary.ByteOrder
	ptrSize   int
	arch      string
	bias      uint64
	addrx     func(idx uint64) (uint64, error)
	frameBase func() (uint64, error)
	// regValue: a register location (DW_OP_regN) yields the register's
	// contents instead of an error; used for DW_AT_frame_base.
	regValue bool
}

// RegisterError is returned for a variable that lives in a register.
type RegisterError struct {
	Reg  int
	Name string
}

func (e *RegisterError) Error() string {
	return fmt.Sprintf("in register %s: cannot watch a register", e.Name)
}

// RegName names a DWARF register number for arch ("amd64", "386",
// "arm64"). i386 numbers its registers in another order than x86-64
// (0 eax, 1 ecx, 2 edx, 3 ebx, 4 esp, 5 ebp, 6 esi, 7 edi, 8 eip).
func RegName(arch string, reg int) string {
	switch arch {
	case "amd64":
		names := []string{"rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp",
			"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip"}
		if reg >= 0 && reg < len(names) {
			return names[reg]
		}
		if reg >= 17 && reg <= 32 {
			return fmt.Sprintf("xmm%d", reg-17)
		}
	case "386":
		names := []string{"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip"}
		if reg >= 0 && reg < len(names) {
			return names[reg]
		}
		if reg >= 21 && reg <= 28 {
			return fmt.Sprintf("xmm%d", reg-21)
		}
	case "arm64":
		switch {
		case reg >= 0 && reg <= 28:
			return fmt.Sprintf("x%d", reg)
		case reg == 29:
			return "fp"
		case reg == 30:
			return "lr"
		case reg == 31:
			return "sp"
		case reg >= 64 && reg <= 95:
			return fmt.Sprintf("v%d", reg-64)
		}
	}
	return fmt.Sprintf("r%d", reg)
}

const maxSteps = 10000

// eval runs a location expression and gives the memory address it names.
func (c *evalCtx) eval(expr []byte) (uint64, error) {
	b := &buf{b: expr, order: c.order}
	var st []uint64
	push := func(v uint64) { st = append(st, v) }
	pop := func() (uint64, error) {
		if len(st) == 0 {
			return 0, errors.New("DWARF expression stack underflow")
		}
		v := st[len(st)-1]
		st = st[:len(st)-1]
		return v, nil
	}
	reg := func(r int) (uint64, error) {
		if c.frame == nil {
			return 0, fmt.Errorf("register %s: no frame", RegName(c.arch, r))
		}
		v, ok := c.frame.Reg(r)
		if !ok {
			return 0, fmt.Errorf("register %s not known in this frame", RegName(c.arch, r))
		}
		return v, nil
	}
	for steps := 0; b.pos < len(expr); steps++ {
		if steps > maxSteps {
			return 0, errors.New("DWARF expression does not terminate")
		}
		op := b.u8()
		switch {
		case op >= opLit0 && op <= opLit31:
			push(uint64(op - opLit0))
			continue
		case op >= opReg0 && op <= opReg31 || op == opRegx:
			r := int(op - opReg0)
			if op == opRegx {
				r = int(b.uleb())
			}
			if b.err != nil {
				return 0, b.err
			}
			if c.regValue && b.pos == len(expr) {
				return reg(r)
			}
			if b.pos < len(expr) && (expr[b.pos] == opPiece || expr[b.pos] == opBitPiece) {
				return 0, errors.New("split across registers and memory (DW_OP_piece): cannot watch")
			}
			return 0, &RegisterError{Reg: r, Name: RegName(c.arch, r)}
		case op >= opBreg0 && op <= opBreg31 || op == opBregx:
			r := int(op - opBreg0)
			if op == opBregx {
				r = int(b.uleb())
			}
			off := b.sleb()
			if b.err != nil {
				return 0, b.err
			}
			v, err := reg(r)
			if err != nil {
				return 0, err
			}
			push(v + uint64(off))
			continue
		}
		switch op {
		case opAddr:
			push(b.addr(c.ptrSize) + c.bias)
		case opAddrx, opGNUAddrIndex, opConstx, opGNUConstIndex:
			i := b.uleb()
			if b.err != nil {
				return 0, b.err
			}
			if c.addrx == nil {
				return 0, errors.New("DW_OP_addrx without .debug_addr")
			}
			a, err := c.addrx(i)
			if err != nil {
				return 0, err
			}
			if op == opAddrx || op == opGNUAddrIndex {
				a += c.bias
			}
			push(a)
		case opConst1u:
			push(uint64(b.u8()))
		case opConst1s:
			push(uint64(int64(int8(b.u8()))))
		case opConst2u:
			push(uint64(b.u16()))
		case opConst2s:
			push(uint64(int64(int16(b.u16()))))
		case opConst4u:
			push(uint64(b.u32()))
		case opConst4s:
			push(uint64(int64(int32(b.u32()))))
		case opConst8u, opConst8s:
			push(b.u64())
		case opConstu:
			push(b.uleb())
		case opConsts:
			push(uint64(b.sleb()))
		case opDup:
			if len(st) == 0 {
				return 0, errors.New("DW_OP_dup on an empty stack")
			}
			push(st[len(st)-1])
		case opDrop:
			if _, err := pop(); err != nil {
				return 0, err
			}
		case opOver:
			if len(st) < 2 {
				return 0, errors.New("DW_OP_over: stack underflow")
			}
			push(st[len(st)-2])
		case opPick:
			i := int(b.u8())
			if i >= len(st) {
				return 0, errors.New("DW_OP_pick: stack underflow")
			}
			push(st[len(st)-1-i])
		case opSwap:
			if len(st) < 2 {
				return 0, errors.New("DW_OP_swap: stack underflow")
			}
			st[len(st)-1], st[len(st)-2] = st[len(st)-2], st[len(st)-1]
		case opRot:
			if len(st) < 3 {
				return 0, errors.New("DW_OP_rot: stack underflow")
			}
			n := len(st)
			st[n-1], st[n-2], st[n-3] = st[n-2], st[n-3], st[n-1]
		case opDeref, opDerefSize:
			size := c.ptrSize
			if op == opDerefSize {
				size = int(b.u8())
			}
			a, err := pop()
			if err != nil {
				return 0, err
			}
			if size < 1 || size > 8 {
				return 0, fmt.Errorf("DW_OP_deref_size %d", size)
			}
			if c.mem == nil {
				return 0, errors.New("needs memory to dereference")
			}
			var m [8]byte
			if err := c.mem.ReadMemory(a, m[:size]); err != nil {
				return 0, fmt.Errorf("read %#x: %w", a, err)
			}
			if c.order == binary.BigEndian {
				var v uint64
				for _, x := range m[:size] {
					v = v<<8 | uint64(x)
				}
				push(v)
			} else {
				push(binary.LittleEndian.Uint64(m[:]))
			}
		case opAbs, opNeg, opNot:
			a, err := pop()
			if err != nil {
				return 0, err
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
			}
			push(a)
		case opPlusUconst:
			a, err := pop()
			if err != nil {
				return 0, err
			}
			push(a + b.uleb())
		case opAnd, opDiv, opMinus, opMod, opMul, opOr, opPlus, opShl, opShr, opShra, opXor,
			opEq, opGe, opGt, opLe, opLt, opNe:
			y, err := pop()
			if err != nil {
				return 0, err
			}
			x, err := pop()
			if err != nil {
				return 0, err
			}
			v, err := binop(op, x, y)
			if err != nil {
				return 0, err
			}
			push(v)
		case opSkip, opBra:
			off := int(int16(b.u16()))
			if b.err != nil {
				return 0, b.err
			}
			if op == opBra {
				v, err := pop()
				if err != nil {
					return 0, err
				}
				if v == 0 {
					continue
				}
			}
			np := b.pos + off
			if np < 0 || np > len(expr) {
				return 0, errors.New("DWARF branch out of the expression")
			}
			b.pos = np
		case opFbreg:
			off := b.sleb()
			if b.err != nil {
				return 0, b.err
			}
			if c.frameBase == nil {
				return 0, errors.New("DW_OP_fbreg without a frame base")
			}
			fb, err := c.frameBase()
			if err != nil {
				return 0, err
			}
			push(fb + uint64(off))
		case opCFA:
			if c.frame == nil {
				return 0, errors.New("DW_OP_call_frame_cfa: no frame")
			}
			cfa, ok := c.frame.CFA()
			if !ok {
				return 0, errors.New("DW_OP_call_frame_cfa: the frame's CFA is not known")
			}
			push(cfa)
		case opNop:
		case opPiece, opBitPiece:
			return 0, errors.New("split into pieces (DW_OP_piece): cannot watch as one range")
		case opStackValue, opImplicitValue, opImplicitPtr, opGNUImplicitP:
			return 0, errors.New("value is computed, not stored in memory: cannot watch")
		case opEntryValue, opGNUEntryValue:
			return 0, fmt.Errorf("known only at function entry: %w", ErrOptimizedOut)
		case opFormTLS, opGNUPushTLS:
			return 0, errors.New("thread-local variable: not supported")
		case opGNUUninit:
		default:
			return 0, fmt.Errorf("unsupported DWARF expression opcode %#x", op)
		}
		if b.err != nil {
			return 0, fmt.Errorf("DWARF expression: %w", b.err)
		}
	}
	if b.err != nil {
		return 0, fmt.Errorf("DWARF expression: %w", b.err)
	}
	if len(st) == 0 {
		return 0, ErrOptimizedOut
	}
	return st[len(st)-1], nil
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

// ---- location lists ----

// locListExpr finds the expression of a location list that applies at
// the unbiased pc. An empty result means optimized out at pc.
func (in *Info) locListExpr(u *unit, off int64, index bool, pc uint64) ([]byte, error) {
	v5 := u.version >= 5
	if !v5 {
		sec, err := in.section(".debug_loc")
		if err != nil {
			return nil, err
		}
		return parseLoc(sec, uint64(off), u.base, pc, in.ptrSize, in.order)
	}
	sec, err := in.section(".debug_loclists")
	if err != nil {
		return nil, err
	}
	start := uint64(off)
	if index {
		base := u.llBase
		if base == 0 {
			base = 12 // header of a 32-bit DWARF table
		}
		p := base + uint64(off)*4
		if p+4 > uint64(len(sec)) || p < base {
			return nil, fmt.Errorf("location list index %d out of range", off)
		}
		start = base + uint64(in.order.Uint32(sec[p:]))
	}
	return parseLocLists(sec, start, u.base, pc, in.ptrSize, in.order,
		func(i uint64) (uint64, error) { return in.debugAddr(u, i) })
}

// parseLoc walks a DWARF 2-4 .debug_loc list at off.
func parseLoc(sec []byte, off, base, pc uint64, ptrSize int, order binary.ByteOrder) ([]byte, error) {
	if off > uint64(len(sec)) {
		return nil, fmt.Errorf("location list at %#x past the end of .debug_loc", off)
	}
	b := &buf{b: sec, pos: int(off), order: order}
	maxAddr := ^uint64(0)
	if ptrSize == 4 {
		maxAddr = 0xffffffff
	}
	for i := 0; i < 1<<20; i++ {
		lo, hi := b.addr(ptrSize), b.addr(ptrSize)
		if b.err != nil {
			return nil, fmt.Errorf(".debug_loc: %w", b.err)
		}
		if lo == 0 && hi == 0 {
			return nil, ErrOptimizedOut
		}
		if lo == maxAddr {
			base = hi
			continue
		}
		n := b.u16()
		expr := b.bytes(uint64(n))
		if b.err != nil {
			return nil, fmt.Errorf(".debug_loc: %w", b.err)
		}
		if pc >= base+lo && pc < base+hi {
			return expr, nil
		}
	}
	return nil, errors.New(".debug_loc: list too long")
}

// DW_LLE_* entry kinds.
const (
	lleEnd         = 0
	lleBaseAddrx   = 1
	lleStartxEndx  = 2
	lleStartxLen   = 3
	lleOffsetPair  = 4
	lleDefault     = 5
	lleBaseAddr    = 6
	lleStartEnd    = 7
	lleStartLength = 8
)

// parseLocLists walks a DWARF 5 .debug_loclists list at off.
func parseLocLists(sec []byte, off, base, pc uint64, ptrSize int, order binary.ByteOrder, addrx func(uint64) (uint64, error)) ([]byte, error) {
	if off > uint64(len(sec)) {
		return nil, fmt.Errorf("location list at %#x past the end of .debug_loclists", off)
	}
	b := &buf{b: sec, pos: int(off), order: order}
	var deflt []byte
	ax := func(i uint64) uint64 {
		if b.err != nil {
			return 0
		}
		a, err := addrx(i)
		if err != nil {
			b.err = err
		}
		return a
	}
	for i := 0; i < 1<<20; i++ {
		kind := b.u8()
		var lo, hi uint64
		bounded := true
		switch kind {
		case lleEnd:
			if b.err != nil {
				return nil, fmt.Errorf(".debug_loclists: %w", b.err)
			}
			if deflt != nil {
				return deflt, nil
			}
			return nil, ErrOptimizedOut
		case lleBaseAddrx:
			base = ax(b.uleb())
			continue
		case lleBaseAddr:
			base = b.addr(ptrSize)
			continue
		case lleStartxEndx:
			lo = ax(b.uleb())
			hi = ax(b.uleb())
		case lleStartxLen:
			lo = ax(b.uleb())
			hi = lo + b.uleb()
		case lleOffsetPair:
			lo = base + b.uleb()
			hi = base + b.uleb()
		case lleDefault:
			bounded = false
		case lleStartEnd:
			lo = b.addr(ptrSize)
			hi = b.addr(ptrSize)
		case lleStartLength:
			lo = b.addr(ptrSize)
			hi = lo + b.uleb()
		default:
			return nil, fmt.Errorf(".debug_loclists: bad entry kind %#x", kind)
		}
		n := b.uleb()
		expr := b.bytes(n)
		if b.err != nil {
			return nil, fmt.Errorf(".debug_loclists: %w", b.err)
		}
		if !bounded {
			deflt = expr
		} else if pc >= lo && pc < hi {
			return expr, nil
		}
	}
	return nil, errors.New(".debug_loclists: list too long")
}
