package debugger

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Source text for list: where a frame, a function or FILE:LINE is, and the
// lines of a source file, read once each.

// SourcePos is a line of a source file.
type SourcePos struct {
	Path string // as the line table names the file
	Line int
}

// File is the file's base name.
func (p SourcePos) File() string { return filepath.Base(p.Path) }

// maxSourceFiles bounds the source files kept in memory.
const maxSourceFiles = 64

// FrameSource is where the selected frame is in the source.
func (d *Debugger) FrameSource() (SourcePos, error) {
	if d.proc.Exited() {
		return SourcePos{}, ErrExited
	}
	if d.dwarf == nil {
		return SourcePos{}, errNoLines
	}
	var pos SourcePos
	var err error
	d.proc.Do(func() {
		f, e := d.selectedUnwound()
		if e != nil {
			err = e
			return
		}
		var ok bool
		if pos.Path, pos.Line, ok = d.dwarf.LinePathFor(f.LookupPC()); !ok {
			err = fmt.Errorf("no source line at %#x (%s): list FUNC or list FILE:LINE", f.PC, d.location(f.LookupPC()).Describe())
		}
	})
	return pos, err
}

var errNoLines = fmt.Errorf("no source lines: the program has no debug information (DWARF)")

// FuncSource is the line a function starts at.
func (d *Debugger) FuncSource(name string) (SourcePos, error) {
	if d.dwarf == nil {
		return SourcePos{}, errNoLines
	}
	entry, ok := d.dwarf.LookupFunc(name)
	if !ok {
		if s, found := d.lookup(name); found {
			entry, ok = s.Addr, true
		}
	}
	if !ok {
		return SourcePos{}, fmt.Errorf("function %q not defined%s", name, d.closest(name))
	}
	path, line, ok := d.dwarf.LinePathFor(entry)
	if !ok {
		return SourcePos{}, fmt.Errorf("%s has no source lines (no line information at %#x)", name, entry)
	}
	if decl, ok := d.dwarf.FuncDeclLine(entry); ok && decl <= line {
		line = decl // the declaration's line, where gdb centers list FUNC
	}
	return SourcePos{Path: path, Line: line}, nil
}

// closest is " (did you mean a, b?)" for a name not found, or "".
func (d *Debugger) closest(name string) string {
	if d.symtab() == nil {
		return ""
	}
	if c := d.syms.Closest(name, 3); len(c) > 0 {
		return " (did you mean " + strings.Join(c, ", ") + "?)"
	}
	return ""
}

// FileSource finds FILE (a base name or a path's tail) among the
// program's source files.
func (d *Debugger) FileSource(file string, line int) (SourcePos, error) {
	if d.dwarf == nil {
		return SourcePos{}, errNoLines
	}
	if pcs, err := d.dwarf.PCsFor(file, line); err == nil && len(pcs) > 0 {
		if path, _, ok := d.dwarf.LinePathFor(pcs[0]); ok && filepath.Base(path) == filepath.Base(file) {
			return SourcePos{Path: path, Line: line}, nil
		}
	}
	var found []string
	for _, f := range d.dwarf.SourceFiles() {
		if f == file || filepath.Base(f) == file || strings.HasSuffix(f, "/"+strings.TrimPrefix(file, "/")) {
			found = append(found, f)
		}
	}
	if len(found) == 0 {
		return SourcePos{}, fmt.Errorf("no source file named %s in the program's debug information", file)
	}
	return SourcePos{Path: found[0], Line: line}, nil
}

// SourceLines reads lines from..to (from 1, inclusive) of the file at
// path; it gives the lines there are in that range and the number of
// lines in the file.
func (d *Debugger) SourceLines(path string, from, to int) ([]string, int, error) {
	lines, err := d.sourceFile(path)
	if err != nil {
		return nil, 0, err
	}
	from = max(from, 1)
	to = min(to, len(lines))
	if from > to {
		return nil, len(lines), nil
	}
	return lines[from-1 : to], len(lines), nil
}

// sourceFile is the lines of the file at path, read once.
func (d *Debugger) sourceFile(path string) ([]string, error) {
	if lines, ok := d.sources[path]; ok {
		return lines, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the source file %s: %w", path, unwrapPath(err))
	}
	text := string(bytes.TrimSuffix(b, []byte("\n")))
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	if d.sources == nil || len(d.sources) >= maxSourceFiles {
		d.sources = map[string][]string{}
	}
	d.sources[path] = lines
	return lines, nil
}

// unwrapPath drops the path an os error repeats.
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
