package debuginfo

import (
	"debug/dwarf"
	"sort"
	"strings"
)

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

// indexUnit reads the top-level entries of u (and of the namespaces in it)
// and records its variables, functions and types by qualified name.
func (in *Info) indexUnit(u *unit) {
	if u.indexed {
		return
	}
	u.indexed = true
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

// indexAll indexes every unit, a few at a time in parallel.
func (in *Info) indexAll() {
	if in.all {
		return
	}
	in.all = true
	var todo []*unit
	for _, u := range in.units {
		if !u.indexed {
			todo = append(todo, u)
		}
	}
	in.indexUnits(todo)
	if in.early != nil {
		// Searches indexed some units out of order.
		for n, refs := range in.names {
			in.names[n] = in.inOrder(refs)
		}
	}
}

// unitScan is one reading of a unit's top-level entries (and those of
// the namespaces in it) into the unit's index.
type unitScan struct {
	in  *Info
	u   *unit
	r   *dwarf.Reader
	sep string // between the parts of a qualified name
	ix  unitIndex
	// scopes are the classes, structs and unions whose children are
	// skipped, to name the C++ static members and methods defined outside
	// them; hi is the offset of the first entry after the scope's
	// children (0 until it is read).
	scopes []scope
	// specs are definitions that point at a declaration elsewhere.
	specs []specRef
}

type scope struct {
	lo, hi dwarf.Offset
	name   string
}

type specRef struct {
	ref  nameRef
	spec dwarf.Offset // the declaration
}

func (in *Info) newUnitScan(u *unit) *unitScan {
	s := &unitScan{in: in, u: u, r: in.d.Reader(), sep: "::", ix: unitIndex{names: map[string][]nameRef{}}}
	if u.lang == "go" {
		s.sep = "."
	}
	return s
}

// scanUnit indexes u. It is safe to run concurrently for different units
// once .debug_rnglists is loaded (indexAll): it only reads.
func (in *Info) scanUnit(u *unit) (ix unitIndex) {
	s := in.newUnitScan(u)
	defer func() {
		recover() // a malformed unit indexes what it could
		ix = s.ix
	}()
	s.r.Seek(u.off)
	if e, err := s.r.Next(); err != nil || e == nil || !e.Children {
		return
	}
	s.walk("", 0)
	s.resolveSpecs()
	return
}

func (s *unitScan) add(name string, ref nameRef) {
	if name != "" {
		s.ix.names[name] = append(s.ix.names[name], ref)
	}
}

// walk indexes the entries at one level, under the qualified name prefix.
func (s *unitScan) walk(prefix string, depth int) {
	for {
		e, err := s.r.Next()
		if err != nil || e == nil || e.Tag == 0 {
			return
		}
		for i := len(s.scopes) - 1; i >= 0 && s.scopes[i].hi == 0; i-- {
			s.scopes[i].hi = e.Offset
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		qual := name
		if prefix != "" && name != "" {
			qual = prefix + s.sep + name
		}
		switch e.Tag {
		case dwarf.TagNamespace, dwarf.TagModule:
			if e.Children && depth < 32 {
				p := prefix
				if name != "" {
					p = qual
				}
				s.walk(p, depth+1)
			}
			continue
		}
		s.entry(e, qual)
		if e.Children {
			s.r.SkipChildren()
		}
	}
}

// entry indexes one entry that may define a name: a variable, a function
// or a type.
func (s *unitScan) entry(e *dwarf.Entry, qual string) {
	switch e.Tag {
	case dwarf.TagVariable:
		s.variable(e, qual)
	case dwarf.TagSubprogram:
		s.function(e, qual)
	case dwarf.TagStructType, dwarf.TagClassType, dwarf.TagUnionType, dwarf.TagEnumerationType,
		dwarf.TagTypedef, dwarf.TagBaseType:
		s.typ(e, qual)
	}
}

// variable indexes a variable definition (not a declaration).
func (s *unitScan) variable(e *dwarf.Entry, qual string) {
	ref := nameRef{off: e.Offset, unit: s.u.idx, kind: refVar}
	if e.Val(dwarf.AttrLocation) == nil && e.Val(dwarf.AttrConstValue) == nil {
		return // a declaration
	}
	if spec, ok := e.Val(dwarf.AttrSpecification).(dwarf.Offset); ok {
		s.specs = append(s.specs, specRef{ref, spec})
		return
	}
	s.add(qual, ref)
}

// function indexes a function with code: its name and its pc ranges.
func (s *unitScan) function(e *dwarf.Entry, qual string) {
	ref := nameRef{off: e.Offset, unit: s.u.idx, kind: refFunc}
	if e.Val(dwarf.AttrRanges) != nil {
		s.in.loadRngLists() // done already when units are scanned in parallel
	}
	rs, err := s.in.d.Ranges(e)
	if err != nil || len(rs) == 0 {
		return
	}
	entry, _ := e.Val(dwarf.AttrLowpc).(uint64)
	if entry == 0 {
		entry = rs[0][0]
	}
	fn := qual
	link := linkageName(e)
	if link != "" && s.u.lang != "go" && s.u.lang != "c" {
		fn = demangleNoParams(link)
	}
	spec, hasSpec := e.Val(dwarf.AttrSpecification).(dwarf.Offset)
	if !hasSpec {
		spec, hasSpec = e.Val(dwarf.AttrAbstractOrigin).(dwarf.Offset)
	}
	for _, rg := range rs {
		s.ix.funcs = append(s.ix.funcs, funcRange{low: rg[0], high: rg[1], entry: entry, off: e.Offset, name: fn})
	}
	if hasSpec && (fn == "" || link == "") {
		s.specs = append(s.specs, specRef{ref, spec})
		return
	}
	s.add(fn, ref)
}

// typ indexes a type definition, and opens the scope of a struct, class
// or union with members.
func (s *unitScan) typ(e *dwarf.Entry, qual string) {
	if e.Val(dwarf.AttrDeclaration) == nil {
		s.add(qual, nameRef{off: e.Offset, unit: s.u.idx, kind: refType, tag: e.Tag})
	}
	if e.Children && (e.Tag == dwarf.TagStructType || e.Tag == dwarf.TagClassType || e.Tag == dwarf.TagUnionType) {
		// Its end is the offset of the next real entry read.
		s.scopes = append(s.scopes, scope{e.Offset, 0, qual})
	}
}

// resolveSpecs names the definitions that point at a declaration (C++
// static members and out-of-class methods) by the declaration's scope.
func (s *unitScan) resolveSpecs() {
	for i := range s.scopes {
		if s.scopes[i].hi == 0 {
			s.scopes[i].hi = s.u.end
		}
	}
	for _, sp := range s.specs {
		s.r.Seek(sp.spec)
		d, err := s.r.Next()
		if err != nil || d == nil {
			continue
		}
		name, _ := d.Val(dwarf.AttrName).(string)
		if sp.ref.kind == refFunc {
			if link := linkageName(d); link != "" {
				qn := demangleNoParams(link)
				s.add(qn, sp.ref)
				renameFunc(s.ix.funcs, sp.ref.off, qn)
				continue
			}
		}
		i := sort.Search(len(s.scopes), func(i int) bool { return s.scopes[i].hi > sp.spec })
		if i < len(s.scopes) && s.scopes[i].lo < sp.spec && s.scopes[i].name != "" {
			name = s.scopes[i].name + s.sep + name
		} else if link := linkageName(d); link != "" && s.u.lang != "c" {
			name = demangleNoParams(link)
		}
		s.add(name, sp.ref)
		if sp.ref.kind == refFunc {
			renameFunc(s.ix.funcs, sp.ref.off, name)
		}
	}
}

func renameFunc(fs []funcRange, off dwarf.Offset, name string) {
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
		return in.search(name, kind, pick)
	}
	return pick()
}
