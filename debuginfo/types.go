package debuginfo

import (
	"debug/dwarf"
	"fmt"
	"strings"
)

// Kind classifies a Type. Typedefs are resolved away: a typedef's Type has
// the typedef's Name and the Kind, Size and layout of what it names.
type Kind uint8

const (
	Unknown Kind = iota
	Int
	Uint
	Float
	Bool
	Char // a 1-byte character type (char, signed char, unsigned char)
	Enum
	Pointer // also C++ references and Go maps, channels and funcs
	Struct  // also C++ classes
	Union
	Array
	Func
	Void
	GoString    // Go string: {str *uint8; len int}
	GoSlice     // Go slice: {array *T; len, cap int}
	GoInterface // Go interface: runtime.iface {tab, data} or runtime.eface {_type, data}
	Complex
)

var kindNames = [...]string{"unknown", "int", "uint", "float", "bool", "char", "enum", "pointer",
	"struct", "union", "array", "func", "void", "string", "slice", "interface", "complex"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Field is one member of a struct or union.
type Field struct {
	Name string
	// Offset is the byte offset of the member in its struct; for a
	// bitfield, of the first byte that holds any of its bits.
	Offset int64
	Type   *Type
	// BitSize is non-zero for a bitfield; BitOffset then counts bits from
	// the least significant bit of the byte at Offset (little-endian
	// memory order), whatever form the DWARF used.
	BitSize, BitOffset int64
}

// StorageSize is the number of bytes that hold the field: Type.Size for an
// ordinary member, the bytes spanned by its bits for a bitfield.
func (f Field) StorageSize() int64 {
	if f.BitSize == 0 {
		if f.Type == nil {
			return 0
		}
		return f.Type.Size
	}
	return (f.BitOffset + f.BitSize + 7) / 8
}

// Type is a DWARF type, converted once and cached.
type Type struct {
	Name string // "int", "struct node", "app::Config", "main.T", "[]int"
	Kind Kind
	Size int64
	// Elem is the pointed-to type of a Pointer, the element type of an
	// Array or GoSlice; nil for void*.
	Elem        *Type
	Len         int64 // Array: element count (0 for a flexible array)
	Fields      []Field
	Enumerators map[int64]string
	Signed      bool // Enum: underlying type is signed
	Go          bool // from a Go unit: format like Delve

	// Under is, for a typedef, the name of the type it names with every
	// typedef resolved ("struct account" for account_t); "" otherwise.
	Under string
	// Qual is the qualifiers of a qualified type ("const", "volatile",
	// "const volatile"); "" for none. Its Name is the unqualified one.
	Qual string
	// Params and Result are a Func's parameter types and its result type
	// (nil: void); Variadic marks a trailing "...".
	Params   []*Type
	Result   *Type
	Variadic bool
}

func (t *Type) String() string {
	if t == nil {
		return "void"
	}
	return t.Name
}

// Field finds a member by name; members of anonymous struct/union members
// are found too, with their offsets adjusted.
func (t *Type) Field(name string) (Field, bool) {
	if t == nil {
		return Field{}, false
	}
	for _, f := range t.Fields {
		if f.Name == name {
			return f, true
		}
	}
	for _, f := range t.Fields {
		if f.Name == "" && f.Type != nil && (f.Type.Kind == Struct || f.Type.Kind == Union) {
			if g, ok := f.Type.Field(name); ok {
				g.Offset += f.Offset
				return g, true
			}
		}
	}
	return Field{}, false
}

type typedefFixup struct {
	t, target *Type
}

// apply copies the target into the typedef or qualified type, which keeps
// its own name, underlying name and qualifiers.
func (f typedefFixup) apply() {
	name, under, qual := f.t.Name, f.t.Under, f.t.Qual
	*f.t = *f.target
	f.t.Name, f.t.Under, f.t.Qual = name, under, qual
}

// LookupType finds a type by name: "int", "unsigned long", "struct node",
// "node", "union u", "enum color", "app::Config", "main.T". A trailing
// "*" makes a pointer type.
func (in *Info) LookupType(name string) (t *Type, err error) {
	defer in.lock()()
	defer catch(&err)
	name = strings.Join(strings.Fields(name), " ")
	if strings.HasSuffix(name, "*") {
		base := strings.TrimSpace(strings.TrimSuffix(name, "*"))
		var elem *Type
		if base != "void" {
			in.mu.Unlock()
			elem, err = in.LookupType(base)
			in.mu.Lock()
			if err != nil {
				return nil, err
			}
		}
		n := name
		if elem != nil && elem.Go {
			n = "*" + elem.Name
		}
		return &Type{Name: n, Kind: Pointer, Size: int64(in.ptrSize), Elem: elem, Go: elem != nil && elem.Go}, nil
	}
	if name == "void" {
		return &Type{Name: "void", Kind: Void}, nil
	}
	want := dwarf.Tag(0)
	bare := name
	for _, p := range []struct {
		prefix string
		tag    dwarf.Tag
	}{{"struct ", dwarf.TagStructType}, {"class ", dwarf.TagClassType}, {"union ", dwarf.TagUnionType}, {"enum ", dwarf.TagEnumerationType}} {
		if strings.HasPrefix(name, p.prefix) {
			want, bare = p.tag, name[len(p.prefix):]
		}
	}
	var cands []string
	cands = append(cands, bare)
	if alt, ok := baseTypeAliases[bare]; ok {
		cands = append(cands, alt...)
	}
	for _, n := range cands {
		refs := in.lookup(n, refType)
		best := -1
		for i, r := range refs {
			if want != 0 && r.tag != want && !(want == dwarf.TagStructType && r.tag == dwarf.TagClassType) &&
				!(want == dwarf.TagClassType && r.tag == dwarf.TagStructType) {
				continue
			}
			// Prefer a definition over a typedef of the same name.
			if best < 0 || refs[best].tag == dwarf.TagTypedef && r.tag != dwarf.TagTypedef {
				best = i
			}
		}
		if best >= 0 {
			return in.typeAt(refs[best].off)
		}
	}
	return nil, fmt.Errorf("debuginfo: no type %q", name)
}

// Alternative spellings of C base type names as compilers write them.
var baseTypeAliases = map[string][]string{
	"unsigned":           {"unsigned int"},
	"signed":             {"int"},
	"signed int":         {"int"},
	"long":               {"long int"},
	"unsigned long":      {"long unsigned int"},
	"long long":          {"long long int"},
	"unsigned long long": {"long long unsigned int"},
	"short":              {"short int"},
	"unsigned short":     {"short unsigned int"},
	"long unsigned int":  {"unsigned long"},
	"signed char":        {"char"},
}

// typeAt converts the type DIE at off. The caller holds in.mu.
func (in *Info) typeAt(off dwarf.Offset) (*Type, error) {
	if t, ok := in.types[off]; ok {
		return t, nil
	}
	dt, err := in.d.Type(off)
	if err != nil {
		return nil, fmt.Errorf("debuginfo: type at %#x: %w", off, err)
	}
	goUnit := false
	if u := in.unitOf(off); u != nil && u.lang == "go" {
		goUnit = true
	}
	t := in.convert(dt, in.conv, goUnit)
	for _, f := range in.fixups {
		f.apply()
	}
	in.fixups = nil
	in.types[off] = t
	return t, nil
}

func (in *Info) convert(dt dwarf.Type, seen map[dwarf.Type]*Type, goUnit bool) *Type {
	if dt == nil {
		return &Type{Name: "void", Kind: Void}
	}
	if t, ok := seen[dt]; ok {
		return t
	}
	t := &Type{Name: dt.Common().Name, Size: dt.Common().ByteSize, Go: goUnit}
	seen[dt] = t
	switch x := dt.(type) {
	case *dwarf.IntType, *dwarf.UintType, *dwarf.CharType, *dwarf.UcharType, *dwarf.FloatType, *dwarf.ComplexType,
		*dwarf.BoolType, *dwarf.AddrType, *dwarf.UnspecifiedType, *dwarf.VoidType:
		baseKind(t, x)
	case *dwarf.PtrType:
		t.Kind = Pointer
		if t.Size <= 0 {
			t.Size = int64(in.ptrSize)
		}
		if x.Type != nil {
			if _, void := x.Type.(*dwarf.VoidType); !void {
				t.Elem = in.convert(x.Type, seen, goUnit)
			}
		}
		if t.Name == "" && goUnit {
			t.Name = "*" + t.Elem.String()
		} else if t.Name == "" {
			t.Name = t.Elem.String() + " *"
		}
	case *dwarf.FuncType:
		t.Kind = Func
		if t.Name == "" {
			t.Name = x.String()
		}
		if _, void := x.ReturnType.(*dwarf.VoidType); x.ReturnType != nil && !void {
			t.Result = in.convert(x.ReturnType, seen, goUnit)
		}
		for _, p := range x.ParamType {
			if _, dots := p.(*dwarf.DotDotDotType); dots {
				t.Variadic = true
				continue
			}
			t.Params = append(t.Params, in.convert(p, seen, goUnit))
		}
	case *dwarf.ArrayType:
		t.Kind = Array
		t.Elem = in.convert(x.Type, seen, goUnit)
		t.Len = x.Count
		if t.Len < 0 {
			t.Len = 0
		}
		if t.Size <= 0 && t.Elem != nil {
			t.Size = t.Len * t.Elem.Size
		}
		if t.Name == "" {
			if goUnit {
				t.Name = fmt.Sprintf("[%d]%s", t.Len, t.Elem)
			} else {
				t.Name = fmt.Sprintf("%s [%d]", t.Elem, t.Len)
			}
		}
	case *dwarf.EnumType:
		convertEnum(t, x, goUnit)
	case *dwarf.StructType:
		in.convertStruct(t, x, seen, goUnit)
	case *dwarf.TypedefType:
		target := in.convert(x.Type, seen, goUnit)
		*t = *target
		t.Name = x.Name
		t.Under = target.Name
		if target.Under != "" {
			t.Under = target.Under
		}
		t.Qual = ""
		in.fixups = append(in.fixups, typedefFixup{t: t, target: target})
		if goUnit && (target.Kind == GoInterface || target.Kind == Struct && isIfaceFields(target)) {
			t.Kind = GoInterface
		}
	case *dwarf.QualType:
		target := in.convert(x.Type, seen, goUnit)
		*t = *target
		t.Qual = strings.TrimSpace(x.Qual + " " + target.Qual)
		in.fixups = append(in.fixups, typedefFixup{t: t, target: target})
	default:
		t.Kind = Unknown
	}
	return t
}

// baseKind gives t, converted from the base type dt, its kind.
func baseKind(t *Type, dt dwarf.Type) {
	switch dt.(type) {
	case *dwarf.IntType:
		t.Kind = Int
		if t.Size == 1 && strings.Contains(t.Name, "char") {
			t.Kind = Char
		}
	case *dwarf.UintType:
		t.Kind = Uint
		if t.Size == 1 && strings.Contains(t.Name, "char") {
			t.Kind = Char
		}
	case *dwarf.CharType, *dwarf.UcharType:
		t.Kind = Char
		if t.Size != 1 {
			t.Kind = Uint // wchar_t, char32_t, Rust char
		}
	case *dwarf.FloatType:
		t.Kind = Float
	case *dwarf.ComplexType:
		t.Kind = Complex
	case *dwarf.BoolType:
		t.Kind = Bool
	case *dwarf.AddrType:
		t.Kind = Uint
	case *dwarf.UnspecifiedType:
		t.Kind = Void
	case *dwarf.VoidType:
		t.Kind = Void
		t.Name = "void"
	}
}

// convertEnum fills t from the enumeration x.
func convertEnum(t *Type, x *dwarf.EnumType, goUnit bool) {
	t.Kind = Enum
	t.Enumerators = map[int64]string{}
	for _, v := range x.Val {
		t.Enumerators[v.Val] = v.Name
		if v.Val < 0 {
			t.Signed = true
		}
	}
	switch {
	case x.EnumName == "":
		t.Name = "enum {...}"
	case goUnit || strings.Contains(x.EnumName, "::"):
		t.Name = x.EnumName
	default:
		t.Name = "enum " + x.EnumName
	}
}

// convertStruct fills t from the struct, class or union x, its members
// converted.
func (in *Info) convertStruct(t *Type, x *dwarf.StructType, seen map[dwarf.Type]*Type, goUnit bool) {
	t.Kind = Struct
	if x.Kind == "union" {
		t.Kind = Union
	}
	if goUnit || strings.Contains(x.StructName, "::") {
		t.Name = x.StructName
	} else if x.StructName != "" {
		t.Name = x.Kind + " " + x.StructName
	}
	if t.Name == "" {
		t.Name = x.Kind + " {...}"
	}
	for _, f := range x.Field {
		fl := Field{Name: f.Name, Offset: f.ByteOffset, Type: in.convert(f.Type, seen, goUnit), BitSize: f.BitSize}
		if f.BitSize != 0 {
			bit := f.DataBitOffset
			if f.BitOffset != 0 || f.ByteSize != 0 && f.DataBitOffset == 0 {
				// DWARF 2/3: BitOffset counts from the most significant
				// bit of a ByteSize-byte storage unit at ByteOffset
				// (little-endian layout assumed).
				size := f.ByteSize
				if size == 0 && fl.Type != nil {
					size = fl.Type.Size
				}
				bit = f.ByteOffset*8 + size*8 - f.BitOffset - f.BitSize
			}
			fl.Offset, fl.BitOffset = bit/8, bit%8
		}
		t.Fields = append(t.Fields, fl)
	}
	if goUnit {
		in.goKind(t)
	}
}

func isIfaceFields(t *Type) bool {
	return len(t.Fields) == 2 && t.Fields[1].Name == "data" && (t.Fields[0].Name == "tab" || t.Fields[0].Name == "_type")
}

// goKind recognises Go's runtime representations of strings, slices and
// interfaces.
func (in *Info) goKind(t *Type) {
	names := make([]string, len(t.Fields))
	for i, f := range t.Fields {
		names[i] = f.Name
	}
	switch strings.Join(names, ",") {
	case "str,len":
		if t.Name == "string" {
			t.Kind = GoString
		}
	case "array,len,cap":
		if strings.HasPrefix(t.Name, "[]") {
			t.Kind = GoSlice
			if p := t.Fields[0].Type; p != nil && p.Kind == Pointer {
				t.Elem = p.Elem
			}
		}
	case "tab,data", "_type,data":
		if t.Name == "runtime.iface" || t.Name == "runtime.eface" {
			t.Kind = GoInterface
		}
	}
}
