package debugger

import "hwdbg/arch"

// instruction is a decoded instruction as disassemble shows it: where it
// is, and the name of what a call or branch goes to.
func (d *Debugger) instruction(in arch.Insn, code []byte) Instruction {
	out := Instruction{At: d.location(in.PC), Bytes: code, Text: in.Text, Target: in.Target}
	if out.At.Func == "" {
		if name := d.codeName(in.PC); name != "" {
			out.At.Func, out.At.Offset, out.At.Object = name, 0, ""
		}
	}
	if in.Target != 0 {
		out.TargetName = d.codeName(in.Target)
	}
	return out
}

// codeName names a code address as gdb's disassembly does: a PLT stub
// ("strcpy@plt"), else the function that holds it ("main+20"); "" when
// nothing is known there.
func (d *Debugger) codeName(addr uint64) string {
	if t := d.symtab(); t != nil {
		if s, ok := t.PLTAt(addr); ok {
			return describe(s.Name, addr-s.Addr)
		}
	}
	if name, entry, ok := d.funcAt(addr); ok {
		return describe(name, addr-entry)
	}
	return ""
}
