// Package debuginfo turns the DWARF of a traced program (and of the shared
// objects it loads) into what a debugger needs: globals and locals with
// their addresses and types, values formatted by type, pc <-> file:line,
// the function at a pc, and backtraces through call frame information.
//
// It reads DWARF lazily. Load decompresses only .debug_info and .debug_abbrev
// (plus the small string and address sections) and reads the header of every
// compilation unit; a unit's top-level entries are indexed by name the first
// time a query needs that unit (a Go package variable "pkg.name" needs only
// the unit of pkg), line tables are read per unit on demand, and types are
// converted when they are first asked for.
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
	"io"
	"path"
	"sort"
	"strings"
	"sync"

	"hwdbg/debugfile"
)

// ErrNoDWARF is returned by Load for a file without a .debug_info section.
var ErrNoDWARF = errors.New("debuginfo: no DWARF debugging information")

// Memory reads the traced process's memory.
type Memory interface {
	ReadMemory(addr uint64, buf []byte) error
}

// Frame is one stack frame as the location evaluator sees it.
type Frame interface {
	// Reg is the value of a register by DWARF number, if known.
	Reg(dwarfReg int) (uint64, bool)
	// CFA is the canonical frame address (the caller's stack pointer
	// before the call), if known; Unwind computes it.
	CFA() (uint64, bool)
	// PC is the pc used to select location-list entries: the current pc
	// for the innermost frame, the return address minus one for callers.
	PC() uint64
}

// Info is the DWARF of one ELF file loaded at a bias.
type Info struct {
	path    string
	bias    uint64
	f       *elf.File // the object itself
	df      *elf.File // where its DWARF is: f, or its separate debug file
	dpath   string    // the separate debug file's path, "" when DWARF is in f
	order   binary.ByteOrder
	ptrSize int
	arch    string // "amd64", "arm64", or the ELF machine name

	mu             sync.Mutex
	d              *dwarf.Data
	dl             *dwarf.Data // d plus .debug_line, built on first line query
	raw            map[string][]byte
	small          map[string][]byte // sections given to d at Load
	units          []*unit
	names          map[string][]nameRef // qualified name -> definitions, from indexed units
	all            bool                 // every unit indexed
	sorted         []string             // names, sorted, built by GlobalNames
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

type refKind uint8

const (
	refVar refKind = iota
	refFunc
	refType
)

// nameRef is one named definition found in a unit.
type nameRef struct {
	off  dwarf.Offset
	unit int32
	kind refKind
	tag  dwarf.Tag
}

// unit is one compilation unit.
type unit struct {
	idx      int32
	off      dwarf.Offset // offset of the unit's DIE
	end      dwarf.Offset // end of the unit in .debug_info
	version  int
	entry    *dwarf.Entry
	name     string
	lang     string
	base     uint64 // DW_AT_low_pc, unbiased
	addrBase uint64
	llBase   uint64 // DW_AT_loclists_base
	ranges   [][2]uint64
	indexed  bool
	funcs    []funcRange // sorted by low, built with the index
	lines    *lineTable
	lineErr  error
}

// funcRange is one pc range of a function, unbiased.
type funcRange struct {
	low, high uint64
	entry     uint64 // function's entry (low_pc), unbiased
	off       dwarf.Offset
	name      string
}

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
func load(f, df *elf.File, path, dpath string, bias uint64, lines bool) (*Info, error) {
	in := &Info{path: path, bias: bias, f: f, df: df, dpath: dpath, order: f.ByteOrder, raw: map[string][]byte{},
		small: map[string][]byte{}, names: map[string][]nameRef{}, types: map[dwarf.Offset]*Type{}, conv: map[dwarf.Type]*Type{}}
	switch f.Machine {
	case elf.EM_X86_64:
		in.arch = "amd64"
	case elf.EM_AARCH64:
		in.arch = "arm64"
	default:
		in.arch = strings.ToLower(strings.TrimPrefix(f.Machine.String(), "EM_"))
	}
	in.ptrSize = 8
	if f.Class == elf.ELFCLASS32 {
		in.ptrSize = 4
	}
	if !hasDWARF(df) {
		return nil, ErrNoDWARF
	}
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

var errNoSection = errors.New("no such section")

// sectionOf finds a section by name, also under its compressed ".zdebug" name.
func sectionOf(f *elf.File, name string) *elf.Section {
	if s := f.Section(name); s != nil {
		return s
	}
	if strings.HasPrefix(name, ".debug_") {
		return f.Section(".zdebug_" + name[len(".debug_"):])
	}
	return nil
}

// section reads (and decompresses) one DWARF section once.
func (in *Info) section(name string) ([]byte, error) {
	if b, ok := in.raw[name]; ok {
		return b, nil
	}
	file := in.dwarfFile()
	s := sectionOf(in.df, name)
	if s == nil || s.Type == elf.SHT_NOBITS {
		return nil, fmt.Errorf("debuginfo: %s: %s: %w", file, name, errNoSection)
	}
	b, err := sectionData(s)
	if err != nil {
		return nil, fmt.Errorf("debuginfo: %s: read %s: %w", file, name, err)
	}
	if strings.HasPrefix(s.Name, ".zdebug_") {
		b, err = unzdebug(b)
		if err != nil {
			return nil, fmt.Errorf("debuginfo: %s: decompress %s: %w", file, s.Name, err)
		}
	}
	in.raw[name] = b
	return b, nil
}

// prefetch reads the named sections that exist, each in its own
// goroutine, into the cache section reads from: decompressing them is most
// of the time it takes to open a big file's DWARF, and .debug_info alone
// takes about as long as all the others together. A section that cannot
// be read is left for section to report.
func (in *Info) prefetch(names []string) {
	got := make([][]byte, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		s := sectionOf(in.df, name)
		if _, ok := in.raw[name]; ok || s == nil || s.Type == elf.SHT_NOBITS {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if recover() != nil {
					got[i] = nil
				}
			}()
			b, err := sectionData(s)
			if err == nil && strings.HasPrefix(s.Name, ".zdebug_") {
				b, err = unzdebug(b)
			}
			if err == nil {
				got[i] = b
			}
		}()
	}
	wg.Wait()
	for i, b := range got {
		if b != nil {
			in.raw[names[i]] = b
		}
	}
}

// sectionData reads a section, decompressing an SHF_COMPRESSED one
// straight into a buffer of its uncompressed size (Size, for a compressed
// section): Section.Data grows its buffer while inflating, which on a big
// binary's .debug_info leaves several times its size in garbage.
func sectionData(s *elf.Section) ([]byte, error) {
	if s.Flags&elf.SHF_COMPRESSED == 0 || s.Size == 0 || s.Size > 1<<32 {
		return s.Data()
	}
	b := make([]byte, s.Size)
	if _, err := io.ReadFull(s.Open(), b); err != nil {
		return nil, err
	}
	return b, nil
}

// readUnits walks the unit headers of .debug_info and reads each unit's DIE.
func (in *Info) readUnits(info []byte) error {
	r := in.d.Reader()
	for off := uint64(0); off+4 <= uint64(len(info)); {
		start := off
		length := uint64(in.order.Uint32(info[off:]))
		off += 4
		dwarf64 := false
		if length == 0xffffffff {
			if off+8 > uint64(len(info)) {
				return fmt.Errorf("unit at %#x: truncated header", start)
			}
			length = in.order.Uint64(info[off:])
			off += 8
			dwarf64 = true
		} else if length >= 0xfffffff0 {
			return fmt.Errorf("unit at %#x: bad length %#x", start, length)
		}
		end := off + length
		if end > uint64(len(info)) || end < off || off+2 > uint64(len(info)) {
			return fmt.Errorf("unit at %#x: length %#x past the end of .debug_info", start, length)
		}
		version := int(in.order.Uint16(info[off:]))
		hdr := off + 2
		offSize := uint64(4)
		if dwarf64 {
			offSize = 8
		}
		kind := byte(1) // DW_UT_compile
		if version >= 5 {
			if hdr+2 > end {
				return fmt.Errorf("unit at %#x: truncated header", start)
			}
			kind = info[hdr]
			hdr += 2 + offSize // unit_type, address_size, debug_abbrev_offset
			switch kind {
			case 2, 6: // DW_UT_type, DW_UT_split_type
				hdr += 8 + offSize
			case 4, 5: // DW_UT_skeleton, DW_UT_split_compile
				hdr += 8
			}
		} else {
			hdr += offSize + 1
		}
		off = end
		if kind != 1 && kind != 3 && kind != 4 || hdr >= end {
			continue
		}
		r.Seek(dwarf.Offset(hdr))
		e, err := r.Next()
		if err != nil {
			return fmt.Errorf("unit at %#x: %w", start, err)
		}
		if e == nil || (e.Tag != dwarf.TagCompileUnit && e.Tag != dwarf.TagPartialUnit && e.Tag != dwarf.TagSkeletonUnit) {
			continue
		}
		u := &unit{idx: int32(len(in.units)), off: e.Offset, end: dwarf.Offset(end), version: version, entry: e}
		u.name, _ = e.Val(dwarf.AttrName).(string)
		lang, _ := e.Val(dwarf.AttrLanguage).(int64)
		u.lang = langName(lang)
		u.base, _ = e.Val(dwarf.AttrLowpc).(uint64)
		if v, ok := e.Val(dwarf.AttrAddrBase).(int64); ok {
			u.addrBase = uint64(v)
		}
		if v, ok := e.Val(dwarf.AttrLoclistsBase).(int64); ok {
			u.llBase = uint64(v)
		}
		in.units = append(in.units, u)
	}
	return nil
}

func langName(l int64) string {
	switch l {
	case 0x1, 0x2, 0xc, 0x1d, 0x2c:
		return "c"
	case 0x4, 0x19, 0x1a, 0x21, 0x2a, 0x2b:
		return "c++"
	case 0x16:
		return "go"
	case 0x1c:
		return "rust"
	case 0x8001:
		return "asm"
	case 0x7, 0x8, 0xe, 0x22, 0x23:
		return "fortran"
	case 0:
		return ""
	}
	return fmt.Sprintf("lang(%#x)", l)
}

// Close releases the ELF files. The Info must not be used afterwards.
func (in *Info) Close() error {
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
	defer catch(nil)
	for _, want := range []string{"go", "rust"} {
		for _, u := range in.units {
			if u.lang == want {
				return want
			}
		}
	}
	in.indexAll()
	for _, r := range in.names["main"] {
		if r.kind == refFunc {
			return in.units[r.unit].lang
		}
	}
	if len(in.units) > 0 {
		return in.units[0].lang
	}
	return ""
}

func (in *Info) lock() func() {
	in.mu.Lock()
	return in.mu.Unlock
}

// catch turns a panic from debug/dwarf on malformed input into *err.
func catch(err *error) {
	if r := recover(); r != nil && err != nil {
		*err = fmt.Errorf("debuginfo: malformed DWARF (%v)", r)
	}
}

// ---- the name index ----

// indexUnit reads the top-level entries of u (and of the namespaces in it)
// and records its variables, functions and types by qualified name.
func (in *Info) indexUnit(u *unit) {
	if u.indexed {
		return
	}
	u.indexed = true
	in.loadRngLists()
	ix := in.scanUnit(u)
	in.merge(u, ix)
}

type unitIndex struct {
	names map[string][]nameRef
	funcs []funcRange
}

func (in *Info) merge(u *unit, ix unitIndex) {
	for n, refs := range ix.names {
		in.names[n] = append(in.names[n], refs...)
	}
	sort.Slice(ix.funcs, func(i, j int) bool { return ix.funcs[i].low < ix.funcs[j].low })
	u.funcs = ix.funcs
	in.sorted = nil
}

// indexAll indexes every unit, two at a time in parallel.
func (in *Info) indexAll() {
	if in.all {
		return
	}
	in.all = true
	in.loadRngLists()
	var todo []*unit
	for _, u := range in.units {
		if !u.indexed {
			u.indexed = true
			todo = append(todo, u)
		}
	}
	results := make([]unitIndex, len(todo))
	var wg sync.WaitGroup
	workers := 4
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = in.scanUnit(todo[i])
			}
		}()
	}
	for i := range todo {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, u := range todo {
		in.merge(u, results[i])
	}
}

// scanUnit is safe to run concurrently for different units: it only reads.
func (in *Info) scanUnit(u *unit) (ix unitIndex) {
	ix.names = map[string][]nameRef{}
	defer func() { recover() }() // a malformed unit indexes what it could
	r := in.d.Reader()
	r.Seek(u.off)
	if e, err := r.Next(); err != nil || e == nil || !e.Children {
		return ix
	}
	sep := "::"
	if u.lang == "go" {
		sep = "."
	}
	// Scopes (classes, structs) whose children we skip, to name C++ static
	// members and methods defined outside their class.
	type scope struct {
		lo, hi dwarf.Offset
		name   string
	}
	var scopes []scope
	var specs []struct {
		ref  nameRef
		spec dwarf.Offset
		link string
	}
	add := func(name string, ref nameRef) {
		if name != "" {
			ix.names[name] = append(ix.names[name], ref)
		}
	}
	var walk func(prefix string, depth int)
	walk = func(prefix string, depth int) {
		for {
			e, err := r.Next()
			if err != nil || e == nil || e.Tag == 0 {
				return
			}
			for i := len(scopes) - 1; i >= 0 && scopes[i].hi == 0; i-- {
				scopes[i].hi = e.Offset
			}
			name, _ := e.Val(dwarf.AttrName).(string)
			qual := name
			if prefix != "" && name != "" {
				qual = prefix + sep + name
			}
			switch e.Tag {
			case dwarf.TagNamespace, dwarf.TagModule:
				if e.Children && depth < 32 {
					p := prefix
					if name != "" {
						p = qual
					}
					walk(p, depth+1)
				}
				continue
			case dwarf.TagVariable:
				ref := nameRef{off: e.Offset, unit: u.idx, kind: refVar}
				if e.Val(dwarf.AttrLocation) == nil && e.Val(dwarf.AttrConstValue) == nil {
					break // a declaration
				}
				if spec, ok := e.Val(dwarf.AttrSpecification).(dwarf.Offset); ok {
					specs = append(specs, struct {
						ref  nameRef
						spec dwarf.Offset
						link string
					}{ref, spec, ""})
					break
				}
				add(qual, ref)
			case dwarf.TagSubprogram:
				ref := nameRef{off: e.Offset, unit: u.idx, kind: refFunc}
				rs, err := in.d.Ranges(e)
				if err != nil || len(rs) == 0 {
					break
				}
				entry, _ := e.Val(dwarf.AttrLowpc).(uint64)
				if entry == 0 {
					entry = rs[0][0]
				}
				fn := qual
				link := linkageName(e)
				if link != "" && u.lang != "go" && u.lang != "c" {
					fn = demangleNoParams(link)
				}
				spec, hasSpec := e.Val(dwarf.AttrSpecification).(dwarf.Offset)
				if !hasSpec {
					spec, hasSpec = e.Val(dwarf.AttrAbstractOrigin).(dwarf.Offset)
				}
				for _, rg := range rs {
					ix.funcs = append(ix.funcs, funcRange{low: rg[0], high: rg[1], entry: entry, off: e.Offset, name: fn})
				}
				if hasSpec && (fn == "" || link == "") {
					specs = append(specs, struct {
						ref  nameRef
						spec dwarf.Offset
						link string
					}{ref, spec, ""})
					break
				}
				add(fn, ref)
			case dwarf.TagStructType, dwarf.TagClassType, dwarf.TagUnionType, dwarf.TagEnumerationType,
				dwarf.TagTypedef, dwarf.TagBaseType:
				if e.Val(dwarf.AttrDeclaration) == nil {
					add(qual, nameRef{off: e.Offset, unit: u.idx, kind: refType, tag: e.Tag})
				}
				if e.Children && (e.Tag == dwarf.TagStructType || e.Tag == dwarf.TagClassType || e.Tag == dwarf.TagUnionType) {
					// Its end is the offset of the next real entry read.
					scopes = append(scopes, scope{e.Offset, 0, qual})
				}
			}
			if e.Children {
				r.SkipChildren()
			}
		}
	}
	walk("", 0)
	for i := range scopes {
		if scopes[i].hi == 0 {
			scopes[i].hi = u.end
		}
	}
	// Definitions that point at a declaration (C++ static members and
	// out-of-class methods): name them by the declaration's scope.
	for _, s := range specs {
		r.Seek(s.spec)
		d, err := r.Next()
		if err != nil || d == nil {
			continue
		}
		name, _ := d.Val(dwarf.AttrName).(string)
		if s.ref.kind == refFunc {
			if link := linkageName(d); link != "" {
				qn := demangleNoParams(link)
				add(qn, s.ref)
				in.renameFunc(ix.funcs, s.ref.off, qn)
				continue
			}
		}
		i := sort.Search(len(scopes), func(i int) bool { return scopes[i].hi > s.spec })
		if i < len(scopes) && scopes[i].lo < s.spec && scopes[i].name != "" {
			name = scopes[i].name + sep + name
		} else if link := linkageName(d); link != "" && u.lang != "c" {
			name = demangleNoParams(link)
		}
		add(name, s.ref)
		if s.ref.kind == refFunc {
			in.renameFunc(ix.funcs, s.ref.off, name)
		}
	}
	return ix
}

func (in *Info) renameFunc(fs []funcRange, off dwarf.Offset, name string) {
	for i := range fs {
		if fs[i].off == off {
			fs[i].name = name
		}
	}
}

const attrMIPSLinkageName = dwarf.Attr(0x2007)

func linkageName(e *dwarf.Entry) string {
	if s, ok := e.Val(dwarf.AttrLinkageName).(string); ok {
		return s
	}
	s, _ := e.Val(attrMIPSLinkageName).(string) // DW_AT_MIPS_linkage_name
	return s
}

// goPackageUnits are the units that may define the Go name "pkg.sym".
func (in *Info) goPackageUnits(name string) []*unit {
	slash := strings.LastIndexByte(name, '/')
	dot := strings.IndexByte(name[slash+1:], '.')
	if dot < 0 {
		return nil
	}
	pkg := name[:slash+1+dot]
	var us []*unit
	for _, u := range in.units {
		if u.lang == "go" && u.name == pkg {
			us = append(us, u)
		}
	}
	return us
}

// lookup finds the definitions of name of the given kind, indexing only
// as many units as needed.
func (in *Info) lookup(name string, kind refKind) []nameRef {
	pick := func() []nameRef {
		var out []nameRef
		for _, r := range in.names[name] {
			if r.kind == kind {
				out = append(out, r)
			}
		}
		return out
	}
	if kind != refType {
		us := in.goPackageUnits(name)
		for _, u := range us {
			in.indexUnit(u)
		}
		if rs := pick(); len(rs) > 0 {
			return rs
		}
		// A Go package's variables and functions are in its own unit;
		// only generic instantiations live elsewhere.
		if len(us) > 0 && !strings.Contains(name, "[") {
			return nil
		}
	}
	if !in.all {
		if rs := pick(); len(rs) > 0 && kind == refType {
			return rs
		}
		in.indexAll()
	}
	return pick()
}

// unitOf finds the unit holding the DIE at off.
func (in *Info) unitOf(off dwarf.Offset) *unit {
	i := sort.Search(len(in.units), func(i int) bool { return in.units[i].end > off })
	if i < len(in.units) && in.units[i].off <= off {
		return in.units[i]
	}
	return nil
}

// entryAt reads the DIE at off.
func (in *Info) entryAt(off dwarf.Offset) (*dwarf.Entry, error) {
	r := in.d.Reader()
	r.Seek(off)
	e, err := r.Next()
	if err != nil {
		return nil, err
	}
	if e == nil {
		return nil, fmt.Errorf("no DWARF entry at %#x", off)
	}
	return e, nil
}

// ---- functions by pc ----

// readRanges reads every unit's pc ranges once.
func (in *Info) readRanges() {
	if in.ranged {
		return
	}
	in.ranged = true
	in.loadRngLists()
	for _, u := range in.units {
		func() {
			defer func() { recover() }()
			u.ranges, _ = in.d.Ranges(u.entry)
		}()
	}
}

// loadRngLists gives .debug_rnglists to the readers once: DWARF 5
// functions and scopes in several ranges need it.
func (in *Info) loadRngLists() {
	if in.rngLoaded {
		return
	}
	in.rngLoaded = true
	if b, err := in.section(".debug_rnglists"); err == nil {
		in.d.AddSection(".debug_rnglists", b)
		if in.dl != nil && in.dl != in.d {
			in.dl.AddSection(".debug_rnglists", b)
		}
	}
}

// unitsForPC are the units whose ranges hold pc (unbiased), or every unit
// without ranges when none does.
func (in *Info) unitsForPC(pc uint64) []*unit {
	in.readRanges()
	var hit, unknown []*unit
	for _, u := range in.units {
		if len(u.ranges) == 0 {
			unknown = append(unknown, u)
			continue
		}
		for _, r := range u.ranges {
			if pc >= r[0] && pc < r[1] {
				hit = append(hit, u)
				break
			}
		}
	}
	if len(hit) > 0 {
		return hit
	}
	return unknown
}

// funcAt finds the innermost function range holding pc (unbiased).
func (in *Info) funcAt(pc uint64) (funcRange, *unit, bool) {
	for _, u := range in.unitsForPC(pc) {
		in.indexUnit(u)
		best := -1
		for i, f := range u.funcs {
			if f.low > pc {
				break
			}
			if pc < f.high && (best < 0 || f.high-f.low < u.funcs[best].high-u.funcs[best].low) {
				best = i
			}
		}
		if best >= 0 {
			return u.funcs[best], u, true
		}
	}
	return funcRange{}, nil, false
}

// FuncAt names the function holding the run-time pc, demangled and
// qualified ("app::Widget::bump", "main.main"), and gives its entry.
func (in *Info) FuncAt(pc uint64) (name string, entry uint64, ok bool) {
	defer in.lock()()
	defer catch(nil)
	f, _, ok := in.funcAt(pc - in.bias)
	if !ok {
		return "", 0, false
	}
	return f.name, f.entry + in.bias, true
}

// ScopeOf gives the run-time pc range of the function whose frame a local
// at pc belongs to, and its name. For a function in several ranges it is
// the range holding pc.
func (in *Info) ScopeOf(pc uint64) (lowpc, highpc uint64, fn string, ok bool) {
	defer in.lock()()
	defer catch(nil)
	f, _, ok := in.funcAt(pc - in.bias)
	if !ok {
		return 0, 0, "", false
	}
	return f.low + in.bias, f.high + in.bias, f.name, true
}

// LookupFunc finds a function by qualified name and gives its run-time
// entry address.
func (in *Info) LookupFunc(name string) (entry uint64, ok bool) {
	defer in.lock()()
	defer catch(nil)
	for _, r := range in.lookup(name, refFunc) {
		e, err := in.entryAt(r.off)
		if err != nil {
			continue
		}
		if lo, ok := e.Val(dwarf.AttrLowpc).(uint64); ok {
			return lo + in.bias, true
		}
		if rs, err := in.d.Ranges(e); err == nil && len(rs) > 0 {
			return rs[0][0] + in.bias, true
		}
	}
	return 0, false
}

// GlobalNames lists the qualified names of global variables and functions
// that start with prefix, sorted (for completion). It indexes every unit.
func (in *Info) GlobalNames(prefix string) []string {
	defer in.lock()()
	defer catch(nil)
	in.indexAll()
	if in.sorted == nil {
		for n, rs := range in.names {
			for _, r := range rs {
				if r.kind != refType {
					in.sorted = append(in.sorted, n)
					break
				}
			}
		}
		sort.Strings(in.sorted)
	}
	i := sort.SearchStrings(in.sorted, prefix)
	var out []string
	for ; i < len(in.sorted) && strings.HasPrefix(in.sorted[i], prefix); i++ {
		out = append(out, in.sorted[i])
	}
	return out
}

// unitByFile finds the units named file (base name or path suffix).
func (in *Info) unitsByFile(file string) []*unit {
	var us []*unit
	for _, u := range in.units {
		if fileMatches(u.name, file) {
			us = append(us, u)
		}
	}
	return us
}

func fileMatches(full, want string) bool {
	if full == want || path.Base(full) == want {
		return true
	}
	return strings.HasSuffix(full, "/"+strings.TrimPrefix(want, "/"))
}
