package debuginfo

import (
	"fmt"
	"time"
)

// MeasureLookup loads path's DWARF and looks up each of names, reporting
// how long the load and the lookups took (for "make bench": a ratio
// against a floor measured in the same run, not a pass/fail test). Each
// lookup tries a global variable, then a function.
func MeasureLookup(path string, names ...string) (load, lookup time.Duration, err error) {
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
