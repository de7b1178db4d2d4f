package debuginfo

import (
	"os"
	"testing"
)

// TestBigGoBinary loads a Go binary ($HWDBG_BIG_BINARY, else the test
// program) and finds a global lazily. It checks results, not
// time; MeasureLookup is for timing.
func TestBigGoBinary(t *testing.T) {
	path := os.Getenv("HWDBG_BIG_BINARY")
	name := os.Getenv("HWDBG_BIG_GLOBAL")
	if path == "" {
		path, name = build(t, "prog.go"), "os.Args"
	}
	load, lookup, err := MeasureLookup(path, name, "main.main")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: load %v, lookup %v", path, load, lookup)
}
