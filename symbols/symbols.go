// Package symbols reads the ELF symbol tables (.symtab and .dynsym) of a
// traced program and of the shared objects it loads, and answers the
// questions a debugger asks of them: where is this name, which function or
// variable contains this address, and what did the user mean by a name that
// does not exist.
//
// It does not read DWARF. Symbol is a plain value; a later layer may attach
// type information keyed by name and address.
package symbols

import (
	"debug/elf"
	"fmt"
	"hwdbg/internal/textdist"
	"sort"
	"strings"

	"hwdbg/debugfile"
)

// Kind is the kind of thing a symbol names.
type Kind uint8

const (
	// Other is a symbol without a type (STT_NOTYPE) that has an address,
	// such as an assembler label or a linker-defined marker (_end, __bss_start).
	Other Kind = iota
	// Func is code (STT_FUNC, STT_GNU_IFUNC).
	Func
	// Object is data (STT_OBJECT, STT_COMMON).
	Object
)

func (k Kind) String() string {
	switch k {
	case Func:
		return "func"
	case Object:
		return "object"
	case Other:
		return "other"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Symbol is one ELF symbol, relocated to its run-time address.
type Symbol struct {
	Name  string // as in the ELF file, e.g. "balance" or "stdout@GLIBC_2.2.5"
	Addr  uint64 // run-time address (load bias applied)
	Size  uint64
	Kind  Kind
	Local bool   // STB_LOCAL: a file static, not visible to the dynamic linker
	File  string // the ELF file (main program or shared object) it came from

	sect uint16 // ELF section index in File, 0 when unknown
}

// BaseName is the symbol name without an "@VERSION" or "@@VERSION" suffix.
func (s Symbol) BaseName() string { return baseName(s.Name) }

// Describe names addr relative to s: "withdraw+22", or "withdraw" when addr
// is s.Addr itself.
func Describe(s Symbol, addr uint64) string {
	switch {
	case addr == s.Addr:
		return s.Name
	case addr > s.Addr:
		return fmt.Sprintf("%s+%d", s.Name, addr-s.Addr)
	default:
		return fmt.Sprintf("%s-%d", s.Name, s.Addr-addr)
	}
}

// baseName strips a symbol version: "stdout@@GLIBC_2.2.5" -> "stdout".
// A name that starts with '@' is left alone.
func baseName(name string) string {
	if i := strings.IndexByte(name, '@'); i > 0 {
		return name[:i]
	}
	return name
}

// section is the run-time range of one allocated ELF section.
type section struct {
	start, end uint64
	file       string
	idx        uint16
}

// Table is the symbols of one ELF image or of several (the main program and
// its shared objects). Build it with Load and Merge; after that it may be
// read from several goroutines at once, but Merge must not run concurrently
// with anything else.
type Table struct {
	syms   []Symbol
	sects  []section
	byName map[string][]int32 // base name -> indices into syms, best first
	byAddr []int32            // Func and Object symbols, sorted by Addr, best first within an Addr
	reach  []int32            // reach[i]: the entry of byAddr[:i+1] that ends last
	names  []string           // distinct base names, sorted

	sectFiles map[string]bool // files whose sections are in sects

	plt []Symbol // the PLT stubs, named NAME@plt, by address (plt.go)
}

// Len is the number of symbols in t.
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	return len(t.syms)
}

// Load reads the .symtab and the .dynsym of the ELF file at path, merged and
// de-duplicated, and adds bias (0 for a non-PIE executable, the load bias
// from LoadBias for a PIE or a shared object) to every address. A stripped
// file (no .symtab) takes the .symtab of its separate debug file, found by
// build id or .gnu_debuglink in the directories debugfile.Dirs lists: it
// describes the same link-time addresses, so the bias is the same.
//
// Section, file, TLS and undefined symbols, symbols with an empty name and
// symbols at address 0 are left out. A file without any symbol table gives
// an empty table, not an error.
func Load(path string, bias uint64) (*Table, error) {
	return LoadFrom(path, bias, debugfile.Dirs())
}

// LoadFrom is Load with the global debug directories given instead of
// read from the environment (nil: look for no debug file there; the
// object's .gnu_debuglink is still followed in its own directory).
func LoadFrom(path string, bias uint64, debugDirs []string) (t *Table, err error) {
	defer func() {
		// debug/elf is robust, but a debugger reads whatever it is given;
		// a malformed file must be an error, never a crash.
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("symbols: read %s: malformed ELF file (%v)", path, r)
		}
	}()
	f, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("symbols: read %s: %w", path, err)
	}
	defer f.Close()
	var df *elf.File
	if f.SectionByType(elf.SHT_SYMTAB) == nil {
		// A debug file that cannot be read leaves the object's own
		// .dynsym, still worth having: the error is not the caller's.
		if d, _, _ := debugfile.Open(path, f, debugDirs); d != nil {
			defer d.Close()
			df = d
		}
	}
	return fromELF(f, df, path, bias)
}

// fromELF reads the symbols of f, the object at path, and, when f has no
// .symtab and df (its separate debug file) is not nil, the .symtab of df.
func fromELF(f, df *elf.File, path string, bias uint64) (*Table, error) {
	t := &Table{}
	for i, s := range f.Sections {
		if s.Flags&elf.SHF_ALLOC == 0 || s.Flags&elf.SHF_TLS != 0 || s.Addr == 0 || s.Size == 0 || i > 0xffff {
			continue
		}
		t.sects = append(t.sects, section{start: s.Addr + bias, end: s.Addr + s.Size + bias, file: path, idx: uint16(i)})
	}

	symtab, err := f.Symbols()
	if err != nil && err != elf.ErrNoSymbols {
		return nil, fmt.Errorf("symbols: read %s: .symtab: %w", path, err)
	}
	var remap []uint16 // section indices of symtab's file -> f's, nil when symtab is f's
	if err == elf.ErrNoSymbols && df != nil {
		symtab, err = df.Symbols()
		if err != nil && err != elf.ErrNoSymbols {
			return nil, fmt.Errorf("symbols: read the debug file of %s: .symtab: %w", path, err)
		}
		remap = sectionMap(df, f)
	}
	dynsym, err := f.DynamicSymbols()
	if err != nil && err != elf.ErrNoSymbols {
		return nil, fmt.Errorf("symbols: read %s: .dynsym: %w", path, err)
	}
	// Sized up front: a big program has tens of thousands of symbols, and
	// growing these as we go would leave several times their size behind.
	t.syms = make([]Symbol, 0, len(symtab)+len(dynsym))
	type key struct {
		name string
		addr uint64
	}
	seen := make(map[key]bool, len(symtab)+len(dynsym))
	add := func(list []elf.Symbol, remap []uint16) {
		for _, es := range list {
			s, ok := convert(es, path, bias)
			if !ok {
				continue
			}
			if remap != nil {
				if int(s.sect) < len(remap) {
					s.sect = remap[s.sect]
				} else {
					s.sect = 0
				}
			}
			k := key{baseName(s.Name), s.Addr}
			if seen[k] {
				continue
			}
			seen[k] = true
			t.syms = append(t.syms, s)
		}
	}
	add(symtab, remap)
	add(dynsym, nil)
	t.plt = pltSymbols(f, path, bias)
	t.rebuild()
	return t, nil
}

// sectionMap maps the section indices of the debug file df to those of
// the section of the same name in the object f: they usually agree, but a
// strip may drop sections and shift the rest. A section f does not have
// (or has twice) maps to 0, unknown.
func sectionMap(df, f *elf.File) []uint16 {
	byName := make(map[string]int, len(f.Sections))
	for i, s := range f.Sections {
		if _, dup := byName[s.Name]; dup || i > 0xffff {
			byName[s.Name] = 0
			continue
		}
		byName[s.Name] = i
	}
	m := make([]uint16, len(df.Sections))
	for i, s := range df.Sections {
		m[i] = uint16(byName[s.Name])
	}
	return m
}

// convert turns an ELF symbol into a Symbol, or reports that it is skipped.
func convert(es elf.Symbol, path string, bias uint64) (Symbol, bool) {
	if es.Name == "" || es.Value == 0 {
		return Symbol{}, false
	}
	if es.Section == elf.SHN_UNDEF || es.Section == elf.SHN_ABS || es.Section == elf.SHN_COMMON {
		// Undefined: lives elsewhere. Absolute: not an address in this image.
		// Common: only in relocatable objects.
		return Symbol{}, false
	}
	s := Symbol{Name: es.Name, Addr: es.Value + bias, Size: es.Size, File: path}
	switch elf.ST_TYPE(es.Info) {
	case elf.STT_FUNC, elf.STT_LOOS: // STT_LOOS == STT_GNU_IFUNC
		s.Kind = Func
	case elf.STT_OBJECT, elf.STT_COMMON:
		s.Kind = Object
	case elf.STT_NOTYPE:
		s.Kind = Other
	default: // STT_SECTION, STT_FILE, STT_TLS (its value is an offset), others
		return Symbol{}, false
	}
	s.Local = elf.ST_BIND(es.Info) == elf.STB_LOCAL
	if es.Section < elf.SHN_LORESERVE {
		s.sect = uint16(es.Section)
	}
	return s, true
}

// Merge adds the symbols of other (typically a shared object) to t. For
// Lookup, symbols already in t win over symbols of the same name and
// binding in other, as the dynamic linker's search order does. Symbols that
// are already in t (same name, address and file) are not added again.
func (t *Table) Merge(other *Table) {
	if other == nil || other.Len() == 0 {
		return
	}
	type key struct {
		name, file string
		addr       uint64
	}
	seen := make(map[key]bool, len(t.syms))
	for _, s := range t.syms {
		seen[key{s.Name, s.File, s.Addr}] = true
	}
	add := append([]Symbol(nil), other.syms...)
	for _, s := range add {
		k := key{s.Name, s.File, s.Addr}
		if !seen[k] {
			seen[k] = true
			t.syms = append(t.syms, s)
		}
	}
	haveSect := make(map[section]bool, len(t.sects))
	for _, s := range t.sects {
		haveSect[s] = true
	}
	for _, s := range append([]section(nil), other.sects...) {
		if !haveSect[s] {
			t.sects = append(t.sects, s)
		}
	}
	t.mergePLT(other.plt)
	t.rebuild()
}

// better reports whether syms[a] is preferred over syms[b] for the same name
// or the same address: global or weak over local, Func and Object over
// Other, fewer leading underscores (getpid over __getpid), then the one
// loaded first.
func (t *Table) better(a, b int32) bool {
	sa, sb := &t.syms[a], &t.syms[b]
	if sa.Local != sb.Local {
		return !sa.Local
	}
	if (sa.Kind == Other) != (sb.Kind == Other) {
		return sb.Kind == Other
	}
	ua, ub := underscores(sa.Name), underscores(sb.Name)
	if ua != ub {
		return ua < ub
	}
	return a < b
}

func underscores(s string) int {
	n := 0
	for n < len(s) && s[n] == '_' {
		n++
	}
	return n
}

func (t *Table) rebuild() {
	sort.Slice(t.sects, func(i, j int) bool { return t.sects[i].start < t.sects[j].start })
	t.sectFiles = make(map[string]bool)
	for _, s := range t.sects {
		t.sectFiles[s.file] = true
	}

	t.byName = make(map[string][]int32, len(t.syms))
	t.byAddr = t.byAddr[:0]
	for i := range t.syms {
		s := &t.syms[i]
		b := baseName(s.Name)
		t.byName[b] = append(t.byName[b], int32(i))
		if s.Kind == Func || s.Kind == Object {
			t.byAddr = append(t.byAddr, int32(i))
		}
	}
	t.names = make([]string, 0, len(t.byName))
	for name, list := range t.byName {
		t.names = append(t.names, name)
		if len(list) > 1 {
			sort.SliceStable(list, func(i, j int) bool {
				// Within one name the underscore rule is moot; binding, kind, order.
				return t.better(list[i], list[j])
			})
		}
	}
	sort.Strings(t.names)
	sort.SliceStable(t.byAddr, func(i, j int) bool {
		a, b := t.byAddr[i], t.byAddr[j]
		if t.syms[a].Addr != t.syms[b].Addr {
			return t.syms[a].Addr < t.syms[b].Addr
		}
		return t.better(a, b)
	})
	t.reach = make([]int32, len(t.byAddr))
	var best int32 = -1
	var bestEnd uint64
	for i, si := range t.byAddr {
		if e := end(t.syms[si]); best < 0 || e >= bestEnd {
			best, bestEnd = int32(i), e
		}
		t.reach[i] = best
	}
}

// end is the first address after s, saturating instead of wrapping.
func end(s Symbol) uint64 {
	e := s.Addr + s.Size
	if e < s.Addr {
		return ^uint64(0)
	}
	return e
}

// Lookup finds a symbol by name. "stdout" also finds "stdout@@GLIBC_2.2.5"
// and "stdout@GLIBC_2.2.5", and a versioned name also finds the plain one.
// When several symbols share the name, a global (or weak) one wins over a
// file static, and among equals the first loaded wins (the main program
// before shared objects). LookupAll returns all of them.
func (t *Table) Lookup(name string) (Symbol, bool) {
	if t == nil {
		return Symbol{}, false
	}
	list := t.byName[baseName(name)]
	if len(list) == 0 {
		return Symbol{}, false
	}
	if baseName(name) != name {
		// A versioned name: prefer the exact spelling when there is one.
		for _, i := range list {
			if t.syms[i].Name == name {
				return t.syms[i], true
			}
		}
	}
	return t.syms[list[0]], true
}

// LookupAll returns every symbol named name (with or without a version
// suffix), best first, so that file statics that share a name stay
// reachable.
func (t *Table) LookupAll(name string) []Symbol {
	if t == nil {
		return nil
	}
	list := t.byName[baseName(name)]
	out := make([]Symbol, 0, len(list))
	for _, i := range list {
		out = append(out, t.syms[i])
	}
	return out
}

// At finds the function or object that contains addr: one whose
// [Addr, Addr+Size) holds it, or, for a function of size 0 (hand-written
// assembly), the nearest one before addr when addr is in the same section
// and before the next symbol.
func (t *Table) At(addr uint64) (Symbol, bool) {
	if t == nil || len(t.byAddr) == 0 {
		return Symbol{}, false
	}
	// next is the first entry above addr, i the last at or below it.
	next := sort.Search(len(t.byAddr), func(k int) bool { return t.syms[t.byAddr[k]].Addr > addr })
	i := next - 1
	if i < 0 {
		return Symbol{}, false
	}
	at := t.syms[t.byAddr[i]].Addr
	first := sort.Search(i+1, func(k int) bool { return t.syms[t.byAddr[k]].Addr >= at })
	for k := first; k <= i; k++ { // the symbols at `at`, best first
		if s := t.syms[t.byAddr[k]]; s.Size > 0 && addr < end(s) {
			return s, true
		}
	}
	// An earlier, larger symbol may enclose addr (nested or overlapping symbols).
	if s := t.syms[t.byAddr[t.reach[i]]]; s.Size > 0 && s.Addr <= addr && addr < end(s) {
		return s, true
	}
	for k := first; k <= i; k++ {
		s := t.syms[t.byAddr[k]]
		if s.Size != 0 || s.Kind != Func {
			continue
		}
		sec, ok := t.sectionAt(addr)
		if t.sectFiles[s.File] && s.sect != 0 {
			// The file's sections are known: addr must be in the symbol's.
			if ok && sec.file == s.File && sec.idx == s.sect {
				return s, true
			}
			return Symbol{}, false
		}
		if next < len(t.byAddr) || ok {
			return s, true
		}
		return Symbol{}, false
	}
	return Symbol{}, false
}

// sectionAt finds the allocated section that holds addr.
func (t *Table) sectionAt(addr uint64) (section, bool) {
	k := sort.Search(len(t.sects), func(k int) bool { return t.sects[k].start > addr }) - 1
	if k >= 0 && addr < t.sects[k].end {
		return t.sects[k], true
	}
	return section{}, false
}

// Names returns the distinct symbol names (without version suffixes) that
// start with prefix, sorted; for tab completion.
func (t *Table) Names(prefix string) []string {
	if t == nil {
		return nil
	}
	k := sort.SearchStrings(t.names, prefix)
	var out []string
	for ; k < len(t.names) && strings.HasPrefix(t.names[k], prefix); k++ {
		out = append(out, t.names[k])
	}
	return out
}

// Closest returns up to n names that the user may have meant by name, best
// first: names equal to it ignoring case, then names that start with it,
// then names that contain it, then names within a small edit distance
// (insertions, deletions, substitutions and swaps of adjacent letters).
func (t *Table) Closest(name string, n int) []string {
	if t == nil || n <= 0 || name == "" {
		return nil
	}
	q := strings.ToLower(baseName(name))
	maxDist := len(q) / 3
	if maxDist < 1 {
		maxDist = 1
	}
	if maxDist > 3 {
		maxDist = 3
	}
	orig := baseName(name)
	type cand struct {
		name       string
		rank, dist int
		fold       bool // matches only when case is ignored
	}
	var cands []cand
	for _, c := range t.names {
		lc := strings.ToLower(c)
		switch {
		case lc == q:
			cands = append(cands, cand{c, 0, 0, c != orig})
		case strings.HasPrefix(lc, q):
			cands = append(cands, cand{c, 1, len(lc) - len(q), !strings.HasPrefix(c, orig)})
		case strings.Contains(lc, q):
			cands = append(cands, cand{c, 2, len(lc) - len(q), !strings.Contains(c, orig)})
		default:
			if d := len(lc) - len(q); d > maxDist || -d > maxDist {
				continue
			}
			if d := textdist.Distance(q, lc, maxDist); d <= maxDist {
				cands = append(cands, cand{c, 3, d, textdist.Distance(orig, c, maxDist) > d})
			}
		}
	}
	sort.Slice(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.rank != b.rank {
			return a.rank < b.rank
		}
		if a.fold != b.fold {
			return b.fold
		}
		if a.dist != b.dist {
			return a.dist < b.dist
		}
		if ua, ub := underscores(a.name), underscores(b.name); ua != ub {
			return ua < ub
		}
		if len(a.name) != len(b.name) {
			return len(a.name) < len(b.name)
		}
		return a.name < b.name
	})
	if len(cands) > n {
		cands = cands[:n]
	}
	out := make([]string, len(cands))
	for i, c := range cands {
		out[i] = c.name
	}
	return out
}
