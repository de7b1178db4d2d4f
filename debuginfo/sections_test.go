package debuginfo

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"testing"
)

// zdebug is data compressed as a ".zdebug" section holds it, with size
// the size its header claims.
func zdebug(data []byte, size uint64) []byte {
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	w.Write(data)
	w.Close()
	b := binary.BigEndian.AppendUint64([]byte("ZLIB"), size)
	return append(b, z.Bytes()...)
}

func TestUnzdebug(t *testing.T) {
	data := bytes.Repeat([]byte("debug info "), 100)
	if got, err := unzdebug(".zdebug_info", zdebug(data, uint64(len(data)))); err != nil || !bytes.Equal(got, data) {
		t.Errorf("unzdebug = %d bytes, %v; want %d bytes", len(got), err, len(data))
	}
	if got, err := unzdebug(".zdebug_info", []byte("not compressed")); err != nil || string(got) != "not compressed" {
		t.Errorf("unzdebug(uncompressed) = %q, %v", got, err)
	}
	for _, tc := range []struct {
		name string
		b    []byte
		off  uint64
		msg  string
	}{
		{"implausible size", zdebug(data, 1<<40), 4, "implausible size"},
		{"not zlib", append(zdebug(nil, 8)[:12], "garbage"...), 12, "zlib"},
		{"short stream", zdebug(data, uint64(len(data))+1), 12, "zlib stream of 1101 bytes"},
	} {
		_, err := unzdebug(".zdebug_line", tc.b)
		wantDecodeError(t, tc.name, err, ".zdebug_line", tc.off, tc.msg)
	}
}

func FuzzUnzdebug(f *testing.F) {
	f.Add(zdebug([]byte("abc"), 3))
	f.Add(zdebug([]byte("abc"), 2))
	f.Add([]byte("ZLIB\x00\x00\x00\x00\x00\x00\x00\x10"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) >= 12 && binary.BigEndian.Uint64(b[4:12]) > 1<<20 {
			return // a claimed size this large is allocated, not read
		}
		unzdebug(".zdebug_info", b)
	})
}
