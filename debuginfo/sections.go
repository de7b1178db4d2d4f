package debuginfo

import (
	"bytes"
	"compress/zlib"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

var errNoSection = errors.New("no such section")

// sectionOf finds a section by name, also under its compressed ".zdebug" name.
func sectionOf(f *elf.File, name string) *elf.Section {
	if s := f.Section(name); s != nil {
		return s
	}
	if strings.HasPrefix(name, ".debug_") {
		return f.Section(".zdebug_" + name[len(".debug_"):])
	}
	return nil
}

// section reads (and decompresses) one DWARF section once. A section
// stored as it is comes straight from the file's mapping (mapFile): its
// pages are read, and count in hwdbg's memory, only when touched.
func (in *Info) section(name string) ([]byte, error) {
	if b, ok := in.raw[name]; ok {
		return b, nil
	}
	file := in.dwarfFile()
	s := sectionOf(in.df, name)
	if s == nil || s.Type == elf.SHT_NOBITS {
		return nil, fmt.Errorf("debuginfo: %s: %s: %w", file, name, errNoSection)
	}
	if b, ok := in.mapped(s); ok {
		in.raw[name], in.mapOffs[name] = b, s.Offset
		return b, nil
	}
	b, err := sectionData(s)
	if err != nil {
		return nil, fmt.Errorf("debuginfo: %s: read %s: %w", file, name, err)
	}
	if strings.HasPrefix(s.Name, ".zdebug_") {
		b, err = unzdebug(s.Name, b)
		if err != nil {
			return nil, fmt.Errorf("debuginfo: %s: %w", file, err)
		}
	}
	in.raw[name] = b
	return b, nil
}

// prefetch reads the named sections that exist, each in its own
// goroutine, into the cache section reads from: decompressing them is most
// of the time it takes to open a big file's DWARF, and .debug_info alone
// takes about as long as all the others together. A section that cannot
// be read is left for section to report.
func (in *Info) prefetch(names []string) {
	got := make([][]byte, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		s := sectionOf(in.df, name)
		if _, ok := in.raw[name]; ok || s == nil || s.Type == elf.SHT_NOBITS {
			continue
		}
		if b, ok := in.mapped(s); ok {
			in.raw[name], in.mapOffs[name] = b, s.Offset
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if recover() != nil {
					got[i] = nil
				}
			}()
			b, err := sectionData(s)
			if err == nil && strings.HasPrefix(s.Name, ".zdebug_") {
				b, err = unzdebug(s.Name, b)
			}
			if err == nil {
				got[i] = b
			}
		}()
	}
	wg.Wait()
	for i, b := range got {
		if b != nil {
			in.raw[names[i]] = b
		}
	}
}

// mapFile maps the file the DWARF is read from, read-only, for the
// sections stored uncompressed (mapped). Where it cannot be mapped,
// sections are read into memory instead.
func (in *Info) mapFile() {
	f, err := os.Open(in.dwarfFile())
	if err != nil {
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() <= 0 || st.Size() != int64(int(st.Size())) {
		return
	}
	b, err := unix.Mmap(int(f.Fd()), 0, int(st.Size()), unix.PROT_READ, unix.MAP_PRIVATE)
	if err != nil {
		return
	}
	// A page touched brings in that page, not the sixteen around it
	// (the kernel's fault-around): reading the unit headers alone would
	// otherwise hold most of a big .debug_info in memory.
	unix.Madvise(b, unix.MADV_RANDOM)
	in.image = b
}

// mapped is section s of the mapped file, when it is stored there as it
// is read (not compressed) and lies inside the file.
func (in *Info) mapped(s *elf.Section) ([]byte, bool) {
	if in.image == nil || s.Flags&elf.SHF_COMPRESSED != 0 || strings.HasPrefix(s.Name, ".zdebug_") {
		return nil, false
	}
	end := s.Offset + s.FileSize
	if end < s.Offset || end > uint64(len(in.image)) || s.FileSize != s.Size {
		return nil, false
	}
	return in.image[s.Offset:end:end], true
}

// release gives back the pages of [lo, hi) in section name, when it is
// mapped: pages read once (a search reads every unit) need not stay in
// hwdbg's memory. Touched again, they come back from the page cache.
func (in *Info) release(name string, lo, hi uint64) {
	base, ok := in.mapOffs[name]
	if !ok || hi <= lo {
		return
	}
	page := uint64(os.Getpagesize())
	start := (base + lo + page - 1) &^ (page - 1)
	end := (base + hi) &^ (page - 1)
	if end <= start || end > uint64(len(in.image)) {
		return
	}
	unix.Madvise(in.image[start:end], unix.MADV_DONTNEED)
}

// unmap releases the mapping. Nothing read from it may be used after.
func (in *Info) unmap() error {
	if in.image == nil {
		return nil
	}
	err := unix.Munmap(in.image)
	in.image = nil
	return err
}

// sectionData reads a section, decompressing an SHF_COMPRESSED one
// straight into a buffer of its uncompressed size (Size, for a compressed
// section): Section.Data grows its buffer while inflating, which on a big
// binary's .debug_info leaves several times its size in garbage.
func sectionData(s *elf.Section) ([]byte, error) {
	if s.Flags&elf.SHF_COMPRESSED == 0 || s.Size == 0 || s.Size > 1<<32 {
		return s.Data()
	}
	b := make([]byte, s.Size)
	if _, err := io.ReadFull(s.Open(), b); err != nil {
		return nil, err
	}
	return b, nil
}

// unzdebug decompresses an old-style ".zdebug" section, name: "ZLIB", an
// 8-byte big-endian size, then a zlib stream.
func unzdebug(name string, b []byte) ([]byte, error) {
	if len(b) < 12 || string(b[:4]) != "ZLIB" {
		return b, nil
	}
	n := binary.BigEndian.Uint64(b[4:12])
	if n > 1<<32 {
		return nil, &DecodeError{Section: name, Offset: 4, Err: fmt.Errorf("implausible size %d", n)}
	}
	zr, err := zlib.NewReader(bytes.NewReader(b[12:]))
	if err != nil {
		return nil, &DecodeError{Section: name, Offset: 12, Err: err}
	}
	out := make([]byte, n)
	if _, err := io.ReadFull(zr, out); err != nil {
		return nil, &DecodeError{Section: name, Offset: 12, Err: fmt.Errorf("zlib stream of %d bytes: %w", n, err)}
	}
	return out, nil
}
