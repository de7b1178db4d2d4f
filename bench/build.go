package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// bins are the programs the bench builds (into a temporary directory, or
// the one -dir names) and runs.
type bins struct {
	dir     string // the programs
	scratch string // the scripts and generated sources of this run
	hwdbg   string
	hot     string // testdata/hot.c: writes a global N times
	calls   string // floor/calls.c: calls a function N times
	gocalls string // floor/gocalls: the same, in Go
	floor   string // floor/floor.c: the watchpoint floor
	int3    string // floor/int3.c: the breakpoint floor
	ring    string // floor/ring.c: the non-stop tracing floor
	sigtrap string // floor/sigtrap.c: the in-kernel filtering floor
	big     string // cmd/compile, for start-up
}

// build builds hwdbg, the workloads and the floors into dir; with
// prebuilt it builds nothing and checks that an earlier build left every
// program there (scripts/bench builds them natively, then runs the rows
// that need traps in an emulated kernel, where a build would take
// minutes).
func build(dir string, prebuilt bool) (*bins, error) {
	b := &bins{
		dir:     dir,
		hwdbg:   filepath.Join(dir, "hwdbg"),
		hot:     filepath.Join(dir, "hot"),
		calls:   filepath.Join(dir, "calls"),
		gocalls: filepath.Join(dir, "gocalls"),
		floor:   filepath.Join(dir, "floor"),
		int3:    filepath.Join(dir, "int3"),
		ring:    filepath.Join(dir, "ring"),
		sigtrap: filepath.Join(dir, "sigtrap"),
		big:     filepath.Join(dir, "compile"),
	}
	// The workloads are not position-independent: the floors take
	// addresses from nm.
	steps := [][]string{
		{"gcc", "-g", "-O0", "-no-pie", "-o", b.hot, "testdata/hot.c"},
		{"gcc", "-g", "-O0", "-no-pie", "-o", b.calls, "bench/floor/calls.c"},
		{"gcc", "-O2", "-o", b.floor, "bench/floor/floor.c"},
		{"gcc", "-O2", "-o", b.int3, "bench/floor/int3.c"},
		{"gcc", "-O2", "-o", b.ring, "bench/floor/ring.c"},
		{"gcc", "-O2", "-o", b.sigtrap, "bench/floor/sigtrap.c"},
		{"go", "build", "-o", b.hwdbg, "./cmd/hwdbg"},
		{"go", "build", "-o", b.gocalls, "./bench/floor/gocalls"},
		{"go", "build", "-o", b.big, "cmd/compile"},
	}
	for _, s := range steps {
		if prebuilt {
			out := s[slices.Index(s, "-o")+1]
			if _, err := os.Stat(out); err != nil {
				return nil, fmt.Errorf("-prebuilt: %v (build the programs first: bench -dir %s)", err, dir)
			}
			continue
		}
		if out, err := exec.Command(s[0], s[1:]...).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("%s: %v\n%s", strings.Join(s, " "), err, out)
		}
	}
	return b, nil
}

// notMeasurable is what a row that needs debug-register traps says on a
// machine that does not deliver them.
const notMeasurable = "not measurable here: debug-register traps are not delivered (hwdbg doctor)"

// traps asks the hwdbg just built whether this machine delivers
// debug-register traps: `hwdbg doctor --json`, traps.delivered. It
// returns that, and in a few words what the probe saw. The doctor exits
// 1 when anything is unusable (perf, BPF too), so its exit status is not
// the answer: its report is. No report is an error.
func (b *bins) traps() (bool, string, error) {
	c := exec.Command(b.hwdbg, "doctor", "--json")
	var out, stderr strings.Builder
	c.Stdout, c.Stderr = &out, &stderr
	runErr := c.Run()
	var r struct {
		Traps struct {
			Delivered *bool  `json:"delivered"`
			Seen      int    `json:"seen"`
			Expected  int    `json:"expected"`
			Simulated bool   `json:"simulated"`
			Error     string `json:"error"`
		} `json:"traps"`
	}
	if err := json.Unmarshal([]byte(out.String()), &r); err != nil || r.Traps.Delivered == nil {
		return false, "", fmt.Errorf("%s doctor --json gave no report of traps (%v; %v)\n%s%s", b.hwdbg, runErr, err, out.String(), stderr.String())
	}
	if r.Traps.Error != "" {
		return false, "", fmt.Errorf("%s doctor --json: the trap probe failed: %s", b.hwdbg, r.Traps.Error)
	}
	seen := fmt.Sprintf("%d of %d traps seen", r.Traps.Seen, r.Traps.Expected)
	if r.Traps.Simulated {
		seen += ", simulated: HWDBG_SIMULATE_NO_TRAPS=1"
	}
	return *r.Traps.Delivered, seen, nil
}
