package bpfcond

import (
	"fmt"
	"unsafe"

	"hwdbg/debuginfo"
	"hwdbg/expr"
)

// The tests evaluate conditions over this test process's own memory: the
// kernel runs the compiled program (BPF_PROG_TEST_RUN) in the context of
// the calling thread, so bpf_probe_read_user reads these variables, and
// expr.Eval reads them through selfScope: the two must agree.

type pair struct {
	A int32
	_ int32
	B int64
}

var (
	s8    int8    = -3
	u8    uint8   = 250
	s16   int16   = -300
	u16   uint16  = 65000
	s32   int32   = -70000
	u32   uint32  = 4000000000
	s64   int64   = -5
	u64   uint64  = 1<<63 + 5
	flags uint32  = 0x5a
	arr           = [4]int32{1, 2, 3, 4}
	st            = pair{A: 7, B: 99}
	ptr   *pair   = &st
	fl    float64 = 1.5
)

var (
	tInt32 = &debuginfo.Type{Name: "int", Kind: debuginfo.Int, Size: 4}
	tPair  = &debuginfo.Type{Name: "struct pair", Kind: debuginfo.Struct, Size: 16, Fields: []debuginfo.Field{
		{Name: "a", Offset: 0, Type: tInt32},
		{Name: "b", Offset: 8, Type: &debuginfo.Type{Name: "long", Kind: debuginfo.Int, Size: 8}},
	}}
)

// selfGlobals are the variables above as a C program's debug information
// would describe them.
var selfGlobals = map[string]expr.Global{
	"s8":    {Type: &debuginfo.Type{Name: "signed char", Kind: debuginfo.Int, Size: 1}, Addr: addr(&s8)},
	"u8":    {Type: &debuginfo.Type{Name: "unsigned char", Kind: debuginfo.Uint, Size: 1}, Addr: addr(&u8)},
	"s16":   {Type: &debuginfo.Type{Name: "short", Kind: debuginfo.Int, Size: 2}, Addr: addr(&s16)},
	"u16":   {Type: &debuginfo.Type{Name: "unsigned short", Kind: debuginfo.Uint, Size: 2}, Addr: addr(&u16)},
	"s32":   {Type: tInt32, Addr: addr(&s32)},
	"u32":   {Type: &debuginfo.Type{Name: "unsigned int", Kind: debuginfo.Uint, Size: 4}, Addr: addr(&u32)},
	"s64":   {Type: &debuginfo.Type{Name: "long", Kind: debuginfo.Int, Size: 8}, Addr: addr(&s64)},
	"u64":   {Type: &debuginfo.Type{Name: "unsigned long", Kind: debuginfo.Uint, Size: 8}, Addr: addr(&u64)},
	"flags": {Type: &debuginfo.Type{Name: "unsigned int", Kind: debuginfo.Uint, Size: 4}, Addr: addr(&flags)},
	"arr":   {Type: &debuginfo.Type{Name: "int [4]", Kind: debuginfo.Array, Size: 16, Len: 4, Elem: tInt32}, Addr: addr(&arr)},
	"st":    {Type: tPair, Addr: addr(&st)},
	"ptr":   {Type: &debuginfo.Type{Name: "struct pair *", Kind: debuginfo.Pointer, Size: 8, Elem: tPair}, Addr: addr(&ptr)},
	"fl":    {Type: &debuginfo.Type{Name: "double", Kind: debuginfo.Float, Size: 8}, Addr: addr(&fl)},
}

func addr[T any](p *T) uint64 { return uint64(uintptr(unsafe.Pointer(p))) }

// selfScope is this process as a stopped C program with the globals
// above and no frame.
type selfScope struct{}

// selfPointers point to the variables of selfGlobals.
var selfPointers = map[string]unsafe.Pointer{
	"s8": unsafe.Pointer(&s8), "u8": unsafe.Pointer(&u8), "s16": unsafe.Pointer(&s16), "u16": unsafe.Pointer(&u16),
	"s32": unsafe.Pointer(&s32), "u32": unsafe.Pointer(&u32), "s64": unsafe.Pointer(&s64), "u64": unsafe.Pointer(&u64),
	"flags": unsafe.Pointer(&flags), "arr": unsafe.Pointer(&arr), "st": unsafe.Pointer(&st), "ptr": unsafe.Pointer(&ptr),
	"fl": unsafe.Pointer(&fl),
}

func (selfScope) ReadMemory(a uint64, buf []byte) error {
	for name, g := range selfGlobals {
		if a >= g.Addr && a+uint64(len(buf)) <= g.Addr+uint64(g.Type.Size) {
			copy(buf, unsafe.Slice((*byte)(unsafe.Add(selfPointers[name], a-g.Addr)), len(buf)))
			return nil
		}
	}
	return fmt.Errorf("read %d bytes at %#x: not one of the test's variables", len(buf), a)
}

func (selfScope) Register(string) (uint64, bool, error)  { return 0, false, nil }
func (selfScope) PtrSize() int                           { return 8 }
func (selfScope) Language() string                       { return "c" }
func (selfScope) DebugInfo() bool                        { return true }
func (selfScope) LookupType(string) (*expr.Type, bool)   { return nil, false }
func (selfScope) Local(string) (expr.Local, bool, error) { return expr.Local{}, false, nil }
func (selfScope) Global(name string) (expr.Global, bool) { g, ok := selfGlobals[name]; return g, ok }
func (selfScope) Symbol(string) (expr.Symbol, bool)      { return expr.Symbol{}, false }
func (selfScope) Func(string) (uint64, bool)             { return 0, false }
func (selfScope) FrameFunc() string                      { return "" }
func (selfScope) Closest(string) []string                { return nil }
func (selfScope) Where() string                          { return "" }
