package bpfcond

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"hwdbg/expr"
)

// The kernel cannot test-run a PERF_EVENT program (it has no
// BPF_PROG_TEST_RUN), so each condition is loaded twice: as PERF_EVENT,
// to be sure the verifier takes the program hwdbg attaches, and as
// RAW_TRACEPOINT, whose test run executes the same instructions in this
// thread's context, reading this process's memory.

// lowered parses, binds and lowers src in selfScope.
func lowered(src string) (expr.Low, error) {
	e, err := expr.Parse(src)
	if err != nil {
		return nil, err
	}
	b, err := expr.Bind(e, selfScope{})
	if err != nil {
		return nil, err
	}
	return expr.Lower(e, b, selfScope{})
}

// want is Eval's verdict on src: true, false, or an error (the program
// must then stop, as for a condition that holds).
func want(src string) (bool, error) {
	e, err := expr.Parse(src)
	if err != nil {
		return false, err
	}
	v, err := expr.Eval(e, selfScope{})
	if err != nil {
		return false, err
	}
	n, err := v.Int(selfScope{})
	return n != 0, err
}

// run test-runs f once on this thread and returns its verdict.
func run(t testing.TB, f *Filter) uint32 {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ret, err := f.prog.Run(&ebpf.RunOptions{})
	if err != nil {
		t.Fatalf("test run: %v", err)
	}
	return ret
}

// loadBoth loads cond as PERF_EVENT (checked, closed) and returns it
// loaded as RAW_TRACEPOINT, to run.
func loadBoth(t testing.TB, src string, cond expr.Low) *Filter {
	t.Helper()
	pf, err := Load(cond, watchedS64, ebpf.PerfEvent)
	if err != nil {
		t.Fatalf("%s: as PERF_EVENT: %v", src, err)
	}
	pf.Close()
	f, err := Load(cond, watchedS64, ebpf.RawTracepoint)
	if err != nil {
		t.Fatalf("%s: as RAW_TRACEPOINT: %v", src, err)
	}
	return f
}

func TestConditions(t *testing.T) {
	needBPF(t)
	for _, src := range []string{
		"s8 < 0", "s8 == -3", "u8 > 200", "u8 == 250", "(signed char)u8 < 0", "(signed char)u8 == -6",
		"s16 == -300", "s16 > 0", "u16 > 0x7fff", "(short)u16 < 0",
		"s32 < u32", "s32 < 0", "(unsigned)s32 > 0", "u32 > 3000000000", "(int)u32 < 0",
		"s64 == -5", "s64 < 0", "u64 > 0", "(long)u64 < 0", "u64 < s64",
		"flags & 0x10", "(flags & 0x0f) == 0xa", "(flags & 0x20) == 0", "flags & 1",
		"arr[2] == 3", "arr[0] + arr[3] == 5", "arr[1] - 3 < 0", "st.a == 7 && st.b == 99", "st.b > 100 || st.a == 7",
		"st.b > 100 || st.a == 8", "s64 != -5 && *(long*)8 == 1", "!s8", "!!s8", "-s8 == 3", "s8 + 1 == -2",
		"(unsigned char)(s16 + 44) == 0", "1", "0", "u8 >= 250 && u8 <= 250",
		fmt.Sprintf("*(int*)%#x == -70000", addr(&s32)), fmt.Sprintf("*(unsigned short*)%#x == 65000", addr(&u16)),
		"*(long*)0x10 == 1", // faults: the program stops, and hwdbg reports the error
		// *, / and %, signed (by the magnitudes) and unsigned.
		"s64 % 3 == -2", "s64 / 2 == -2", "-s64 % 3 == 2", "s32 / -7 == 10000", "s32 % 7 == 0", "s8 * s16 == 900",
		"u32 / 3 == 1333333333", "u32 % 7 == 4000000000 % 7", "(int)u32 / 2 < 0", "u64 / 2 == 0x4000000000000002",
		"u64 % 10 == 3", "(unsigned)s32 / 2 > 0", "(unsigned)s8 % 10 == 3", "u8 * u8 == 62500", "(unsigned char)(u8 * 2) == 244",
		"(long)0x8000000000000000 / -1 < 0", "(long)0x8000000000000000 % -1 == 0", "(int)0x80000000 / (int)-1 < 0",
		"s64 * -3 / 5 % 2 != 0", "arr[3] % arr[2] == 1 && st.b / st.a == 14",
		"s64 / (s64 + 5) == 1", "u8 % (u8 - 250) == 0", // a divisor of 0: the program stops, hwdbg reports it
	} {
		cond, err := lowered(src)
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		holds, evalErr := want(src)
		stops := holds || evalErr != nil
		f := loadBoth(t, src, cond)
		if err := f.SetThreshold(0); err != nil {
			t.Fatal(err)
		}
		got := run(t, f)
		c, err := f.Counts()
		if err != nil {
			t.Fatal(err)
		}
		if (got == 1) != stops || c.Accesses != 1 || (c.Crossings == 1) != stops {
			t.Errorf("%s: program returned %d, counts %+v; Eval says %v (%v)", src, got, c, holds, evalErr)
		}
		f.Close()
	}
}

// TestThreshold: the ignore count is counted in the map: crossings up to
// the threshold do not stop, every access and crossing is counted, and
// every access per thread.
func TestThreshold(t *testing.T) {
	needBPF(t)
	for _, tc := range []struct {
		src       string
		threshold uint64
		runs      int
		stops     int
		crossings uint64
	}{
		{"s8 < 0", 3, 5, 2, 5},
		{"s8 > 0", 0, 4, 0, 0},
		{"", 2, 2, 0, 2}, // no condition: an ignore count alone
		{"", Never, 5, 0, 5},
	} {
		var cond expr.Low
		if tc.src != "" {
			var err error
			if cond, err = lowered(tc.src); err != nil {
				t.Fatal(err)
			}
		}
		f := loadBoth(t, tc.src, cond)
		if err := f.SetThreshold(tc.threshold); err != nil {
			t.Fatal(err)
		}
		stops := 0
		runtime.LockOSThread()
		for i := 0; i < tc.runs; i++ {
			stops += int(run(t, f))
		}
		runtime.UnlockOSThread()
		c, err := f.Counts()
		if err != nil {
			t.Fatal(err)
		}
		per, err := f.Threads()
		if err != nil {
			t.Fatal(err)
		}
		var sum uint64
		for _, n := range per {
			sum += n.Accesses
		}
		if stops != tc.stops || c.Accesses != uint64(tc.runs) || c.Crossings != tc.crossings || c.Threshold != tc.threshold || sum != uint64(tc.runs) {
			t.Errorf("%q threshold %d, %d runs: %d stops, counts %+v, per thread %v; want %d stops, %d crossings",
				tc.src, tc.threshold, tc.runs, stops, c, per, tc.stops, tc.crossings)
		}
		f.Close()
	}
}

// TestHits: $hits is the number of the access being judged, counted on
// from where SetAccesses started it; each thread's entry keeps the number
// of its last access.
func TestHits(t *testing.T) {
	needBPF(t)
	const src = "$hits % 1000 == 999 && s8 < 0"
	cond, err := lowered(src)
	if err != nil {
		t.Fatal(err)
	}
	f := loadBoth(t, src, cond)
	defer f.Close()
	if err := errors.Join(f.SetThreshold(0), f.SetAccesses(2990)); err != nil {
		t.Fatal(err)
	}
	var stopped []uint64
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for i := 0; i < 2020; i++ {
		if run(t, f) == 1 {
			c, err := f.Counts()
			if err != nil {
				t.Fatal(err)
			}
			stopped = append(stopped, c.Accesses)
			if err := f.SetThreshold(c.Crossings); err != nil {
				t.Fatal(err)
			}
		}
	}
	per, err := f.Threads()
	if err != nil {
		t.Fatal(err)
	}
	me := per[unix.Gettid()]
	if fmt.Sprint(stopped) != "[2999 3999 4999]" || me.Accesses != 2020 || me.Last != 5010 {
		t.Errorf("stopped at hits %v, want [2999 3999 4999]; this thread's counts %+v, want 2020 accesses, the last 5010", stopped, me)
	}
}

// watchedS64 is the range the programs of the tests keep a copy of.
var watchedS64 = Watched{Addr: addr(&s64), Len: 8}

// TestOld: the program keeps what the watched bytes held before each
// access, so that a stop reports the value the access found.
func TestOld(t *testing.T) {
	needBPF(t)
	w := Watched{Addr: addr(&arr), Len: int(unsafe.Sizeof(arr))}
	f, err := Load(nil, w, ebpf.RawTracepoint)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bytesOf := func() []byte { return append([]byte(nil), unsafe.Slice((*byte)(unsafe.Pointer(&arr)), w.Len)...) }
	set := make([]byte, w.Len)
	set[0] = 0x77
	if err := f.SetValue(set); err != nil {
		t.Fatal(err)
	}
	saved := arr
	defer func() { arr = saved }()
	var steps []string
	for i, change := range []func(){func() {}, func() { arr[0] = 9 }, func() { arr[3] = -1 }} {
		before := bytesOf()
		change()
		run(t, f)
		old, err := f.Old()
		if err != nil {
			t.Fatal(err)
		}
		want := before
		if i == 0 {
			want = set // the first access finds what SetValue said
		}
		if string(old) != string(want) {
			steps = append(steps, fmt.Sprintf("access %d: old % x, want % x", i, old, want))
		}
	}
	if len(steps) > 0 {
		t.Error(strings.Join(steps, "\n"))
	}
	if _, err := Compile(nil, Watched{Len: MaxWatched + 1}); err == nil {
		t.Errorf("a range of %d bytes was taken", MaxWatched+1)
	}
}

// TestNotLowered: what cannot be read at a fixed address is refused
// before any program is built, with the reason.
func TestNotLowered(t *testing.T) {
	for src, why := range map[string]string{
		"ptr->a == 7": "its address depends on memory",
		"fl > 1":      "a floating-point value",
		"$rax == 0":   "a register",
	} {
		_, err := lowered(src)
		var nl *expr.NotLowered
		if !errors.As(err, &nl) || !strings.Contains(err.Error(), why) {
			t.Errorf("%s: %v, want %q", src, err, why)
		}
	}
}

// FuzzCompile: for any condition Lower takes, the compiler never panics,
// the verifier takes the program as PERF_EVENT, and the program agrees
// with Eval.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{"s8 < 0", "(flags & 0x0f) == 0xa || st.b", "!(u64 > s64) && (short)u16 + 1",
		"arr[3] - arr[0] >= (unsigned char)s8", "-(int)u32 <= *(long*)0x10", "s64 % 3 == -2", "u32 / (s16 + 300)",
		"(unsigned)s32 * s8 / -7 % (short)u16 > st.b"} {
		f.Add(s)
	}
	bpf := bpfAllowed() == nil
	f.Fuzz(func(t *testing.T, src string) {
		cond, err := lowered(src)
		if err != nil {
			return
		}
		if _, err := Compile(cond, watchedS64); err != nil {
			t.Fatalf("%s: lowered but not compiled: %v", src, err)
		}
		if !bpf {
			return
		}
		holds, evalErr := want(src)
		fl := loadBoth(t, src, cond)
		defer fl.Close()
		if err := fl.SetThreshold(0); err != nil {
			t.Fatal(err)
		}
		if got := run(t, fl); (got == 1) != (holds || evalErr != nil) {
			t.Fatalf("%s: program says %d, Eval %v (%v)", src, got, holds, evalErr)
		}
	})
}

// bpfAllowed loads the smallest program: nil when this process may.
func bpfAllowed() error {
	f, err := Load(nil, Watched{}, ebpf.RawTracepoint)
	if err == nil {
		f.Close()
	}
	return err
}

// needBPF fails the test where BPF is refused, unless the machine says
// so on purpose (HWDBG_NO_BPF=1: a run without CAP_BPF).
func needBPF(t *testing.T) {
	if err := bpfAllowed(); err != nil {
		if os.Getenv("HWDBG_NO_BPF") == "1" {
			t.Skipf("HWDBG_NO_BPF=1: %v", err)
		}
		t.Fatalf("BPF programs cannot be loaded here (run as root, or with CAP_BPF and CAP_PERFMON): %v", err)
	}
}
