package debugger

import (
	"fmt"
	"sort"
)

// FrameInfo is `info frame`: the selected frame, its neighbours and what
// its call frame information says it saved.
type FrameInfo struct {
	Level int
	Frame // where it is, its canonical frame address and its arguments
	// CallerPC is where the frame returns to, CallerCFA the caller's frame
	// address; both 0 for the outermost frame.
	CallerPC, CallerCFA uint64
	// CalleeCFA is the frame address of the frame it called (0 for the
	// innermost one).
	CalleeCFA uint64
	Language  string
	// Saved are the registers the frame's function saved, and where.
	Saved []SavedReg
	// FromFP is set when the caller was found by frame pointers, without
	// call frame information.
	FromFP bool
}

// SavedReg is a register saved in a frame, at Addr.
type SavedReg struct {
	Name string
	Addr uint64
}

// InfoFrame describes the selected frame of the selected thread.
func (d *Debugger) InfoFrame() (FrameInfo, error) {
	if d.proc.Exited() {
		return FrameInfo{}, ErrExited
	}
	fi := FrameInfo{Level: d.frame}
	var err error
	d.proc.Do(func() {
		fs, e := d.frames(d.Current, d.frame+2)
		if e != nil || d.frame >= len(fs) {
			err = fmt.Errorf("frame %d: cannot unwind the stack of thread %d: %v", d.frame, d.Current, e)
			return
		}
		f := fs[d.frame]
		loc := d.location(f.LookupPC())
		loc.PC = f.PC
		fi.Frame = Frame{Location: loc, CFA: f.CFA, Args: d.frameArgs(f)}
		if d.frame > 0 {
			fi.CalleeCFA = fs[d.frame-1].CFA
		}
		if d.frame+1 < len(fs) {
			fi.CallerPC, fi.CallerCFA, fi.FromFP = fs[d.frame+1].PC, fs[d.frame+1].CFA, fs[d.frame+1].FromFP
		}
		fi.Saved = d.savedRegs(f.LookupPC(), f.CFA)
	})
	if d.dwarf != nil {
		fi.Language = d.dwarf.Language()
	}
	return fi, err
}

// savedRegs lists the registers the call frame information at pc says
// are saved, at their addresses from the frame's CFA, by address.
func (d *Debugger) savedRegs(pc, cfa uint64) []SavedReg {
	if cfa == 0 {
		return nil
	}
	names := d.arch.DWARFRegs()
	for _, c := range d.cfiTables() {
		row, ok, err := c.RowAt(pc)
		if !ok || err != nil {
			continue
		}
		var out []SavedReg
		for reg, off := range row.Saved {
			name := names.Name(reg)
			if reg == row.RA && names.RA != reg {
				name = "pc"
			}
			out = append(out, SavedReg{Name: name, Addr: cfa + uint64(off)})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Addr < out[j].Addr })
		return out
	}
	return nil
}
