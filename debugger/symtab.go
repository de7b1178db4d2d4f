package debugger

import (
	"debug/elf"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"hwdbg/symbols"
)

// loadSymbols opens the program's DWARF; its ELF symbols are read when
// first needed (see symtab).
func (d *Debugger) loadSymbols() error {
	path := d.proc.Path
	bias := uint64(0)
	d.image++
	if err := d.selectArch(path); err != nil {
		d.setSyms(nil)
		return err
	}
	pie, err := symbols.IsPIE(path)
	if err != nil {
		d.setSyms(nil)
		return fmt.Errorf("cannot read symbols of %s: %w", path, err)
	}
	if pie {
		bias, err = symbols.LoadBias(d.proc.Pid, path)
		if err != nil {
			d.setSyms(nil)
			return fmt.Errorf("cannot find where %s is loaded: %w", path, err)
		}
	}
	// The ELF symbol table is read when first needed: on a big binary it
	// takes tens of milliseconds and megabytes, and a global found in the
	// DWARF needs no symbol table at all.
	d.symsMu.Lock()
	d.syms, d.symsLater = nil, &symbolSource{path, bias}
	d.symsMu.Unlock()
	start := time.Now()
	d.loadDebugInfo(path, bias)
	tracef("debug info of %s: %v", path, time.Since(start))
	d.loaded = map[string]bool{path: true}
	d.libsChecked = false
	return nil
}

// selectArch picks the backend for the program at path by its ELF class
// and machine (an i386 program on amd64 gets the backend's 32-bit mode),
// and the program's pointer size, or says why it cannot be debugged.
func (d *Debugger) selectArch(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("cannot read the ELF header of %s: %w", path, err)
	}
	defer f.Close()
	b, err := d.arch.ForProgram(f.Class, f.Machine)
	if err != nil {
		return fmt.Errorf("cannot debug %s: %w", path, err)
	}
	d.arch = b
	d.ptrSize = 8
	if f.Class == elf.ELFCLASS32 {
		d.ptrSize = 4
	}
	return nil
}

// symbolSource is the file whose symbols are read when first needed.
type symbolSource struct {
	path string
	bias uint64
}

// symtab is the ELF symbol table, read the first time it is asked for
// (nil if it cannot be).
func (d *Debugger) symtab() *symbols.Table {
	d.symsMu.Lock()
	defer d.symsMu.Unlock()
	if src := d.symsLater; src != nil {
		d.symsLater = nil
		start := time.Now()
		t, err := symbols.Load(src.path, src.bias)
		if err != nil {
			tracef("symbols of %s: %v", src.path, err)
			t = nil
		}
		d.syms = t
		tracef("symbols of %s: %v", src.path, time.Since(start))
	}
	return d.syms
}

func (d *Debugger) setSyms(t *symbols.Table) {
	d.symsMu.Lock()
	d.syms, d.symsLater = t, nil
	d.symsMu.Unlock()
}

// loadLibraries adds the symbols of every ELF object mapped in the process
// that is not loaded yet (shared libraries, the dynamic loader). It reads
// /proc/PID/maps at most once per stop.
func (d *Debugger) loadLibraries() {
	if d.libsChecked || d.symtab() == nil || d.proc.Exited() {
		return
	}
	d.libsChecked = true
	maps := d.maps()
	for _, m := range maps {
		if m.Offset != 0 || !strings.HasPrefix(m.Path, "/") || d.loaded[m.Path] {
			continue
		}
		d.loaded[m.Path] = true
		bias, err := symbols.BiasIn(maps, m.Path)
		if err != nil {
			continue
		}
		if t, err := symbols.Load(m.Path, bias); err == nil {
			d.syms.Merge(t)
		}
	}
}

// lookup finds a symbol in the program, then in its shared libraries.
func (d *Debugger) lookup(name string) (symbols.Symbol, bool) {
	if d.symtab() == nil {
		return symbols.Symbol{}, false
	}
	if s, ok := d.syms.Lookup(name); ok {
		return s, true
	}
	d.loadLibraries()
	return d.syms.Lookup(name)
}

// symbolAt finds the symbol containing addr, in the program or a library.
func (d *Debugger) symbolAt(addr uint64) (symbols.Symbol, bool) {
	if d.symtab() == nil {
		return symbols.Symbol{}, false
	}
	if s, ok := d.syms.At(addr); ok {
		return s, true
	}
	d.loadLibraries()
	return d.syms.At(addr)
}

// Symbols is the program's symbol table (nil when it has none).
func (d *Debugger) Symbols() *symbols.Table { return d.symtab() }

// location describes a code address.
func (d *Debugger) location(pc uint64) Location {
	loc := Location{PC: pc}
	if name, entry, ok := d.funcAt(pc); ok {
		loc.Func, loc.Offset = name, pc-entry
	}
	if file, line, ok := d.lineOf(pc); ok {
		loc.File, loc.Line = file, line
	}
	if loc.Func == "" {
		loc.Object = d.objectAt(pc)
	}
	return loc
}

// locationOf describes where thread tid is stopped.
func (d *Debugger) locationOf(tid int) Location {
	regs, err := d.arch.GetRegs(tid)
	if err != nil {
		return Location{}
	}
	return d.location(regs.PC())
}

// Describe renders a location as "func+off", "in OBJECT", or the bare
// address.
func (l Location) Describe() string {
	if l.Func == "" {
		if l.Object != "" {
			return "in " + l.Object
		}
		return fmt.Sprintf("%#x", l.PC)
	}
	return describe(l.Func, l.Offset)
}

// maps is /proc/PID/maps, read once per stop.
func (d *Debugger) maps() []symbols.Mapping {
	if d.mapsCached == nil && !d.proc.Exited() {
		d.mapsCached, _ = symbols.ReadMaps(d.proc.Pid)
	}
	return d.mapsCached
}

// objectAt names the file mapped at addr (its base name).
func (d *Debugger) objectAt(addr uint64) string {
	for _, m := range d.maps() {
		if m.Contains(addr) && m.Path != "" {
			return filepath.Base(m.Path)
		}
	}
	return ""
}
