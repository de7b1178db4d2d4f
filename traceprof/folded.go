package traceprof

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
)

// WriteFolded writes the stacks as folded lines, the input of flame graph
// tools: the frames' names from the outermost caller to the accessing
// function, joined by ';', a space and the count. name names the function
// at a pc (Stack.Lookup); "" stands for the pc in hex. Stacks whose frames
// have the same names make one line; the lines are sorted, and their
// counts add up to the hits.
func (r Report) WriteFolded(w io.Writer, name func(pc uint64) string) error {
	counts := map[string]uint64{}
	var frames []string
	for _, s := range r.Stacks {
		frames = frames[:0]
		for i := len(s.PCs) - 1; i >= 0; i-- {
			frames = append(frames, foldedName(name, s.Lookup(i)))
		}
		counts[strings.Join(frames, ";")] += s.Hits
	}
	lines := make([]string, 0, len(counts))
	for l := range counts {
		lines = append(lines, l)
	}
	sort.Strings(lines)
	bw := bufio.NewWriter(w)
	for _, l := range lines {
		fmt.Fprintf(bw, "%s %d\n", l, counts[l])
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write folded stacks: %w", err)
	}
	return nil
}

// foldedName is a frame's name as a folded line can hold it: no ';' (the
// frame separator) and no line break.
func foldedName(name func(uint64) string, pc uint64) string {
	n := ""
	if name != nil {
		n = name(pc)
	}
	if n == "" {
		return fmt.Sprintf("%#x", pc)
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case ';':
			return ','
		case '\n', '\r':
			return ' '
		}
		return r
	}, n)
}
