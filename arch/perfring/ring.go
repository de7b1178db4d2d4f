package perfring

import (
	"fmt"
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ring is one mmap'd perf ring buffer: a metadata page
// (struct perf_event_mmap_page) that the kernel and the reader share,
// then the data pages. The kernel writes records at data_head and
// advances it; the reader consumes them up to it and advances data_tail
// to give the space back. Both positions only grow: a record is at
// position % len(data). Records are 8-byte aligned and may wrap around
// the end of the data.
type ring struct {
	meta    *unix.PerfEventMmapPage
	data    []byte
	mem     []byte // the whole mapping (nil for a ring the tests made)
	scratch []byte // a record that wraps, made contiguous
	rec     Record
	pieces  bool // samples carry their piece's address (sampleTypeAddr)
}

// mapRing maps the ring of perf event fd: one metadata page and pages data
// pages (a power of two).
func mapRing(fd, pages int) (*ring, error) {
	ps := os.Getpagesize()
	mem, err := unix.Mmap(fd, 0, (1+pages)*ps, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, mmapRefusal(pages, err)
	}
	meta := (*unix.PerfEventMmapPage)(unsafe.Pointer(&mem[0]))
	// Linux 4.1 and later say where the data is; before, it is the pages
	// after the first.
	off, size := uint64(ps), uint64(pages*ps)
	if meta.Data_offset != 0 && meta.Data_size != 0 {
		off, size = meta.Data_offset, meta.Data_size
	}
	if off+size > uint64(len(mem)) {
		unix.Munmap(mem)
		return nil, fmt.Errorf("the perf ring's data (%d bytes at offset %d) lies outside its %d-byte mapping", size, off, len(mem))
	}
	return &ring{meta: meta, data: mem[off : off+size], mem: mem}, nil
}

func (r *ring) unmap() {
	if r.mem != nil {
		unix.Munmap(r.mem)
		r.mem, r.data, r.meta = nil, nil, nil
	}
}

// drain consumes every record the kernel has written, calling fn on each
// decoded one, and gives their space back as it goes. fn runs after the
// space is given back: the record (its Stack included) is a copy that
// stays valid until the next call of fn. Data that does not decode ends
// the drain: the rest of what was written is given back unread, and the
// error says what was wrong.
func (r *ring) drain(fn func(*Record)) error {
	// The kernel publishes a record by advancing data_head after writing
	// it: an atomic load (an acquire on every machine Go runs on) orders
	// the reads of the record after it.
	head := atomic.LoadUint64(&r.meta.Data_head)
	tail := atomic.LoadUint64(&r.meta.Data_tail)
	size := uint64(len(r.data))
	for tail < head {
		rec, err := r.record(tail, head-tail)
		if err == nil {
			var n int
			n, err = decodeRecord(rec, int(tail%size), r.pieces, &r.rec)
			if err == nil {
				tail += uint64(n)
				// The reads of the record are done: a store (a
				// release) hands its space back to the kernel.
				atomic.StoreUint64(&r.meta.Data_tail, tail)
				fn(&r.rec)
				continue
			}
		}
		atomic.StoreUint64(&r.meta.Data_tail, head)
		return err
	}
	return nil
}

// record is the record at position pos, of which avail bytes are written:
// a slice of the ring, or of scratch when it wraps around the end.
func (r *ring) record(pos, avail uint64) ([]byte, error) {
	size := uint64(len(r.data))
	off := pos % size
	if avail < headerLen {
		return nil, &DecodeError{int(off), fmt.Sprintf("%d bytes written, a record header takes %d", avail, headerLen)}
	}
	hdr := r.span(off, headerLen)
	n := uint64(ne.Uint16(hdr[6:]))
	if n < headerLen || n > avail || n > size {
		return nil, &DecodeError{int(off), fmt.Sprintf("a record claims %d bytes, %d are written", n, avail)}
	}
	return r.span(off, n), nil
}

// span is the n bytes of the ring at offset off (n <= its size):
// contiguous when they do not wrap, else copied into scratch.
func (r *ring) span(off, n uint64) []byte {
	size := uint64(len(r.data))
	if off+n <= size {
		return r.data[off : off+n]
	}
	if uint64(cap(r.scratch)) < n {
		r.scratch = make([]byte, n)
	}
	b := r.scratch[:n]
	k := copy(b, r.data[off:])
	copy(b[k:], r.data)
	return b
}
