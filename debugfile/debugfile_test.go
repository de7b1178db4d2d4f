package debugfile

import (
	"bytes"
	"encoding/binary"
	"os"
	"reflect"
	"strings"
	"testing"
)

// note builds one ELF note: name and descriptor padded to 4 bytes.
func note(order binary.ByteOrder, name string, typ uint32, desc []byte) []byte {
	var b bytes.Buffer
	n := []byte(name)
	if name != "" {
		n = append(n, 0)
	}
	for _, v := range []uint32{uint32(len(n)), uint32(len(desc)), typ} {
		binary.Write(&b, order, v)
	}
	b.Write(n)
	b.Write(make([]byte, align4(uint64(len(n)))-uint64(len(n))))
	b.Write(desc)
	b.Write(make([]byte, align4(uint64(len(desc)))-uint64(len(desc))))
	return b.Bytes()
}

func link(order binary.ByteOrder, name string, crc uint32) []byte {
	b := append([]byte(name), 0)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	var w [4]byte
	order.PutUint32(w[:], crc)
	return append(b, w[:]...)
}

func TestParseBuildIDNote(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	id := []byte{0x93, 0xac, 0x61, 0xec, 0x5a}
	for _, tc := range []struct {
		name  string
		b     []byte
		order binary.ByteOrder
		want  []byte
	}{
		{"one build id note", note(le, "GNU", 3, id), le, id},
		{"big endian", note(be, "GNU", 3, id), be, id},
		{"after an ABI tag note", append(note(le, "GNU", 1, []byte{0, 0, 0, 0, 3, 0, 0, 0}), note(le, "GNU", 3, id)...), le, id},
		{"after another vendor's type 3", append(note(le, "Go", 3, []byte("go build id")), note(le, "GNU", 3, id)...), le, id},
		{"only another vendor's", note(le, "Go", 4, []byte("x")), le, nil},
		{"empty descriptor", note(le, "GNU", 3, nil), le, nil},
		{"empty", nil, le, nil},
		{"truncated header", note(le, "GNU", 3, id)[:10], le, nil},
		{"truncated descriptor", note(le, "GNU", 3, id)[:20], le, nil},
		{"name size past the end", append(le.AppendUint32(le.AppendUint32(le.AppendUint32(nil, 0xfffffff0), 4), 3), "GNU\x00"...), le, nil},
		{"descriptor size past the end", append(le.AppendUint32(le.AppendUint32(le.AppendUint32(nil, 4), 0xffffffff), 3), "GNU\x00"...), le, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseBuildIDNote(tc.b, tc.order)
			if ok != (tc.want != nil) || !bytes.Equal(got, tc.want) {
				t.Errorf("ParseBuildIDNote = %x, %v; want %x", got, ok, tc.want)
			}
		})
	}
}

func TestParseDebugLink(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	for _, tc := range []struct {
		name     string
		b        []byte
		order    binary.ByteOrder
		wantName string
		wantCRC  uint32
		wantErr  string
	}{
		{"name padded to 4", link(le, "prog.debug", 0xdeadbeef), le, "prog.debug", 0xdeadbeef, ""},
		{"name and NUL fill 4", link(le, "abc", 0x01020304), le, "abc", 0x01020304, ""},
		{"big endian", link(be, "libc.so.6.debug", 0xf7a8ab1a), be, "libc.so.6.debug", 0xf7a8ab1a, ""},
		{"trailing bytes ignored", append(link(le, "x.debug", 7), 0, 0, 0, 0), le, "x.debug", 7, ""},
		{"no NUL", []byte("prog.debug"), le, "", 0, "no terminating NUL"},
		{"empty name", link(le, "", 1), le, "", 0, "empty file name"},
		{"no CRC", []byte("prog.debug\x00\x00"), le, "", 0, "too short"},
		{"CRC cut short", link(le, "prog.debug", 1)[:14], le, "", 0, "too short"},
		{"a path, not a name", link(le, "../../etc/x.debug", 1), le, "", 0, "not a base name"},
		{"empty", nil, le, "", 0, "no terminating NUL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name, crc, err := ParseDebugLink(tc.b, tc.order)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("ParseDebugLink = %q, %#x, %v; want an error with %q", name, crc, err, tc.wantErr)
				}
				return
			}
			if err != nil || name != tc.wantName || crc != tc.wantCRC {
				t.Errorf("ParseDebugLink = %q, %#x, %v; want %q, %#x", name, crc, err, tc.wantName, tc.wantCRC)
			}
		})
	}
}

func TestDirs(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  *string
		want []string
	}{
		{"unset", nil, []string{DefaultDir}},
		{"empty: none", ptr(""), nil},
		{"one", ptr("/opt/debug"), []string{"/opt/debug"}},
		{"several, empty entries dropped", ptr("/a::/b:"), []string{"/a", "/b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env == nil {
				t.Setenv(EnvDirs, "") // restored after the test
				os.Unsetenv(EnvDirs)
			} else {
				t.Setenv(EnvDirs, *tc.env)
			}
			if got := Dirs(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Dirs() = %q, want %q", got, tc.want)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func FuzzParseBuildIDNote(f *testing.F) {
	f.Add(note(binary.LittleEndian, "GNU", 3, []byte{1, 2, 3, 4}), false)
	f.Add(append(note(binary.BigEndian, "GNU", 1, []byte{0, 0, 0, 0}), note(binary.BigEndian, "GNU", 3, []byte{9})...), true)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 3, 0, 0, 0}, false)
	f.Fuzz(func(t *testing.T, b []byte, big bool) {
		var order binary.ByteOrder = binary.LittleEndian
		if big {
			order = binary.BigEndian
		}
		id, ok := ParseBuildIDNote(b, order)
		if ok && (len(id) == 0 || len(id) > len(b)) {
			t.Errorf("ParseBuildIDNote(%x) = %x, %v", b, id, ok)
		}
	})
}

func FuzzParseDebugLink(f *testing.F) {
	f.Add(link(binary.LittleEndian, "prog.debug", 0xdeadbeef), false)
	f.Add(link(binary.BigEndian, "a", 1), true)
	f.Add([]byte("x\x00"), false)
	f.Fuzz(func(t *testing.T, b []byte, big bool) {
		var order binary.ByteOrder = binary.LittleEndian
		if big {
			order = binary.BigEndian
		}
		name, _, err := ParseDebugLink(b, order)
		if err == nil && (name == "" || strings.ContainsAny(name, "/\x00") || len(name)+5 > len(b)) {
			t.Errorf("ParseDebugLink(%x) = %q with no error", b, name)
		}
	})
}
