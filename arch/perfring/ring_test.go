package perfring

import (
	"reflect"
	"testing"

	"golang.org/x/sys/unix"
)

// fakeRing is a ring in ordinary memory, written as the kernel writes
// one: at data_head, wrapping at the end, then data_head advanced.
func fakeRing(size int) *ring {
	return &ring{meta: new(unix.PerfEventMmapPage), data: make([]byte, size)}
}

func (r *ring) write(rec []byte) {
	head := r.meta.Data_head
	for i, c := range rec {
		r.data[(head+uint64(i))%uint64(len(r.data))] = c
	}
	r.meta.Data_head = head + uint64(len(rec))
}

// collect drains r into samples and lost counts.
func collect(r *ring) (ips []uint64, stacks [][]uint64, lost uint64, err error) {
	err = r.drain(func(rec *Record) {
		switch rec.Type {
		case RecordSample:
			ips = append(ips, rec.Sample.IP)
			stacks = append(stacks, append([]uint64(nil), rec.Sample.Stack...))
		case RecordLost:
			lost += rec.Lost
		}
	})
	return
}

// TestRingWrap: records that wrap around the end of the ring, at every
// offset a record can start at, decode as written, and the space is
// given back.
func TestRingWrap(t *testing.T) {
	rec := rawSample(0x1000, 1, 2, 3, user, 0x1000, 0x2000) // 64 bytes
	for start := 0; start < 128; start += 8 {
		r := fakeRing(128)
		r.meta.Data_head, r.meta.Data_tail = uint64(start), uint64(start)
		for round := 0; round < 5; round++ {
			// Two samples and a lost record: 152 bytes written since
			// the last drain would not fit in 128; write and drain in
			// two steps.
			r.write(rec)
			r.write(rawLost(0, 3))
			ips, stacks, lost, err := collect(r)
			if err != nil || len(ips) != 1 || lost != 3 || !reflect.DeepEqual(stacks[0], []uint64{0x1000, 0x2000}) {
				t.Fatalf("start %d round %d: ips %x stacks %x lost %d err %v", start, round, ips, stacks, lost, err)
			}
			r.write(rec)
			if ips, _, _, err := collect(r); err != nil || len(ips) != 1 || ips[0] != 0x1000 {
				t.Fatalf("start %d round %d: ips %x err %v", start, round, ips, err)
			}
			if r.meta.Data_tail != r.meta.Data_head {
				t.Fatalf("tail %d, head %d: space not given back", r.meta.Data_tail, r.meta.Data_head)
			}
		}
	}
}

// TestRingCorrupt: a record whose size is impossible ends the drain with
// an error at its offset, and the rest is given back unread.
func TestRingCorrupt(t *testing.T) {
	r := fakeRing(64)
	r.write(rawLost(0, 1))
	r.write(setSize(rawLost(0, 2), 200))
	ips, _, lost, err := collect(r)
	checkErr(t, err, "claims 200 bytes, 24 are written", 24)
	if len(ips) != 0 || lost != 1 || r.meta.Data_tail != r.meta.Data_head {
		t.Fatalf("ips %x lost %d tail %d head %d", ips, lost, r.meta.Data_tail, r.meta.Data_head)
	}
	// The next records read as usual.
	r.write(rawLost(0, 5))
	if _, _, lost, err := collect(r); err != nil || lost != 5 {
		t.Fatalf("after the bad record: lost %d, err %v", lost, err)
	}
}

// FuzzRing: whatever the ring holds and wherever head and tail are, the
// drain neither panics nor reads out of the ring, and ends with all of it
// given back.
func FuzzRing(f *testing.F) {
	f.Add(cat(rawSample(0x1000, 1, 2, 3, user, 0x1000), rawLost(0, 1)), uint64(0), uint64(40))
	f.Add(rawLost(0, 1), uint64(60), uint64(24))
	f.Fuzz(func(t *testing.T, data []byte, tail, n uint64) {
		r := fakeRing(64)
		copy(r.data, data)
		tail %= 1 << 40
		r.meta.Data_tail = tail
		r.meta.Data_head = tail + n%200
		collect(r)
		if r.meta.Data_tail != r.meta.Data_head {
			t.Fatalf("tail %d, head %d after the drain", r.meta.Data_tail, r.meta.Data_head)
		}
	})
}
