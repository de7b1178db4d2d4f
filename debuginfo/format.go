package debuginfo

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Output limits of Format.
const (
	MaxElems   = 200  // array, slice elements shown
	MaxString  = 1024 // bytes of a string read through Memory
	maxDepth   = 8    // nesting of structs and pointers followed
	maxOutSize = 16 << 10
)

// Format renders the value of type t held in b (t.Size bytes, host memory
// order of the target: little-endian), the way GDB prints C, C++ and Rust
// values and Delve prints Go values. mem, which may be nil, is used to
// follow Go strings and slices and C char pointers. Go interfaces are shown
// with their dynamic type's address; Info.Format names the type.
func Format(t *Type, b []byte, mem Memory) string {
	f := &formatter{mem: mem}
	f.value(t, b, 0, true)
	return f.String()
}

// Format is the package-level Format that also names the dynamic type of
// a Go interface from the program's DWARF and formats its value.
func (in *Info) Format(t *Type, b []byte, mem Memory) (s string) {
	defer func() {
		if r := recover(); r != nil {
			s = fmt.Sprintf("<error: %v>", r)
		}
	}()
	f := &formatter{mem: mem, in: in}
	f.value(t, b, 0, true)
	return f.String()
}

// FormatNested is Format as a value inside another shows: a pointer
// without its type in front, as gdb prints a frame's arguments.
func (in *Info) FormatNested(t *Type, b []byte, mem Memory) (s string) {
	defer func() {
		if r := recover(); r != nil {
			s = fmt.Sprintf("<error: %v>", r)
		}
	}()
	f := &formatter{mem: mem, in: in}
	f.value(t, b, 0, false)
	return f.String()
}

// ExtractBits reads bitSize bits (at most 64) starting bitOffset bits
// from the least significant bit of b[0], b in little-endian order.
// Bits past the end of b read as zero.
func ExtractBits(b []byte, bitOffset, bitSize int64) uint64 {
	if bitSize > 64 {
		bitSize = 64
	}
	var v uint64
	for i := int64(0); i < bitSize; i++ {
		p := bitOffset + i
		if p < 0 || p/8 >= int64(len(b)) {
			break
		}
		if b[p/8]>>(p%8)&1 != 0 {
			v |= 1 << i
		}
	}
	return v
}

// FormatBits renders a bitfield of type t: bitSize bits at bitOffset in b,
// where b starts at the field's Offset (see Field).
func FormatBits(t *Type, b []byte, bitOffset, bitSize int64) string {
	v := ExtractBits(b, bitOffset, bitSize)
	if t != nil && isSigned(t) && bitSize > 0 && bitSize < 64 && v&(1<<(bitSize-1)) != 0 {
		v |= ^uint64(0) << bitSize
	}
	size := int64(8)
	if t != nil && t.Size > 0 && t.Size <= 8 {
		size = t.Size
	}
	var w [8]byte
	binary.LittleEndian.PutUint64(w[:], v)
	return Format(t, w[:size], nil)
}

func isSigned(t *Type) bool {
	switch t.Kind {
	case Int:
		return true
	case Enum:
		return t.Signed
	case Char:
		return !strings.Contains(t.Name, "unsigned")
	}
	return false
}

type formatter struct {
	strings.Builder
	mem Memory
	in  *Info
}

func (f *formatter) full() bool { return f.Len() > maxOutSize }

func uintOf(b []byte) uint64 {
	var w [8]byte
	copy(w[:], b)
	return binary.LittleEndian.Uint64(w[:])
}

func intOf(b []byte) int64 {
	v := uintOf(b)
	if n := len(b); n > 0 && n < 8 {
		shift := uint(64 - 8*n)
		return int64(v<<shift) >> shift
	}
	return int64(v)
}

func (f *formatter) value(t *Type, b []byte, depth int, top bool) {
	if f.full() {
		return
	}
	if t == nil {
		f.WriteString("void")
		return
	}
	if t.Size > 0 && int64(len(b)) < t.Size && t.Kind != Array {
		fmt.Fprintf(f, "<%d bytes, need %d>", len(b), t.Size)
		return
	}
	if t.Size > 0 && int64(len(b)) > t.Size {
		b = b[:t.Size]
	}
	switch t.Kind {
	case Int, Uint, Char, Bool, Float, Complex, Enum:
		f.scalar(t, b)
	case Pointer:
		f.pointer(t, b, top)
	case Struct, Union:
		f.structValue(t, b, depth)
	case Array:
		f.arrayValue(t, b, depth)
	case Func:
		f.WriteString("{" + t.Name + "}")
	case Void:
		f.WriteString("void")
	case GoString:
		f.goString(t, b)
	case GoSlice:
		f.goSlice(t, b, depth)
	case GoInterface:
		f.goInterface(t, b, depth)
	default:
		fmt.Fprintf(f, "<%s: %x>", t.Name, b)
	}
}

// scalar renders a number, character, boolean or enumerator.
func (f *formatter) scalar(t *Type, b []byte) {
	switch t.Kind {
	case Int:
		f.WriteString(strconv.FormatInt(intOf(b), 10))
	case Uint:
		f.WriteString(strconv.FormatUint(uintOf(b), 10))
	case Char:
		if t.Go {
			f.WriteString(strconv.FormatUint(uintOf(b), 10))
			return
		}
		var v int64
		if isSigned(t) {
			v = intOf(b)
		} else {
			v = int64(uintOf(b))
		}
		fmt.Fprintf(f, "%d %s", v, cChar(byte(v)))
	case Bool:
		if uintOf(b) != 0 {
			f.WriteString("true")
		} else {
			f.WriteString("false")
		}
	case Float:
		switch len(b) {
		case 4:
			f.WriteString(strconv.FormatFloat(float64(math.Float32frombits(uint32(uintOf(b)))), 'g', -1, 32))
		case 8:
			f.WriteString(strconv.FormatFloat(math.Float64frombits(uintOf(b)), 'g', -1, 64))
		default:
			fmt.Fprintf(f, "<%d-byte float %x>", len(b), b)
		}
	case Complex:
		if len(b) == 16 {
			re, im := math.Float64frombits(uintOf(b[:8])), math.Float64frombits(uintOf(b[8:]))
			fmt.Fprintf(f, "(%g + %gi)", re, im)
		} else if len(b) == 8 {
			re, im := math.Float32frombits(uint32(uintOf(b[:4]))), math.Float32frombits(uint32(uintOf(b[4:])))
			fmt.Fprintf(f, "(%g + %gi)", re, im)
		} else {
			fmt.Fprintf(f, "%x", b)
		}
	case Enum:
		var v int64
		if t.Signed {
			v = intOf(b)
		} else {
			v = int64(uintOf(b))
		}
		if n, ok := t.Enumerators[v]; ok {
			f.WriteString(n)
		} else {
			f.WriteString(strconv.FormatInt(v, 10))
		}
	}
}

// pointer renders a pointer: Go's typed form, or C's with the string a
// char pointer points to.
func (f *formatter) pointer(t *Type, b []byte, top bool) {
	p := uintOf(b)
	if t.Go {
		if top {
			fmt.Fprintf(f, "(%s)(%#x)", t.Name, p)
		} else {
			fmt.Fprintf(f, "%#x", p)
		}
		return
	}
	if !top && t.Elem != nil && t.Elem.Kind == Func && f.in != nil && p != 0 {
		// A function pointer inside a value names its function, as gdb
		// does.
		fmt.Fprintf(f, "%#x", p)
		if name, entry, ok := f.in.FuncAt(p); ok && entry == p {
			f.WriteString(" <" + name + ">")
		}
		return
	}
	isStr := t.Elem != nil && t.Elem.Kind == Char
	if top && !isStr {
		fmt.Fprintf(f, "(%s) ", t.Name)
	}
	fmt.Fprintf(f, "%#x", p)
	if isStr && p != 0 && f.mem != nil {
		s, more, err := readCString(f.mem, p, MaxString)
		if err == nil {
			f.WriteString(" " + cQuote(s))
			if more {
				f.WriteString("...")
			}
		}
	}
}

func (f *formatter) structValue(t *Type, b []byte, depth int) {
	if depth >= maxDepth {
		f.WriteString("{...}")
		return
	}
	if t.Go {
		f.WriteString(t.Name + " ")
	}
	f.WriteString("{")
	for i, fl := range t.Fields {
		if f.full() {
			f.WriteString("...")
			break
		}
		if i > 0 {
			f.WriteString(", ")
		}
		if fl.Name != "" {
			if t.Go {
				f.WriteString(fl.Name + ": ")
			} else {
				f.WriteString(fl.Name + " = ")
			}
		}
		if fl.Offset < 0 || fl.Offset > int64(len(b)) {
			f.WriteString("<out of range>")
			continue
		}
		if fl.BitSize != 0 {
			f.WriteString(FormatBits(fl.Type, b[fl.Offset:], fl.BitOffset, fl.BitSize))
			continue
		}
		end := fl.Offset
		if fl.Type != nil {
			end += fl.Type.Size
		}
		if end > int64(len(b)) || end < fl.Offset {
			f.WriteString("<out of range>")
			continue
		}
		f.value(fl.Type, b[fl.Offset:end], depth+1, false)
	}
	f.WriteString("}")
}

func (f *formatter) arrayValue(t *Type, b []byte, depth int) {
	elem := t.Elem
	if elem == nil || elem.Size <= 0 {
		fmt.Fprintf(f, "<array of %s>", t.Elem)
		return
	}
	n := t.Len
	if avail := int64(len(b)) / elem.Size; n > avail {
		n = avail
	}
	if elem.Kind == Char && !t.Go && elem.Size == 1 {
		f.WriteString(cArray(b[:n], n < t.Len))
		return
	}
	if t.Go {
		f.WriteString(t.Name + " ")
		f.elems(elem, b, n, t.Len, depth, "[", "]", ",")
		return
	}
	f.elems(elem, b, n, t.Len, depth, "{", "}", ", ")
}

// elems prints n elements of b, collapsing runs of ten or more equal
// elements as GDB does ("0 <repeats 16 times>") in C mode.
func (f *formatter) elems(elem *Type, b []byte, n, total int64, depth int, open, close, sep string) {
	f.WriteString(open)
	shown := n
	if shown > MaxElems {
		shown = MaxElems
	}
	sz := elem.Size
	for i := int64(0); i < shown; {
		if f.full() {
			break
		}
		if i > 0 {
			f.WriteString(sep)
		}
		cur := b[i*sz : (i+1)*sz]
		j := i + 1
		if !elem.Go {
			for j < n && string(b[j*sz:(j+1)*sz]) == string(cur) {
				j++
			}
		}
		f.value(elem, cur, depth+1, false)
		if j-i > 10 {
			fmt.Fprintf(f, " <repeats %d times>", j-i)
			i = j
			continue
		}
		i++
	}
	if total > shown {
		f.WriteString(sep + "...")
	}
	f.WriteString(close)
}
