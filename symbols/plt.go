package symbols

import (
	"debug/elf"
	"encoding/binary"
	"sort"
)

// The procedure linkage table's entries have no symbols: a call to strcpy
// from a dynamically linked program calls a stub in .plt (or .plt.sec,
// .plt.got) that jumps through strcpy's slot of the global offset table.
// gdb and objdump name those stubs "strcpy@plt". So does this file: each
// stub is decoded to the GOT slot it jumps through, and the slot is named
// by the dynamic relocation that fills it (.rela.plt's jump slots, and the
// GLOB_DAT relocations of .rela.dyn for .plt.got). Decoding the stubs
// rather than counting entries works whatever the layout: lazy binding or
// not, IBT's .plt.sec, i386 PIC stubs, arm64's adrp/ldr/br.

// pltSymbols names the PLT stubs of f, the ELF file at path loaded at
// bias. A file without a PLT, or one it cannot read, gives none.
func pltSymbols(f *elf.File, path string, bias uint64) (out []Symbol) {
	defer func() {
		if recover() != nil {
			out = nil // a malformed file: no PLT names, not a crash
		}
	}()
	slots := gotSlotNames(f)
	if len(slots) == 0 {
		return nil
	}
	var gotPlt uint64 // i386 PIC stubs address their slots from .got.plt
	if s := f.Section(".got.plt"); s != nil {
		gotPlt = s.Addr
	}
	for _, name := range []string{".plt", ".plt.sec", ".plt.got"} {
		s := f.Section(name)
		if s == nil || s.Type != elf.SHT_PROGBITS || s.Size == 0 || s.Size > 1<<24 {
			continue
		}
		code, err := s.Data()
		if err != nil {
			continue
		}
		ent := s.Entsize
		if ent == 0 || ent > 64 {
			ent = 16
		}
		for off := uint64(0); off+ent <= uint64(len(code)); off += ent {
			slot, ok := stubSlot(f.Machine, code[off:off+ent], s.Addr+off, gotPlt)
			if !ok {
				continue
			}
			if n, ok := slots[slot]; ok {
				out = append(out, Symbol{Name: n + "@plt", Addr: s.Addr + off + bias, Size: ent, Kind: Func, File: path})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Addr < out[j].Addr })
	return out
}

// gotSlotNames maps the link-time address of each GOT slot a dynamic
// relocation fills to the name of its symbol.
func gotSlotNames(f *elf.File) map[uint64]string {
	syms, err := f.DynamicSymbols()
	if err != nil {
		return nil
	}
	out := map[uint64]string{}
	for _, s := range f.Sections {
		if s.Type != elf.SHT_RELA && s.Type != elf.SHT_REL {
			continue
		}
		b, err := s.Data()
		if err != nil {
			continue
		}
		rela := s.Type == elf.SHT_RELA
		for _, r := range relocations(f.Class, rela, f.ByteOrder, b) {
			if r.sym > 0 && int(r.sym) <= len(syms) && syms[r.sym-1].Name != "" {
				out[r.off] = baseName(syms[r.sym-1].Name)
			}
		}
	}
	return out
}

type reloc struct {
	off uint64
	sym uint32
}

// relocations decodes a REL or RELA section's entries: offset and symbol.
func relocations(class elf.Class, rela bool, order binary.ByteOrder, b []byte) []reloc {
	var out []reloc
	if class == elf.ELFCLASS64 {
		size := 16
		if rela {
			size = 24
		}
		for i := 0; i+size <= len(b); i += size {
			info := order.Uint64(b[i+8:])
			out = append(out, reloc{off: order.Uint64(b[i:]), sym: uint32(info >> 32)})
		}
		return out
	}
	size := 8
	if rela {
		size = 12
	}
	for i := 0; i+size <= len(b); i += size {
		info := order.Uint32(b[i+4:])
		out = append(out, reloc{off: uint64(order.Uint32(b[i:])), sym: info >> 8})
	}
	return out
}

// stubSlot decodes one PLT entry at link-time address addr: the GOT slot
// it jumps through.
func stubSlot(m elf.Machine, code []byte, addr, gotPlt uint64) (uint64, bool) {
	switch m {
	case elf.EM_X86_64, elf.EM_386:
		return x86StubSlot(m, code, addr, gotPlt)
	case elf.EM_AARCH64:
		return arm64StubSlot(code, addr)
	}
	return 0, false
}

// x86StubSlot finds the indirect jump of an x86 stub: jmp *disp(%rip) in
// 64-bit code, jmp *abs or jmp *disp(%ebx) (from .got.plt) in 32-bit
// code; endbr and bnd prefixes are skipped by looking at every offset.
func x86StubSlot(m elf.Machine, code []byte, addr, gotPlt uint64) (uint64, bool) {
	for i := 0; i+6 <= len(code); i++ {
		if code[i] != 0xff {
			continue
		}
		disp := uint64(int64(int32(binary.LittleEndian.Uint32(code[i+2:]))))
		switch {
		case m == elf.EM_X86_64 && code[i+1] == 0x25:
			return addr + uint64(i) + 6 + disp, true
		case m == elf.EM_386 && code[i+1] == 0x25:
			return disp & 0xffffffff, true
		case m == elf.EM_386 && code[i+1] == 0xa3 && gotPlt != 0:
			return (gotPlt + disp) & 0xffffffff, true
		}
	}
	return 0, false
}

// arm64StubSlot decodes an arm64 stub: adrp x16, PAGE; ldr x17, [x16,
// #OFF]: the slot is PAGE+OFF.
func arm64StubSlot(code []byte, addr uint64) (uint64, bool) {
	for i := 0; i+8 <= len(code); i += 4 {
		adrp := binary.LittleEndian.Uint32(code[i:])
		ldr := binary.LittleEndian.Uint32(code[i+4:])
		if adrp&0x9f00001f != 0x90000010 || ldr&0xffc003ff != 0xf9400211 {
			continue // not adrp x16 / ldr x17, [x16, #imm]
		}
		imm := uint64(adrp>>29&3) | uint64(adrp>>5&0x7ffff)<<2
		page := int64(imm<<43) >> 31 // sign-extend 21 bits, times 4096
		base := (addr + uint64(i)) &^ 0xfff
		return base + uint64(page) + uint64(ldr>>10&0xfff)*8, true
	}
	return 0, false
}

// PLTAt finds the PLT stub that holds addr: "strcpy@plt".
func (t *Table) PLTAt(addr uint64) (Symbol, bool) {
	if t == nil {
		return Symbol{}, false
	}
	i := sort.Search(len(t.plt), func(k int) bool { return t.plt[k].Addr > addr }) - 1
	if i >= 0 && addr < t.plt[i].Addr+t.plt[i].Size {
		return t.plt[i], true
	}
	return Symbol{}, false
}

// mergePLT adds stubs not already in t's, kept by address.
func (t *Table) mergePLT(stubs []Symbol) {
	have := make(map[uint64]bool, len(t.plt))
	for _, s := range t.plt {
		have[s.Addr] = true
	}
	for _, s := range stubs {
		if !have[s.Addr] {
			t.plt = append(t.plt, s)
		}
	}
	sort.Slice(t.plt, func(i, j int) bool { return t.plt[i].Addr < t.plt[j].Addr })
}
