package symbols

import (
	"debug/elf"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"hwdbg/debugfile"
	"hwdbg/internal/fixture"
)

// TestStrippedTakesDebugFileSymtab strips a program of its .symtab and
// finds its functions and file statics again in its separate debug file,
// at the same addresses, in the object's own sections.
func TestStrippedTakesDebugFileSymtab(t *testing.T) {
	bin := build(t, "bank", "-g", "-pie", "-fPIE")
	const bias = 0x555555554000
	full, err := Load(bin, bias)
	if err != nil {
		t.Fatal(err)
	}
	// withdraw and counter are in no .dynsym: only the .symtab has them.
	names := []string{"withdraw", "counter", "balance", "main"}

	for _, tc := range []struct {
		name  string
		link  bool
		place func(t *testing.T, debug, gdir, id string)
		found bool
	}{
		{name: "debuglink beside the program", link: true, found: true},
		{name: "build id under the debug directory", found: true,
			place: func(t *testing.T, debug, gdir, id string) {
				rename(t, debug, filepath.Join(gdir, ".build-id", id[:2], id[2:]+".debug"))
			}},
		{name: "debuglink whose CRC does not match", link: true,
			place: func(t *testing.T, debug, gdir, id string) {
				f, err := os.OpenFile(debug, os.O_APPEND|os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				f.Write([]byte("x"))
				f.Close()
			}},
		{name: "no debug file", link: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, gdir := t.TempDir(), t.TempDir()
			stripped, debug := fixture.SplitDebug(t, bin, dir, "bank", tc.link)
			f, err := elf.Open(stripped)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			id, err := debugfile.BuildID(f)
			if err != nil {
				t.Fatalf("%s: %v", stripped, err)
			}
			if tc.place != nil {
				tc.place(t, debug, gdir, hex.EncodeToString(id))
			}
			tab, err := LoadFrom(stripped, bias, []string{gdir})
			if err != nil {
				t.Fatalf("LoadFrom(stripped): %v", err)
			}
			for _, name := range names {
				got, ok := tab.Lookup(name)
				if !tc.found {
					if ok && got.Name == name && name != "main" {
						t.Errorf("Lookup(%q) = %+v: found without its debug file", name, got)
					}
					continue
				}
				want, _ := full.Lookup(name)
				if !ok {
					t.Errorf("Lookup(%q) failed", name)
					continue
				}
				if got.File != stripped {
					t.Errorf("Lookup(%q).File = %q, want the object %s", name, got.File, stripped)
				}
				got.File, want.File = "", ""
				wantSect := sectionName(t, bin, want.sect)
				if gs := sectionName(t, stripped, got.sect); gs != wantSect {
					t.Errorf("Lookup(%q) is in section %q of the stripped object, want %q", name, gs, wantSect)
				}
				got.sect, want.sect = 0, 0
				if got != want {
					t.Errorf("Lookup(%q) = %+v, want %+v", name, got, want)
				}
			}
			if !tc.found {
				return
			}
			w, _ := tab.Lookup("withdraw")
			if s, ok := tab.At(w.Addr + 5); !ok || Describe(s, w.Addr+5) != "withdraw+5" {
				t.Errorf("At(withdraw+5) = %+v, %v", s, ok)
			}
		})
	}
}

func rename(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}

func sectionName(t *testing.T, path string, idx uint16) string {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if int(idx) >= len(f.Sections) || idx == 0 {
		return ""
	}
	return f.Sections[idx].Name
}
