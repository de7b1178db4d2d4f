// Package debugfile finds the separate debug file of an ELF object: the
// file that holds the DWARF and the full symbol table a distribution (or
// `objcopy --only-keep-debug`) split out of a stripped program or library.
//
// Two links lead there, tried in this order:
//
//   - the build id (the NT_GNU_BUILD_ID note): DIR/.build-id/xx/rest.debug,
//     xx the first byte of the id in hex and rest the others, for each
//     global debug directory DIR. The candidate must carry the same id.
//   - the .gnu_debuglink section (a file name and the CRC-32 of that
//     file): the name in the object's own directory, in its .debug
//     subdirectory, and under each global debug directory followed by the
//     object's directory. The candidate's CRC-32 must match.
//
// The global debug directories are HWDBG_DEBUG_FILE_DIRECTORY, a
// colon-separated list, or /usr/lib/debug when it is unset.
//
// The package only finds and opens files; debuginfo and symbols decide
// what to read from them.
package debugfile

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// EnvDirs names the environment variable that lists the global debug
// directories, separated by colons.
const EnvDirs = "HWDBG_DEBUG_FILE_DIRECTORY"

// DefaultDir is the global debug directory when EnvDirs is unset.
const DefaultDir = "/usr/lib/debug"

// Dirs is the list of global debug directories: EnvDirs split at its
// colons (empty entries dropped), or DefaultDir when EnvDirs is unset. Set
// to the empty string, it searches no global directory.
func Dirs() []string {
	v, ok := os.LookupEnv(EnvDirs)
	if !ok {
		return []string{DefaultDir}
	}
	var out []string
	for _, d := range strings.Split(v, ":") {
		if d != "" {
			out = append(out, d)
		}
	}
	return out
}

// noteGNUBuildID is the type of the GNU build id note (NT_GNU_BUILD_ID).
const noteGNUBuildID = 3

// ErrNoBuildID is returned by BuildID for an object without a GNU build id.
var ErrNoBuildID = errors.New("no GNU build id note")

// BuildID returns the GNU build id of f, read from its note sections
// (or, in a file without section headers, its note segments).
func BuildID(f *elf.File) (id []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			id, err = nil, fmt.Errorf("read build id: malformed ELF file (%v)", r)
		}
	}()
	var notes []io.Reader
	for _, s := range f.Sections {
		if s.Type == elf.SHT_NOTE {
			notes = append(notes, s.Open())
		}
	}
	if len(notes) == 0 {
		for _, p := range f.Progs {
			if p.Type == elf.PT_NOTE {
				notes = append(notes, p.Open())
			}
		}
	}
	for _, r := range notes {
		b, err := io.ReadAll(io.LimitReader(r, 1<<20))
		if err != nil {
			return nil, fmt.Errorf("read build id: %w", err)
		}
		if id, ok := ParseBuildIDNote(b, f.ByteOrder); ok {
			return id, nil
		}
	}
	return nil, ErrNoBuildID
}

// ParseBuildIDNote finds the GNU build id in the contents of one note
// section or segment: a sequence of notes, each a name size, a descriptor
// size and a type (4 bytes each), then the name and the descriptor, each
// padded to 4 bytes. ok is false when there is none or the notes are
// malformed.
func ParseBuildIDNote(b []byte, order binary.ByteOrder) (id []byte, ok bool) {
	for len(b) >= 12 {
		namesz := uint64(order.Uint32(b))
		descsz := uint64(order.Uint32(b[4:]))
		typ := order.Uint32(b[8:])
		b = b[12:]
		nameEnd := align4(namesz)
		if nameEnd > uint64(len(b)) {
			return nil, false
		}
		name := b[:namesz]
		b = b[nameEnd:]
		descEnd := align4(descsz)
		if descEnd > uint64(len(b)) {
			return nil, false
		}
		desc := b[:descsz]
		b = b[descEnd:]
		if typ == noteGNUBuildID && string(bytes.TrimRight(name, "\x00")) == "GNU" && len(desc) > 0 {
			return append([]byte(nil), desc...), true
		}
	}
	return nil, false
}

func align4(n uint64) uint64 { return (n + 3) &^ 3 }

// ParseDebugLink reads the contents of a .gnu_debuglink section: a file
// name ending in a NUL, padding to a multiple of 4 bytes, and the CRC-32
// (IEEE) of the debug file in the object's byte order.
func ParseDebugLink(b []byte, order binary.ByteOrder) (name string, crc uint32, err error) {
	n := bytes.IndexByte(b, 0)
	if n < 0 {
		return "", 0, errors.New(".gnu_debuglink: the file name has no terminating NUL")
	}
	if n == 0 {
		return "", 0, errors.New(".gnu_debuglink: empty file name")
	}
	name = string(b[:n])
	off := align4(uint64(n) + 1)
	if off+4 > uint64(len(b)) {
		return "", 0, fmt.Errorf(".gnu_debuglink: %d bytes, too short for the CRC after the name %q", len(b), name)
	}
	if strings.ContainsRune(name, '/') {
		return "", 0, fmt.Errorf(".gnu_debuglink: file name %q is not a base name", name)
	}
	return name, order.Uint32(b[off:]), nil
}

// DebugLink returns the file name and CRC of f's .gnu_debuglink section.
// ok is false when f has none.
func DebugLink(f *elf.File) (name string, crc uint32, ok bool, err error) {
	s := f.Section(".gnu_debuglink")
	if s == nil || s.Type == elf.SHT_NOBITS {
		return "", 0, false, nil
	}
	if s.Size > 4096 {
		return "", 0, false, fmt.Errorf(".gnu_debuglink: %d bytes, more than a file name and a CRC", s.Size)
	}
	b, err := s.Data()
	if err != nil {
		return "", 0, false, fmt.Errorf("read .gnu_debuglink: %w", err)
	}
	name, crc, err = ParseDebugLink(b, f.ByteOrder)
	if err != nil {
		return "", 0, false, err
	}
	return name, crc, true, nil
}

// CRC is the CRC-32 (IEEE) of the file at path, as .gnu_debuglink records it.
func CRC(path string) (uint32, error) {
	fh, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer fh.Close()
	h := crc32.NewIEEE()
	if _, err := io.Copy(h, fh); err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	return h.Sum32(), nil
}

// Find returns the path of the separate debug file of the object at path,
// already opened as f, searching dirs (see Dirs); "" when there is none.
// A file found by build id must carry the same build id, one found through
// .gnu_debuglink the CRC the link records; the object itself is never its
// own debug file.
func Find(path string, f *elf.File, dirs []string) string {
	self, _ := os.Stat(path)
	usable := func(p string) bool {
		st, err := os.Stat(p)
		if err != nil || !st.Mode().IsRegular() {
			return false
		}
		return self == nil || !os.SameFile(self, st)
	}
	if id, err := BuildID(f); err == nil && len(id) >= 2 {
		h := hex.EncodeToString(id)
		for _, d := range dirs {
			p := filepath.Join(d, ".build-id", h[:2], h[2:]+".debug")
			if usable(p) && sameBuildID(p, f, id) {
				return p
			}
		}
	}
	name, crc, ok, err := DebugLink(f)
	if err != nil || !ok {
		return ""
	}
	dir := filepath.Dir(path)
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	places := []string{filepath.Join(dir, name), filepath.Join(dir, ".debug", name)}
	for _, d := range dirs {
		places = append(places, filepath.Join(d, dir, name))
	}
	for _, p := range places {
		if !usable(p) {
			continue
		}
		if got, err := CRC(p); err == nil && got == crc {
			return p
		}
	}
	return ""
}

// sameBuildID tells whether the file at p is an ELF file for obj's machine
// with the build id id.
func sameBuildID(p string, obj *elf.File, id []byte) bool {
	df, err := elf.Open(p)
	if err != nil {
		return false
	}
	defer df.Close()
	if compatible(obj, df) != "" {
		return false
	}
	got, err := BuildID(df)
	return err == nil && bytes.Equal(got, id)
}

// compatible says why df cannot describe obj (another machine, class or
// byte order), or "".
func compatible(obj, df *elf.File) string {
	if obj.Machine != df.Machine || obj.Class != df.Class || obj.Data != df.Data {
		return fmt.Sprintf("an ELF file for %v %v %v, not %v %v %v", df.Machine, df.Class, df.Data, obj.Machine, obj.Class, obj.Data)
	}
	return ""
}

// Open finds the separate debug file of the object at path (opened as f)
// in dirs and opens it. It returns (nil, "", nil) when there is none.
func Open(path string, f *elf.File, dirs []string) (df *elf.File, dpath string, err error) {
	defer func() {
		if r := recover(); r != nil {
			df, dpath, err = nil, "", fmt.Errorf("debug file of %s: malformed ELF file (%v)", path, r)
		}
	}()
	p := Find(path, f, dirs)
	if p == "" {
		return nil, "", nil
	}
	df, err = elf.Open(p)
	if err != nil {
		return nil, "", fmt.Errorf("debug file of %s: %w", path, err)
	}
	if why := compatible(f, df); why != "" {
		df.Close()
		return nil, "", fmt.Errorf("debug file %s of %s: %s", p, path, why)
	}
	return df, p, nil
}
