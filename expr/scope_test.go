package expr

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"hwdbg/debuginfo"
)

// fakeScope is a stopped program made of maps: memory, registers, the
// variables of one frame, globals and symbols.
type fakeScope struct {
	mem     map[uint64][]byte // mapped regions by start address
	regs    map[string]uint64
	ptrSize int
	lang    string
	dwarf   bool
	types   map[string]*Type
	locals  map[string]Local
	bad     map[string]error // locals that exist but cannot be read
	globals map[string]Global
	syms    map[string]Symbol
	funcs   map[string]uint64
	fn      string
	where   string
}

func (s *fakeScope) ReadMemory(addr uint64, buf []byte) error {
	for start, b := range s.mem {
		if addr >= start && addr-start <= uint64(len(b)) && uint64(len(buf)) <= uint64(len(b))-(addr-start) {
			copy(buf, b[addr-start:])
			return nil
		}
	}
	return fmt.Errorf("read %d bytes at %#x: input/output error", len(buf), addr)
}

func (s *fakeScope) Register(name string) (uint64, bool, error) {
	v, ok := s.regs[name]
	return v, ok, nil
}

func (s *fakeScope) PtrSize() int      { return s.ptrSize }
func (s *fakeScope) Language() string  { return s.lang }
func (s *fakeScope) DebugInfo() bool   { return s.dwarf }
func (s *fakeScope) FrameFunc() string { return s.fn }
func (s *fakeScope) Where() string     { return s.where }

func (s *fakeScope) LookupType(name string) (*Type, bool) {
	t, ok := s.types[name]
	return t, ok
}

func (s *fakeScope) Local(name string) (Local, bool, error) {
	if err, ok := s.bad[name]; ok {
		return Local{}, true, err
	}
	l, ok := s.locals[name]
	return l, ok, nil
}

func (s *fakeScope) Global(name string) (Global, bool) {
	g, ok := s.globals[name]
	return g, ok
}

func (s *fakeScope) Symbol(name string) (Symbol, bool) {
	sym, ok := s.syms[name]
	return sym, ok
}

func (s *fakeScope) Func(name string) (uint64, bool) {
	entry, ok := s.funcs[name]
	return entry, ok
}

func (s *fakeScope) Closest(name string) []string {
	var out []string
	for n := range s.globals {
		if len(n) > 2 && len(name) > 2 && n[:3] == name[:3] {
			out = append(out, n)
		}
	}
	return out
}

// failed reports err against want (a part of the message; "" for no
// error) and tells whether the case ends there: an error was wanted, or
// one came.
func failed(t *testing.T, what string, err error, want string) bool {
	t.Helper()
	switch {
	case want != "":
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", what, err, want)
		}
		return true
	case err != nil:
		t.Errorf("%s: %v", what, err)
		return true
	}
	return false
}

// le64 is v as 8 little-endian bytes; le32 as 4.
func le64(vs ...uint64) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	return b
}

func le32(vs ...uint32) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	return b
}

var (
	tInt   = &Type{Name: "int", Kind: KindInt, Size: 4}
	tLong  = &Type{Name: "long", Kind: KindInt, Size: 8}
	tUint  = &Type{Name: "unsigned int", Kind: KindUint, Size: 4}
	tChar  = &Type{Name: "char", Kind: KindChar, Size: 1}
	tFloat = &Type{Name: "double", Kind: KindFloat, Size: 8}
	tNode  = &Type{Name: "struct node", Kind: debuginfo.Struct, Size: 24}
	tNodeP = &Type{Name: "struct node *", Kind: KindPointer, Size: 8, Elem: tNode}
	tArr   = &Type{Name: "long [4]", Kind: debuginfo.Array, Size: 32, Len: 4, Elem: tLong}
	tVoidP = &Type{Name: "void *", Kind: KindPointer, Size: 8, Elem: &Type{Name: "void", Kind: debuginfo.Void}}
)

func init() {
	tNode.Fields = []debuginfo.Field{
		{Name: "val", Offset: 0, Type: tInt},
		{Name: "next", Offset: 8, Type: tNodeP},
		{Name: "flags", Offset: 16, Type: tUint, BitOffset: 0, BitSize: 3},
		{Name: "sign", Offset: 16, Type: tInt, BitOffset: 3, BitSize: 4},
	}
}

// mainFrame is the frame of main, which holds the local q.
var mainFrame = &Frame{Tid: 7, CFA: 0x7fff0000, RetPC: 0x401234, Func: "main"}

// cScope is a C program with debug information, stopped in main:
//
//	struct node { int val; struct node *next; unsigned flags:3; int sign:4; };
//	int counter = 42; long arr[4] = {10, 20, 30, 40};
//	struct node n2 = {7, 0, 5, -3}, n1 = {1, &n2}, *head = &n1;
//	void *vp = &n1; double ratio = 1.5; char *name = "hi";
//	int main(void) { static int static_b = 5; int q = 11; ... }
func cScope() *fakeScope {
	return &fakeScope{
		mem: map[uint64][]byte{
			0x1000:            append(le32(1, 0), le64(0x1100, 0)...),             // n1
			0x1100:            append(le32(7, 0), le64(0, uint64(5|(0xd<<3)))...), // n2: flags 5, sign -3
			0x2000:            le32(42),                                           // counter
			0x2010:            le64(10, 20, 30, 40),                               // arr
			0x2040:            le64(0x1000),                                       // head
			0x2050:            le32(5),                                            // static_b
			0x2060:            le64(0x1000),                                       // vp
			0x2070:            le64(0x3ff8000000000000),                           // ratio
			0x2080:            le64(0x2090),                                       // name
			0x2090:            []byte("hi\x00"),                                   // its string
			0x7ffe0000 - 0x10: append(le32(11, 0), le64(0x2010)...),               // q, and a pointer into arr
			0x3000:            {0xef, 0xbe, 0xad, 0xde},                           // raw
			0x401100:          {0x55, 0x48, 0x89, 0xe5, 0x90, 0x5d, 0xc3},         // marker's code
		},
		regs:    map[string]uint64{"rax": 0x1234, "rsp": 0x7ffe0000 - 0x20, "pc": 0x401050, "rip": 0x401050},
		ptrSize: 8,
		lang:    "c",
		dwarf:   true,
		types:   map[string]*Type{"struct node": tNode},
		locals: map[string]Local{
			"q":        {Type: tInt, Addr: 0x7ffe0000 - 0x10, Frame: mainFrame},
			"p":        {Type: &Type{Name: "long *", Kind: KindPointer, Size: 8, Elem: tLong}, Addr: 0x7ffe0000 - 0x08, Frame: mainFrame},
			"static_b": {Type: tInt, Addr: 0x2050},
		},
		bad: map[string]error{"opt": fmt.Errorf("opt: optimized out")},
		globals: map[string]Global{
			"counter": {Type: tInt, Addr: 0x2000},
			"arr":     {Type: tArr, Addr: 0x2010},
			"n1":      {Type: tNode, Addr: 0x1000},
			"n2":      {Type: tNode, Addr: 0x1100},
			"head":    {Type: tNodeP, Addr: 0x2040},
			"vp":      {Type: tVoidP, Addr: 0x2060},
			"ratio":   {Type: tFloat, Addr: 0x2070},
			"name":    {Type: &Type{Name: "char *", Kind: KindPointer, Size: 8, Elem: tChar}, Addr: 0x2080},
			"LIMIT":   {Type: tInt, Const: true},
		},
		syms: map[string]Symbol{
			"counter": {Addr: 0x2000, Size: 4},
			"raw":     {Addr: 0x3000, Size: 4},
			"marker":  {Addr: 0x401100, Size: 7, Func: true},
		},
		funcs: map[string]uint64{"marker": 0x401100, "stripped_fn": 0x401200},
		fn:    "main",
		where: "main (frame #0, where the watch was set)",
	}
}

// bareScope is a C program without debug information: symbols only.
func bareScope() *fakeScope {
	return &fakeScope{
		mem: map[uint64][]byte{
			0x2000: le32(42),
			0x3000: {0xef, 0xbe, 0xad, 0xde, 1, 2, 3, 4, 5, 6, 7, 8},
		},
		regs:    map[string]uint64{"eax": 3, "esp": 0xffffd000, "eip": 0x8049000},
		ptrSize: 4,
		syms: map[string]Symbol{
			"counter": {Addr: 0x2000, Size: 4},
			"buf":     {Addr: 0x3000, Size: 12},
			"marker":  {Addr: 0x8049100, Size: 7, Func: true},
		},
	}
}

var (
	tGoInt = &Type{Name: "int", Kind: KindInt, Size: 8, Go: true}
	tGoT   = &Type{Name: "main.T", Kind: debuginfo.Struct, Size: 16, Go: true, Fields: []debuginfo.Field{
		{Name: "A", Offset: 0, Type: tGoInt}, {Name: "B", Offset: 8, Type: tGoInt}}}
	tGoTP     = &Type{Name: "*main.T", Kind: KindPointer, Size: 8, Elem: tGoT, Go: true}
	tGoSlice  = &Type{Name: "[]int", Kind: debuginfo.GoSlice, Size: 24, Elem: tGoInt, Go: true}
	goopFrame = &Frame{Tid: 9, CFA: 0xc000050000, Func: "main.work", Go: true}
)

// goScope is a Go program stopped in example.com/pkg.(*T).M:
//
//	package main; var counter = 7; var s = []int{1, 2, 3}; var p = &T{A: 4, B: 5}
//	package pkg; var limit = 3
func goScope() *fakeScope {
	return &fakeScope{
		mem: map[uint64][]byte{
			0x5000:       le64(7),
			0x5010:       le64(0x6000, 3, 3),
			0x5030:       le64(0x6100),
			0x5040:       le64(3),
			0x6000:       le64(1, 2, 3),
			0x6100:       le64(4, 5),
			0xc00004ff00: le64(99),
		},
		regs:    map[string]uint64{"rax": 1, "rsp": 0xc00004fe00, "pc": 0x47a000},
		ptrSize: 8,
		lang:    "go",
		dwarf:   true,
		types:   map[string]*Type{"main.T": tGoT},
		locals:  map[string]Local{"v": {Type: tGoInt, Addr: 0xc00004ff00, Frame: goopFrame}},
		globals: map[string]Global{
			"main.counter":          {Type: tGoInt, Addr: 0x5000},
			"main.s":                {Type: tGoSlice, Addr: 0x5010},
			"main.p":                {Type: tGoTP, Addr: 0x5030},
			"example.com/pkg.limit": {Type: tGoInt, Addr: 0x5040},
		},
		syms: map[string]Symbol{"main.counter": {Addr: 0x5000, Size: 8}, "runtime.x": {Addr: 0x5038, Size: 8}},
		fn:   "example.com/pkg.(*T).M",
	}
}
