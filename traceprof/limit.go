package traceprof

import (
	"container/heap"
	"encoding/binary"
)

// A trace that ends after COUNT hits is stopped once it has recorded that
// many, but the program runs on while it stops, and the rings of several
// threads are read one after the other: more accesses arrive than COUNT.
// A limit keeps the COUNT earliest of them by time (the kernel's
// CLOCK_MONOTONIC, one clock for every CPU), so the report is of exactly
// the first COUNT accesses, and counts the rest as after the end.

// SetLimit makes p count only the n earliest accesses (by their time)
// and the others as Report.After; reached is closed once n accesses are
// recorded. Call it before the first sample.
func (p *Profile) SetLimit(n uint64) (reached <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.limit = &limit{n: n, reached: make(chan struct{}), intern: map[string]stackKey{}}
	return p.limit.reached
}

// limit is the n earliest accesses: a max-heap by time, the latest on top.
type limit struct {
	n       uint64
	seen    uint64
	after   uint64
	heap    accessHeap
	reached chan struct{}
	intern  map[string]stackKey // one copy of each thread and stack
}

// timed is one kept access: when, and its thread, pc and stack (a
// stackKey: the tid, the accessing pc, the callers).
type timed struct {
	time uint64
	key  stackKey
}

type accessHeap []timed

func (h accessHeap) Len() int           { return len(h) }
func (h accessHeap) Less(i, j int) bool { return h[i].time > h[j].time }
func (h accessHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *accessHeap) Push(x any)        { *h = append(*h, x.(timed)) }
func (h *accessHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// add takes one access at time with key k (a stackKey's bytes).
func (l *limit) add(time uint64, k []byte) {
	l.seen++
	if l.seen == l.n {
		close(l.reached)
	}
	if uint64(len(l.heap)) == l.n {
		l.after++
		if l.n == 0 || time >= l.heap[0].time {
			return
		}
		l.heap[0] = timed{time, l.keyOf(k)}
		heap.Fix(&l.heap, 0)
		return
	}
	heap.Push(&l.heap, timed{time, l.keyOf(k)})
}

func (l *limit) keyOf(k []byte) stackKey {
	if s, ok := l.intern[string(k)]; ok {
		return s
	}
	s := stackKey(k)
	l.intern[string(s)] = s
	return s
}

// kept is how many accesses count.
func (l *limit) kept() uint64 { return uint64(len(l.heap)) }

// counts are the kept accesses' counts per pc, per thread and stack, and
// per thread.
func (l *limit) counts() (pcs map[uint64]uint64, stacks map[stackKey]uint64, threads map[int]uint64) {
	pcs, stacks, threads = map[uint64]uint64{}, map[stackKey]uint64{}, map[int]uint64{}
	for _, a := range l.heap {
		stacks[a.key]++
		b := []byte(a.key)
		threads[int(binary.NativeEndian.Uint64(b))]++
		pcs[binary.NativeEndian.Uint64(b[8:])]++
	}
	return pcs, stacks, threads
}
