package debugger

import (
	"fmt"
	"maps"
	"os"
	"strings"

	"hwdbg/symbols"
)

// traceCode reads the program's code for a trace's resolver, which may
// run after the program has exited or exec'd: a ring is drained when its
// thread is gone, and at the trace's end. Code in a file mapped when the
// trace began is read from that file (the bytes the program runs, none of
// our breakpoints, whatever the process has become since); other code
// (anonymous mappings) from the process, our breakpoints' bytes replaced
// by the original ones.
func (d *Debugger) traceCode() func(addr uint64, b []byte) error {
	var files []symbols.Mapping
	for _, m := range d.maps() {
		if m.Executable() && strings.HasPrefix(m.Path, "/") && !strings.HasSuffix(m.Path, " (deleted)") {
			files = append(files, m)
		}
	}
	soft := maps.Clone(d.soft)
	return func(addr uint64, b []byte) error {
		for _, m := range files {
			if m.Contains(addr) && addr+uint64(len(b)) <= m.End {
				if err := readFileAt(m.Path, m.Offset+(addr-m.Start), b); err == nil {
					return nil
				}
				break
			}
		}
		if err := d.proc.ReadMemory(addr, b); err != nil {
			return err
		}
		copy(b, originalIn(soft, addr, b))
		return nil
	}
}

// readFileAt fills b from file path at offset off.
func readFileAt(path string, off uint64, b []byte) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := f.ReadAt(b, int64(off))
	if n != len(b) {
		return fmt.Errorf("read %d bytes of %s at %#x: %d read: %w", len(b), path, off, n, err)
	}
	return nil
}
