package arm64

import (
	"sort"

	"hwdbg/arch"
)

// Attribute decides which watchpoint slots a data trap belongs to. Linux
// gives a tracer no ESR and no slot number: only si_addr, the address the
// hardware reported, which lies inside the watched bytes for ordinary
// accesses but may lie below them (stp, dc zva and other multi-register or
// block accesses report an address anywhere in the access, on real cores
// often its start).
//
// slots are the watchpoint bank (index = WPn); insn, if not nil, is the
// trapping instruction decoded with the registers of the trap (which, on
// arm64, are the ones before the access).
//
//  1. Every enabled slot that contains siAddr and whose load/store control
//     the instruction's direction can trigger fired.
//  2. With a decoded access range, every enabled slot the access overlaps
//     (in a direction it traps on) fired too: an stp over two watched
//     double words touches both.
//  3. When the instruction says nothing about its access (not decoded, or
//     its width unknown), the slot closest to siAddr fired, as the
//     kernel's arm64 hw_breakpoint driver decides.
//
// A decoded access that touches no slot gives no slot: the trap matches
// no watchpoint, and the caller reports it rather than swallowing it.
func Attribute(slots []arch.Slot, siAddr uint64, insn *arch.Insn) []int {
	known := insn != nil && insn.Mem
	ranged := known && insn.MemLen > 0
	kindOK := func(s arch.Slot) bool {
		if !known {
			return true
		}
		switch s.Access {
		case arch.Read:
			return insn.MemReads
		case arch.Write:
			return insn.MemWrites
		}
		return insn.MemReads || insn.MemWrites
	}
	var fired []int
	seen := map[int]bool{}
	add := func(i int) {
		if !seen[i] {
			seen[i] = true
			fired = append(fired, i)
		}
	}
	for i, s := range slots {
		if !s.Enabled || s.Access&arch.ReadWrite == 0 || s.Len <= 0 || !kindOK(s) {
			continue
		}
		lo, hi := s.Addr, s.Addr+uint64(s.Len)
		if siAddr >= lo && siAddr < hi {
			add(i)
		}
		if ranged {
			alo, ahi := insn.MemAddr, insn.MemAddr+uint64(insn.MemLen)
			if alo < hi && lo < ahi {
				add(i)
			}
		}
	}
	if len(fired) > 0 || ranged {
		sort.Ints(fired)
		return fired
	}
	// Nothing contains siAddr and the instruction does not say what it
	// touched: the closest slot, ties to all of them.
	best := uint64(1<<64 - 1)
	for i, s := range slots {
		if !s.Enabled || s.Access&arch.ReadWrite == 0 || s.Len <= 0 || !kindOK(s) {
			continue
		}
		d := distance(siAddr, s.Addr, s.Addr+uint64(s.Len))
		switch {
		case d < best:
			best, fired = d, []int{i}
		case d == best:
			fired = append(fired, i)
		}
	}
	return fired
}

// distance from a to the range [lo, hi): 0 inside.
func distance(a, lo, hi uint64) uint64 {
	switch {
	case a < lo:
		return lo - a
	case a >= hi:
		return a - (hi - 1)
	}
	return 0
}
