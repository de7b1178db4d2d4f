package debugger

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"hwdbg/arch"
	"hwdbg/debugfile"
	"hwdbg/debuginfo"
	"hwdbg/expr"
	"hwdbg/symbols"
)

// mem is the traced process's memory, for debuginfo.
func (d *Debugger) mem() debuginfo.Memory { return d.proc }

// loadDebugInfo opens the program's DWARF, if it has any. It is read
// lazily: opening indexes names, types are parsed when first used.
func (d *Debugger) loadDebugInfo(path string, bias uint64) {
	if d.dwarf != nil {
		d.dwarf.Close()
	}
	for _, in := range d.libDwarf {
		if in != nil {
			in.Close()
		}
	}
	d.dwarf, d.cfi, d.cfiCached, d.locals, d.libDwarf = nil, map[string]*debuginfo.CFI{}, nil, nil, nil
	in, err := debuginfo.Load(path, bias)
	if err != nil {
		if !errors.Is(err, debuginfo.ErrNoDWARF) {
			d.dwarfErr = err
		}
		return
	}
	d.dwarf = in
	if in.DebugFile() != "" {
		tracef("debug info of %s: from %s", path, in.DebugFile())
	}
}

// objectDwarf is the DWARF of the shared object that holds pc (not the
// program: that is d.dwarf), or nil. It is read the first time a name or
// a line is needed in that object, not when the object is loaded: a
// library's DWARF (libc's, in its separate debug file, is megabytes) takes
// tens of milliseconds to open, which a session that never stops in the
// library does not pay.
func (d *Debugger) objectDwarf(pc uint64) *debuginfo.Info {
	path := ""
	if s, ok := d.symbolAt(pc); ok {
		path = s.File
	} else {
		for _, m := range d.maps() {
			if m.Contains(pc) {
				path = m.Path
				break
			}
		}
	}
	if path == "" || path == d.proc.Path || !strings.HasPrefix(path, "/") {
		return nil
	}
	if in, ok := d.libDwarf[path]; ok {
		return in
	}
	if d.libDwarf == nil {
		d.libDwarf = map[string]*debuginfo.Info{}
	}
	d.libDwarf[path] = nil
	bias, err := symbols.BiasIn(d.maps(), path)
	if err != nil {
		return nil
	}
	start := time.Now()
	in, err := debuginfo.LoadWith(path, bias, debuginfo.Options{DebugDirs: debugfile.Dirs(), Lines: true})
	if err != nil {
		if !errors.Is(err, debuginfo.ErrNoDWARF) {
			tracef("debug info of %s: %v", path, err)
		}
		return nil
	}
	tracef("debug info of %s: %v (from %s)", path, time.Since(start), in.DebugFile())
	d.libDwarf[path] = in
	return in
}

// HasDebugInfo tells whether source-level features are on.
func (d *Debugger) HasDebugInfo() bool { return d.dwarf != nil }

// DebugInfoProblem is why DWARF could not be read, if it exists but is
// unreadable.
func (d *Debugger) DebugInfoProblem() error { return d.dwarfErr }

// frames unwinds thread tid's stack by CFI (the program's and its
// libraries'), frame pointers where there is none.
func (d *Debugger) frames(tid, max int) ([]debuginfo.UnwoundFrame, error) {
	regs, err := d.arch.GetRegs(tid)
	if err != nil {
		return nil, fmt.Errorf("read registers of thread %d: %w", tid, err)
	}
	return d.unwind(regs, max)
}

// unwind walks the stack from registers already read.
func (d *Debugger) unwind(regs arch.Regs, max int) ([]debuginfo.UnwoundFrame, error) {
	dr := d.arch.DWARFRegs()
	m := map[int]uint64{}
	for i, name := range dr.Names {
		if v, ok := regs.Get(name); ok {
			m[i] = v
		}
	}
	return debuginfo.Unwind(dr, d.cfiTables(), regs.PC(), m, d.mem(), max)
}

// cfiTables are the call frame tables of the program and of every ELF
// object mapped in it, loaded once each.
func (d *Debugger) cfiTables() []*debuginfo.CFI {
	if d.cfiCached != nil && d.libsChecked {
		return d.cfiCached
	}
	if d.cfi == nil {
		d.cfi = map[string]*debuginfo.CFI{}
	}
	maps := d.maps()
	var out []*debuginfo.CFI
	seen := map[string]bool{}
	add := func(path string) {
		if seen[path] {
			return
		}
		seen[path] = true
		c, ok := d.cfi[path]
		if !ok {
			bias, _ := symbols.BiasIn(maps, path) // 0 for a non-PIE executable
			c, _ = debuginfo.LoadCFI(path, bias)
			d.cfi[path] = c
		}
		if c != nil {
			out = append(out, c)
		}
	}
	add(d.proc.Path)
	for _, m := range maps {
		if m.Offset == 0 && strings.HasPrefix(m.Path, "/") {
			add(m.Path)
		}
		if m.Path == "[vdso]" && !seen[m.Path] {
			// The vDSO has no file: its image is read from memory. A
			// 32-bit program makes every system call through it
			// (__kernel_vsyscall), so a thread stopped in a system call
			// unwinds through its CFI.
			seen[m.Path] = true
			c, ok := d.cfi[m.Path]
			if !ok {
				c, _ = d.vdsoCFI(m)
				d.cfi[m.Path] = c
			}
			if c != nil {
				out = append(out, c)
			}
		}
	}
	d.cfiCached = out
	d.loadLibraries() // marks this stop as looked at
	return out
}

// maxVDSO bounds the vDSO image read from memory (it is a few pages).
const maxVDSO = 1 << 20

// vdsoCFI reads the call frame information of the vDSO mapped at m.
func (d *Debugger) vdsoCFI(m symbols.Mapping) (*debuginfo.CFI, error) {
	if m.End <= m.Start || m.End-m.Start > maxVDSO {
		return nil, fmt.Errorf("vdso at %#x: %d bytes is not a vDSO image", m.Start, m.End-m.Start)
	}
	image := make([]byte, m.End-m.Start)
	if err := d.proc.ReadMemory(m.Start, image); err != nil {
		return nil, fmt.Errorf("read the vdso at %#x: %w", m.Start, err)
	}
	return debuginfo.LoadCFIImage("[vdso]", image, m.Start)
}

// Frame is one frame of a backtrace.
type Frame struct {
	Location
	CFA uint64
	// Args are the frame's parameters and their values, as a backtrace
	// shows them; nil without debug information there.
	Args []Arg
}

// Backtrace unwinds the selected thread's stack.
func (d *Debugger) Backtrace(max int) ([]Frame, error) {
	if d.proc.Exited() {
		return nil, ErrExited
	}
	var fs []debuginfo.UnwoundFrame
	var args [][]Arg
	var err error
	d.proc.Do(func() {
		if fs, err = d.frames(d.Current, max); err == nil {
			for _, f := range fs {
				args = append(args, d.frameArgs(f))
			}
		}
	})
	if err != nil {
		return nil, err
	}
	out := make([]Frame, 0, len(fs))
	for i, f := range fs {
		loc := d.location(f.LookupPC())
		loc.PC = f.PC
		if f.Caller {
			loc.Offset++ // described at the call, shown at the return address
		}
		out = append(out, Frame{Location: loc, CFA: f.CFA, Args: args[i]})
	}
	return out, nil
}

// SelectFrame makes frame n of the selected thread the one whose locals
// expressions see.
func (d *Debugger) SelectFrame(n int) (Frame, error) {
	fs, err := d.Backtrace(n + 1)
	if err != nil {
		return Frame{}, err
	}
	if n < 0 || n >= len(fs) {
		return Frame{}, fmt.Errorf("no frame %d: the stack has %d %s (see backtrace)", n, len(fs), map[bool]string{true: "frame", false: "frames"}[len(fs) == 1])
	}
	d.frame = n
	return fs[n], nil
}

// SelectedFrame is the frame expressions see.
func (d *Debugger) SelectedFrame() int { return d.frame }

// framePC is the pc of frame `frame` (its call's, in a caller) of thread
// tid.
func (d *Debugger) framePC(tid, frame int) (uint64, bool) {
	regs, err := d.arch.GetRegs(tid)
	if err != nil {
		return 0, false
	}
	if frame == 0 {
		return regs.PC(), true
	}
	fs, err := d.unwind(regs, frame+1)
	if err != nil || frame >= len(fs) {
		return 0, false
	}
	return fs[frame].LookupPC(), true
}

// local finds a local or parameter of frame `frame` of thread tid, with
// the frame that owns it and where that frame returns to. ok is false
// when there is none of that name. A static local has no Frame: it lives
// at a fixed address for the whole program, not in the frame.
func (d *Debugger) local(tid, frame int, name string) (l expr.Local, ok bool, err error) {
	if d.dwarf == nil {
		return expr.Local{}, false, nil
	}
	// Find the name among the frame's variables first (cheap, cached per
	// pc); unwind only when there is one.
	regs, err := d.arch.GetRegs(tid)
	if err != nil {
		return expr.Local{}, false, nil
	}
	if frame == 0 && !d.hasLocal(regs.PC(), name) {
		return expr.Local{}, false, nil
	}
	fs, err := d.unwind(regs, frame+2)
	if err != nil || frame >= len(fs) {
		return expr.Local{}, false, nil
	}
	f := fs[frame]
	l, lv, ok, err := d.frameVar(f, name)
	if !ok || err != nil || lv.IsGlobal() {
		return l, ok, err
	}
	l.Frame = &expr.Frame{Tid: tid, CFA: f.CFA, Func: lv.Func, Go: lv.Type != nil && lv.Type.Go}
	if frame+1 < len(fs) {
		l.Frame.RetPC = fs[frame+1].PC
	}
	return l, true, nil
}

// frameVar finds a local, parameter or static local named name in scope
// in frame f, and its storage there. ok is false when there is none.
func (d *Debugger) frameVar(f debuginfo.UnwoundFrame, name string) (l expr.Local, lv debuginfo.Variable, ok bool, err error) {
	for _, lv := range d.localsAt(f.LookupPC()) {
		if lv.Name != name {
			continue
		}
		if lv.Const {
			return expr.Local{}, lv, true, fmt.Errorf("%s is a constant with no storage: nothing to watch or read", name)
		}
		l, err := d.varStorage(f, lv)
		if err != nil {
			return expr.Local{}, lv, true, fmt.Errorf("%s: %w", name, err)
		}
		return l, lv, true, nil
	}
	return expr.Local{}, debuginfo.Variable{}, false, nil
}

// localsAt lists the variables in scope at pc, cached per pc.
func (d *Debugger) localsAt(pc uint64) []debuginfo.Variable {
	if vars, ok := d.locals[pc]; ok {
		return vars
	}
	vars, _ := d.dwarf.Locals(pc)
	if d.locals == nil || len(d.locals) > 4096 {
		d.locals = map[uint64][]debuginfo.Variable{}
	}
	d.locals[pc] = vars
	return vars
}

func (d *Debugger) hasLocal(pc uint64, name string) bool {
	for _, v := range d.localsAt(pc) {
		if v.Name == name {
			return true
		}
	}
	return false
}

// funcAt names the function containing pc: from the program's DWARF
// (qualified, demangled), else the symbol table (which holds a stripped
// library's full .symtab when its debug file is installed), demangled,
// else the library's DWARF. In a library the symbol comes first: it names
// the function as the library exports it (printf, not __printf).
func (d *Debugger) funcAt(pc uint64) (string, uint64, bool) {
	if d.dwarf != nil {
		if name, entry, ok := d.dwarf.FuncAt(pc); ok {
			return name, entry, true
		}
	}
	if s, ok := d.symbolAt(pc); ok {
		return debuginfo.Demangle(s.BaseName()), s.Addr, true
	}
	if in := d.objectDwarf(pc); in != nil {
		return in.FuncAt(pc)
	}
	return "", 0, false
}

// lineOf is pc's source line, when known: from the program's DWARF, or
// the DWARF of the library that holds pc.
func (d *Debugger) lineOf(pc uint64) (string, int, bool) {
	if d.dwarf != nil {
		if file, line, ok := d.dwarf.LineFor(pc); ok {
			return file, line, true
		}
	}
	if in := d.objectDwarf(pc); in != nil {
		return in.LineFor(pc)
	}
	return "", 0, false
}

// linePCs resolves FILE:LINE to code addresses.
func (d *Debugger) linePCs(file string, line int) ([]uint64, error) {
	if d.dwarf == nil {
		return nil, fmt.Errorf("%s:%d: lines need debug information (DWARF), which this program lacks", file, line)
	}
	pcs, err := d.dwarf.PCsFor(file, line)
	if err != nil {
		return nil, fmt.Errorf("%s:%d: %s", file, line, strings.TrimPrefix(err.Error(), "debuginfo: "))
	}
	return pcs, nil
}

// Names lists symbol and variable names starting with prefix, for
// completion: DWARF globals (qualified, as users type them) and ELF
// symbols, demangled.
func (d *Debugger) Names(prefix string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(n string) {
		if strings.HasPrefix(n, prefix) && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	if d.dwarf != nil {
		for _, n := range d.dwarf.GlobalNames(prefix) {
			add(n)
		}
	}
	if d.symtab() != nil {
		for _, n := range d.syms.Names("") {
			add(debuginfo.Demangle(n))
		}
	}
	sort.Strings(out)
	return out
}
