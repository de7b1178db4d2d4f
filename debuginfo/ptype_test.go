package debuginfo

import "testing"

func TestPType(t *testing.T) {
	tInt := &Type{Name: "int", Kind: Int, Size: 4}
	tChar := &Type{Name: "char", Kind: Char, Size: 1}
	cChar := &Type{Name: "char", Kind: Char, Size: 1, Qual: "const"}
	acct := &Type{Name: "struct account", Kind: Struct, Size: 24, Fields: []Field{
		{Name: "name", Type: &Type{Name: "char [16]", Kind: Array, Size: 16, Len: 16, Elem: tChar}},
		{Name: "balance", Offset: 16, Type: &Type{Name: "long", Kind: Int, Size: 8}}}}
	acctT := &Type{Name: "account_t", Under: "struct account", Kind: Struct, Size: 24, Fields: acct.Fields}
	acctP := &Type{Name: "struct account *", Kind: Pointer, Size: 8, Elem: acct}
	fn := &Type{Name: "func", Kind: Func, Params: []*Type{acctP, {Name: "char *", Kind: Pointer, Size: 8, Elem: cChar}}, Result: tInt}
	color := &Type{Name: "enum color", Kind: Enum, Size: 4, Enumerators: map[int64]string{0: "RED", 5: "GREEN", 6: "BLUE", 9: "X"}}
	anon := &Type{Name: "struct {...}", Kind: Struct, Size: 2, Fields: []Field{{Name: "d", Type: &Type{Name: "short", Kind: Int, Size: 2}}}}
	shape := &Type{Name: "struct shape", Kind: Struct, Size: 48, Fields: []Field{
		{Name: "owner", Type: acctT},
		{Name: "area", Type: &Type{Name: "int (*)(void)", Kind: Pointer, Size: 8, Elem: &Type{Kind: Func, Result: tInt}}},
		{Name: "flags", Type: &Type{Name: "unsigned int", Kind: Uint, Size: 4}, BitSize: 3},
		{Name: "grid", Type: &Type{Name: "int [2][3]", Kind: Array, Len: 2, Elem: &Type{Kind: Array, Len: 3, Elem: tInt}}},
		{Name: "rows", Type: &Type{Kind: Pointer, Size: 8, Elem: &Type{Kind: Array, Len: 3, Elem: tInt}}},
		{Name: "extra", Type: anon},
		{Name: "cb", Type: &Type{Kind: Pointer, Size: 8, Elem: &Type{Kind: Func, Params: []*Type{tInt}, Variadic: true}}},
	}}
	goPoint := &Type{Name: "main.Point", Kind: Struct, Go: true, Fields: []Field{
		{Name: "X", Type: &Type{Name: "int", Kind: Int, Go: true}}, {Name: "Tags", Type: &Type{Name: "[]string", Kind: GoSlice, Go: true}}}}
	cases := []struct {
		t    *Type
		want string
	}{
		{tInt, "int"},
		{acct, "struct account {\n    char name[16];\n    long balance;\n}"},
		{acctT, "struct account {\n    char name[16];\n    long balance;\n}"},
		{acctP, "struct account {\n    char name[16];\n    long balance;\n} *"},
		{&Type{Name: "struct account [4]", Kind: Array, Len: 4, Elem: acct}, "struct account {\n    char name[16];\n    long balance;\n} [4]"},
		{fn, "int (struct account *, const char *)"},
		{&Type{Kind: Func}, "void (void)"},
		{color, "enum color {RED, GREEN = 5, BLUE, X = 9}"},
		{shape, "struct shape {\n    account_t owner;\n    int (*area)(void);\n    unsigned int flags : 3;\n    int grid[2][3];\n" +
			"    int (*rows)[3];\n    struct {\n        short d;\n    } extra;\n    void (*cb)(int, ...);\n}"},
		{&Type{Name: "struct opaque", Kind: Struct}, "struct opaque {\n    <incomplete type>\n}"},
		{&Type{Kind: Pointer, Size: 8, Qual: "const", Elem: tChar}, "char * const"},
		{nil, "void"},
		{goPoint, "main.Point struct {\n    X int\n    Tags []string\n}"},
		{&Type{Name: "*main.Point", Kind: Pointer, Go: true, Elem: goPoint}, "*main.Point struct {\n    X int\n    Tags []string\n}"},
		{&Type{Name: "string", Kind: GoString, Go: true}, "string"},
	}
	for _, c := range cases {
		if got := PType(c.t); got != c.want {
			t.Errorf("ptype %v:\n%s\nwant\n%s", c.t, got, c.want)
		}
	}
	if got := Declaration(acctP, "a"); got != "struct account *a" {
		t.Errorf("declaration: %q", got)
	}
	if got := Declaration(&Type{Kind: Pointer, Elem: cChar}, ""); got != "const char *" {
		t.Errorf("abstract declaration: %q", got)
	}
}
