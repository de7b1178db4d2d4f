package debugger

import (
	"fmt"
	"os"

	"hwdbg/symbols"
)

// loadSymbols reads the program's symbol table (tracer thread not needed).
func (d *Debugger) loadSymbols() error { return d.loadSymbolsNow() }

func (d *Debugger) loadSymbolsNow() error {
	path := d.proc.Path
	bias := uint64(0)
	pie, err := symbols.IsPIE(path)
	if err != nil {
		d.syms = nil
		return fmt.Errorf("cannot read symbols of %s: %w", path, err)
	}
	if pie {
		bias, err = symbols.LoadBias(d.proc.Pid, path)
		if err != nil {
			d.syms = nil
			return fmt.Errorf("cannot find where %s is loaded: %w", path, err)
		}
	}
	t, err := symbols.Load(path, bias)
	if err != nil {
		d.syms = nil
		return fmt.Errorf("cannot read symbols of %s: %w", path, err)
	}
	d.syms = t
	return nil
}

func readExe(pid int) (string, error) {
	return os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
}

// Symbols is the program's symbol table (nil when it has none).
func (d *Debugger) Symbols() *symbols.Table { return d.syms }

// location describes a code address.
func (d *Debugger) location(pc uint64) Location {
	loc := Location{PC: pc}
	if d.syms != nil {
		if s, ok := d.syms.At(pc); ok {
			loc.Func, loc.Offset = s.Name, pc-s.Addr
		}
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

// Describe renders a location as "func+off" or the bare address.
func (l Location) Describe() string {
	if l.Func == "" {
		return fmt.Sprintf("%#x", l.PC)
	}
	return describe(l.Func, l.Offset)
}
