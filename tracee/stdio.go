package tracee

import (
	"fmt"
	"os"
)

// Stdio is where a launched program's standard input, output and error
// are. A nil In is /dev/null; a nil Out or Err is ours (hwdbg's standard
// output or error).
type Stdio struct {
	In, Out, Err *os.File
}

// files is the program's descriptors 0, 1 and 2, and a function that
// closes the /dev/null opened for a nil In once the program has it.
func (s Stdio) files() ([]*os.File, func(), error) {
	in, out, errOut := s.In, s.Out, s.Err
	closeNull := func() {}
	if in == nil {
		null, err := os.Open(os.DevNull)
		if err != nil {
			return nil, nil, fmt.Errorf("open %s for the program's input: %w", os.DevNull, err)
		}
		in, closeNull = null, func() { null.Close() }
	}
	if out == nil {
		out = os.Stdout
	}
	if errOut == nil {
		errOut = os.Stderr
	}
	return []*os.File{in, out, errOut}, closeNull, nil
}
