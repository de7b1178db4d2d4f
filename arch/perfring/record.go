package perfring

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"
)

// sampleType is what every sample of a Recorder holds, in this order
// (include/uapi/linux/perf_event.h, PERF_RECORD_SAMPLE): the ip, the pid
// and tid, the time, and the callchain (a count, then that many
// addresses).
const sampleType = unix.PERF_SAMPLE_IP | unix.PERF_SAMPLE_TID | unix.PERF_SAMPLE_TIME | unix.PERF_SAMPLE_CALLCHAIN

// sampleTypeAddr adds the address, between the time and the callchain: a
// breakpoint's sample carries the address of its breakpoint, which tells
// the pieces of a range apart (a Recorder of more than one piece).
const sampleTypeAddr = sampleType | unix.PERF_SAMPLE_ADDR

// Record types (perf_event_header.type) a Recorder's ring holds.
const (
	RecordLost       = unix.PERF_RECORD_LOST       // samples that found the ring full
	RecordThrottle   = unix.PERF_RECORD_THROTTLE   // the kernel throttled the event
	RecordUnthrottle = unix.PERF_RECORD_UNTHROTTLE // and let it go again
	RecordSample     = unix.PERF_RECORD_SAMPLE     // one access
)

// headerLen is the length of struct perf_event_header: u32 type, u16
// misc, u16 size (the size of the whole record, header included).
const headerLen = 8

// sampleFixed is the fixed part of a sample after its header: ip, pid and
// tid, time, and the callchain's count.
const sampleFixed = 8 + 4 + 4 + 8 + 8

// lostLen is a PERF_RECORD_LOST's body: u64 id, u64 lost.
const lostLen = 16

// contextMax is PERF_CONTEXT_MAX as an address: callchain entries at or
// above it are not addresses but markers saying whose frames follow
// (PERF_CONTEXT_USER, PERF_CONTEXT_KERNEL, ...).
const contextMax = 1<<64 + unix.PERF_CONTEXT_MAX // -4095 as a u64

// Sample is one recorded access.
type Sample struct {
	Pid, Tid int
	// IP is the thread's pc when the hardware reported the access: on
	// amd64 the instruction after the one that made it (data
	// breakpoints trap after the access), on arm64 that instruction.
	IP uint64
	// Time is when, in nanoseconds of CLOCK_MONOTONIC.
	Time uint64
	// Piece is the address of the piece of the range whose breakpoint
	// reported the access, when the range has more than one (0
	// otherwise). One instruction that touches two pieces is reported
	// once per piece, by samples of one thread that follow each other.
	Piece uint64
	// Stack is the user callchain, innermost first: normally IP, then
	// the return address of each caller the kernel found by walking
	// frame pointers. The markers the kernel puts between contexts are
	// left out.
	Stack []uint64
}

// Record is one decoded ring record.
type Record struct {
	Type   uint32 // RecordSample, RecordLost, or another PERF_RECORD_* left undecoded
	Misc   uint16
	Sample Sample // for RecordSample
	Lost   uint64 // for RecordLost: how many samples the kernel dropped
}

// DecodeError says what is wrong with ring data and where: Offset counts
// bytes from the start of the data given to Decode.
type DecodeError struct {
	Offset int
	What   string
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("perf ring data at offset %d: %s", e.Offset, e.What)
}

var ne = binary.NativeEndian

// DecodeRecord decodes the record at the start of b into rec and returns
// its length. rec.Sample.Stack reuses rec's previous Stack. An error
// names the offset of the bad data counted from base, which is where b
// starts in the caller's data. A sample is laid out as a Recorder of one
// piece writes it; DecodeRecordPieces decodes those of several.
func DecodeRecord(b []byte, base int, rec *Record) (int, error) {
	return decodeRecord(b, base, false, rec)
}

// DecodeRecordPieces is DecodeRecord for the samples of a Recorder of
// more than one piece, which carry the piece's address.
func DecodeRecordPieces(b []byte, base int, rec *Record) (int, error) {
	return decodeRecord(b, base, true, rec)
}

func decodeRecord(b []byte, base int, pieces bool, rec *Record) (int, error) {
	if len(b) < headerLen {
		return 0, &DecodeError{base, fmt.Sprintf("%d bytes left, a record header takes %d", len(b), headerLen)}
	}
	typ, misc, size := ne.Uint32(b), ne.Uint16(b[4:]), int(ne.Uint16(b[6:]))
	if size < headerLen {
		return 0, &DecodeError{base, fmt.Sprintf("a record claims %d bytes, less than its own header", size)}
	}
	if size > len(b) {
		return 0, &DecodeError{base, fmt.Sprintf("a record claims %d bytes, %d are left", size, len(b))}
	}
	stack := rec.Sample.Stack[:0]
	*rec = Record{Type: typ, Misc: misc}
	rec.Sample.Stack = stack
	body := b[headerLen:size]
	switch typ {
	case RecordSample:
		return size, decodeSample(body, base+headerLen, pieces, &rec.Sample)
	case RecordLost:
		if len(body) < lostLen {
			return 0, &DecodeError{base, fmt.Sprintf("a lost-samples record of %d bytes, %d needed", size, headerLen+lostLen)}
		}
		rec.Lost = ne.Uint64(body[8:])
	}
	return size, nil
}

// decodeSample decodes a sample's body (after its header) laid out as
// sampleType says, or sampleTypeAddr for pieces; base is where body
// starts.
func decodeSample(body []byte, base int, pieces bool, s *Sample) error {
	fixed := sampleFixed
	if pieces {
		fixed += 8
	}
	if len(body) < fixed {
		return &DecodeError{base, fmt.Sprintf("a sample of %d bytes after its header holds no ip, tid, time%s and callchain length (%d bytes)",
			len(body), map[bool]string{true: ", address"}[pieces], fixed)}
	}
	s.IP = ne.Uint64(body)
	s.Pid = int(ne.Uint32(body[8:]))
	s.Tid = int(ne.Uint32(body[12:]))
	s.Time = ne.Uint64(body[16:])
	at := 24
	if pieces {
		s.Piece = ne.Uint64(body[at:])
		at += 8
	}
	nr := ne.Uint64(body[at:])
	chain := body[fixed:]
	if nr > uint64(len(chain)/8) {
		return &DecodeError{base + at, fmt.Sprintf("a callchain claims %d entries, the sample has room for %d", nr, len(chain)/8)}
	}
	for i := 0; i < int(nr); i++ {
		if pc := ne.Uint64(chain[8*i:]); pc < contextMax {
			s.Stack = append(s.Stack, pc)
		}
	}
	return nil
}

// Decode decodes consecutive records filling b, calling fn on each; rec
// is reused from one call to the next. It stops at the first bad record.
// pieces says the samples carry their piece's address (DecodeRecordPieces).
func Decode(b []byte, pieces bool, fn func(*Record)) error {
	var rec Record
	for off := 0; off < len(b); {
		n, err := decodeRecord(b[off:], off, pieces, &rec)
		if err != nil {
			return err
		}
		fn(&rec)
		off += n
	}
	return nil
}
