package debuginfo

import (
	"debug/dwarf"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// indexed is every name of a program's index, by kind, as indexing every
// unit at once lists its definitions.
func indexed(t *testing.T, path string) map[searchKey][]nameRef {
	in := mustLoad(t, path, 0)
	defer in.Close()
	in.indexAll()
	out := map[searchKey][]nameRef{}
	for n, refs := range in.names {
		for _, r := range refs {
			k := searchKey{n, r.kind}
			out[k] = append(out[k], r)
		}
	}
	return out
}

// TestSearchAsIndex: a name searched for (the DIE reader over the units
// not indexed) has the definitions the index gives it, in the same
// order, in C (DWARF 5 and 4, unoptimised and optimised: declarations
// completed elsewhere, abstract origins), C++ (indexed, not searched)
// and Go.
func TestSearchAsIndex(t *testing.T) {
	for _, tc := range []struct {
		src   string
		extra []string
		max   int // names checked, 0 for all
	}{
		{"prog.c", nil, 0},
		{"prog.c", []string{"-gdwarf-4"}, 0},
		{"prog.c", []string{"-O2"}, 0},
		{"prog.c", []string{"-gdwarf-2", "-gstrict-dwarf"}, 0},
		{"prog.cc", nil, 400},
		{"prog.go", nil, 300},
	} {
		t.Run(strings.Join(append([]string{tc.src}, tc.extra...), " "), func(t *testing.T) {
			path := build(t, tc.src, tc.extra...)
			want := indexed(t, path)
			keys := make([]searchKey, 0, len(want))
			for k := range want {
				keys = append(keys, k)
			}
			sort.Slice(keys, func(i, j int) bool {
				if keys[i].name != keys[j].name {
					return keys[i].name < keys[j].name
				}
				return keys[i].kind < keys[j].kind
			})
			if tc.max > 0 && len(keys) > tc.max {
				// An even sample, so that every unit is in it.
				step := len(keys) / tc.max
				var sample []searchKey
				for i := 0; i < len(keys); i += step {
					sample = append(sample, keys[i])
				}
				keys = sample
			}
			in := mustLoad(t, path, 0)
			defer in.Close()
			checked := 0
			for _, k := range keys {
				got := in.search(k.name, k.kind, func() []nameRef {
					var out []nameRef
					for _, r := range in.names[k.name] {
						if r.kind == k.kind {
							out = append(out, r)
						}
					}
					return out
				})
				if fmt.Sprint(got) != fmt.Sprint(want[k]) {
					t.Errorf("%q (kind %d): searched %v, indexed %v", k.name, k.kind, got, want[k])
				}
				checked++
			}
			if checked == 0 {
				t.Fatal("no names")
			}
			t.Logf("%d names", checked)
		})
	}
}

// TestSearchOrder: a definition found by a search and those of units
// indexed before it come in the order indexing everything would give,
// and so does the index once everything is indexed.
func TestSearchOrder(t *testing.T) {
	path := build(t, "prog.go")
	want := indexed(t, path)
	in := mustLoad(t, path, 0)
	defer in.Close()
	// os's unit indexed first, as a Go-qualified lookup does.
	if _, ok := in.LookupGlobal("os.Args"); !ok {
		t.Fatal("no os.Args")
	}
	k := searchKey{"main", refFunc}
	first := in.lookup("main", refFunc)
	in.indexAll()
	var after []nameRef
	for _, r := range in.names["main"] {
		if r.kind == refFunc {
			after = append(after, r)
		}
	}
	if fmt.Sprint(first) != fmt.Sprint(after) {
		t.Errorf("main: searched %v, then indexed %v", first, after)
	}
	if len(want[k]) != len(first) {
		t.Errorf("main: %v, want %d definitions %v", first, len(want[k]), want[k])
	}
}

// leb128 is v as an unsigned LEB128.
func leb128(v uint64) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

// abbrevBytes is an abbreviation table: each entry is code, tag,
// children, then attribute/form pairs.
func abbrevBytes(entries ...[]uint64) []byte {
	var b []byte
	for _, e := range entries {
		b = append(b, leb128(e[0])...)
		b = append(b, leb128(e[1])...)
		b = append(b, byte(e[2]))
		for i := 3; i+1 < len(e); i += 2 {
			b = append(b, leb128(e[i])...)
			b = append(b, leb128(e[i+1])...)
		}
		b = append(b, 0, 0)
	}
	return append(b, 0)
}

// A small unit for the DIE reader: a compile unit holding a variable "x"
// (DW_FORM_string name, an exprloc location), a structure with a
// DW_AT_sibling and two members, a subprogram with children but no
// sibling, and a variable with no name that completes the declaration
// "y" (DW_FORM_ref4).
var (
	testAbbrevs = abbrevBytes(
		[]uint64{1, uint64(dwarf.TagCompileUnit), 1, uint64(dwarf.AttrName), formString},
		[]uint64{2, uint64(dwarf.TagVariable), 0, uint64(dwarf.AttrName), formString, uint64(dwarf.AttrLocation), formExprloc},
		[]uint64{3, uint64(dwarf.TagStructType), 1, uint64(dwarf.AttrName), formString, uint64(dwarf.AttrSibling), formRef4, uint64(dwarf.AttrByteSize), formData1},
		[]uint64{4, uint64(dwarf.TagMember), 0, uint64(dwarf.AttrName), formString, uint64(dwarf.AttrDataMemberLoc), formData1},
		[]uint64{5, uint64(dwarf.TagSubprogram), 1, uint64(dwarf.AttrName), formString, uint64(dwarf.AttrLowpc), formAddr, uint64(dwarf.AttrHighpc), formData8},
		[]uint64{6, uint64(dwarf.TagVariable), 0, uint64(dwarf.AttrName), formString, uint64(dwarf.AttrDeclaration), formFlagPresent},
		[]uint64{7, uint64(dwarf.TagVariable), 0, uint64(dwarf.AttrSpecification), formRef4, uint64(dwarf.AttrLocation), formExprloc},
	)
)

// testUnit builds the unit (DWARF 4, 32-bit, 8-byte addresses) and
// returns it with the offsets of its DIEs by name.
func testUnit() ([]byte, map[string]uint64) {
	le := binary.LittleEndian
	body := []byte{4, 0, 0, 0, 0, 0, 8} // version 4, abbrev offset 0, address size 8
	at := map[string]uint64{}
	die := func(name string, b ...byte) {
		at[name] = uint64(4 + len(body))
		body = append(body, b...)
	}
	die("cu", append([]byte{1}, "cu\x00"...)...)
	die("x", append(append([]byte{2}, "x\x00"...), 1, 0x9c)...)
	sib := len(body) + 1 + len("s\x00") // where the sibling reference goes
	die("s", append(append([]byte{3}, "s\x00"...), 0, 0, 0, 0, 8)...)
	die("s.a", append(append([]byte{4}, "a\x00"...), 0)...)
	die("s.b", append(append([]byte{4}, "b\x00"...), 4)...)
	body = append(body, 0)
	le.PutUint32(body[sib:], uint32(4+len(body)))
	die("f", append(append(append([]byte{5}, "f\x00"...), make([]byte, 8)...), make([]byte, 8)...)...)
	die("f.x", append(append([]byte{2}, "x\x00"...), 1, 0x9c)...)
	body = append(body, 0)
	die("y.decl", append([]byte{6}, "y\x00"...)...)
	die("y", 7, byte(at["y.decl"]), 0, 0, 0, 1, 0x9c)
	body = append(body, 0)
	return append(le.AppendUint32(nil, uint32(len(body))), body...), at
}

func testDIEUnit(t testing.TB, info []byte) *dieUnit {
	h, err := unitHeaderAt(info, 0, binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	ab, err := parseAbbrevs(testAbbrevs, 0, binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	return newDIEUnit(h, ab, strSections{}, 0)
}

func TestCandidates(t *testing.T) {
	info, at := testUnit()
	u := testDIEUnit(t, info)
	for _, tc := range []struct {
		name string
		kind refKind
		want []uint64
	}{
		{"x", refVar, []uint64{at["x"]}}, // not f's local x: the reader skips f's children
		{"y", refVar, []uint64{at["y.decl"], at["y"]}},
		{"s", refType, []uint64{at["s"]}},
		{"a", refVar, nil}, // a member: skipped with its structure
		{"f", refFunc, []uint64{at["f"]}},
		{"f", refVar, nil},
	} {
		got, ok := candidates(info, u, binary.LittleEndian, []byte(tc.name), tc.kind)
		if !ok || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("candidates %q kind %d = %v, %v; want %v", tc.name, tc.kind, got, ok, tc.want)
		}
	}
}

func TestDIEReaderErrors(t *testing.T) {
	le := binary.LittleEndian
	info, at := testUnit()
	u := testDIEUnit(t, info)
	for _, tc := range []struct {
		name string
		edit func(b []byte) []byte
		off  uint64
		msg  string
	}{
		{"unknown abbreviation", func(b []byte) []byte { b[at["x"]] = 9; return b }, at["x"], "no abbreviation 9"},
		{"truncated", func(b []byte) []byte { return b[:at["x"]+2] }, at["x"] + 1, "truncated data"}, // the name runs off the end
		{"exprloc past the end", func(b []byte) []byte { b[at["x"]+3] = 0x7f; return b }, at["x"] + 4, "truncated data"},
	} {
		b := tc.edit(append([]byte{}, info...))
		du := *u
		if uint64(len(b)) < du.hdr.end {
			du.hdr.end = uint64(len(b))
		}
		dr := newDIEReader(b, &du, le)
		var d die
		var err error
		for ok := true; ok && err == nil; ok, err = dr.next(&d) {
		}
		wantDecodeError(t, tc.name, err, ".debug_info", tc.off, tc.msg)
	}
}

func TestAbbrevErrors(t *testing.T) {
	le := binary.LittleEndian
	for _, tc := range []struct {
		name string
		b    []byte
		off  uint64
		at   uint64
		msg  string
	}{
		{"past the end", testAbbrevs, uint64(len(testAbbrevs)), uint64(len(testAbbrevs)), "past the end"},
		{"truncated", testAbbrevs[:3], 0, 3, "truncated data"},
		{"defined twice", abbrevBytes([]uint64{1, 0x34, 0}, []uint64{1, 0x34, 0}), 0, 5, "defined twice"},
	} {
		_, err := parseAbbrevs(tc.b, tc.off, le)
		wantDecodeError(t, tc.name, err, ".debug_abbrev", tc.at, tc.msg)
	}
}

// FuzzDIEReader reads any bytes as a unit with the test abbreviations,
// and any bytes as abbreviations for the test unit: the reader may fail,
// never panic, loop or leave the unit.
func FuzzDIEReader(f *testing.F) {
	info, _ := testUnit()
	f.Add(info, testAbbrevs, "x")
	f.Add(info[:20], testAbbrevs, "y")
	f.Add(info, testAbbrevs[:10], "s")
	f.Fuzz(func(t *testing.T, info, abbrevs []byte, name string) {
		le := binary.LittleEndian
		h, err := unitHeaderAt(info, 0, le)
		if err != nil {
			return
		}
		ab, err := parseAbbrevs(abbrevs, 0, le)
		if err != nil {
			return
		}
		u := newDIEUnit(h, ab, strSections{str: []byte("x\x00y\x00"), strOffsets: []byte{0, 0, 0, 0, 2, 0, 0, 0}}, 0)
		for _, k := range []refKind{refVar, refFunc, refType} {
			offs, _ := candidates(info, u, le, []byte(name), k)
			for _, o := range offs {
				if o < h.die || o >= h.end {
					t.Fatalf("candidate %#x outside the unit [%#x, %#x)", o, h.die, h.end)
				}
			}
		}
	})
}

// TestFileCutShort: the file of a mapped .debug_info cut short under us
// (rebuilt in place, as cp does) makes queries fail or find nothing, and
// never crashes hwdbg.
func TestFileCutShort(t *testing.T) {
	orig, err := os.ReadFile(build(t, "prog.c"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "prog")
	if err := os.WriteFile(path, orig, 0o755); err != nil {
		t.Fatal(err)
	}
	in := mustLoad(t, path, 0)
	defer in.Close()
	if in.image == nil {
		t.Skip("the file is not mapped here")
	}
	if err := os.Truncate(path, 4096); err != nil {
		t.Fatal(err)
	}
	in.LookupGlobal("out")
	in.LookupType("struct flags")
	in.Language()
	in.GlobalNames("")
	in.FuncAt(0x1150)
	in.LineFor(0x1150)
	in.Locals(0x1150)
}
