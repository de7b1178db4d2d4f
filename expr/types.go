package expr

import (
	"encoding/binary"
	"fmt"
	"strings"

	"hwdbg/debuginfo"
)

// Type is the type of a value: debug information's type model, also
// used for casts to C scalar types and for symbols without debug
// information (sized integers, or bytes).
type Type = debuginfo.Type

// The kinds expressions make types of.
const (
	KindBytes   = debuginfo.Unknown // unknown type: shown as bytes
	KindInt     = debuginfo.Int
	KindUint    = debuginfo.Uint
	KindChar    = debuginfo.Char
	KindBool    = debuginfo.Bool
	KindFloat   = debuginfo.Float
	KindPointer = debuginfo.Pointer
)

// BytesType is the type of a region of n bytes whose type is unknown:
// sizes of C integers are shown as signed integers, others as bytes.
func BytesType(n int) *Type {
	switch n {
	case 1:
		return &Type{Name: "int8", Kind: KindInt, Size: 1}
	case 2:
		return &Type{Name: "int16", Kind: KindInt, Size: 2}
	case 4:
		return &Type{Name: "int32", Kind: KindInt, Size: 4}
	case 8:
		return &Type{Name: "int64", Kind: KindInt, Size: 8}
	}
	return &Type{Name: fmt.Sprintf("[%d]byte", n), Kind: KindBytes, Size: int64(n)}
}

// cTypes are the C scalar types casts may name (LP64).
var cTypes = map[string]*Type{
	"char":               {Name: "char", Kind: KindChar, Size: 1},
	"signed char":        {Name: "signed char", Kind: KindInt, Size: 1},
	"unsigned char":      {Name: "unsigned char", Kind: KindUint, Size: 1},
	"short":              {Name: "short", Kind: KindInt, Size: 2},
	"short int":          {Name: "short", Kind: KindInt, Size: 2},
	"unsigned short":     {Name: "unsigned short", Kind: KindUint, Size: 2},
	"int":                {Name: "int", Kind: KindInt, Size: 4},
	"signed":             {Name: "int", Kind: KindInt, Size: 4},
	"signed int":         {Name: "int", Kind: KindInt, Size: 4},
	"unsigned":           {Name: "unsigned int", Kind: KindUint, Size: 4},
	"unsigned int":       {Name: "unsigned int", Kind: KindUint, Size: 4},
	"long":               {Name: "long", Kind: KindInt, Size: 8},
	"long int":           {Name: "long", Kind: KindInt, Size: 8},
	"unsigned long":      {Name: "unsigned long", Kind: KindUint, Size: 8},
	"long long":          {Name: "long long", Kind: KindInt, Size: 8},
	"unsigned long long": {Name: "unsigned long long", Kind: KindUint, Size: 8},
	"int8_t":             {Name: "int8_t", Kind: KindInt, Size: 1},
	"uint8_t":            {Name: "uint8_t", Kind: KindUint, Size: 1},
	"int16_t":            {Name: "int16_t", Kind: KindInt, Size: 2},
	"uint16_t":           {Name: "uint16_t", Kind: KindUint, Size: 2},
	"int32_t":            {Name: "int32_t", Kind: KindInt, Size: 4},
	"uint32_t":           {Name: "uint32_t", Kind: KindUint, Size: 4},
	"int64_t":            {Name: "int64_t", Kind: KindInt, Size: 8},
	"uint64_t":           {Name: "uint64_t", Kind: KindUint, Size: 8},
	"size_t":             {Name: "size_t", Kind: KindUint, Size: 8},
	"ssize_t":            {Name: "ssize_t", Kind: KindInt, Size: 8},
	"intptr_t":           {Name: "intptr_t", Kind: KindInt, Size: 8},
	"uintptr_t":          {Name: "uintptr_t", Kind: KindUint, Size: 8},
	"_Bool":              {Name: "_Bool", Kind: KindBool, Size: 1},
	"bool":               {Name: "bool", Kind: KindBool, Size: 1},
	"float":              {Name: "float", Kind: KindFloat, Size: 4},
	"double":             {Name: "double", Kind: KindFloat, Size: 8},
	"void":               {Name: "void", Kind: debuginfo.Void, Size: 1},
}

// ilp32Types are the C scalar types whose size differs in a program with
// 4-byte pointers (ILP32: i386): long and the pointer-sized types.
var ilp32Types = map[string]*Type{
	"long":          {Name: "long", Kind: KindInt, Size: 4},
	"long int":      {Name: "long", Kind: KindInt, Size: 4},
	"unsigned long": {Name: "unsigned long", Kind: KindUint, Size: 4},
	"size_t":        {Name: "size_t", Kind: KindUint, Size: 4},
	"ssize_t":       {Name: "ssize_t", Kind: KindInt, Size: 4},
	"intptr_t":      {Name: "intptr_t", Kind: KindInt, Size: 4},
	"uintptr_t":     {Name: "uintptr_t", Kind: KindUint, Size: 4},
}

// lookupCType finds a C scalar type by name, ignoring extra spaces, as an
// LP64 program has it.
func lookupCType(name string) (*Type, bool) {
	t, ok := cTypes[strings.Join(strings.Fields(name), " ")]
	return t, ok
}

// cType finds a C scalar type by name as the program has it: in a program
// with 4-byte pointers (ptrSize 4), long and the pointer-sized types are 4
// bytes.
func cType(name string, ptrSize int) (*Type, bool) {
	if ptrSize == 4 {
		if t, ok := ilp32Types[strings.Join(strings.Fields(name), " ")]; ok {
			return t, true
		}
	}
	return lookupCType(name)
}

// PointerTo is the type of a pointer of size bytes to t.
func PointerTo(t *Type, size int) *Type {
	name := t.Name + " *"
	if strings.HasSuffix(t.Name, "*") {
		name = t.Name + "*"
	}
	return &Type{Name: name, Kind: KindPointer, Size: int64(size), Elem: t, Go: t.Go}
}

// addrBytes is addr as a program with size-byte pointers stores a pointer.
func addrBytes(addr uint64, size int) []byte {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, addr)
	return b[:size]
}

// IntValue decodes b (little endian) as a signed and an unsigned integer.
func IntValue(b []byte) (int64, uint64) {
	var u uint64
	for i := len(b) - 1; i >= 0; i-- {
		u = u<<8 | uint64(b[i])
	}
	n := len(b)
	if n == 0 || n > 8 {
		return int64(u), u
	}
	shift := uint(64 - 8*n)
	return int64(u<<shift) >> shift, u
}

// isUnsigned: values of t compare and convert as unsigned numbers.
func isUnsigned(t *Type) bool {
	switch t.Kind {
	case KindUint, KindPointer, KindBool:
		return true
	case KindChar:
		return strings.Contains(t.Name, "unsigned")
	case debuginfo.Enum:
		return !t.Signed
	}
	return false
}

// FormatValue renders b as a value of type t the way the program's
// language shows it; mem (may be nil) follows strings and slices.
func FormatValue(t *Type, b []byte, mem debuginfo.Memory) string {
	if t == nil || t.Kind == KindBytes {
		return formatBytes(b)
	}
	return debuginfo.Format(t, b, mem)
}

func formatBytes(b []byte) string {
	var sb strings.Builder
	sb.WriteString("{")
	for i, c := range b {
		if i > 0 {
			sb.WriteString(" ")
		}
		fmt.Fprintf(&sb, "%#02x", c)
	}
	sb.WriteString("}")
	return sb.String()
}
