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

// Resolver maps a sample's ip to the instruction that made the access. It
// is called once per distinct ip.
type Resolver func(ip uint64) Access

// Access is what a Resolver knows of the instruction behind an ip.
type Access struct {
	PC     uint64 // the accessing instruction
	Counts bool   // false: the sample is left out (e.g. a write in a trace of reads)
	// Width is how many bytes the instruction accesses, 0 when unknown.
	// Two pieces of a range that start less than Width apart can be
	// touched by one access (see Sample).
	Width int
}

// Identity counts every sample at its ip.
func Identity(ip uint64) Access { return Access{PC: ip, Counts: true} }

// Profile counts samples as they come. Its methods may be called from
// any goroutine.
type Profile struct {
	resolve Resolver

	// hits, lost, dropped and merged are read while the trace runs (a
	// live line).
	hits, lost, dropped, merged atomic.Uint64

	mu       sync.Mutex
	resolved map[uint64]Access
	threads  map[int]*threadState
	pcs      map[uint64]uint64
	stacks   map[stackKey]uint64 // by thread and stack
	key      []byte
	limit    *limit // nil: every access counts
}

// threadState is one thread's counts and the access its last sample
// belongs to.
type threadState struct {
	ThreadHits
	last access
}

// access is the access a thread's last sample reported: its ip and stack,
// and the pieces that reported it (one sample each).
type access struct {
	valid   bool
	ip      uint64
	width   int
	lo, hi  uint64 // the lowest and highest piece address among them
	pieces  []uint64
	stack   []uint64
	counted bool
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
		resolved: map[uint64]Access{},
		threads:  map[int]*threadState{},
		pcs:      map[uint64]uint64{},
		stacks:   map[stackKey]uint64{},
	}
}

// Sample counts one access (perfring.Handler).
//
// A range split into pieces has one breakpoint per piece, and an
// instruction that touches two pieces is reported by both: two samples of
// its thread that follow each other in its ring, at the same ip with the
// same stack, their times some hundreds of nanoseconds apart (one trap
// writes both). They are one access, counted once (Totals' merged counts
// the extra samples), when their pieces start less than the instruction's
// access width apart: a 16-byte store over two 8-byte pieces is one
// access, the same 8-byte store run twice in a loop over both pieces is
// two. An unaligned store across a piece boundary narrower than it is
// counted once per piece.
func (p *Profile) Sample(s *perfring.Sample) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.resolved[s.IP]
	if !ok {
		r = p.resolve(s.IP)
		p.resolved[s.IP] = r
	}
	th := p.thread(s.Tid)
	callers := s.Stack
	if len(callers) > 0 && callers[0] == s.IP {
		callers = callers[1:]
	}
	if th.last.sameAccess(s, callers) {
		th.last.add(s.Piece)
		p.merged.Add(1)
		return
	}
	th.last.start(s, r.Width, callers)
	if !r.Counts {
		p.dropped.Add(1)
		return
	}
	// The stack's first frame is the accessing instruction; the kernel's
	// first entry is the ip itself, replaced by it, and the rest are the
	// callers' return addresses.
	k := binary.NativeEndian.AppendUint64(p.key[:0], uint64(s.Tid))
	k = binary.NativeEndian.AppendUint64(k, r.PC)
	for _, pc := range callers {
		k = binary.NativeEndian.AppendUint64(k, pc)
	}
	p.key = k
	if p.limit != nil {
		p.limit.add(s.Time, k)
		p.hits.Store(p.limit.kept())
		return
	}
	p.hits.Add(1)
	th.Hits++
	p.pcs[r.PC]++
	p.stacks[stackKey(k)]++
}

// sameAccess says whether s reports the access a's sample reported,
// through another piece.
func (a *access) sameAccess(s *perfring.Sample, callers []uint64) bool {
	if !a.valid || s.Piece == 0 || s.IP != a.ip || a.width <= 0 {
		return false
	}
	for _, pc := range a.pieces {
		if pc == s.Piece {
			return false
		}
	}
	lo, hi := min(a.lo, s.Piece), max(a.hi, s.Piece)
	if hi-lo >= uint64(a.width) || len(callers) != len(a.stack) {
		return false
	}
	for i, pc := range callers {
		if a.stack[i] != pc {
			return false
		}
	}
	return true
}

func (a *access) start(s *perfring.Sample, width int, callers []uint64) {
	a.valid, a.ip, a.width, a.lo, a.hi = true, s.IP, width, s.Piece, s.Piece
	a.pieces = append(a.pieces[:0], s.Piece)
	a.stack = append(a.stack[:0], callers...)
}

func (a *access) add(piece uint64) {
	a.pieces = append(a.pieces, piece)
	a.lo, a.hi = min(a.lo, piece), max(a.hi, piece)
}

// Lost counts n accesses of thread tid whose samples the kernel lost
// (perfring.Handler).
func (p *Profile) Lost(tid int, n uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lost.Add(n)
	th := p.thread(tid)
	th.Lost += n
	th.last.valid = false // the next sample follows none
}

func (p *Profile) thread(tid int) *threadState {
	t := p.threads[tid]
	if t == nil {
		t = &threadState{ThreadHits: ThreadHits{Tid: tid}}
		p.threads[tid] = t
	}
	return t
}

// Totals are the counts so far: the accesses counted (with a limit, no
// more than it), those whose samples were lost, and those the Resolver
// left out.
func (p *Profile) Totals() (hits, lost, dropped uint64) {
	return p.hits.Load(), p.lost.Load(), p.dropped.Load()
}

// Report is a Profile's counts at one moment, each list in decreasing
// order of hits (ties by thread, pc or stack).
type Report struct {
	Hits    uint64 // accesses counted
	Lost    uint64 // accesses whose samples were lost: not in the lists
	Dropped uint64 // samples the Resolver left out
	// Merged counts the samples of an access that another piece of the
	// range had already reported (one access, counted once).
	Merged uint64
	// After counts the accesses recorded after the limit was reached
	// (SetLimit): not in the counts.
	After   uint64
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
	r := Report{Hits: p.hits.Load(), Lost: p.lost.Load(), Dropped: p.dropped.Load(), Merged: p.merged.Load()}
	pcs, stacks, hits := p.pcs, p.stacks, map[int]uint64(nil)
	if p.limit != nil {
		pcs, stacks, hits = p.limit.counts()
		r.After = p.limit.after
	}
	for _, t := range p.threads {
		th := t.ThreadHits
		if hits != nil {
			th.Hits = hits[th.Tid]
		}
		if th.Hits > 0 || th.Lost > 0 {
			r.Threads = append(r.Threads, th)
		}
	}
	sort.Slice(r.Threads, func(i, j int) bool {
		a, b := r.Threads[i], r.Threads[j]
		return a.Hits > b.Hits || a.Hits == b.Hits && a.Tid < b.Tid
	})
	for pc, n := range pcs {
		r.PCs = append(r.PCs, PCHits{pc, n})
	}
	sort.Slice(r.PCs, func(i, j int) bool {
		a, b := r.PCs[i], r.PCs[j]
		return a.Hits > b.Hits || a.Hits == b.Hits && a.PC < b.PC
	})
	merged := map[string]uint64{}
	for k, n := range stacks {
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
