package debuginfo

import (
	"debug/dwarf"
	"debug/elf"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	"hwdbg/arch"
	"hwdbg/debugfile"
)

// Load reads the DWARF of the ELF file at path. bias is added to every
// address (0 for a non-PIE executable). When the file has no DWARF of its
// own, its separate debug file (found by build id or .gnu_debuglink in the
// directories debugfile.Dirs lists) is read instead: it describes the same
// link-time addresses, so the bias is the same. A file without DWARF
// anywhere gives (nil, ErrNoDWARF). Malformed input is an error, never a
// panic.
func Load(path string, bias uint64) (*Info, error) {
	return LoadWith(path, bias, Options{DebugDirs: debugfile.Dirs()})
}

// Options tune LoadWith.
type Options struct {
	// DebugDirs are the global debug directories searched for a separate
	// debug file (Load: debugfile.Dirs()). With none, only the object's
	// .gnu_debuglink is followed, in the object's own directory.
	DebugDirs []string
	// Lines reads the line tables' section at once, for an object opened
	// because a line is needed in it: that saves reading the unit
	// headers a second time at the first line query, which Load defers
	// because a session may never ask for a line.
	Lines bool
}

// LoadWith is Load with options.
func LoadWith(path string, bias uint64, o Options) (in *Info, err error) {
	var f, df *elf.File
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true)) // see Info.lock
	defer func() {
		if r := recover(); r != nil {
			in, err = nil, fmt.Errorf("debuginfo: read %s: malformed file (%v)", path, r)
		}
		if err != nil {
			if df != nil && df != f {
				df.Close()
			}
			if f != nil {
				f.Close()
			}
		}
	}()
	f, err = elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("debuginfo: read %s: %w", path, err)
	}
	df, dpath := f, ""
	if !hasDWARF(f) {
		df, dpath, err = debugfile.Open(path, f, o.DebugDirs)
		if err != nil {
			return nil, fmt.Errorf("debuginfo: %w", err)
		}
		if df == nil || !hasDWARF(df) {
			return nil, ErrNoDWARF
		}
	}
	return load(f, df, path, dpath, bias, o.Lines)
}

// hasDWARF tells whether f holds DWARF (a .debug_info with contents).
func hasDWARF(f *elf.File) bool {
	s := sectionOf(f, ".debug_info")
	return s != nil && s.Type != elf.SHT_NOBITS
}

// load reads the DWARF in df, the object f itself or its debug file at
// dpath; with lines, .debug_line too.
func load(f, df *elf.File, path, dpath string, bias uint64, lines bool) (_ *Info, err error) {
	in := &Info{path: path, bias: bias, f: f, df: df, dpath: dpath, order: f.ByteOrder, raw: map[string][]byte{},
		small: map[string][]byte{}, mapOffs: map[string]uint64{}, names: map[string][]nameRef{}, types: map[dwarf.Offset]*Type{}, conv: map[dwarf.Type]*Type{}}
	in.regs = arch.DWARFRegsOf(f.Machine)
	if in.regs != nil {
		in.arch = in.regs.Machine
	} else {
		in.arch = strings.ToLower(strings.TrimPrefix(f.Machine.String(), "EM_"))
	}
	in.ptrSize = 8
	if f.Class == elf.ELFCLASS32 {
		in.ptrSize = 4
	}
	if !hasDWARF(df) {
		return nil, ErrNoDWARF
	}
	in.mapFile()
	defer func() {
		if r := recover(); r != nil {
			in.unmap()
			panic(r) // LoadWith reports it
		}
		if err != nil {
			in.unmap()
		}
	}()
	want := []string{".debug_info", ".debug_abbrev", ".debug_str", ".debug_ranges", ".debug_addr", ".debug_str_offsets", ".debug_line_str"}
	if lines {
		want = append(want, ".debug_line")
	}
	in.prefetch(want)
	info, err := in.section(".debug_info")
	if err != nil {
		return nil, err
	}
	abbrev, err := in.section(".debug_abbrev")
	if err != nil {
		return nil, err
	}
	for _, name := range []string{".debug_str", ".debug_ranges", ".debug_addr", ".debug_str_offsets", ".debug_line_str"} {
		if b, err := in.section(name); err == nil {
			in.small[name] = b
		} else if !errors.Is(err, errNoSection) {
			return nil, err
		}
	}
	var line []byte
	if lines {
		if line, err = in.section(".debug_line"); err != nil && !errors.Is(err, errNoSection) {
			return nil, err
		}
	}
	in.d, err = in.newData(abbrev, info, line)
	if line != nil {
		in.dl = in.d // lineData has nothing left to do
	}
	if err != nil {
		return nil, fmt.Errorf("debuginfo: read %s: %w", path, err)
	}
	if err := in.readUnits(info); err != nil {
		return nil, fmt.Errorf("debuginfo: read %s: %w", path, err)
	}
	// Reading the unit headers brought in a page of every unit, and the
	// kernel maps the pages around each (fault-around): most of a big
	// .debug_info. None of it is needed until a name is looked up.
	in.release(".debug_info", 0, uint64(len(info)))
	return in, nil
}

func (in *Info) newData(abbrev, info, line []byte) (*dwarf.Data, error) {
	d, err := dwarf.New(abbrev, nil, nil, info, line, nil, in.small[".debug_ranges"], in.small[".debug_str"])
	if err != nil {
		return nil, err
	}
	for _, name := range []string{".debug_addr", ".debug_str_offsets", ".debug_line_str"} {
		if b := in.small[name]; b != nil {
			d.AddSection(name, b)
		}
	}
	return d, nil
}
