package debuginfo

import (
	"debug/elf"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"hwdbg/debugfile"
	"hwdbg/internal/fixture"
)

// splitFacts is what a session asks of a program's DWARF: a function by
// name and by pc, the line of a pc, a global and its type, the locals of a
// frame, and the call frame information.
type splitFacts struct {
	entry   uint64
	funcAt  string
	file    string
	line    int
	balance uint64
	balKind Kind
	locals  string
	fdes    int
}

func factsOf(t *testing.T, in *Info) splitFacts {
	t.Helper()
	var f splitFacts
	var ok bool
	if f.entry, ok = in.LookupFunc("c"); !ok {
		t.Fatal("LookupFunc(c) failed")
	}
	// A pc in c's body (past the prologue), where its locals live.
	pc, ok := in.AfterPrologue(f.entry, f.entry+0x40)
	if !ok {
		t.Fatal("AfterPrologue(c) failed")
	}
	f.funcAt, _, _ = in.FuncAt(pc)
	f.file, f.line, _ = in.LineFor(pc)
	if v, ok := in.LookupGlobal("balance"); ok && v.Type != nil {
		f.balance, f.balKind = v.Addr, v.Type.Kind
	}
	vars, err := in.Locals(pc)
	if err != nil {
		t.Fatalf("Locals(c+%#x): %v", pc-f.entry, err)
	}
	var names []string
	for _, v := range vars {
		names = append(names, v.Name)
	}
	sort.Strings(names)
	f.locals = strings.Join(names, " ")
	c, err := in.CFI()
	if err != nil {
		t.Fatalf("CFI: %v", err)
	}
	f.fdes = c.Len()
	return f
}

// TestSeparateDebugFile strips a program of its DWARF and finds it again
// in its separate debug file, wherever a distribution would put it, and
// refuses a debug file that does not belong to it.
func TestSeparateDebugFile(t *testing.T) {
	bin := build(t, "prog.c")
	other := build(t, "prog.c", "-O1") // another build id
	const bias = 0x555555554000
	full := mustLoad(t, bin, bias)
	want := factsOf(t, full)
	if want.funcAt != "c" || want.line == 0 || want.balKind != Int || !strings.Contains(want.locals, "local_c") || want.fdes == 0 {
		t.Fatalf("the unstripped program's own facts are wrong: %+v", want)
	}

	for _, tc := range []struct {
		name string
		link bool // add a .gnu_debuglink to the stripped program
		// place moves the debug file where the case wants it; gdir is a
		// global debug directory, id the program's build id in hex.
		place func(t *testing.T, debug, dir, gdir, id string)
		dirs  func(gdir string) string // HWDBG_DEBUG_FILE_DIRECTORY
		found bool
	}{
		{name: "debuglink beside the program", link: true, found: true},
		{name: "debuglink in .debug", link: true, found: true,
			place: func(t *testing.T, debug, dir, gdir, id string) {
				move(t, debug, filepath.Join(dir, ".debug", filepath.Base(debug)))
			}},
		{name: "debuglink under the debug directory", link: true, found: true,
			place: func(t *testing.T, debug, dir, gdir, id string) {
				move(t, debug, filepath.Join(gdir, dir, filepath.Base(debug)))
			}},
		{name: "build id under the debug directory", found: true,
			place: func(t *testing.T, debug, dir, gdir, id string) {
				move(t, debug, filepath.Join(gdir, ".build-id", id[:2], id[2:]+".debug"))
			}},
		{name: "build id in the second debug directory", found: true,
			place: func(t *testing.T, debug, dir, gdir, id string) {
				move(t, debug, filepath.Join(gdir, "b", ".build-id", id[:2], id[2:]+".debug"))
			},
			dirs: func(gdir string) string { return filepath.Join(gdir, "a") + "::" + filepath.Join(gdir, "b") }},
		{name: "build id, but no debug directory listed",
			place: func(t *testing.T, debug, dir, gdir, id string) {
				move(t, debug, filepath.Join(gdir, ".build-id", id[:2], id[2:]+".debug"))
			},
			dirs: func(string) string { return "" }},
		{name: "debuglink whose CRC does not match", link: true,
			place: func(t *testing.T, debug, dir, gdir, id string) {
				// Still a valid ELF file, with all its DWARF: only the CRC tells.
				f, err := os.OpenFile(debug, os.O_APPEND|os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				f.Write([]byte{0})
				f.Close()
			}},
		{name: "build id path holding another program's debug file",
			place: func(t *testing.T, debug, dir, gdir, id string) {
				_, od := fixture.SplitDebug(t, other, t.TempDir(), "other", false)
				move(t, od, filepath.Join(gdir, ".build-id", id[:2], id[2:]+".debug"))
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, gdir := t.TempDir(), t.TempDir()
			stripped, debug := fixture.SplitDebug(t, bin, dir, "prog", tc.link)
			if f, err := elf.Open(stripped); err != nil {
				t.Fatal(err)
			} else {
				hasInfo := f.Section(".debug_info") != nil
				_, symErr := f.Symbols()
				f.Close()
				if hasInfo || !errors.Is(symErr, elf.ErrNoSymbols) {
					t.Fatalf("%s still has .debug_info or .symtab", stripped)
				}
			}
			id := buildIDOf(t, stripped)
			if tc.place != nil {
				tc.place(t, debug, dir, gdir, id)
			}
			dirs := gdir
			if tc.dirs != nil {
				dirs = tc.dirs(gdir)
			}
			t.Setenv(debugfile.EnvDirs, dirs)

			in, err := Load(stripped, bias)
			if !tc.found {
				if !errors.Is(err, ErrNoDWARF) {
					t.Fatalf("Load(stripped) = %v, want ErrNoDWARF: the debug file is not this program's", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load(stripped): %v", err)
			}
			defer in.Close()
			if in.DebugFile() == "" || in.Path() != stripped {
				t.Errorf("DebugFile() = %q, Path() = %q: want the debug file for %s", in.DebugFile(), in.Path(), stripped)
			}
			if got := factsOf(t, in); got != want {
				t.Errorf("through the debug file:\n got %+v\nwant %+v", got, want)
			}
			// The same through the debugger's path for a library: the
			// line section read at once.
			in2, err := LoadWith(stripped, bias, Options{DebugDirs: debugfile.Dirs(), Lines: true})
			if err != nil {
				t.Fatalf("LoadWith(stripped, Lines): %v", err)
			}
			defer in2.Close()
			if got := factsOf(t, in2); got != want {
				t.Errorf("through the debug file, lines read at once:\n got %+v\nwant %+v", got, want)
			}
			c, err := LoadCFI(stripped, bias)
			if err != nil || c.Len() != want.fdes {
				t.Errorf("LoadCFI(stripped) = %d FDEs, %v; want the object's own %d", c.Len(), err, want.fdes)
			}
		})
	}
}

func move(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}

func buildIDOf(t *testing.T, path string) string {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	id, err := debugfile.BuildID(f)
	if err != nil {
		t.Fatalf("%s: %v (the toolchain must link with --build-id)", path, err)
	}
	return hex.EncodeToString(id)
}
