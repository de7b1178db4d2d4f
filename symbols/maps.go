package symbols

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Mapping is one line of /proc/PID/maps.
type Mapping struct {
	Start, End         uint64 // [Start, End)
	Perms              string // e.g. "r-xp"
	Offset             uint64 // file offset of Start
	DevMajor, DevMinor uint32
	Inode              uint64
	Path               string // file path, "[heap]", "[stack]", "" for anonymous memory; may end in " (deleted)"
}

// Contains reports whether addr is in m.
func (m Mapping) Contains(addr uint64) bool { return addr >= m.Start && addr < m.End }

// Readable, Writable and Executable report m's permissions.
func (m Mapping) Readable() bool   { return len(m.Perms) > 0 && m.Perms[0] == 'r' }
func (m Mapping) Writable() bool   { return len(m.Perms) > 1 && m.Perms[1] == 'w' }
func (m Mapping) Executable() bool { return len(m.Perms) > 2 && m.Perms[2] == 'x' }

// String formats m as a /proc/PID/maps line.
func (m Mapping) String() string {
	s := fmt.Sprintf("%08x-%08x %s %08x %02x:%02x %d", m.Start, m.End, m.Perms, m.Offset, m.DevMajor, m.DevMinor, m.Inode)
	if m.Path != "" {
		s += " " + m.Path
	}
	return s
}

// ParseMaps parses the text of /proc/PID/maps. Empty lines are ignored; any
// other line that is not a mapping is an error naming the line.
func ParseMaps(text string) ([]Mapping, error) {
	var out []Mapping
	for n, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		m, err := parseMapLine(line)
		if err != nil {
			return nil, fmt.Errorf("symbols: maps line %d: %v: %q", n+1, err, line)
		}
		out = append(out, m)
	}
	return out, nil
}

func parseMapLine(line string) (Mapping, error) {
	var m Mapping
	rest := line
	next := func() string {
		rest = strings.TrimLeft(rest, " \t")
		i := strings.IndexAny(rest, " \t")
		if i < 0 {
			i = len(rest)
		}
		f := rest[:i]
		rest = rest[i:]
		return f
	}
	rng, perms, off, dev, ino := next(), next(), next(), next(), next()
	if ino == "" {
		return m, fmt.Errorf("want at least 5 fields")
	}
	lo, hi, ok := strings.Cut(rng, "-")
	if !ok {
		return m, fmt.Errorf("bad address range")
	}
	var err error
	if m.Start, err = strconv.ParseUint(lo, 16, 64); err != nil {
		return m, fmt.Errorf("bad start address")
	}
	if m.End, err = strconv.ParseUint(hi, 16, 64); err != nil {
		return m, fmt.Errorf("bad end address")
	}
	if m.End < m.Start {
		return m, fmt.Errorf("end address below start")
	}
	if len(perms) != 4 || !strings.ContainsRune("r-", rune(perms[0])) || !strings.ContainsRune("w-", rune(perms[1])) ||
		!strings.ContainsRune("x-", rune(perms[2])) || !strings.ContainsRune("ps", rune(perms[3])) {
		return m, fmt.Errorf("bad permissions")
	}
	m.Perms = perms
	if m.Offset, err = strconv.ParseUint(off, 16, 64); err != nil {
		return m, fmt.Errorf("bad offset")
	}
	maj, min, ok := strings.Cut(dev, ":")
	if !ok {
		return m, fmt.Errorf("bad device")
	}
	ma, err1 := strconv.ParseUint(maj, 16, 32)
	mi, err2 := strconv.ParseUint(min, 16, 32)
	if err1 != nil || err2 != nil {
		return m, fmt.Errorf("bad device")
	}
	m.DevMajor, m.DevMinor = uint32(ma), uint32(mi)
	if m.Inode, err = strconv.ParseUint(ino, 10, 64); err != nil {
		return m, fmt.Errorf("bad inode")
	}
	// The path is the rest of the line: it may contain spaces.
	m.Path = strings.Trim(rest, " \t")
	return m, nil
}

// ReadMaps reads and parses /proc/PID/maps.
func ReadMaps(pid int) ([]Mapping, error) {
	name := fmt.Sprintf("/proc/%d/maps", pid)
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("symbols: read %s: %w", name, err)
	}
	return ParseMaps(string(b))
}

// IsPIE reports whether the ELF file at path is position independent
// (ET_DYN: a PIE executable or a shared object), so that its addresses need
// a load bias.
func IsPIE(path string) (bool, error) {
	f, err := elf.Open(path)
	if err != nil {
		return false, fmt.Errorf("symbols: read %s: %w", path, err)
	}
	defer f.Close()
	return f.Type == elf.ET_DYN, nil
}

// LoadBias computes the load bias of the ELF file at path in process pid:
// the difference between the run-time addresses and the addresses in the
// file. It is 0 for a non-PIE executable (ET_EXEC).
//
// The file's mappings are found in /proc/PID/maps by path, or, when the path
// differs (a deleted file, a symlink such as /proc/PID/exe), by device and
// inode. The bias is the start of the lowest mapping at file offset 0 minus
// the lowest PT_LOAD address of the file, rounded down to the page.
func LoadBias(pid int, path string) (uint64, error) {
	maps, err := ReadMaps(pid)
	if err != nil {
		return 0, err
	}
	bias, err := BiasIn(maps, path)
	if err != nil {
		return 0, fmt.Errorf("%w (process %d)", err, pid)
	}
	return bias, nil
}

// BiasIn is LoadBias for mappings already read (one read of
// /proc/PID/maps can serve every file mapped in the process).
func BiasIn(maps []Mapping, path string) (bias uint64, err error) {
	defer func() {
		if r := recover(); r != nil {
			bias, err = 0, fmt.Errorf("symbols: read %s: malformed ELF file (%v)", path, r)
		}
	}()
	f, err := elf.Open(path)
	if err != nil {
		return 0, fmt.Errorf("symbols: read %s: %w", path, err)
	}
	defer f.Close()
	if f.Type == elf.ET_EXEC {
		return 0, nil
	}
	var loads []*elf.Prog
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			loads = append(loads, p)
		}
	}
	if len(loads) == 0 {
		return 0, fmt.Errorf("symbols: read %s: no PT_LOAD segment", path)
	}
	mine := fileMappings(maps, path)
	if len(mine) == 0 {
		return 0, fmt.Errorf("symbols: %s is not mapped", path)
	}
	page := uint64(os.Getpagesize())
	down := func(x uint64) uint64 { return x &^ (page - 1) }

	lowest := -1
	for i, m := range mine {
		if m.Offset == 0 && (lowest < 0 || m.Start < mine[lowest].Start) {
			lowest = i
		}
	}
	if lowest >= 0 {
		minVaddr := loads[0].Vaddr
		for _, p := range loads {
			minVaddr = min(minVaddr, p.Vaddr)
		}
		return mine[lowest].Start - down(minVaddr), nil
	}
	// No mapping at offset 0 (part of the image was unmapped): place the
	// lowest mapping through the segment that holds its file offset.
	m := mine[0]
	for _, x := range mine {
		if x.Start < m.Start {
			m = x
		}
	}
	for _, p := range loads {
		if m.Offset >= down(p.Off) && m.Offset < p.Off+p.Filesz {
			return m.Start - (down(p.Vaddr) + (m.Offset - down(p.Off))), nil
		}
	}
	return 0, fmt.Errorf("symbols: %s: no mapping matches a PT_LOAD segment", path)
}

// fileMappings returns the mappings of the file at path: those whose path
// names the same file, or, failing that, those with its device and inode.
func fileMappings(maps []Mapping, path string) []Mapping {
	names := map[string]bool{path: true, filepath.Clean(path): true}
	if abs, err := filepath.Abs(path); err == nil {
		names[abs] = true
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		names[real] = true
		if abs, err := filepath.Abs(real); err == nil {
			names[abs] = true
		}
	}
	var out []Mapping
	for _, m := range maps {
		if m.Path != "" && names[strings.TrimSuffix(m.Path, " (deleted)")] {
			out = append(out, m)
		}
	}
	if len(out) > 0 {
		return out
	}
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return nil
	}
	maj, min := devMajor(uint64(st.Dev)), devMinor(uint64(st.Dev))
	for _, m := range maps {
		if m.Inode == uint64(st.Ino) && m.DevMajor == maj && m.DevMinor == min {
			out = append(out, m)
		}
	}
	return out
}

// devMajor and devMinor split a Linux dev_t as glibc's gnu_dev_major and
// gnu_dev_minor do.
func devMajor(dev uint64) uint32 { return uint32((dev>>8)&0xfff | (dev>>32)&^0xfff) }
func devMinor(dev uint64) uint32 { return uint32(dev&0xff | (dev>>12)&^0xff) }
