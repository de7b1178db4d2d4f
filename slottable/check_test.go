package slottable

import (
	"fmt"
	"maps"
	"reflect"
	"slices"

	"hwdbg/arch"
)

// model is what the tests placed and did not release: the truth a table
// is checked against.
type model struct {
	reqs  map[int]Request // by owner
	slots map[int][]int   // by owner: the slot of each piece
}

func newModel() *model { return &model{reqs: map[int]Request{}, slots: map[int][]int{}} }

func (m *model) place(r Request, slots []int) {
	m.reqs[r.Owner], m.slots[r.Owner] = r, slots
}

func (m *model) release(owner int) {
	delete(m.reqs, owner)
	delete(m.slots, owner)
}

// dropThread forgets the holders scoped to tid, as the debugger deletes a
// thread's own watchpoints when it exits.
func (m *model) dropThread(tid int) {
	for o, r := range m.reqs {
		if r.Thread == tid {
			m.release(o)
		}
	}
}

// threads are the threads the model has holders on, and one without.
func (m *model) threads() []int {
	set := map[int]bool{0: true, 999: true}
	for _, r := range m.reqs {
		set[r.Thread] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// freeFor counts, from the model alone, the slots able to do acc that a
// request for tid finds free.
func (m *model) freeFor(infos []arch.SlotInfo, tid int, acc arch.Access) int {
	n := 0
	for i, info := range infos {
		if info.Can&acc != acc {
			continue
		}
		free := true
		for o, r := range m.reqs {
			if slices.Contains(m.slots[o], i) && (r.Thread == 0 || tid == 0 || r.Thread == tid) {
				free = false
			}
		}
		if free {
			n++
		}
	}
	return n
}

// verify checks t against the model and the table's own invariants:
// every holder is where it was placed and nowhere else, with its piece and
// access; a slot is held process-wide or by threads, never both; each
// entry's access is one its slot can do; what each thread is told to
// program is the process-wide entries and its own.
func verify(t Table, m *model) error {
	if len(t.shared) != len(t.infos) {
		return fmt.Errorf("shared row has %d entries for %d slots", len(t.shared), len(t.infos))
	}
	rows := map[int][]Entry{0: t.shared}
	for tid, row := range t.own {
		if tid == 0 || len(row) != len(t.infos) {
			return fmt.Errorf("thread %d has a row of %d entries for %d slots", tid, len(row), len(t.infos))
		}
		if !slices.ContainsFunc(row, busy) {
			return fmt.Errorf("thread %d keeps a row with nothing held", tid)
		}
		rows[tid] = row
	}
	// Every entry's holders are in the model at that slot, with its piece.
	for tid, row := range rows {
		for i, e := range row {
			if e.Free() {
				if !reflect.DeepEqual(e, Entry{}) {
					return fmt.Errorf("thread %d slot %d: free but not cleared: %+v", tid, i, e)
				}
				continue
			}
			if tid != 0 && !t.shared[i].Free() {
				return fmt.Errorf("slot %d held process-wide by %v and by thread %d's %v", i, t.shared[i].Owners, tid, e.Owners)
			}
			if t.infos[i].Can&e.Access != e.Access {
				return fmt.Errorf("slot %s (can %v) programmed for %v", t.infos[i].Name, t.infos[i].Can, e.Access)
			}
			seen := map[int]bool{}
			for _, o := range e.Owners {
				if seen[o] {
					return fmt.Errorf("thread %d slot %d: holder %d twice", tid, i, o)
				}
				seen[o] = true
				r, ok := m.reqs[o]
				k := slices.Index(m.slots[o], i)
				if !ok || r.Thread != tid || k < 0 {
					return fmt.Errorf("thread %d slot %d: stray holder %d", tid, i, o)
				}
				if r.Pieces[k] != e.Piece || r.Access != e.Access || r.Engine != e.Engine {
					return fmt.Errorf("slot %d holds %+v %v %q for %d, which asked for %+v %v %q", i, e.Piece, e.Access, e.Engine, o, r.Pieces[k], r.Access, r.Engine)
				}
			}
		}
	}
	// Every holder of the model is in the table where it was placed.
	for o, r := range m.reqs {
		row := rows[r.Thread]
		if len(m.slots[o]) != len(r.Pieces) {
			return fmt.Errorf("holder %d: %d slots for %d pieces", o, len(m.slots[o]), len(r.Pieces))
		}
		for _, i := range m.slots[o] {
			if row == nil || !slices.Contains(row[i].Owners, o) {
				return fmt.Errorf("holder %d lost slot %d", o, i)
			}
		}
	}
	// Each thread is told the process-wide entries and its own.
	for _, tid := range m.threads() {
		prog := t.Program(tid, nil)
		for i := range t.infos {
			e := t.shared[i]
			if e.Free() && t.own[tid] != nil {
				e = t.own[tid][i]
			}
			want := arch.Slot{}
			if !e.Free() {
				want = arch.Slot{Enabled: true, Addr: e.Piece.Addr, Len: e.Piece.Len, Access: e.Access}
			}
			if prog[i] != want {
				return fmt.Errorf("thread %d slot %d told %+v, want %+v", tid, i, prog[i], want)
			}
			if got := t.Owners(tid, i); !slices.Equal(got, e.Owners) {
				return fmt.Errorf("thread %d slot %d owners %v, want %v", tid, i, got, e.Owners)
			}
		}
	}
	if len(m.reqs) == 0 && !t.Empty() {
		return fmt.Errorf("nothing held, yet the table is not empty: %+v", t)
	}
	return nil
}

// deepCopy is an independent copy of t, to compare with later.
func deepCopy(t Table) Table {
	c := Table{infos: slices.Clone(t.infos)}
	copyRow := func(row []Entry) []Entry {
		out := slices.Clone(row)
		for i := range out {
			out[i].Owners = slices.Clone(out[i].Owners)
		}
		return out
	}
	c.shared = copyRow(t.shared)
	if t.own != nil {
		c.own = map[int][]Entry{}
		for tid, row := range t.own {
			c.own[tid] = copyRow(row)
		}
	}
	return c
}
