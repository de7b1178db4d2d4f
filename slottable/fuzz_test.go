package slottable

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"

	"hwdbg/arch"
)

// FuzzTable runs random sequences of Place, Release and DropThread on
// random machines and checks after each step that the table agrees with
// what was placed (verify), that a refused Place changed nothing and said
// why truly (fewer free slots than it needed), that a copy taken before a
// step did not change with it, and at the end that releasing every holder
// leaves an empty table.
func FuzzTable(f *testing.F) {
	f.Add([]byte{0, 4, 0, 0, 1, 0x11, 0, 0, 1, 0x11, 0, 0, 2, 0x22, 2, 0})
	f.Add([]byte{1, 0x42, 0, 1, 3, 0x31, 0, 2, 0, 0x13, 0, 3, 1, 0, 3, 1})
	f.Add([]byte{2, 0xff, 0xa5, 0x5a, 0, 0, 2, 0x77, 0, 1, 3, 0x10, 3, 2, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		in := bytesReader(data)
		infos := machine(&in)
		tab, m := New(infos), newModel()
		next := 1
		for step := 0; in.more() && step < 64; step++ {
			before, saved := deepCopy(tab), tab
			desc := ""
			switch op := in.byte() % 4; op {
			case 0, 1:
				r := request(&in, next)
				desc = fmt.Sprintf("place %+v", r)
				slots, err := tab.Place(r)
				var pe *PlanError
				switch {
				case errors.As(err, &pe):
					if !reflect.DeepEqual(tab, before) {
						t.Fatalf("step %d %s: refused (%v) but changed the table", step, desc, err)
					}
					if want := m.freeFor(infos, r.Thread, r.Access); pe.Free != want || pe.Free >= pe.Need || pe.Need > len(r.Pieces) {
						t.Fatalf("step %d %s: %v; the model says %d free", step, desc, err, want)
					}
				case err != nil:
					t.Fatalf("step %d %s: %v", step, desc, err)
				default:
					if len(slots) != len(r.Pieces) {
						t.Fatalf("step %d %s: %d slots for %d pieces", step, desc, len(slots), len(r.Pieces))
					}
					m.place(r, slots)
					next++
				}
			case 2:
				owner := int(in.byte()) % (next + 1)
				desc = fmt.Sprintf("release %d", owner)
				tab.Release(owner)
				m.release(owner)
			case 3:
				tid := int(in.byte() % 4)
				desc = fmt.Sprintf("drop thread %d", tid)
				if tid == 0 {
					continue
				}
				tab.DropThread(tid)
				m.dropThread(tid)
			}
			if !reflect.DeepEqual(saved, before) {
				t.Fatalf("step %d %s: a copy of the table changed with it", step, desc)
			}
			if err := verify(tab, m); err != nil {
				t.Fatalf("step %d %s: %v", step, desc, err)
			}
		}
		for _, o := range slices.Sorted(maps.Keys(m.reqs)) {
			tab.Release(o)
			m.release(o)
			if err := verify(tab, m); err != nil {
				t.Fatalf("release %d at the end: %v", o, err)
			}
		}
		if !tab.Empty() {
			t.Fatalf("everything released, yet %+v", tab)
		}
	})
}

// machine reads a machine's slots: amd64-like (every slot does
// everything), arm64-like (watchpoints, then breakpoints) or each slot
// with random abilities.
func machine(in *reader) []arch.SlotInfo {
	kind, b := in.byte()%3, in.byte()
	switch kind {
	case 0:
		n := 1 + int(b%6)
		s := make([]arch.SlotInfo, n)
		for i := range s {
			s[i] = arch.SlotInfo{Name: fmt.Sprintf("DR%d", i), Can: arch.Exec | arch.ReadWrite}
		}
		return s
	case 1:
		return arm64Slots(1+int(b%4), int(b>>4)%4)
	}
	n := 1 + int(b%8)
	s := make([]arch.SlotInfo, n)
	for i := range s {
		s[i] = arch.SlotInfo{Name: fmt.Sprintf("S%d", i), Can: arch.Access(in.byte() & 7)}
	}
	return s
}

// request reads a request: a thread (0 to 3), an access, an engine, and
// one to three pieces from a small pool, so that pieces often coincide.
func request(in *reader, owner int) Request {
	b := in.byte()
	accs := []arch.Access{arch.Write, arch.Read, arch.ReadWrite, arch.Exec}
	r := Request{Owner: owner, Thread: int(b & 3), Access: accs[(b>>2)&3]}
	if b&0x10 != 0 {
		r.Engine = "other"
	}
	n := 1 + int(b>>5)%3
	for k := 0; k < n; k++ {
		p := in.byte()
		r.Pieces = append(r.Pieces, arch.Piece{Addr: 0x1000 + 8*uint64(p&3), Len: 1 << ((p >> 2) & 3)})
	}
	return r
}

// reader hands out the fuzzer's bytes, then zeros.
type reader struct {
	data []byte
}

func bytesReader(b []byte) reader { return reader{b} }

func (r *reader) more() bool { return len(r.data) > 0 }

func (r *reader) byte() byte {
	if len(r.data) == 0 {
		return 0
	}
	b := r.data[0]
	r.data = r.data[1:]
	return b
}
