package main

import (
	"debug/elf"
	"encoding/hex"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"hwdbg/debugfile"
	"hwdbg/internal/fixture"
)

// sharedLibc is the libc the dynamically linked program bin loads, as the
// dynamic loader resolves it (ldd), or "" with the reason when bin is
// static (the arm64 test VM links every fixture statically).
func sharedLibc(t *testing.T, bin string) (path, why string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	interp := false
	for _, p := range f.Progs {
		interp = interp || p.Type == elf.PT_INTERP
	}
	f.Close()
	if !interp {
		return "", fmt.Sprintf("%s is linked statically here (no shared libc whose debug file to read)", filepath.Base(bin))
	}
	out, err := exec.Command("ldd", bin).CombinedOutput()
	if err != nil {
		t.Fatalf("ldd %s: %v\n%s", bin, err, out)
	}
	m := regexp.MustCompile(`(?m)^\s*libc\.so\.\S+ => (\S+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("ldd %s names no libc:\n%s", bin, out)
	}
	return string(m[1]), ""
}

// libcDebugFile is the separate debug file of libc (libc6-dbg's, found by
// build id), or a failure that says how to install it: make deps does.
func libcDebugFile(t *testing.T, libc string) string {
	t.Helper()
	f, err := elf.Open(libc)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	id, err := debugfile.BuildID(f)
	if err != nil {
		t.Fatalf("%s: %v", libc, err)
	}
	if p := debugfile.Find(libc, f, debugfile.Dirs()); p != "" {
		return p
	}
	h := hex.EncodeToString(id)
	t.Fatalf("the debug file of %s (build id %s) is not installed: no %s/.build-id/%s/%s.debug. "+
		"Install libc's detached debug information (Debian: apt-get install libc6-dbg; `make deps` does it)",
		libc, h, strings.Join(debugfile.Dirs(), ":"), h[:2], h[2:])
	return ""
}

// TestLibcFramesFromDebugFile: with libc's separate debug file installed,
// a watch hit inside libc and the backtrace through it name libc's
// functions and their file:line; with no debug directory
// (HWDBG_DEBUG_FILE_DIRECTORY empty), the same session has no lines there.
func TestLibcFramesFromDebugFile(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "fmt", fixture.PIE)
	libc, why := sharedLibc(t, bin)
	if libc == "" {
		t.Skip(why)
	}
	dbg := libcDebugFile(t, libc)
	t.Logf("libc %s, debug file %s", libc, dbg)

	const script = "start\nwatch -w buf\ncontinue\nbacktrace\n"
	// libcFrames are the hit and the frames above main (all in libc:
	// snprintf and what it calls).
	libcFrames := func(r result) (hit map[string]any, frames []map[string]any) {
		t.Helper()
		hits := r.byEvent("watchpoint")
		bts := r.results("backtrace")
		if len(hits) != 1 || len(bts) != 1 {
			t.Fatalf("want one watch hit and one backtrace\n%s", r)
		}
		for _, f := range bts[0]["frames"].([]any) {
			fr := f.(map[string]any)
			if fr["func"] == "main" {
				return hits[0], frames
			}
			frames = append(frames, fr)
		}
		t.Fatalf("no main in the backtrace\n%s", r)
		return nil, nil
	}
	hasLine := func(m map[string]any) bool {
		file, _ := m["file"].(string)
		line, _ := m["line"].(float64)
		fn, _ := m["func"].(string)
		return fn != "" && strings.HasSuffix(file, ".c") && line > 0
	}

	r := hwdbg(t, script, bin)
	hit, frames := libcFrames(r)
	if !hasLine(hit) {
		t.Errorf("the watch hit inside libc has no function or file:line: %v", hit)
	}
	if len(frames) == 0 {
		t.Fatalf("no libc frame above main\n%s", r)
	}
	sawSnprintf := false
	for i, f := range frames {
		if !hasLine(f) {
			t.Errorf("libc frame #%d has no function or file:line: %v", i, f)
		}
		sawSnprintf = sawSnprintf || f["func"] == "snprintf" && f["file"] == "snprintf.c"
	}
	if !sawSnprintf {
		t.Errorf("no frame snprintf at snprintf.c:LINE above main\n%s", r)
	}

	// Without a debug directory, libc has only its exported names.
	t.Setenv(debugfile.EnvDirs, "")
	r = hwdbg(t, script, bin)
	hit, frames = libcFrames(r)
	if hasLine(hit) {
		t.Errorf("with no debug directory, the hit inside libc still has a line: %v", hit)
	}
	for i, f := range frames {
		if hasLine(f) {
			t.Errorf("with no debug directory, libc frame #%d still has a line: %v", i, f)
		}
	}
}
