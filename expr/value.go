package expr

import (
	"encoding/binary"
	"fmt"
	"slices"

	"hwdbg/debuginfo"
)

// Value is the result of evaluating an expression: an lvalue (memory at
// Addr, read on demand) or an rvalue held in Bytes.
type Value struct {
	Type   *Type
	Lvalue bool
	Addr   uint64
	Bytes  []byte
	// BitSize is non-zero for a bitfield: BitSize bits from BitOffset of
	// the bytes at Addr.
	BitOffset, BitSize int64
	// Frame is set when the value lives in a stack frame.
	Frame *Frame
	// Func is set when the value is a function's code (or its address),
	// by the function's name: no data to watch.
	Func string
	// Ptrs are the pointers (as expressions) read from memory and followed
	// to reach the value: if one changes, the same expression designates
	// other memory.
	Ptrs []string
	// Reg names the register an rvalue was read from: the value of a
	// variable that lives in a register (see Local.Reg).
	Reg string
	// loaded is the expression in memory an rvalue was read from (a cast
	// of a pointer variable, pointer arithmetic on it).
	loaded string
}

func intVal(v int64) Value {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, uint64(v))
	return Value{Type: cTypes["long"], Bytes: b}
}

func boolVal(b bool) Value {
	if b {
		return intVal(1)
	}
	return intVal(0)
}

// storage is how many bytes hold v in memory.
func (v Value) storage() int64 {
	if v.BitSize > 0 {
		return (v.BitOffset + v.BitSize + 7) / 8
	}
	return v.Type.Size
}

// Load returns v's bytes, reading memory for an lvalue (a bitfield's
// bytes: the bits are at BitOffset).
func (v Value) Load(s Scope) ([]byte, error) {
	if !v.Lvalue {
		return v.Bytes, nil
	}
	n := v.storage()
	if n <= 0 || n > 1<<20 {
		return nil, fmt.Errorf("cannot read a value of %d bytes", n)
	}
	b := make([]byte, n)
	if err := s.ReadMemory(v.Addr, b); err != nil {
		return nil, err
	}
	return b, nil
}

// Int converts v to an integer: integers, characters, enums, bitfields,
// and pointers (their address).
func (v Value) Int(s Scope) (int64, error) {
	switch v.Type.Kind {
	case KindInt, KindUint, KindChar, KindBool, KindPointer, KindBytes, debuginfo.Enum:
	default:
		return 0, fmt.Errorf("a %s is not a number", v.Type.Name)
	}
	if v.Type.Size > 8 {
		return 0, fmt.Errorf("a value of %d bytes is not a number", v.Type.Size)
	}
	b, err := v.Load(s)
	if err != nil {
		return 0, err
	}
	if v.BitSize > 0 {
		u := debuginfo.ExtractBits(b, v.BitOffset, v.BitSize)
		if !isUnsigned(v.Type) && v.BitSize < 64 && u&(1<<(v.BitSize-1)) != 0 {
			return int64(u) - 1<<v.BitSize, nil
		}
		return int64(u), nil
	}
	si, u := IntValue(b)
	if isUnsigned(v.Type) {
		return int64(u), nil
	}
	return si, nil
}

// followed adds to x's pointers the one x itself holds, when it was read
// from memory (x is the value of the expression what).
func followed(x Value, what Expr) []string {
	return withPtr(x.Ptrs, loadedFrom(x, what))
}

func withPtr(ptrs []string, p string) []string {
	if p == "" {
		return ptrs
	}
	return append(slices.Clip(ptrs), p)
}

// loadedFrom names the memory x's value was read from: what, for a value
// in memory; what an rvalue was computed from; "" for a constant.
func loadedFrom(x Value, what Expr) string {
	if x.Lvalue {
		return what.String()
	}
	return x.loaded
}

// Region is memory an expression designates for a watchpoint.
type Region struct {
	Addr uint64
	Len  int
	Type *Type
	// BitOffset/BitSize: a bitfield inside the region.
	BitOffset, BitSize int64
	Frame              *Frame   // the frame it lives in (see Value.Frame)
	Func               string   // a function's code (see Value.Func)
	Ptrs               []string // pointers followed to it (see Value.Ptrs)
}

// RegionOf evaluates e in s to the memory it designates: &x and x both
// mean x's storage; an integer needs a size. A size > 0 overrides the
// size of the expression's type.
func RegionOf(e Expr, size int, s Scope) (Region, error) {
	ev := newEvaluator(s)
	if u, ok := e.(unaryExpr); ok && u.op == "&" {
		e = u.x
		x, err := ev.eval(e)
		if err != nil {
			return Region{}, err
		}
		if !x.Lvalue {
			return Region{}, fmt.Errorf("cannot take the address of %s: it is not in memory", e)
		}
		return sized(regionOfValue(x), size), nil
	}
	v, err := ev.eval(e)
	if err != nil {
		return Region{}, err
	}
	if v.Reg != "" {
		return Region{}, fmt.Errorf("%s lives in register %s, not in memory: a register cannot be watched", e, v.Reg)
	}
	if v.Lvalue {
		return sized(regionOfValue(v), size), nil
	}
	addr, err := v.Int(s)
	if err != nil {
		return Region{}, err
	}
	if size <= 0 {
		return Region{}, fmt.Errorf("%s is a value, not memory: to watch the memory at %#x, add -s SIZE or write *(long*)%#x", e, uint64(addr), uint64(addr))
	}
	return Region{Addr: uint64(addr), Len: size, Type: BytesType(size), Frame: v.Frame, Ptrs: followed(v, e)}, nil
}

func regionOfValue(v Value) Region {
	return Region{Addr: v.Addr, Len: int(v.storage()), Type: v.Type, BitOffset: v.BitOffset, BitSize: v.BitSize, Frame: v.Frame, Func: v.Func, Ptrs: v.Ptrs}
}

func sized(r Region, size int) Region {
	if size > 0 && size != r.Len {
		r.Len = size
		r.Type = BytesType(size)
		r.BitOffset, r.BitSize = 0, 0
	}
	return r
}
