package procfs

import (
	"os"
	"testing"
)

func TestStatusValue(t *testing.T) {
	const status = "Name:\tcat\nUmask:\t0022\nState:\tR (running)\nTgid:\t4321\nTracerPid:\t0\nUid:\t1000\t1000\t1000\t1000\nSigBlk:\t0000000000010000\n"
	for _, tc := range []struct{ key, want string }{
		{"Name:", "cat"},
		{"State:", "R (running)"},
		{"Tgid:", "4321"},
		{"Uid:", "1000\t1000\t1000\t1000"},
		{"SigBlk:", "0000000000010000"},
		{"Pid:", ""},        // absent
		{"Tgid", ":\t4321"}, // a key is matched as given
	} {
		if got := statusValue(status, tc.key); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.key, got, tc.want)
		}
	}
}

func TestStatState(t *testing.T) {
	for _, tc := range []struct{ stat, want string }{
		{"1234 (cat) R 1 1234 1234 0 -1", "R"},
		{"1234 (a b) c) Z 1 1234", "Z"}, // the command may hold spaces and parentheses
		{"1234 (x) ", ""},
		{"garbage", ""},
		{"", ""},
	} {
		if got := statState(tc.stat); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.stat, got, tc.want)
		}
	}
}

func TestInMask(t *testing.T) {
	for _, tc := range []struct {
		mask string
		sig  int
		want bool
	}{
		{"0000000000000001", 1, true},
		{"0000000000000001", 2, false},
		{"0000000000000100", 9, true},   // SIGKILL's bit
		{"0000000000010000", 17, true},  // SIGCHLD on amd64
		{"8000000000000000", 64, true},  // the last real-time signal
		{"8000000000000000", 65, false}, // no such signal
		{"ffffffffffffffff", 0, false},
		{"", 5, false},
		{"zz", 5, false},
	} {
		if got := inMask(tc.mask, tc.sig); got != tc.want {
			t.Errorf("inMask(%q, %d) = %v, want %v", tc.mask, tc.sig, got, tc.want)
		}
	}
}

func TestOwnStatus(t *testing.T) {
	pid := os.Getpid()
	if got := Tgid(pid); got != pid {
		t.Errorf("Tgid of this process: %d, want %d", got, pid)
	}
	if s := State(pid); s != "R" && s != "S" {
		t.Errorf("State of this process: %q", s)
	}
	if s := State(1 << 30); s != "" {
		t.Errorf("State of a pid that cannot exist: %q", s)
	}
	if got := StatusField(1<<30, "Tgid:"); got != 0 {
		t.Errorf("a field of a pid that cannot exist: %d", got)
	}
}
