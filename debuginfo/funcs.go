package debuginfo

import (
	"debug/dwarf"
	"sort"
	"strings"
)

// funcRange is one pc range of a function, unbiased.
type funcRange struct {
	low, high uint64
	entry     uint64 // function's entry (low_pc), unbiased
	off       dwarf.Offset
	name      string
}

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
