package debuginfo

import (
	"fmt"
	"os"
	"testing"
	"time"
)

// TestBigGoBinary loads a Go binary ($HWDBG_BIG_BINARY, else the test
// program) and finds a global lazily. It checks results, not time: the
// times are logged.
func TestBigGoBinary(t *testing.T) {
	path := os.Getenv("HWDBG_BIG_BINARY")
	name := os.Getenv("HWDBG_BIG_GLOBAL")
	if path == "" {
		path, name = build(t, "prog.go"), "os.Args"
	}
	load, lookup, err := measureLookup(path, name, "main.main")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: load %v, lookup %v", path, load, lookup)
}

// measureLookup loads path's DWARF and looks up each of names, reporting
// how long the load and the lookups took. Each lookup tries a global
// variable, then a function.
func measureLookup(path string, names ...string) (load, lookup time.Duration, err error) {
	t0 := time.Now()
	in, err := Load(path, 0)
	if err != nil {
		return 0, 0, err
	}
	defer in.Close()
	t1 := time.Now()
	for _, n := range names {
		if _, ok := in.LookupGlobal(n); ok {
			continue
		}
		if _, ok := in.LookupFunc(n); !ok {
			return 0, 0, fmt.Errorf("debuginfo: %s: no global or function %q", path, n)
		}
	}
	return t1.Sub(t0), time.Since(t1), nil
}
