// Package traceprof counts the accesses a trace recorded: in total, per
// thread, per accessing instruction and per unique stack, with the
// samples the kernel lost, and writes them as folded stacks (flame graph
// input) or as a pprof profile.
//
// A Profile is the perfring.Handler of a trace. Where the sample's ip is
// not the accessing instruction (amd64 traps after the access), a
// Resolver given by the caller, who can decode instructions, maps one to
// the other, and may leave a sample out (a write in a trace of reads,
// where the hardware cannot trap on reads alone).
package traceprof

import (
	"encoding/binary"
	"sort"
	"sync"
	"sync/atomic"

	"hwdbg/arch/perfring"
)

// Resolver maps a sample's ip to the pc of the instruction that made the
// access, and says whether the sample counts. It is called once per
// distinct ip.
type Resolver func(ip uint64) (pc uint64, counts bool)

// Identity counts every sample at its ip.
func Identity(ip uint64) (uint64, bool) { return ip, true }

// Profile counts samples as they come. Its methods may be called from
// any goroutine.
type Profile struct {
	resolve Resolver

	// hits, lost and dropped are read while the trace runs (a live line).
	hits, lost, dropped atomic.Uint64

	mu       sync.Mutex
	resolved map[uint64]resolved
	threads  map[int]*ThreadHits
	pcs      map[uint64]uint64
	stacks   map[stackKey]uint64 // by thread and stack
	key      []byte
}

type resolved struct {
	pc     uint64
	counts bool
}

// stackKey is a thread and a stack: the tid, then the stack's pcs, as
// bytes.
type stackKey string

// New returns an empty Profile; resolve nil is Identity.
func New(resolve Resolver) *Profile {
	if resolve == nil {
		resolve = Identity
	}
	return &Profile{
		resolve:  resolve,
		resolved: map[uint64]resolved{},
		threads:  map[int]*ThreadHits{},
		pcs:      map[uint64]uint64{},
		stacks:   map[stackKey]uint64{},
	}
}

// Sample counts one access (perfring.Handler).
func (p *Profile) Sample(s *perfring.Sample) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.resolved[s.IP]
	if !ok {
		r.pc, r.counts = p.resolve(s.IP)
		p.resolved[s.IP] = r
	}
	if !r.counts {
		p.dropped.Add(1)
		return
	}
	p.hits.Add(1)
	p.thread(s.Tid).Hits++
	p.pcs[r.pc]++
	// The stack's first frame is the accessing instruction; the kernel's
	// first entry is the ip itself, replaced by it, and the rest are the
	// callers' return addresses.
	callers := s.Stack
	if len(callers) > 0 && callers[0] == s.IP {
		callers = callers[1:]
	}
	k := binary.NativeEndian.AppendUint64(p.key[:0], uint64(s.Tid))
	k = binary.NativeEndian.AppendUint64(k, r.pc)
	for _, pc := range callers {
		k = binary.NativeEndian.AppendUint64(k, pc)
	}
	p.key = k
	p.stacks[stackKey(k)]++
}

// Lost counts n accesses of thread tid whose samples the kernel lost
// (perfring.Handler).
func (p *Profile) Lost(tid int, n uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lost.Add(n)
	p.thread(tid).Lost += n
}

func (p *Profile) thread(tid int) *ThreadHits {
	t := p.threads[tid]
	if t == nil {
		t = &ThreadHits{Tid: tid}
		p.threads[tid] = t
	}
	return t
}

// Totals are the counts so far: the accesses counted, those whose samples
// were lost, and those the Resolver left out.
func (p *Profile) Totals() (hits, lost, dropped uint64) {
	return p.hits.Load(), p.lost.Load(), p.dropped.Load()
}

// Report is a Profile's counts at one moment, each list in decreasing
// order of hits (ties by thread, pc or stack).
type Report struct {
	Hits    uint64 // accesses counted
	Lost    uint64 // accesses whose samples were lost: not in the lists
	Dropped uint64 // samples the Resolver left out
	Threads []ThreadHits
	PCs     []PCHits
	Stacks  []Stack // merged over threads

	byThread []threadStack
}

// ThreadHits is one thread's count, and how many of its accesses were
// lost.
type ThreadHits struct {
	Tid        int
	Hits, Lost uint64
}

// PCHits is one accessing instruction's count.
type PCHits struct {
	PC   uint64
	Hits uint64
}

// Stack is one unique stack and its count. PCs[0] is the accessing
// instruction, each next one a return address into the caller before.
type Stack struct {
	PCs  []uint64
	Hits uint64
}

// Lookup is the pc whose function and line frame i stands for: the
// accessing instruction for frame 0, and for a caller a byte before its
// return address, which is inside the call (the instruction at the return
// address may belong to another line or even function).
func (s Stack) Lookup(i int) uint64 {
	if i == 0 {
		return s.PCs[0]
	}
	return s.PCs[i] - 1
}

type threadStack struct {
	tid int
	Stack
}

// Report returns the counts so far.
func (p *Profile) Report() Report {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := Report{Hits: p.hits.Load(), Lost: p.lost.Load(), Dropped: p.dropped.Load()}
	for _, t := range p.threads {
		r.Threads = append(r.Threads, *t)
	}
	sort.Slice(r.Threads, func(i, j int) bool {
		a, b := r.Threads[i], r.Threads[j]
		return a.Hits > b.Hits || a.Hits == b.Hits && a.Tid < b.Tid
	})
	for pc, n := range p.pcs {
		r.PCs = append(r.PCs, PCHits{pc, n})
	}
	sort.Slice(r.PCs, func(i, j int) bool {
		a, b := r.PCs[i], r.PCs[j]
		return a.Hits > b.Hits || a.Hits == b.Hits && a.PC < b.PC
	})
	merged := map[string]uint64{}
	for k, n := range p.stacks {
		tid := int(binary.NativeEndian.Uint64([]byte(k[:8])))
		r.byThread = append(r.byThread, threadStack{tid, Stack{pcsOf(string(k[8:])), n}})
		merged[string(k[8:])] += n
	}
	sort.Slice(r.byThread, func(i, j int) bool {
		a, b := r.byThread[i], r.byThread[j]
		return a.Hits > b.Hits || a.Hits == b.Hits && (a.tid < b.tid || a.tid == b.tid && lessPCs(a.PCs, b.PCs))
	})
	for k, n := range merged {
		r.Stacks = append(r.Stacks, Stack{pcsOf(k), n})
	}
	sort.Slice(r.Stacks, func(i, j int) bool {
		a, b := r.Stacks[i], r.Stacks[j]
		return a.Hits > b.Hits || a.Hits == b.Hits && lessPCs(a.PCs, b.PCs)
	})
	return r
}

// pcsOf decodes a stack's pcs from a key's bytes.
func pcsOf(b string) []uint64 {
	pcs := make([]uint64, 0, len(b)/8)
	for i := 0; i+8 <= len(b); i += 8 {
		pcs = append(pcs, binary.NativeEndian.Uint64([]byte(b[i:i+8])))
	}
	return pcs
}

func lessPCs(a, b []uint64) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}
