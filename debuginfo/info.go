// Package debuginfo turns the DWARF of a traced program (and of the shared
// objects it loads) into what a debugger needs: globals and locals with
// their addresses and types, values formatted by type, pc <-> file:line,
// the function at a pc, and backtraces through call frame information.
//
// It reads DWARF lazily. Load maps the file's sections that are stored as
// they are (and decompresses .debug_info and .debug_abbrev, plus the small
// string and address sections, where they are compressed), and reads the
// header of every compilation unit; a unit's top-level entries are indexed
// by name the first time a query needs that unit (a Go package variable
// "pkg.name" needs only the unit of pkg), any other name is searched for in
// every unit without an index being built (search.go), line tables are read
// per unit on demand, and types are converted when they are first asked
// for.
//
// Memory and registers come in through the Memory and Frame interfaces; the
// package does no ptrace of its own. An *Info may be used from several
// goroutines: its methods serialise on an internal lock.
package debuginfo

import (
	"debug/dwarf"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"

	"hwdbg/arch"
	"hwdbg/debuginfo/dwarfexpr"
	"hwdbg/debuginfo/internal/dwread"
)

// ErrNoDWARF is returned by Load for a file without a .debug_info section.
var ErrNoDWARF = errors.New("debuginfo: no DWARF debugging information")

// Memory reads the traced process's memory.
type Memory = dwarfexpr.Memory

// Frame is one stack frame as the location evaluator sees it: its
// registers by DWARF number, its canonical frame address (Unwind computes
// it), and the pc that selects location-list entries (the current pc for
// the innermost frame, the return address minus one for callers).
type Frame = dwarfexpr.Frame

// DecodeError is malformed data in a section debuginfo decodes by hand
// (call frame information, location lists, unit headers, DWARF
// expressions): the section, the offset of the bad data and what was
// wrong, as debug/dwarf's DecodeError reports the sections it decodes.
type DecodeError = dwread.DecodeError

// Info is the DWARF of one ELF file loaded at a bias.
type Info struct {
	path    string
	bias    uint64
	f       *elf.File // the object itself
	df      *elf.File // where its DWARF is: f, or its separate debug file
	dpath   string    // the separate debug file's path, "" when DWARF is in f
	order   binary.ByteOrder
	ptrSize int
	arch    string          // "amd64", "arm64", or the ELF machine name
	regs    *arch.DWARFRegs // the machine's DWARF register numbering; nil if unknown

	mu             sync.Mutex
	image          []byte            // the DWARF file, mapped (sections.go); nil if it is not
	mapOffs        map[string]uint64 // file offsets of the sections read from image
	d              *dwarf.Data
	dl             *dwarf.Data // d plus .debug_line, built on first line query
	raw            map[string][]byte
	small          map[string][]byte // sections given to d at Load
	units          []*unit
	names          map[string][]nameRef       // qualified name -> definitions, from indexed units
	all            bool                       // every unit indexed
	early          []bool                     // by unit: indexed before the first search (search.go)
	lang           *string                    // Language, once known
	searched       map[searchKey][]nameRef    // names searched for before all were indexed (search.go)
	abbrevs        map[abbrevKey]*abbrevTable // for the DIE reader
	sorted         []string                   // names, sorted, built by GlobalNames
	types          map[dwarf.Offset]*Type
	conv           map[dwarf.Type]*Type
	fixups         []typedefFixup
	rtypes         map[uint64]dwarf.Offset // Go runtime type (DW_AT_go_runtime_type) -> type DIE
	typesBase      uint64                  // address of runtime.types
	typesBaseKnown bool
	cfi            *CFI
	cfiErr         error
	ranged         bool // unit pc ranges read
	rngLoaded      bool // .debug_rnglists given to the readers
}

// Close releases the ELF files and the mapping of the DWARF. The Info,
// and the Variables it returned, must not be used afterwards.
func (in *Info) Close() error {
	defer in.lock()()
	in.unmap()
	err := in.f.Close()
	if in.df != in.f {
		if e := in.df.Close(); err == nil {
			err = e
		}
	}
	return err
}

// Path is the file the Info was loaded for.
func (in *Info) Path() string { return in.path }

// DebugFile is the separate debug file the DWARF was read from, or ""
// when it is the object's own.
func (in *Info) DebugFile() string { return in.dpath }

// dwarfFile names the file the DWARF sections are read from, for errors.
func (in *Info) dwarfFile() string {
	if in.dpath != "" {
		return in.dpath
	}
	return in.path
}

// Bias is the load bias added to every address.
func (in *Info) Bias() uint64 { return in.bias }

// Arch is "amd64", "arm64", or the lower-case ELF machine name.
func (in *Info) Arch() string { return in.arch }

// Language is the source language of the program: "go" when any unit is
// Go, "rust" when any is Rust, otherwise the language of the unit holding
// main ("c", "c++", ...), or "" when unknown.
func (in *Info) Language() (lang string) {
	defer in.lock()()
	if in.lang != nil {
		return *in.lang
	}
	defer func() { in.lang = &lang }()
	defer catch(nil)
	for _, want := range []string{"go", "rust"} {
		for _, u := range in.units {
			if u.lang == want {
				return want
			}
		}
	}
	// The unit of main, when the units are not all of one language.
	if mixed := slices.ContainsFunc(in.units, func(u *unit) bool { return u.lang != in.units[0].lang }); mixed {
		for _, r := range in.lookup("main", refFunc) {
			return in.units[r.unit].lang
		}
	}
	if len(in.units) > 0 {
		return in.units[0].lang
	}
	return ""
}

// lock takes the Info's lock for a method. Until it is released, a fault
// reading a mapped section (its file cut short under us) is a panic, which
// the method's catch turns into an error, instead of a crash.
func (in *Info) lock() func() {
	in.mu.Lock()
	old := debug.SetPanicOnFault(true)
	return func() {
		debug.SetPanicOnFault(old)
		in.mu.Unlock()
	}
}

// catch turns a panic from debug/dwarf on malformed input into *err.
func catch(err *error) {
	if r := recover(); r != nil && err != nil {
		*err = fmt.Errorf("debuginfo: malformed DWARF (%v)", r)
	}
}
