package bpfcond

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync/atomic"

	"github.com/cilium/ebpf"

	"hwdbg/expr"
)

// Counts is what a filter has counted, and where it stops.
type Counts struct {
	// Accesses counts every access the program ran for, whether or not
	// the condition held, from where SetAccesses started it: the
	// watchpoint's hits ($hits).
	Accesses uint64
	// Crossings counts the accesses for which the condition held (or
	// could not be evaluated): what the ignore count counts.
	Crossings uint64
	// Threshold: the program stops the thread at the crossing whose
	// number is past it (crossings so far plus the ignore count).
	Threshold uint64
}

// Never is a threshold no crossing passes: count, never stop.
const Never = math.MaxUint64

// maxThreads bounds the per-thread counts (one entry a thread that
// crossed).
const maxThreads = 4096

// Filter is a condition loaded in the kernel: its program, to attach to
// perf breakpoints, and its counts.
type Filter struct {
	serial  uint64
	watched Watched
	prog    *ebpf.Program
	counts  *ebpf.Map // array of one Counts
	threads *ebpf.Map // thread id -> ThreadCount
}

// ThreadCount is what the program counted of one thread.
type ThreadCount struct {
	Accesses uint64 // its accesses
	Last     uint64 // the number (Counts.Accesses then) of its last one
}

// Load compiles cond (nil: always true) and loads it as a program of
// type typ (ebpf.PerfEvent to attach to a perf event; another program
// type the kernel can test-run, for tests), with a threshold of Never.
// A refusal (no BPF here, the verifier) is returned with the kernel's
// reason.
func Load(cond expr.Low, w Watched, typ ebpf.ProgramType) (*Filter, error) {
	insns, err := Compile(cond, w)
	if err != nil {
		return nil, err
	}
	f := &Filter{watched: w, serial: serials.Add(1)}
	f.counts, err = ebpf.NewMap(&ebpf.MapSpec{Name: "hwdbg_counts", Type: ebpf.Array, KeySize: 4, ValueSize: uint32(w.valueSize()), MaxEntries: 1})
	if err != nil {
		return nil, fmt.Errorf("create the BPF map of counts: %w", err)
	}
	f.threads, err = ebpf.NewMap(&ebpf.MapSpec{Name: "hwdbg_threads", Type: ebpf.Hash, KeySize: 4, ValueSize: threadSize, MaxEntries: maxThreads})
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("create the BPF map of per-thread counts: %w", err)
	}
	if err := errors.Join(insns.AssociateMap(refCounts, f.counts), insns.AssociateMap(refThreads, f.threads)); err != nil {
		f.Close()
		return nil, err
	}
	f.prog, err = ebpf.NewProgram(&ebpf.ProgramSpec{Name: "hwdbg_cond", Type: typ, Instructions: insns, License: "GPL"})
	if err != nil {
		f.Close()
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			return nil, fmt.Errorf("the BPF verifier refused the condition's program: %v", ve)
		}
		return nil, fmt.Errorf("load the condition's BPF program: %w", err)
	}
	if err := f.SetThreshold(Never); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// FD is the program's file descriptor, for PERF_EVENT_IOC_SET_BPF.
func (f *Filter) FD() int { return f.prog.FD() }

// serials numbers the filters loaded.
var serials atomic.Uint64

// Serial tells f from every other filter this process loaded, also one
// whose descriptor had the same number before it was closed.
func (f *Filter) Serial() uint64 { return f.serial }

// Program is the loaded program.
func (f *Filter) Program() *ebpf.Program { return f.prog }

// value reads the counts map's value.
func (f *Filter) value() ([]byte, error) {
	b := make([]byte, f.watched.valueSize())
	if err := f.counts.Lookup(uint32(0), b); err != nil {
		return nil, fmt.Errorf("read the condition's counts: %w", err)
	}
	return b, nil
}

// Counts reads the counts.
func (f *Filter) Counts() (Counts, error) {
	b, err := f.value()
	if err != nil {
		return Counts{}, err
	}
	le := binary.LittleEndian
	return Counts{Accesses: le.Uint64(b[offAccesses:]), Crossings: le.Uint64(b[offCrossings:]), Threshold: le.Uint64(b[offThreshold:])}, nil
}

// Old is the watched bytes as the access before the last one left them:
// what the last access found.
func (f *Filter) Old() ([]byte, error) {
	b, err := f.value()
	if err != nil {
		return nil, err
	}
	return b[countsSize : countsSize+f.watched.Len], nil
}

// SetThreshold sets the crossing past which the program stops a thread.
// The value is read and written back: no program may run meanwhile
// (every thread the filter is attached to is stopped).
func (f *Filter) SetThreshold(t uint64) error {
	return f.update(func(b []byte) { binary.LittleEndian.PutUint64(b[offThreshold:], t) })
}

// SetAccesses sets the access count the program counts on from: the
// watchpoint's hits so far, so that $hits numbers its hits. No program
// may run meanwhile.
func (f *Filter) SetAccesses(n uint64) error {
	return f.update(func(b []byte) { binary.LittleEndian.PutUint64(b[offAccesses:], n) })
}

// SetValue says what the watched bytes hold now (when the program is
// attached, and when the debugger changed them): the next access finds
// them.
func (f *Filter) SetValue(v []byte) error {
	n := f.watched.rounded()
	return f.update(func(b []byte) { copy(b[countsSize+n:countsSize+n+f.watched.Len], v) })
}

func (f *Filter) update(change func([]byte)) error {
	b, err := f.value()
	if err != nil {
		return err
	}
	change(b)
	if err := f.counts.Update(uint32(0), b, ebpf.UpdateAny); err != nil {
		return fmt.Errorf("update the condition's counts: %w", err)
	}
	return nil
}

// Threads reads the counts of each thread that made an access.
func (f *Filter) Threads() (map[int]ThreadCount, error) {
	out := map[int]ThreadCount{}
	var tid uint32
	var v [threadSize]byte
	it := f.threads.Iterate()
	for it.Next(&tid, &v) {
		le := binary.LittleEndian
		out[int(tid)] = ThreadCount{Accesses: le.Uint64(v[threadAccesses:]), Last: le.Uint64(v[threadLast:])}
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("read the condition's per-thread counts: %w", err)
	}
	return out, nil
}

// Close unloads the program and its maps (events it is attached to keep
// it until they close).
func (f *Filter) Close() {
	if f.prog != nil {
		f.prog.Close()
	}
	if f.counts != nil {
		f.counts.Close()
	}
	if f.threads != nil {
		f.threads.Close()
	}
}
