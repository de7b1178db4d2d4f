package debuginfo

import (
	"bytes"
	"debug/dwarf"
	"encoding/binary"
	"runtime"
	"runtime/debug"
	"sort"
	"sync"
)

// A name looked for before every unit is indexed is searched for instead
// of indexed: the units are read in parallel with the DIE reader
// (dies.go), which decodes only the top-level entries' tags and names and
// skips their children whole, and only the entries it finds are read as
// the index reads them (unitScan.entry). A big C program's first watch
// thus reads its units' top-level entries once, and builds no index of
// the hundreds of thousands of names it has. Go names need no search: a
// package's names are in its own unit (goPackageUnits).

// searchKey is one searched name.
type searchKey struct {
	name string
	kind refKind
}

// searchable tells whether the DIE reader names the definitions of u the
// way the index does: in C, Go and assembly a definition is named by its
// DW_AT_name, or by that of the declaration it completes, with no
// namespace, class or mangled name to qualify it. The units of other
// languages are indexed.
func searchable(u *unit) bool {
	return u.lang == "c" || u.lang == "go" || u.lang == "asm"
}

// search finds the definitions of name of the given kind, in the order
// indexing every unit at the first search would have listed them
// (inOrder). The units whose names the DIE reader cannot give
// (searchable) are indexed on the way; a unit it cannot read is indexed
// too.
func (in *Info) search(name string, kind refKind, pick func() []nameRef) []nameRef {
	key := searchKey{name, kind}
	if rs, ok := in.searched[key]; ok {
		return rs
	}
	if in.early == nil {
		in.early = make([]bool, len(in.units))
		for i, u := range in.units {
			in.early[i] = u.indexed
		}
	}
	var index, scan []*unit
	for _, u := range in.units {
		switch {
		case u.indexed:
		case searchable(u):
			scan = append(scan, u)
		default:
			index = append(index, u)
		}
	}
	found, failed := in.searchUnits(scan, name, kind)
	index = append(index, failed...)
	sort.Slice(index, func(i, j int) bool { return index[i].idx < index[j].idx })
	in.indexUnits(index)
	out := in.inOrder(append(pick(), found...))
	if in.searched == nil {
		in.searched = map[searchKey][]nameRef{}
	}
	in.searched[key] = out
	return out
}

// inOrder sorts definitions into the order the index lists them when
// every unit is indexed at once, as the first search would have done
// without the DIE reader: first those of the units indexed before it, as
// they were indexed, then the others in unit order. Before any search
// the index's order is that already.
func (in *Info) inOrder(refs []nameRef) []nameRef {
	if in.early == nil {
		return refs
	}
	early := func(r nameRef) bool { return int(r.unit) < len(in.early) && in.early[r.unit] }
	sort.SliceStable(refs, func(i, j int) bool {
		ei, ej := early(refs[i]), early(refs[j])
		if ei || ej {
			return ei && !ej
		}
		return refs[i].unit < refs[j].unit
	})
	return refs
}

// indexUnits indexes the units us (not yet indexed), in parallel, and
// merges their indexes in unit order.
func (in *Info) indexUnits(us []*unit) {
	if len(us) == 0 {
		return
	}
	in.loadRngLists()
	for _, u := range us {
		u.indexed = true
	}
	results := make([]unitIndex, len(us))
	parallel(len(us), func(i int) { results[i] = in.scanUnit(us[i]) })
	for i, u := range us {
		in.merge(u, results[i])
	}
}

// parallel runs f(0) ... f(n-1) on a few goroutines. A panic in f(i),
// a fault reading a mapped section among them (see lock), ends f(i)
// alone: f leaves its result unset.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), 4, n)
	var wg sync.WaitGroup
	next := make(chan int)
	run := func(i int) {
		defer func() { recover() }()
		f(i)
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			debug.SetPanicOnFault(true)
			for i := range next {
				run(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

// searchUnits looks for the definitions of name of the given kind in us
// with the DIE reader, then reads the entries it found as the index
// would. It returns them in unit order, and the units it could not read.
func (in *Info) searchUnits(us []*unit, name string, kind refKind) (found []nameRef, failed []*unit) {
	if len(us) == 0 {
		return nil, nil
	}
	info, err := in.section(".debug_info")
	if err != nil {
		return nil, us
	}
	strs := in.strSections()
	dus := make([]*dieUnit, len(us))
	for i, u := range us {
		dus[i] = in.dieUnit(u, strs)
	}
	offs := make([][]uint64, len(us))
	ok := make([]bool, len(us))
	want := []byte(name)
	parallel(len(us), func(i int) {
		if dus[i] != nil {
			offs[i], ok[i] = candidates(info, dus[i], in.order, want, kind)
			in.release(".debug_info", us[i].hdr.off, us[i].hdr.end)
		}
	})
	for i, u := range us {
		if !ok[i] {
			failed = append(failed, u)
			continue
		}
		if len(offs[i]) == 0 {
			continue
		}
		ix := in.readEntries(u, offs[i])
		for _, r := range ix.names[name] {
			if r.kind == kind {
				found = append(found, r)
			}
		}
	}
	return found, failed
}

// readEntries indexes the top-level entries of u at offs, as scanUnit
// indexes them.
func (in *Info) readEntries(u *unit, offs []uint64) (ix unitIndex) {
	s := in.newUnitScan(u)
	defer func() {
		recover() // a malformed entry indexes nothing
		ix = s.ix
	}()
	for _, off := range offs {
		s.r.Seek(dwarf.Offset(off))
		e, err := s.r.Next()
		if err != nil || e == nil {
			continue
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		s.entry(e, name)
	}
	s.resolveSpecs()
	return s.ix
}

// strSections are the string sections a DIE's name may be in.
func (in *Info) strSections() strSections {
	return strSections{
		str:        in.small[".debug_str"],
		lineStr:    in.small[".debug_line_str"],
		strOffsets: in.small[".debug_str_offsets"],
	}
}

// dieUnit is what the DIE reader needs of u, nil when its abbreviations
// cannot be read.
func (in *Info) dieUnit(u *unit, strs strSections) *dieUnit {
	t, err := in.abbrevTable(u.hdr)
	if err != nil {
		return nil
	}
	strxBase := uint64(0)
	if v, ok := u.entry.Val(dwarf.AttrStrOffsetsBase).(int64); ok && v >= 0 {
		strxBase = uint64(v)
	}
	return newDIEUnit(u.hdr, t, strs, strxBase)
}

// abbrevKey is an abbreviation table as read for units of one format.
type abbrevKey struct {
	off    uint64
	format unitFormat
}

// abbrevTable is the abbreviation table of the unit of header h, read
// once for each format of unit that uses it.
func (in *Info) abbrevTable(h unitHeader) (*abbrevTable, error) {
	key := abbrevKey{h.abbrev, formatOf(h)}
	if t, ok := in.abbrevs[key]; ok {
		return t, nil
	}
	b, err := in.section(".debug_abbrev")
	if err != nil {
		return nil, err
	}
	t, err := parseAbbrevs(b, h.abbrev, in.order)
	if err != nil {
		return nil, err
	}
	if in.abbrevs == nil {
		in.abbrevs = map[abbrevKey]*abbrevTable{}
	}
	in.abbrevs[key] = t
	return t, nil
}

// kindTags tells whether a DIE of tag may define a name of kind k, as
// unitScan.entry indexes them.
func kindTags(k refKind, tag dwarf.Tag) bool {
	switch k {
	case refVar:
		return tag == dwarf.TagVariable
	case refFunc:
		return tag == dwarf.TagSubprogram
	}
	switch tag {
	case dwarf.TagStructType, dwarf.TagClassType, dwarf.TagUnionType, dwarf.TagEnumerationType,
		dwarf.TagTypedef, dwarf.TagBaseType:
		return true
	}
	return false
}

// candidates are the offsets of the top-level DIEs of the unit that may
// define name as a kind: those named name, and those that take their
// name from another DIE (a declaration they complete, an abstract
// origin) named name, or with a linkage name, or out of the reader's
// reach. ok is false when the unit holds what the reader cannot name as
// the index does (a namespace or a module), or cannot be read.
func candidates(info []byte, u *dieUnit, order binary.ByteOrder, name []byte, kind refKind) (offs []uint64, ok bool) {
	dr := newDIEReader(info, u, order)
	var d die
	if more, err := dr.next(&d); err != nil || !more {
		return nil, err == nil
	}
	if !d.kids {
		return nil, true
	}
	for {
		more, err := dr.next(&d)
		if err != nil {
			return nil, false
		}
		if !more {
			return offs, true
		}
		switch {
		case d.tag == dwarf.TagNamespace || d.tag == dwarf.TagModule:
			return nil, false
		case !kindTags(kind, d.tag):
		case bytes.Equal(d.name, name):
			offs = append(offs, d.off)
		case d.target != 0:
			tname, tlink, err := dr.nameAt(d.target)
			if err != nil || tlink || bytes.Equal(tname, name) {
				offs = append(offs, d.off)
			}
		}
		if err := dr.skipKids(&d); err != nil {
			return nil, false
		}
	}
}
