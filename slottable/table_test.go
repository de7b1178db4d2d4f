package slottable

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"hwdbg/arch"
	"hwdbg/arch/amd64"
	"hwdbg/arch/arm64"
)

// amd64Slots are DR0-DR3: each watches execution, writes, or reads and
// writes (a read watch is programmed as read-or-write by the backend).
func amd64Slots(t testing.TB) []arch.SlotInfo {
	s, err := amd64.New().Slots(0)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// arm64Slots are nw watchpoints that trap on loads, stores or both, then
// nb breakpoints (as arch/arm64 lists them).
func arm64Slots(nw, nb int) []arch.SlotInfo {
	var s []arch.SlotInfo
	for i := 0; i < nw; i++ {
		s = append(s, arch.SlotInfo{Name: fmt.Sprintf("WP%d", i), Can: arch.Write | arch.Read | arch.ReadWrite})
	}
	for i := 0; i < nb; i++ {
		s = append(s, arch.SlotInfo{Name: fmt.Sprintf("BP%d", i), Can: arch.Exec})
	}
	return s
}

// splitter plans a range into pieces the way a machine does.
type splitter interface {
	Split(addr uint64, n int, acc arch.Access) ([]arch.Piece, error)
}

// step is one operation on a table and what it must give.
type step struct {
	op     string // "place" (default), "release", "drop"
	owner  int
	thread int
	addr   uint64
	len    int
	acc    arch.Access
	engine string
	want   string // the slots of each piece ("[0 1]"), or the whole refusal
}

const refusal = " (delete or disable a watchpoint, or watch a smaller range)"

const buf = 0x4010 // 16-byte aligned

func TestPlace(t *testing.T) {
	cases := []struct {
		name  string
		infos []arch.SlotInfo
		split splitter
		steps []step
	}{
		{"identical pieces share, other accesses do not", amd64Slots(t), amd64.New(), []step{
			{owner: 1, addr: buf, len: 16, acc: arch.Write, want: "[0 1]"},
			{owner: 2, addr: buf + 4, len: 12, acc: arch.Write, want: "[2 1]"}, // buf+8 shared
			{owner: 3, addr: buf + 8, len: 8, acc: arch.ReadWrite, want: "[3]"},
			{owner: 4, addr: buf + 0x20, len: 8, acc: arch.Write, want: "not enough hardware slots: needs 1, 0 free: DR0 held by 1, DR1 by 1,2, DR2 by 2, DR3 by 3" + refusal},
			{op: "release", owner: 1},
			{owner: 4, addr: buf + 0x20, len: 8, acc: arch.Write, want: "[0]"},
		}},
		{"one slot each, refused with every holder", amd64Slots(t), amd64.New(), []step{
			{owner: 1, addr: buf, len: 4, acc: arch.Write, want: "[0]"},
			{owner: 2, addr: buf + 8, len: 4, acc: arch.Write, want: "[1]"},
			{owner: 3, addr: buf + 16, len: 4, acc: arch.Write, want: "[2]"},
			{owner: 4, addr: buf + 24, len: 4, acc: arch.Write, want: "[3]"},
			{owner: 5, addr: buf + 32, len: 4, acc: arch.Write, want: "not enough hardware slots: needs 1, 0 free: DR0 held by 1, DR1 by 2, DR2 by 3, DR3 by 4" + refusal},
		}},
		{"runs of slots held by the same holders are grouped", amd64Slots(t), amd64.New(), []step{
			{owner: 1, addr: buf + 0x40, len: 8, acc: arch.Write, want: "[0]"},
			{owner: 2, addr: buf, len: 16, acc: arch.Write, want: "[1 2]"},
			{owner: 3, addr: buf + 20, len: 12, acc: arch.Write, want: "not enough hardware slots: needs 2, 1 free: DR0 held by 1, DR1-DR2 by 2" + refusal},
			{owner: 3, addr: buf + 24, len: 8, acc: arch.Write, want: "[3]"},
		}},
		{"a misaligned range splits into aligned pieces", amd64Slots(t), amd64.New(), []step{
			{owner: 1, addr: buf + 4, len: 12, acc: arch.Write, want: "[0 1]"},    // 4 + 8
			{owner: 2, addr: buf + 1, len: 3, acc: arch.ReadWrite, want: "[2 3]"}, // 1 + 2
			{op: "release", owner: 1},
			{owner: 3, addr: buf + 1, len: 3, acc: arch.ReadWrite, want: "[2 3]"}, // shares both
			{owner: 4, addr: buf + 0x11, len: 7, acc: arch.Write, want: "not enough hardware slots: needs 3, 2 free: DR2-DR3 held by 2,3" + refusal},
		}},
		{"amd64 read watches share only with read watches", amd64Slots(t), amd64.New(), []step{
			{owner: 1, addr: buf, len: 8, acc: arch.Read, want: "[0]"},
			{owner: 2, addr: buf, len: 8, acc: arch.Read, want: "[0]"},
			{owner: 3, addr: buf, len: 8, acc: arch.ReadWrite, want: "[1]"},
			{owner: 4, addr: buf, len: 8, acc: arch.Write, want: "[2]"},
			{owner: 5, addr: buf, len: 1, acc: arch.Exec, want: "[3]"},
			{owner: 6, addr: buf, len: 1, acc: arch.Exec, want: "[3]"},
		}},
		{"arm64 watchpoints and breakpoints are separate banks", arm64Slots(2, 1), arm64.New(), []step{
			{owner: 1, addr: buf, len: 4, acc: arch.Exec, want: "[2]"},
			{owner: 2, addr: buf + 0x100, len: 8, acc: arch.Read, want: "[0]"},
			{owner: 3, addr: buf + 0x100, len: 8, acc: arch.Write, want: "[1]"},
			{owner: 4, addr: buf + 0x100, len: 8, acc: arch.ReadWrite, want: "not enough hardware slots: needs 1, 0 free: WP0 held by 2, WP1 by 3, BP0 by 1" + refusal},
			{owner: 5, addr: buf + 4, len: 4, acc: arch.Exec, want: "not enough hardware slots: needs 1, 0 free: WP0 held by 2, WP1 by 3, BP0 by 1" + refusal},
			{owner: 6, addr: buf, len: 4, acc: arch.Exec, want: "[2]"},
		}},
		{"arm64 splits at double words: 3 bytes at 8k+1 are one piece", arm64Slots(4, 0), arm64.New(), []step{
			{owner: 1, addr: buf + 1, len: 3, acc: arch.Write, want: "[0]"},
			{owner: 2, addr: buf + 4, len: 12, acc: arch.Write, want: "[1 2]"},
			{owner: 3, addr: buf, len: 4, acc: arch.Exec, want: "not enough hardware slots: needs 1, 0 free: WP0 held by 1, WP1-WP2 by 2" + refusal},
		}},
		{"no slot can do the access: no holders to name", arm64Slots(2, 0), arm64.New(), []step{
			{owner: 1, addr: buf, len: 4, acc: arch.Exec, want: "not enough hardware slots: needs 1, 0 free" + refusal},
		}},
		{"thread-scoped entries", amd64Slots(t), amd64.New(), []step{
			// Each thread's own watch in DR0.
			{owner: 1, thread: 10, addr: buf, len: 8, acc: arch.Write, want: "[0]"},
			{owner: 2, thread: 11, addr: buf + 8, len: 8, acc: arch.Write, want: "[0]"},
			// Identical to thread 10's: shared within thread 10.
			{owner: 3, thread: 10, addr: buf, len: 8, acc: arch.Write, want: "[0]"},
			// Process-wide: DR0 is busy in a thread, so DR1; an identical
			// piece does not share a thread's own entry.
			{owner: 4, addr: buf, len: 8, acc: arch.Write, want: "[1]"},
			// A thread's own identical to a process-wide one does not share.
			{owner: 5, thread: 11, addr: buf, len: 8, acc: arch.Write, want: "[2]"},
			{owner: 6, thread: 10, addr: buf + 0x40, len: 16, acc: arch.Write, want: "[2 3]"},
			// Thread 11's refusal names its own holders and the process-wide.
			{owner: 7, thread: 11, addr: buf + 0x80, len: 16, acc: arch.Write, want: "not enough hardware slots: needs 2, 1 free: DR0 held by 2, DR1 by 4, DR2 by 5" + refusal},
			// A process-wide refusal names every thread's.
			{owner: 8, addr: buf + 0x80, len: 8, acc: arch.Write, want: "not enough hardware slots: needs 1, 0 free: DR0 held by 1,2,3, DR1 by 4, DR2 by 5,6, DR3 by 6" + refusal},
			{op: "drop", thread: 10},
			{owner: 8, thread: 11, addr: buf + 0x80, len: 8, acc: arch.Write, want: "[3]"},
			{op: "drop", thread: 11},
			{owner: 9, addr: buf + 0x80, len: 24, acc: arch.Write, want: "[0 2 3]"},
		}},
		{"a holder places once", amd64Slots(t), amd64.New(), []step{
			{owner: 1, addr: buf, len: 8, acc: arch.Write, want: "[0]"},
			{owner: 1, addr: buf + 8, len: 8, acc: arch.Write, want: "slot table: 1 already holds slots"},
			{op: "release", owner: 1},
			{op: "release", owner: 1},
			{owner: 1, addr: buf + 8, len: 8, acc: arch.Write, want: "[0]"},
		}},
		// An engine of its own takes slots from the last (findFree).
		{"engines share only within themselves", amd64Slots(t), amd64.New(), []step{
			{owner: 1, addr: buf, len: 8, acc: arch.Write, want: "[0]"},
			{owner: 2, addr: buf, len: 8, acc: arch.Write, engine: "trace", want: "[3]"},
			{owner: 3, addr: buf, len: 8, acc: arch.Write, engine: "trace", want: "[3]"},
			{owner: 4, addr: buf, len: 8, acc: arch.Write, want: "[0]"},
			{owner: 5, addr: buf + 8, len: 8, acc: arch.Write, want: "[1]"},
			{owner: 6, addr: buf + 16, len: 8, acc: arch.Write, engine: "kernel:6", want: "[2]"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tab, m := New(c.infos), newModel()
			for k, s := range c.steps {
				before, saved := deepCopy(tab), tab
				switch s.op {
				case "release":
					tab.Release(s.owner)
					m.release(s.owner)
				case "drop":
					tab.DropThread(s.thread)
					m.dropThread(s.thread)
				default:
					pieces, err := c.split.Split(s.addr, s.len, s.acc)
					if err != nil {
						t.Fatalf("step %d: %v", k, err)
					}
					r := Request{Owner: s.owner, Thread: s.thread, Pieces: pieces, Access: s.acc, Engine: s.engine}
					slots, err := tab.Place(r)
					got := fmt.Sprint(slots)
					if err != nil {
						got = err.Error()
						if !reflect.DeepEqual(tab, before) {
							t.Errorf("step %d: a refused Place changed the table", k)
						}
					} else {
						m.place(r, slots)
					}
					if got != s.want {
						t.Errorf("step %d: got %s\n want %s", k, got, s.want)
					}
				}
				if !reflect.DeepEqual(saved, before) {
					t.Errorf("step %d: a copy of the table changed with it", k)
				}
				if err := verify(tab, m); err != nil {
					t.Fatalf("step %d: %v", k, err)
				}
			}
			for o := range m.reqs {
				tab.Release(o)
			}
			if !tab.Empty() {
				t.Errorf("everything released, yet: %+v", tab)
			}
		})
	}
}

func TestPlanErrorCarriesThePlan(t *testing.T) {
	tab := New(arm64Slots(1, 0))
	if _, err := tab.Place(Request{Owner: 1, Pieces: []arch.Piece{{Addr: buf, Len: 8}}, Access: arch.Write}); err != nil {
		t.Fatal(err)
	}
	_, err := tab.Place(Request{Owner: 2, Pieces: []arch.Piece{{Addr: buf + 8, Len: 8}, {Addr: buf + 16, Len: 8}}, Access: arch.Read})
	var pe *PlanError
	if !errors.As(err, &pe) || pe.Need != 2 || pe.Free != 0 || pe.Holders != "WP0 held by 1" {
		t.Errorf("got %#v", err)
	}
}

// TestHoldersNameEngines: a holder of another engine (a trace) is named
// with it in a refusal.
func TestHoldersNameEngines(t *testing.T) {
	tab := New(arm64Slots(2, 0))
	if _, err := tab.Place(Request{Owner: 3, Pieces: []arch.Piece{{Addr: buf, Len: 8}}, Access: arch.Write, Engine: "trace"}); err != nil {
		t.Fatal(err)
	}
	if _, err := tab.Place(Request{Owner: 1, Pieces: []arch.Piece{{Addr: buf + 8, Len: 8}}, Access: arch.Write}); err != nil {
		t.Fatal(err)
	}
	_, err := tab.Place(Request{Owner: 4, Pieces: []arch.Piece{{Addr: buf + 16, Len: 8}}, Access: arch.Write})
	var pe *PlanError
	if !errors.As(err, &pe) || pe.Holders != "WP0 held by 1, WP1 by trace 3" {
		t.Errorf("got %v", err)
	}
}

func TestProgram(t *testing.T) {
	tab := New(amd64Slots(t))
	place := func(owner, tid int, addr uint64, acc arch.Access) {
		t.Helper()
		if _, err := tab.Place(Request{Owner: owner, Thread: tid, Pieces: []arch.Piece{{Addr: addr, Len: 8}}, Access: acc}); err != nil {
			t.Fatal(err)
		}
	}
	place(1, 0, buf, arch.Write)
	place(2, 0, buf, arch.Write) // shares DR0
	place(3, 7, buf+8, arch.ReadWrite)
	place(4, 0, buf+16, arch.Read)
	on := func(s []arch.Slot) string {
		var b strings.Builder
		for i, x := range s {
			if x.Enabled {
				fmt.Fprintf(&b, "%s:%#x/%d/%v ", tab.Name(i), x.Addr, x.Len, x.Access)
			}
		}
		return strings.TrimSpace(b.String())
	}
	for _, c := range []struct {
		tid    int
		active func(int) bool
		want   string
	}{
		{0, nil, "DR0:0x4010/8/write DR2:0x4020/8/read"},
		{7, nil, "DR0:0x4010/8/write DR1:0x4018/8/rw DR2:0x4020/8/read"},
		{8, nil, "DR0:0x4010/8/write DR2:0x4020/8/read"},
		// A slot is programmed while one of its holders is active.
		{7, func(o int) bool { return o != 1 }, "DR0:0x4010/8/write DR1:0x4018/8/rw DR2:0x4020/8/read"},
		{7, func(o int) bool { return o > 2 }, "DR1:0x4018/8/rw DR2:0x4020/8/read"},
		{7, func(int) bool { return false }, ""},
	} {
		if got := on(tab.Program(c.tid, c.active)); got != c.want {
			t.Errorf("thread %d: %s, want %s", c.tid, got, c.want)
		}
	}
	if got := tab.Owners(7, 0); fmt.Sprint(got) != "[1 2]" {
		t.Errorf("owners of DR0: %v", got)
	}
	if got := tab.Owners(0, 1); got != nil {
		t.Errorf("DR1 is thread 7's own, yet process-wide owners %v", got)
	}
	if n := tab.Name(4); n != "slot4" {
		t.Errorf("name of a slot the machine lacks: %q", n)
	}
	tab.Reset()
	if !tab.Empty() || tab.Len() != 4 {
		t.Errorf("after Reset: %+v", tab)
	}
}
