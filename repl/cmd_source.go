package repl

import (
	"fmt"

	"hwdbg/debugger"
)

// list, and echo.

// listLines is how many lines list shows at a time, as gdb does.
const listLines = 10

// listState is where list is: the file and lines it showed last, and the
// frame position it started from (a new stop or frame lists around its
// line again).
type listState struct {
	path        string
	first, last int
	anchor      debugger.SourcePos
}

func (s *Session) list(cmd Command) (Result, error) {
	arg, err := parseListArg(cmd.Rest)
	if err != nil {
		return nil, err
	}
	st := &s.listing
	var path string
	var from, to int
	switch arg.kind {
	case 0:
		pos, err := s.d.FrameSource()
		switch {
		case err == nil && (st.path == "" || pos != st.anchor):
			st.anchor = pos
			path, from = pos.Path, centered(pos.Line)
		case st.path != "":
			path, from = st.path, st.last+1
		default:
			return nil, err
		}
		to = from + listLines - 1
	case '-':
		if st.path == "" {
			return nil, fmt.Errorf("nothing listed yet: list first shows the lines around the selected frame")
		}
		if st.first <= 1 {
			return nil, fmt.Errorf("already at the start of %s", baseName(st.path))
		}
		path, to = st.path, st.first-1
		from = max(1, to-listLines+1)
	case 'f':
		pos, err := s.d.FuncSource(arg.name)
		if err != nil {
			return nil, err
		}
		path, from = pos.Path, centered(pos.Line)
		to = from + listLines - 1
	case 'l', 'r':
		if path, err = s.listFile(arg.name, arg.from); err != nil {
			return nil, err
		}
		from, to = centered(arg.from), centered(arg.from)+listLines-1
		if arg.kind == 'r' {
			from, to = arg.from, arg.to
		}
	}
	lines, total, err := s.d.SourceLines(path, from, to)
	if err != nil {
		return nil, err
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("line number %d out of range; %s has %d lines", from, baseName(path), total)
	}
	res := listed{Path: path}
	for i, l := range lines {
		res.Lines = append(res.Lines, srcLine{N: from + i, Text: l})
	}
	st.path, st.first, st.last = path, from, from+len(lines)-1
	return res, nil
}

// centered is the first line of a listing centered on line, as gdb
// centers it: five lines before.
func centered(line int) int { return max(1, line-listLines/2) }

// listFile is the file of list LINE (the one listed last, else the
// selected frame's) or list FILE:LINE.
func (s *Session) listFile(file string, line int) (string, error) {
	if file != "" {
		pos, err := s.d.FileSource(file, line)
		return pos.Path, err
	}
	if s.listing.path != "" {
		return s.listing.path, nil
	}
	pos, err := s.d.FrameSource()
	return pos.Path, err
}

func (s *Session) echo(cmd Command) (Result, error) {
	return echoed{Text: unescapeEcho(cmd.Rest)}, nil
}
