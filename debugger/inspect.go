package debugger

import (
	"bytes"
	"fmt"

	"hwdbg/arch"
	"hwdbg/debuginfo"
	"hwdbg/expr"
)

// ReadMemory reads n bytes at addr.
func (d *Debugger) ReadMemory(addr uint64, n int) ([]byte, error) {
	if d.proc.Exited() {
		return nil, ErrExited
	}
	if n < 0 || n > 1<<20 {
		return nil, fmt.Errorf("cannot read %d bytes at once (at most 1 MiB)", n)
	}
	b := make([]byte, n)
	if err := d.proc.ReadMemory(addr, b); err != nil {
		return nil, err
	}
	return d.originalCode(addr, b), nil // as the program wrote it, without our breakpoints
}

// EvalAddress evaluates an expression to an address, for x: as in gdb,
// the expression's value is the address (x/s ptr examines what ptr points
// to), except that an array, struct, union, memory of unknown type, or a
// name of any other non-pointer type stands for its own address.
func (d *Debugger) EvalAddress(src string) (uint64, error) {
	if d.proc.Exited() {
		return 0, ErrExited
	}
	e, err := expr.Parse(src)
	if err != nil {
		return 0, err
	}
	var addr uint64
	d.proc.Do(func() {
		s := d.selected()
		var v expr.Value
		if v, err = expr.Eval(e, s); err != nil {
			return
		}
		aggregate := v.Type.Kind == expr.KindBytes || v.Type.Kind == debuginfo.Array || v.Type.Kind == debuginfo.Struct || v.Type.Kind == debuginfo.Union
		if v.Lvalue && (aggregate || (expr.IsName(e) && v.Type.Kind != expr.KindPointer)) {
			addr = v.Addr
			return
		}
		var n int64
		n, err = v.Int(s)
		addr = uint64(n)
	})
	return addr, err
}

// Locate describes a code or data address: function or symbol (demangled),
// file:line, or the file mapped there.
func (d *Debugger) Locate(addr uint64) Location {
	var loc Location
	d.run(func() { loc = d.location(addr) })
	return loc
}

// EvalInt evaluates an expression to an integer (for print/x and such):
// integers, characters, enums, pointers, bitfields.
func (d *Debugger) EvalInt(src string) (int64, *Type, error) {
	if d.proc.Exited() {
		return 0, nil, ErrExited
	}
	e, err := expr.Parse(src)
	if err != nil {
		return 0, nil, err
	}
	var n int64
	var typ *Type
	d.proc.Do(func() {
		s := d.selected()
		var v expr.Value
		if v, err = expr.Eval(e, s); err == nil {
			typ = v.Type
			n, err = v.Int(s)
		}
	})
	return n, typ, err
}

// ReadString reads a NUL-terminated string of at most max bytes at addr,
// a page at a time.
func (d *Debugger) ReadString(addr uint64, max int) (string, error) {
	if d.proc.Exited() {
		return "", ErrExited
	}
	const page = 4096
	var out []byte
	for len(out) < max {
		a := addr + uint64(len(out))
		n := min(int(page-a%page), max-len(out))
		b := make([]byte, n)
		if err := d.proc.ReadMemory(a, b); err != nil {
			if len(out) == 0 {
				return "", err
			}
			break
		}
		if i := bytes.IndexByte(b, 0); i >= 0 {
			return string(append(out, b[:i]...)), nil
		}
		out = append(out, b...)
	}
	return string(out), nil
}

// Registers reads the selected thread's registers.
func (d *Debugger) Registers() ([]arch.Reg, error) {
	if d.proc.Exited() {
		return nil, ErrExited
	}
	var regs arch.Regs
	var err error
	d.proc.Do(func() { regs, err = d.arch.GetRegs(d.Current) })
	if err != nil {
		return nil, fmt.Errorf("read registers of thread %d: %w", d.Current, err)
	}
	return regs.List(), nil
}

// Where is where thread tid is stopped.
func (d *Debugger) Where(tid int) Location {
	var loc Location
	d.proc.Do(func() { loc = d.locationOf(tid) })
	return loc
}

// SelectThread makes tid the selected thread.
func (d *Debugger) SelectThread(tid int) error {
	if !d.HasThread(tid) {
		return fmt.Errorf("no thread %d (see info threads)", tid)
	}
	d.Current = tid
	return nil
}

// Instruction is one disassembled instruction.
type Instruction struct {
	At    Location
	Bytes []byte
	Text  string
	// Target is where a direct call or branch goes, TargetName what is
	// there ("strcpy@plt", "main+20"; "" when unknown).
	Target     uint64
	TargetName string
}

// Disassemble decodes n instructions from addr, or the whole function
// containing addr when n is 0.
func (d *Debugger) Disassemble(addr uint64, n int) ([]Instruction, error) {
	if d.proc.Exited() {
		return nil, ErrExited
	}
	end := uint64(0)
	if n == 0 {
		s, ok := d.symbolAt(addr)
		if !ok || s.Size == 0 {
			return nil, fmt.Errorf("no function contains %#x: give a count, e.g. x/10i %#x", addr, addr)
		}
		addr, end = s.Addr, s.Addr+s.Size
		n = 1 << 16
	}
	var out []Instruction
	var err error
	d.proc.Do(func() {
		pc := addr
		for i := 0; i < n && (end == 0 || pc < end); i++ {
			in, e := d.decodeAt(pc, nil)
			if e != nil || in.Len <= 0 {
				if i == 0 {
					err = fmt.Errorf("cannot disassemble at %#x: %v", pc, e)
				}
				return
			}
			b := make([]byte, in.Len)
			d.proc.ReadMemory(pc, b)
			out = append(out, d.instruction(in, b))
			pc += uint64(in.Len)
		}
	})
	return out, err
}

// PC is the selected thread's pc.
func (d *Debugger) PC() (uint64, error) {
	var pc uint64
	var err error
	d.proc.Do(func() {
		var r arch.Regs
		if r, err = d.arch.GetRegs(d.Current); err == nil {
			pc = r.PC()
		}
	})
	return pc, err
}
