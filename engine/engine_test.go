package engine

import (
	"fmt"
	"strings"
	"testing"

	"hwdbg/arch"
	"hwdbg/arch/perfslots"
)

// perfTag is what arch/perfslots puts in si_perf_data: "hwdb" above the
// slot index.
const perfTag = 0x68776462 << 32

// fake is an engine that records what it is asked.
type fake struct {
	name, desc string
	claims     func(Signal) bool
	log        *[]string
}

func (f *fake) Name() string     { return f.name }
func (f *fake) Describe() string { return f.desc }
func (f *fake) Cost() Cost       { return Cost{} }
func (f *fake) Arm(tid int, want []arch.Slot) error {
	f.note("arm %d %s", tid, slotsText(want))
	return nil
}
func (f *fake) Armed(tid int) ([]arch.Slot, error) { f.note("armed %d", tid); return nil, nil }
func (f *fake) Forget(tid int)                     { f.note("forget %d", tid) }
func (f *fake) Close()                             { f.note("close") }
func (f *fake) Claims(s Signal) bool               { return f.claims(s) }
func (f *fake) Decode(tid int, s Signal) (arch.Trap, error) {
	f.note("decode %d code %d", tid, s.Code)
	return arch.Trap{}, nil
}

func (f *fake) note(format string, args ...any) {
	*f.log = append(*f.log, f.name+": "+fmt.Sprintf(format, args...))
}

// slotsText shows a slot vector as "n slots, on [i...]".
func slotsText(s []arch.Slot) string {
	var on []int
	for i, x := range s {
		if x.Enabled {
			on = append(on, i)
		}
	}
	return fmt.Sprintf("%d slots, on %v", len(s), on)
}

func TestThreads(t *testing.T) {
	var log []string
	regs := &fake{name: "ptrace", desc: "ptrace debug registers", log: &log,
		claims: func(s Signal) bool { return s.Code == arch.TrapHwbkpt }}
	perf := &fake{name: "perf", desc: "perf events owned by hwdbg", log: &log,
		claims: func(s Signal) bool { return s.Code == arch.TrapPerf && s.PerfData&^0xff == perfTag }}
	blocks := map[int]bool{}
	unfit := func(tid int) string {
		if blocks[tid] {
			return "the thread blocks SIGTRAP"
		}
		return ""
	}
	one := []arch.Slot{{Enabled: true, Addr: 0x1000, Len: 8, Access: arch.Write}}
	type step struct {
		do   func(th *Threads) string
		want string // the result, then what the engines were asked
	}
	describe := func(tid int) func(*Threads) string {
		return func(th *Threads) string { return th.Describe(tid) }
	}
	rechoose := func(tid int) func(*Threads) string {
		return func(th *Threads) string { return fmt.Sprint(th.Rechoose(tid)) }
	}
	decode := func(s Signal) func(*Threads) string {
		return func(th *Threads) string {
			th.Decode(7, s)
			return fmt.Sprint(th.Hardware(s))
		}
	}
	cases := []struct {
		name   string
		prefer bool
		steps  []step
	}{
		{"every thread through the debug registers", false, []step{
			{describe(7), "ptrace debug registers (a program hwdbg started dies with it)"},
			{rechoose(7), "false"},
			{func(th *Threads) string { return fmt.Sprint(th.Arm(7, one)) }, "<nil>; ptrace: arm 7 1 slots, on [0]"},
			{func(th *Threads) string { return fmt.Sprint(th.Disarm(7)) }, "<nil>; ptrace: arm 7 4 slots, on []"},
			{decode(Signal{Code: arch.TrapHwbkpt}), "true; ptrace: decode 7 code 4"},
			{decode(Signal{Code: arch.TrapTrace}), "false; ptrace: decode 7 code 2"},
			{decode(Signal{Code: arch.TrapPerf, PerfData: perfTag | 1}), "false; ptrace: decode 7 code 6"},
			{func(th *Threads) string { th.Forget(7); th.Close(); return "" }, "; ptrace: forget 7; ptrace: close"},
		}},
		{"a preferred engine, and the debug registers for a thread unfit for it", true, []step{
			{describe(7), "perf events owned by hwdbg"},
			{rechoose(7), "false"},
			{func(th *Threads) string { return fmt.Sprint(th.Arm(7, one)) }, "<nil>; perf: arm 7 1 slots, on [0]"},
			{func(th *Threads) string { blocks[7] = true; return th.For(7).Name() }, "perf"},
			// The thread now blocks SIGTRAP: its perf events go, it is armed
			// through the debug registers from now on.
			{rechoose(7), "true; perf: forget 7"},
			{rechoose(7), "false"},
			{describe(7), "ptrace debug registers (the thread blocks SIGTRAP)"},
			{describe(8), "perf events owned by hwdbg"},
			{func(th *Threads) string { th.Armed(7); th.Armed(8); return "" }, "; ptrace: armed 7; perf: armed 8"},
			// Signals go to the engine that claims them, whichever way the
			// thread is armed; the rest to the debug registers.
			{decode(Signal{Code: arch.TrapPerf, PerfData: perfTag | 2}), "true; perf: decode 7 code 6"},
			{decode(Signal{Code: arch.TrapPerf, PerfData: 2}), "false; ptrace: decode 7 code 6"},
			{decode(Signal{Code: arch.TrapHwbkpt}), "true; ptrace: decode 7 code 4"},
			{decode(Signal{Code: arch.TrapTrace}), "false; ptrace: decode 7 code 2"},
			// Back to perf: its debug registers are cleared first.
			{func(th *Threads) string { blocks[7] = false; return fmt.Sprint(th.Rechoose(7)) }, "true; ptrace: arm 7 4 slots, on []"},
			{describe(7), "perf events owned by hwdbg"},
			{func(th *Threads) string { blocks[8] = true; return fmt.Sprint(th.Rechoose(8)) }, "true; perf: forget 8"},
			// A thread that exits is forgotten by every engine, and with it
			// its choice.
			{func(th *Threads) string { th.Forget(8); return th.For(8).Name() }, "perf; perf: forget 8; ptrace: forget 8"},
			{func(th *Threads) string { blocks[7] = true; th.Rechoose(7); th.Close(); return th.Describe(7) },
				"perf events owned by hwdbg; perf: forget 7; perf: close; ptrace: close"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clear(blocks)
			th := NewThreads(4, regs, "a program hwdbg started dies with it")
			if c.prefer {
				th.Prefer(perf, unfit)
			}
			for k, s := range c.steps {
				log = nil
				got := strings.Join(append([]string{s.do(th)}, log...), "; ")
				if got != s.want {
					t.Errorf("step %d: got  %s\n        want %s", k, got, s.want)
				}
			}
		})
	}
}

func TestPerfClaimsItsOwnSignals(t *testing.T) {
	p := NewPerf(4)
	for _, c := range []struct {
		s     Signal
		claim bool
		want  string
	}{
		{Signal{Code: arch.TrapPerf, PerfData: perfTag | 3}, true, "[3]"},
		{Signal{Code: arch.TrapPerf, PerfData: perfTag}, true, "[0]"},
		{Signal{Code: arch.TrapPerf, PerfData: 3}, false, "thread 9: SIGTRAP (si_code 6) is not from a perf breakpoint of hwdbg"},
		{Signal{Code: arch.TrapPerf, PerfData: perfTag | 0x100}, false, "thread 9: SIGTRAP (si_code 6) is not from a perf breakpoint of hwdbg"},
		{Signal{Code: arch.TrapHwbkpt, PerfData: perfTag | 1}, false, "thread 9: SIGTRAP (si_code 4) is not from a perf breakpoint of hwdbg"},
	} {
		trap, err := p.Decode(9, c.s)
		got := fmt.Sprint(trap.Fired)
		if err != nil {
			got = err.Error()
		}
		if p.Claims(c.s) != c.claim || got != c.want {
			t.Errorf("%+v: claims %v, decodes %s; want %v, %s", c.s, p.Claims(c.s), got, c.claim, c.want)
		}
	}
	if p.Cost().OutlivesDebugger {
		t.Errorf("perf events die with hwdbg")
	}
}

// machine is a backend's debug registers, recorded.
type machine struct {
	name string
	log  *[]string
}

func (m machine) ReadSlots(tid int) ([]arch.Slot, error) {
	*m.log = append(*m.log, fmt.Sprintf("%s read %d", m.name, tid))
	return []arch.Slot{{Enabled: true}}, nil
}

func (m machine) WriteSlots(tid int, s []arch.Slot) error {
	*m.log = append(*m.log, fmt.Sprintf("%s write %d %s", m.name, tid, slotsText(s)))
	return nil
}

func (m machine) DecodeTrap(tid int, code int32, addr uint64) (arch.Trap, error) {
	*m.log = append(*m.log, fmt.Sprintf("%s decode %d code %d addr %#x", m.name, tid, code, addr))
	return arch.Trap{Fired: []int{1}}, nil
}

func TestRegistersAskTheCurrentBackend(t *testing.T) {
	var log []string
	cur := machine{"amd64", &log}
	r := NewRegisters(func() DebugRegisters { return cur })
	r.Arm(5, []arch.Slot{{}, {Enabled: true}})
	cur = machine{"386", &log} // a new program image
	r.Armed(5)
	trap, _ := r.Decode(5, Signal{Code: arch.TrapHwbkpt, Addr: 0x40})
	want := "amd64 write 5 2 slots, on [1]; 386 read 5; 386 decode 5 code 4 addr 0x40"
	if got := strings.Join(log, "; "); got != want || fmt.Sprint(trap.Fired) != "[1]" {
		t.Errorf("got %s (fired %v)\nwant %s", got, trap.Fired, want)
	}
	if !r.Claims(Signal{Code: arch.TrapHwbkpt}) || r.Claims(Signal{Code: arch.TrapPerf, PerfData: perfTag}) || r.Claims(Signal{Code: arch.TrapTrace}) {
		t.Errorf("the debug registers claim TRAP_HWBKPT only")
	}
	if c := r.Cost(); !c.OutlivesDebugger || !c.StopPerHit {
		t.Errorf("cost %+v", c)
	}
}

// TestKernelClaimsItsOwnSignals: the kernel engine's events signal with
// their own tag, which neither the perf engine nor it confuses with the
// other's.
func TestKernelClaimsItsOwnSignals(t *testing.T) {
	k := NewKernel(4, func(int, int) perfslots.Filter { return perfslots.Filter{} })
	p := NewPerf(4)
	mine := Signal{Code: arch.TrapPerf, PerfData: perfslots.FilterTag | 2}
	theirs := Signal{Code: arch.TrapPerf, PerfData: perfTag | 2}
	if trap, err := k.Decode(3, mine); err != nil || !k.Claims(mine) || fmt.Sprint(trap.Fired) != "[2]" {
		t.Errorf("kernel: %v %v %v", trap, err, k.Claims(mine))
	}
	if k.Claims(theirs) || p.Claims(mine) || k.Claims(Signal{Code: arch.TrapHwbkpt, PerfData: perfslots.FilterTag}) {
		t.Errorf("a signal claimed by the wrong engine")
	}
	if c := k.Cost(); c.StopPerHit || c.OutlivesDebugger || k.Name() != "kernel" {
		t.Errorf("kernel engine: %s %+v", k.Name(), c)
	}
}

// TestThreadsAlso: an engine added beside the threads' own claims and
// decodes its signals, forgets threads and closes with the others, and
// never arms a thread's slots in their place.
func TestThreadsAlso(t *testing.T) {
	var log []string
	regs := &fake{name: "ptrace", log: &log, claims: func(s Signal) bool { return s.Code == arch.TrapHwbkpt }}
	perf := &fake{name: "perf", log: &log, claims: func(s Signal) bool { return s.Code == arch.TrapPerf && s.PerfData&^0xff == perfTag }}
	kern := &fake{name: "kernel", log: &log, claims: func(s Signal) bool { return s.Code == arch.TrapPerf && s.PerfData&^0xff == perfslots.FilterTag }}
	th := NewThreads(4, regs, "")
	th.Also(kern)
	th.Prefer(perf, func(int) string { return "" }) // after Also: kern stays
	th.Arm(5, nil)
	s := Signal{Code: arch.TrapPerf, PerfData: perfslots.FilterTag | 1}
	th.Decode(5, s)
	th.Forget(5)
	th.Close()
	want := "perf: arm 5 0 slots, on []; kernel: decode 5 code 6; perf: forget 5; ptrace: forget 5; kernel: forget 5; perf: close; ptrace: close; kernel: close"
	if got := strings.Join(log, "; "); got != want || !th.Hardware(s) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
