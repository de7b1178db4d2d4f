// Package perfring records every access to a range of memory without
// stopping the program: a perf hardware breakpoint (PERF_TYPE_BREAKPOINT)
// per thread and per piece of the range, each access a sample (its ip,
// thread, time and user callchain) written by the kernel into a ring
// buffer that this process maps and drains.
//
// The events are per thread (pid = tid, any cpu) and not inherited: a
// thread gets its events when the caller adds it (AddThread), which a
// debugger does while the new thread is stopped at its first instruction.
// The pieces of one thread write into one ring (the first piece's; the
// others are redirected to it), so a thread costs one ring whatever the
// range, and one hardware slot per piece, which it shares with ptrace's
// debug registers.
//
// Nothing is counted twice or silently dropped: a sample that finds the
// ring full is counted by the kernel and reported by a PERF_RECORD_LOST
// record, and when a thread's events are closed the events' own counts
// (every access, recorded or not) settle whatever the ring has not yet
// reported.
package perfring

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"hwdbg/arch"
)

// DefaultPages is the default size of a thread's ring, in pages of data:
// 4 MiB, some 45000 samples of a shallow stack, which is a third of a
// second of accesses where a hit costs 7 µs, so that a reader kept off
// the CPU that long by a busy machine loses nothing. Where the
// locked-memory limit refuses that much, a default ring is halved until
// it fits (Pages tells).
const DefaultPages = 1024

// DefaultTick is how often the rings are drained when no ring is full
// enough to wake the reader.
const DefaultTick = 100 * time.Millisecond

// Options tunes a Recorder.
type Options struct {
	// Pages is each thread's ring size in pages of data, a power of two
	// (0: DefaultPages, or less where the locked-memory limit says so).
	// The reader is woken when a quarter of it is written; samples that
	// find it full are lost (and counted).
	Pages int
	// Tick is how often every ring is drained whatever it holds (0:
	// DefaultTick).
	Tick time.Duration
}

// Handler receives what a Recorder reads. Its methods are called one at
// a time, from the Recorder's reading goroutine or from the goroutine
// that calls Flush, RemoveThread or Close, with the Recorder's lock held:
// they must not call the Recorder.
type Handler interface {
	// Sample is one access. s, its Stack included, is valid only during
	// the call.
	Sample(s *Sample)
	// Lost is n accesses of thread tid whose samples the kernel could not
	// write (the ring was full).
	Lost(tid int, n uint64)
}

// Recorder holds the events and rings of the threads it traces.
type Recorder struct {
	pieces    []arch.Piece
	acc       arch.Access
	h         Handler
	pages     int
	shrink    bool // the default size: halve it when it is refused
	watermark uint32

	mu       sync.Mutex
	threads  map[int]*thread
	byFd     map[int32]*thread // by the fd that owns the ring
	err      error             // the first ring data that did not decode
	stopping bool

	epfd, wake int // the poller's epoll and the eventfd that stops it
	done       chan struct{}
}

// thread is one traced thread's events and ring.
type thread struct {
	tid  int
	fds  []int // one event per piece; fds[0] owns the ring
	ring *ring
	// delivered is how many accesses the ring has reported, as samples
	// or as lost.
	delivered uint64
	hungUp    bool // the thread exited: its ring is no longer polled
}

// Open starts a Recorder of acc accesses (arch.Write, arch.Read,
// arch.ReadWrite) to pieces, each one a range one hardware slot covers, as
// the backend's Split plans them. It traces no thread until AddThread.
func Open(pieces []arch.Piece, acc arch.Access, h Handler, opt Options) (*Recorder, error) {
	if len(pieces) == 0 {
		return nil, errors.New("a trace needs a range to watch")
	}
	if h == nil {
		return nil, errors.New("a trace needs a handler for what it records")
	}
	if _, err := bpType(acc); err != nil {
		return nil, err
	}
	pages, shrink := opt.Pages, opt.Pages == 0
	if shrink {
		pages = DefaultPages
	}
	if pages < 1 || pages&(pages-1) != 0 {
		return nil, fmt.Errorf("a perf ring's size must be a power of two pages, not %d", pages)
	}
	tick := opt.Tick
	if tick <= 0 {
		tick = DefaultTick
	}
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1 for the perf rings: %w", err)
	}
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err == nil {
		err = unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wake, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wake)})
	}
	if err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("an eventfd to stop the perf ring reader: %w", err)
	}
	r := &Recorder{
		pieces:  append([]arch.Piece(nil), pieces...),
		acc:     acc,
		h:       h,
		shrink:  shrink,
		threads: map[int]*thread{},
		byFd:    map[int32]*thread{},
		epfd:    epfd,
		wake:    wake,
		done:    make(chan struct{}),
	}
	r.setPages(pages)
	go r.poll(tick)
	return r, nil
}

// AddThread starts tracing thread tid: its events, one per piece, and its
// ring. A thread already traced is left as it is. On error nothing of tid
// is left open.
func (r *Recorder) AddThread(tid int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopping {
		return errors.New("the trace is closed")
	}
	if r.threads[tid] != nil {
		return nil
	}
	t := &thread{tid: tid}
	for {
		err := r.open(t)
		if err == nil {
			break
		}
		t.close()
		var ml *memlockError
		if !errors.As(err, &ml) || !r.shrink || r.pages == 1 {
			return err
		}
		r.setPages(r.pages / 2)
	}
	if err := unix.EpollCtl(r.epfd, unix.EPOLL_CTL_ADD, t.fds[0], &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(t.fds[0])}); err != nil {
		t.close()
		return fmt.Errorf("thread %d: poll its perf ring: %w", tid, err)
	}
	for _, fd := range t.fds {
		if err := unix.IoctlSetInt(fd, unix.PERF_EVENT_IOC_ENABLE, 0); err != nil {
			unix.EpollCtl(r.epfd, unix.EPOLL_CTL_DEL, t.fds[0], nil)
			t.close()
			return fmt.Errorf("thread %d: enable its perf breakpoint: %w", tid, err)
		}
	}
	r.threads[tid] = t
	r.byFd[int32(t.fds[0])] = t
	return nil
}

// setPages sets the size of the rings of the threads added from now on,
// and the watermark that wakes their reader: a quarter of it.
func (r *Recorder) setPages(pages int) {
	r.pages = pages
	r.watermark = uint32(pages * os.Getpagesize() / 4)
}

// Pages is the size of the rings of the threads added from now on, in
// pages of data.
func (r *Recorder) Pages() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pages
}

// open opens t's events (disabled) and maps its ring.
func (r *Recorder) open(t *thread) error {
	for i, p := range r.pieces {
		fd, err := openEvent(t.tid, p, r.acc, r.watermark, len(r.pieces) > 1)
		if err != nil {
			return err
		}
		t.fds = append(t.fds, fd)
		if i == 0 {
			if t.ring, err = mapRing(fd, r.pages); err != nil {
				return fmt.Errorf("thread %d: %w", t.tid, err)
			}
			t.ring.pieces = len(r.pieces) > 1
			continue
		}
		if err := unix.IoctlSetInt(fd, unix.PERF_EVENT_IOC_SET_OUTPUT, t.fds[0]); err != nil {
			return fmt.Errorf("thread %d: share one perf ring between the pieces of the range: %w", t.tid, err)
		}
	}
	return nil
}

// close closes t's events and unmaps its ring.
func (t *thread) close() {
	// The redirected events first: the ring's owner goes last.
	for i := len(t.fds) - 1; i >= 0; i-- {
		unix.Close(t.fds[i])
	}
	t.fds = nil
	if t.ring != nil {
		t.ring.unmap()
		t.ring = nil
	}
}

// RemoveThread stops tracing thread tid (it exited, or the caller is done
// with it): what its ring holds is read first, and accesses the ring never
// reported are reported lost.
func (r *Recorder) RemoveThread(tid int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t := r.threads[tid]; t != nil {
		r.finish(t)
	}
}

// Threads lists the traced threads, in order.
func (r *Recorder) Threads() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	tids := make([]int, 0, len(r.threads))
	for tid := range r.threads {
		tids = append(tids, tid)
	}
	sort.Ints(tids)
	return tids
}

// Flush reads every ring now.
func (r *Recorder) Flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range r.threads {
		r.drain(t)
	}
}

// Err is the first ring data that did not decode, if any (its ring's
// unread data was dropped, and reported lost when its thread was
// removed).
func (r *Recorder) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Close stops tracing every thread, reading their rings first, and
// returns Err.
func (r *Recorder) Close() error {
	r.mu.Lock()
	if r.stopping {
		r.mu.Unlock()
		<-r.done
		return r.Err()
	}
	r.stopping = true
	r.mu.Unlock()
	var one [8]byte
	one[0] = 1
	unix.Write(r.wake, one[:])
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range r.threads {
		r.finish(t)
	}
	unix.Close(r.wake)
	unix.Close(r.epfd)
	return r.err
}

// finish stops t's events, reads its ring, settles what the ring did not
// report against the events' counts, and closes them.
func (r *Recorder) finish(t *thread) {
	for _, fd := range t.fds {
		unix.IoctlSetInt(fd, unix.PERF_EVENT_IOC_DISABLE, 0)
	}
	r.drain(t)
	var total uint64
	counted := true
	for _, fd := range t.fds {
		n, err := count(fd)
		if err != nil {
			counted = false
			break
		}
		total += n
	}
	if counted && total > t.delivered {
		r.h.Lost(t.tid, total-t.delivered)
		t.delivered = total
	}
	if !t.hungUp {
		unix.EpollCtl(r.epfd, unix.EPOLL_CTL_DEL, t.fds[0], nil)
	}
	delete(r.byFd, int32(t.fds[0]))
	delete(r.threads, t.tid)
	t.close()
}

// drain reads t's ring into the handler.
func (r *Recorder) drain(t *thread) {
	err := t.ring.drain(func(rec *Record) {
		switch rec.Type {
		case RecordSample:
			t.delivered++
			r.h.Sample(&rec.Sample)
		case RecordLost:
			t.delivered += rec.Lost
			r.h.Lost(t.tid, rec.Lost)
		}
	})
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("thread %d: %w", t.tid, err)
	}
}

// poll drains the rings when one is a quarter full and at every tick,
// until Close.
func (r *Recorder) poll(tick time.Duration) {
	defer close(r.done)
	events := make([]unix.EpollEvent, 64)
	ms := max(int(tick/time.Millisecond), 1)
	for {
		n, err := unix.EpollWait(r.epfd, events, ms)
		if err != nil && err != unix.EINTR {
			r.mu.Lock()
			if r.err == nil {
				r.err = fmt.Errorf("epoll_wait on the perf rings: %w", err)
			}
			r.mu.Unlock()
			return
		}
		r.mu.Lock()
		if r.stopping {
			r.mu.Unlock()
			return
		}
		for _, ev := range events[:max(n, 0)] {
			// An exited thread's ring hangs up, and would wake every
			// poll: it is drained below and polled no more.
			if t := r.byFd[ev.Fd]; t != nil && ev.Events&unix.EPOLLHUP != 0 && !t.hungUp {
				unix.EpollCtl(r.epfd, unix.EPOLL_CTL_DEL, t.fds[0], nil)
				t.hungUp = true
			}
		}
		for _, t := range r.threads {
			r.drain(t)
		}
		r.mu.Unlock()
	}
}
