package symbols

import (
	"reflect"
	"strings"
	"testing"
)

const sampleMaps = `55d0c8a00000-55d0c8a01000 r--p 00000000 fe:00 9978983                    /tmp/bank
55d0c8a01000-55d0c8a02000 r-xp 00001000 fe:00 9978983                    /tmp/bank
55d0c8a04000-55d0c8a05000 rw-p 00003000 fe:00 9978983                    /tmp/my dir/bank (deleted)
55d0c9e3e000-55d0c9e5f000 rw-p 00000000 00:00 0                          [heap]
7f1c2a000000-7f1c2a021000 rw-p 00000000 00:00 0 
7f1c2a400000-7f1c2a428000 r--p 00000000 103:02 1835223                   /usr/lib/x86_64-linux-gnu/libc.so.6
7ffd1b9e0000-7ffd1ba01000 rw-p 00000000 00:00 0                          [stack]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
`

func TestParseMaps(t *testing.T) {
	got, err := ParseMaps(sampleMaps)
	if err != nil {
		t.Fatal(err)
	}
	want := []Mapping{
		{0x55d0c8a00000, 0x55d0c8a01000, "r--p", 0, 0xfe, 0, 9978983, "/tmp/bank"},
		{0x55d0c8a01000, 0x55d0c8a02000, "r-xp", 0x1000, 0xfe, 0, 9978983, "/tmp/bank"},
		{0x55d0c8a04000, 0x55d0c8a05000, "rw-p", 0x3000, 0xfe, 0, 9978983, "/tmp/my dir/bank (deleted)"},
		{0x55d0c9e3e000, 0x55d0c9e5f000, "rw-p", 0, 0, 0, 0, "[heap]"},
		{0x7f1c2a000000, 0x7f1c2a021000, "rw-p", 0, 0, 0, 0, ""},
		{0x7f1c2a400000, 0x7f1c2a428000, "r--p", 0, 0x103, 2, 1835223, "/usr/lib/x86_64-linux-gnu/libc.so.6"},
		{0x7ffd1b9e0000, 0x7ffd1ba01000, "rw-p", 0, 0, 0, 0, "[stack]"},
		{0xffffffffff600000, 0xffffffffff601000, "--xp", 0, 0, 0, 0, "[vsyscall]"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseMaps:\n got %+v\nwant %+v", got, want)
	}
	if m := got[1]; !m.Readable() || m.Writable() || !m.Executable() || !m.Contains(0x55d0c8a01000) || m.Contains(0x55d0c8a02000) {
		t.Errorf("permission or range helpers wrong for %v", m)
	}
	if s := got[0].String(); s != "55d0c8a00000-55d0c8a01000 r--p 00000000 fe:00 9978983 /tmp/bank" {
		t.Errorf("String = %q", s)
	}

	bad := []struct{ text, why string }{
		{"55d0c8a00000 r--p 00000000 fe:00 1 /x", "bad address range"},
		{"zz-55d0c8a01000 r--p 00000000 fe:00 1 /x", "bad start address"},
		{"1000-zz r--p 00000000 fe:00 1 /x", "bad end address"},
		{"2000-1000 r--p 00000000 fe:00 1 /x", "end address below start"},
		{"1000-2000 rw 00000000 fe:00 1 /x", "bad permissions"},
		{"1000-2000 rwxq 00000000 fe:00 1 /x", "bad permissions"},
		{"1000-2000 rwxp 0000g000 fe:00 1 /x", "bad offset"},
		{"1000-2000 rwxp 00000000 fe00 1 /x", "bad device"},
		{"1000-2000 rwxp 00000000 fe:zz 1 /x", "bad device"},
		{"1000-2000 rwxp 00000000 fe:00 -1 /x", "bad inode"},
		{"1000-2000 rwxp 00000000 fe:00", "want at least 5 fields"},
		{"10000000000000000-10000000000000001 rwxp 00000000 fe:00 1", "bad start address"},
	}
	for _, tc := range bad {
		text := "1000-2000 r--p 00000000 00:00 0\n" + tc.text + "\n"
		_, err := ParseMaps(text)
		if err == nil {
			t.Errorf("ParseMaps(%q): no error", tc.text)
			continue
		}
		if !strings.Contains(err.Error(), "symbols: maps line 2: "+tc.why) {
			t.Errorf("ParseMaps(%q) error = %q, want line 2 and %q", tc.text, err, tc.why)
		}
	}
	if got, err := ParseMaps("\n\n"); err != nil || len(got) != 0 {
		t.Errorf("ParseMaps of blank lines = %v, %v", got, err)
	}
}

func TestDev(t *testing.T) {
	// makedev(259, 2) and makedev(0xfe, 0) as glibc encodes them.
	for _, tc := range []struct {
		dev        uint64
		maj, minor uint32
	}{{0x10302, 259, 2}, {0xfe00, 0xfe, 0}, {0x0000100000000000 | 0x12345, 0x1000 | 0x123, 0x45}} {
		if a, b := devMajor(tc.dev), devMinor(tc.dev); a != tc.maj || b != tc.minor {
			t.Errorf("dev %#x = %d:%d, want %d:%d", tc.dev, a, b, tc.maj, tc.minor)
		}
	}
}

// FuzzParseMaps checks that ParseMaps never panics, that what it accepts is
// sane, and that formatting an accepted mapping and parsing it again gives
// the same mapping.
func FuzzParseMaps(f *testing.F) {
	f.Add(sampleMaps)
	f.Add("")
	f.Add("1000-2000 r--p 00000000 00:00 0")
	f.Add("1000-2000 r--p 00000000 00:00 0 \t /path with  spaces \n")
	f.Add("ffffffffffffffff-ffffffffffffffff ---s ffffffffffffffff ffffffff:ffffffff 18446744073709551615 x")
	f.Fuzz(func(t *testing.T, text string) {
		maps, err := ParseMaps(text)
		if err != nil {
			if maps != nil {
				t.Fatalf("mappings returned with error %v", err)
			}
			return
		}
		for _, m := range maps {
			if m.End < m.Start || len(m.Perms) != 4 || strings.ContainsAny(m.Path, "\n") {
				t.Fatalf("insane mapping %+v", m)
			}
			again, err := ParseMaps(m.String())
			if err != nil || len(again) != 1 || again[0] != m {
				t.Fatalf("round trip of %+v: %+v, %v", m, again, err)
			}
		}
	})
}
