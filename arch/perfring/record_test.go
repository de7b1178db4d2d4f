package perfring

import (
	"encoding/binary"
	"errors"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// rawRecord lays out a record as the kernel writes it: the header, then
// body, padded to a multiple of 8 bytes as the kernel pads them.
func rawRecord(typ uint32, body []byte) []byte {
	size := headerLen + len(body)
	b := binary.NativeEndian.AppendUint32(nil, typ)
	b = binary.NativeEndian.AppendUint16(b, unix.PERF_RECORD_MISC_USER)
	b = binary.NativeEndian.AppendUint16(b, uint16(size))
	return append(b, body...)
}

// rawSample is a sample record: ip, pid, tid, time and a callchain.
func rawSample(ip uint64, pid, tid uint32, time uint64, chain ...uint64) []byte {
	b := binary.NativeEndian.AppendUint64(nil, ip)
	b = binary.NativeEndian.AppendUint32(b, pid)
	b = binary.NativeEndian.AppendUint32(b, tid)
	b = binary.NativeEndian.AppendUint64(b, time)
	b = binary.NativeEndian.AppendUint64(b, uint64(len(chain)))
	for _, pc := range chain {
		b = binary.NativeEndian.AppendUint64(b, pc)
	}
	return rawRecord(RecordSample, b)
}

// rawSampleAt is a sample of a range of several pieces: ip, pid, tid,
// time, the piece's address and a callchain.
func rawSampleAt(ip uint64, pid, tid uint32, time, piece uint64, chain ...uint64) []byte {
	b := binary.NativeEndian.AppendUint64(nil, ip)
	b = binary.NativeEndian.AppendUint32(b, pid)
	b = binary.NativeEndian.AppendUint32(b, tid)
	b = binary.NativeEndian.AppendUint64(b, time)
	b = binary.NativeEndian.AppendUint64(b, piece)
	b = binary.NativeEndian.AppendUint64(b, uint64(len(chain)))
	for _, pc := range chain {
		b = binary.NativeEndian.AppendUint64(b, pc)
	}
	return rawRecord(RecordSample, b)
}

func rawLost(id, n uint64) []byte {
	b := binary.NativeEndian.AppendUint64(nil, id)
	return rawRecord(RecordLost, binary.NativeEndian.AppendUint64(b, n))
}

// user is PERF_CONTEXT_USER as a callchain entry.
const user = 1<<64 + unix.PERF_CONTEXT_USER

func cat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

// setChain overwrites the callchain count of a sample of pieces.
func setChain(b []byte, n uint64) []byte {
	b = append([]byte(nil), b...)
	binary.NativeEndian.PutUint64(b[headerLen+32:], n)
	return b
}

// setSize overwrites a record's size field.
func setSize(b []byte, size uint16) []byte {
	b = append([]byte(nil), b...)
	binary.NativeEndian.PutUint16(b[6:], size)
	return b
}

func TestDecode(t *testing.T) {
	type want struct {
		typ   uint32
		s     Sample
		lost  uint64
		stack []uint64
	}
	throttle := rawRecord(RecordThrottle, make([]byte, 24))
	for _, tc := range []struct {
		name   string
		data   []byte
		pieces bool
		want   []want
		err    string // part of the error; "" for none
		off    int    // the error's offset
	}{
		{"nothing", nil, false, nil, "", 0},
		{"a sample, markers left out",
			rawSample(0x401136, 10, 11, 99, user, 0x401136, 0x401170, 0x7f0000001234), false,
			[]want{{typ: RecordSample, s: Sample{Pid: 10, Tid: 11, IP: 0x401136, Time: 99}, stack: []uint64{0x401136, 0x401170, 0x7f0000001234}}}, "", 0},
		{"a sample with no callchain", rawSample(0x1000, 1, 2, 3), false,
			[]want{{typ: RecordSample, s: Sample{Pid: 1, Tid: 2, IP: 0x1000, Time: 3}}}, "", 0},
		{"a sample, then lost, then another type",
			cat(rawSample(0x1000, 1, 2, 3, user, 0x1000), rawLost(7, 42), throttle), false,
			[]want{
				{typ: RecordSample, s: Sample{Pid: 1, Tid: 2, IP: 0x1000, Time: 3}, stack: []uint64{0x1000}},
				{typ: RecordLost, lost: 42},
				{typ: RecordThrottle},
			}, "", 0},
		{"a header cut short", rawLost(1, 2)[:5], false, nil, "5 bytes left", 0},
		{"a record smaller than its header", setSize(rawLost(1, 2), 4), false, nil, "less than its own header", 0},
		{"a record claiming more than there is", cat(rawLost(1, 1), setSize(rawLost(1, 2), 64)), false,
			[]want{{typ: RecordLost, lost: 1}}, "claims 64 bytes, 24 are left", 24},
		{"a sample with no room for its fields", rawRecord(RecordSample, make([]byte, 16)), false, nil, "holds no ip", 8},
		{"a lost record too short", rawRecord(RecordLost, make([]byte, 8)), false, nil, "lost-samples record of 16 bytes", 0},
		{"a sample of a range of pieces", rawSampleAt(0x1000, 1, 2, 3, 0x4018, user, 0x1000, 0x2000), true,
			[]want{{typ: RecordSample, s: Sample{Pid: 1, Tid: 2, IP: 0x1000, Time: 3, Piece: 0x4018}, stack: []uint64{0x1000, 0x2000}}}, "", 0},
		{"a sample of pieces with no room for its address", rawSample(0x1000, 1, 2, 3), true, nil, "holds no ip, tid, time, address", 8},
		{"a sample of pieces whose callchain claims too much", setChain(rawSampleAt(0x1000, 1, 2, 3, 0x4018, 0x1000), 9), true,
			nil, "claims 9 entries, the sample has room for 1", headerLen + 32},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []want
			err := Decode(tc.data, tc.pieces, func(r *Record) {
				got = append(got, want{typ: r.Type, s: Sample{Pid: r.Sample.Pid, Tid: r.Sample.Tid, IP: r.Sample.IP, Time: r.Sample.Time, Piece: r.Sample.Piece}, lost: r.Lost, stack: append([]uint64(nil), r.Sample.Stack...)})
			})
			checkErr(t, err, tc.err, tc.off)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d records %+v, want %d", len(got), got, len(tc.want))
			}
			for i := range got {
				if len(got[i].stack) == 0 {
					got[i].stack = nil
				}
				if !reflect.DeepEqual(got[i], tc.want[i]) {
					t.Errorf("record %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// TestDecodeChainTooLong: a callchain count beyond the record's end is an
// error at the count's offset.
func TestDecodeChainTooLong(t *testing.T) {
	b := cat(rawLost(0, 0), rawSample(0x1000, 1, 2, 3, user, 0x1000))
	binary.NativeEndian.PutUint64(b[24+headerLen+24:], 1000)
	err := Decode(b, false, func(*Record) {})
	checkErr(t, err, "claims 1000 entries, the sample has room for 2", 24+headerLen+24)
}

func checkErr(t *testing.T, err error, want string, off int) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("error %v", err)
		}
		return
	}
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("error %v, want a DecodeError saying %q", err, want)
	}
	if !strings.Contains(de.Error(), want) || de.Offset != off {
		t.Fatalf("error %q at %d, want %q at %d", de, de.Offset, want, off)
	}
}

// FuzzDecode: no data makes the decoder panic or loop; an error names an
// offset inside the data, and every record it decoded ends before it.
func FuzzDecode(f *testing.F) {
	f.Add(rawSample(0x1000, 1, 2, 3, user, 0x1000, 0x2000), false)
	f.Add(cat(rawLost(1, 5), rawSample(0x1000, 1, 2, 3)), false)
	f.Add(setSize(rawLost(1, 2), 200), false)
	f.Add([]byte{9, 0, 0, 0, 2, 0, 8, 0}, true)
	f.Add(rawSampleAt(0x1000, 1, 2, 3, 0x4010, user, 0x1000), true)
	f.Fuzz(func(t *testing.T, b []byte, pieces bool) {
		n := 0
		err := Decode(b, pieces, func(r *Record) {
			n++
			for _, pc := range r.Sample.Stack {
				if pc >= contextMax {
					t.Fatalf("a context marker %#x left in the stack", pc)
				}
			}
		})
		if n > len(b)/headerLen {
			t.Fatalf("%d records out of %d bytes", n, len(b))
		}
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || de.Offset < 0 || de.Offset > len(b) {
				t.Fatalf("error %v: not a DecodeError inside the %d bytes", err, len(b))
			}
		}
	})
}
