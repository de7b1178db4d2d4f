package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// A big C program with DWARF, for the start-up row: generated, so that
// the bench needs nothing but gcc and builds the same program everywhere.
// Like a real C code base, every file includes a shared header of struct,
// union, enum and typedef declarations, and its functions take, walk and
// return them, so that each unit's DWARF repeats the types it uses. It is
// a debug build (-O0 -g): -O2 takes six times as long to compile, and
// the bench would spend minutes building before it measured anything.
const (
	bigCFiles = 165 // compilation units: a 23 MB binary
	bigCFuncs = 60  // functions a unit
	bigCTypes = 160 // struct types in the shared header
	// bigCWatched is the global the row watches: defined in the last
	// unit, so that a debugger that scans units in order reads them all.
	bigCWatched = "last_total"
)

// bigCVersion names this generator's output: change it when the
// generator changes, so that a cached build is not reused.
const bigCVersion = "bigc-1"

// rng is a small deterministic generator (xorshift), so that the program
// is the same on every run and machine.
type rng uint64

func (r *rng) intn(n int) int {
	*r ^= *r << 13
	*r ^= *r >> 7
	*r ^= *r << 17
	return int(uint64(*r) % uint64(n))
}

// bigCHeader is the shared header: the types and the declarations of
// each unit's exported functions.
func bigCHeader() string {
	var b strings.Builder
	b.WriteString("#include <stddef.h>\n#include <stdint.h>\n\n")
	for t := 0; t < bigCTypes; t++ {
		fmt.Fprintf(&b, "enum kind%d { KIND%d_NONE, KIND%d_ONE, KIND%d_TWO, KIND%d_MANY = %d };\n", t, t, t, t, t, 16+t)
		fmt.Fprintf(&b, "struct rec%d;\n", t)
	}
	for t := 0; t < bigCTypes; t++ {
		fmt.Fprintf(&b, `struct rec%[1]d {
	int id;
	long total;
	unsigned short flags;
	char name[24];
	double weights[4];
	enum kind%[1]d kind;
	union { int32_t i; float f; unsigned char bytes[4]; } u%[1]d;
	struct { uint16_t lo, hi; } span;
	struct rec%[1]d *next;
	struct rec%[2]d *peer;
	void (*visit)(struct rec%[1]d *, void *);
};
typedef struct rec%[1]d rec%[1]d_t;
static inline long rec%[1]d_weight(const struct rec%[1]d *r) {
	long w = r->total + r->id;
	for (int i = 0; i < 4; i++)
		w += (long)r->weights[i] * (i + 1);
	return r->kind == KIND%[1]d_MANY ? w * 2 : w;
}
`, t, (t+1)%bigCTypes)
	}
	for f := 0; f < bigCFiles; f++ {
		fmt.Fprintf(&b, "long unit%d_entry(long n);\n", f)
	}
	fmt.Fprintf(&b, "extern long %s;\n", bigCWatched)
	return b.String()
}

// bigCUnit is the source of unit f.
func bigCUnit(f int) string {
	r := rng(0x9e3779b97f4a7c15 ^ uint64(f+1)*0x2545f4914f6cdd1d)
	var b strings.Builder
	b.WriteString("#include \"big.h\"\n\n")
	for g := 0; g < 8; g++ {
		t := r.intn(bigCTypes)
		fmt.Fprintf(&b, "struct rec%d unit%d_rec%d;\n", t, f, g)
		fmt.Fprintf(&b, "static rec%d_t *unit%d_list%d;\n", t, f, g)
	}
	fmt.Fprintf(&b, "long unit%d_table[64];\nstatic int unit%d_calls;\n", f, f)
	if f == bigCFiles-1 {
		fmt.Fprintf(&b, "long %s;\n", bigCWatched)
	}
	for fn := 0; fn < bigCFuncs; fn++ {
		t1, t2, t3 := r.intn(bigCTypes), r.intn(bigCTypes), r.intn(bigCTypes)
		static := "static "
		if fn%4 == 0 {
			static = ""
		}
		fmt.Fprintf(&b, `%[7]slong unit%[1]d_fn%[2]d(struct rec%[3]d *a, rec%[4]d_t *b, long n)
{
	struct rec%[5]d local;
	long sum = 0;
	unit%[1]d_calls++;
	for (long i = 0; i < n && a; i++, a = a->next) {
		sum += rec%[3]d_weight(a) + a->u%[3]d.i;
		switch (a->kind) {
		case KIND%[3]d_ONE: sum -= a->span.lo; break;
		case KIND%[3]d_TWO: sum ^= a->flags; break;
		default: sum += a->name[i %% 24];
		}
		unit%[1]d_table[i & 63] += sum;
	}
	local.id = (int)sum;
	local.total = b ? rec%[4]d_weight(b) : 0;
	local.next = 0;
	unit%[1]d_list%[6]d = 0;
	return sum + local.total + local.id + unit%[1]d_rec%[6]d.total;
}

`, f, fn, t1, t2, t3, r.intn(8), static)
	}
	// The unit's entry calls its functions, so that none is dead code.
	fmt.Fprintf(&b, "long unit%d_entry(long n)\n{\n\tlong s = 0;\n", f)
	for fn := 0; fn < bigCFuncs; fn++ {
		fmt.Fprintf(&b, "\ts += unit%d_fn%d((void *)unit%d_table[%d], (void *)unit%d_table[%d], n);\n", f, fn, f, fn%64, f, (fn+1)%64)
	}
	fmt.Fprintf(&b, "\treturn s;\n}\n")
	if f == 0 {
		b.WriteString("\nint main(int argc, char **argv)\n{\n\tlong s = 0;\n")
		for g := 0; g < bigCFiles; g++ {
			fmt.Fprintf(&b, "\ts += unit%d_entry(argc - 1);\n", g)
		}
		fmt.Fprintf(&b, "\t%s = s;\n\treturn (int)(s & 1) && argv[0] == 0;\n}\n", bigCWatched)
	}
	return b.String()
}

// buildBigC generates the program and builds it, or reuses the build in
// the user's cache directory made by the same generator and compiler
// (the build takes a minute on two cores). It returns the binary's path.
func buildBigC(dir string) (string, error) {
	cc, err := exec.Command("gcc", "--version").Output()
	if err != nil {
		return "", fmt.Errorf("gcc --version: %w", err)
	}
	sum := sha256.Sum256([]byte(bigCVersion + "\n" + string(cc)))
	key := bigCVersion + "-" + hex.EncodeToString(sum[:6])
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = dir
	}
	cached := filepath.Join(cache, "hwdbg-bench", key, "bigc")
	if st, err := os.Stat(cached); err == nil && st.Mode().IsRegular() {
		return cached, nil
	}
	src := filepath.Join(dir, "bigc")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(src, "big.h"), []byte(bigCHeader()), 0o644); err != nil {
		return "", err
	}
	objs := make([]string, bigCFiles)
	errs := make([]error, bigCFiles)
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < runtime.NumCPU(); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range next {
				c := filepath.Join(src, fmt.Sprintf("unit%d.c", f))
				objs[f] = strings.TrimSuffix(c, ".c") + ".o"
				if errs[f] = os.WriteFile(c, []byte(bigCUnit(f)), 0o644); errs[f] != nil {
					continue
				}
				if out, err := exec.Command("gcc", "-g", "-O0", "-c", "-o", objs[f], c).CombinedOutput(); err != nil {
					errs[f] = fmt.Errorf("gcc -c %s: %v\n%s", c, err, out)
				}
			}
		}()
	}
	for f := 0; f < bigCFiles; f++ {
		next <- f
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return "", err
		}
	}
	bin := filepath.Join(src, "bigc")
	if out, err := exec.Command("gcc", append([]string{"-o", bin}, objs...)...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("gcc -o %s: %v\n%s", bin, err, out)
	}
	if err := os.MkdirAll(filepath.Dir(cached), 0o755); err != nil {
		return bin, nil
	}
	if data, err := os.ReadFile(bin); err == nil && os.WriteFile(cached+".tmp", data, 0o755) == nil {
		if os.Rename(cached+".tmp", cached) == nil {
			return cached, nil
		}
	}
	return bin, nil
}
