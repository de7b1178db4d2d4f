package tracee

import (
	"encoding/binary"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"hwdbg/arch"
)

// Wait statuses as the kernel makes them (include/linux/wait.h, ptrace(2)).
func exitedWith(code int) unix.WaitStatus      { return unix.WaitStatus(code << 8) }
func killedBy(sig unix.Signal) unix.WaitStatus { return unix.WaitStatus(sig) }
func stoppedBy(sig unix.Signal, event int) unix.WaitStatus {
	return unix.WaitStatus(event<<16 | int(sig)<<8 | 0x7f)
}

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name string
		ws   unix.WaitStatus
		want Stop
	}{
		{"exit 0", exitedWith(0), Stop{Kind: Exited}},
		{"exit 7", exitedWith(7), Stop{Kind: Exited, Status: 7}},
		{"exit 255", exitedWith(255), Stop{Kind: Exited, Status: 255}},
		{"killed", killedBy(unix.SIGKILL), Stop{Kind: Killed, Signal: unix.SIGKILL}},
		{"killed, core dumped", killedBy(unix.SIGSEGV) | 0x80, Stop{Kind: Killed, Signal: unix.SIGSEGV}},
		{"continued", 0xffff, Stop{}},
		{"trap", stoppedBy(unix.SIGTRAP, 0), Stop{Kind: SignalStop, Signal: unix.SIGTRAP}},
		{"segv", stoppedBy(unix.SIGSEGV, 0), Stop{Kind: SignalStop, Signal: unix.SIGSEGV}},
		{"sigstop delivery", stoppedBy(unix.SIGSTOP, 0), Stop{Kind: SignalStop, Signal: unix.SIGSTOP}},
		{"real-time signal", stoppedBy(unix.Signal(40), 0), Stop{Kind: SignalStop, Signal: 40}},
		{"clone", stoppedBy(unix.SIGTRAP, unix.PTRACE_EVENT_CLONE), Stop{Kind: CloneEvent, Signal: unix.SIGTRAP, Event: unix.PTRACE_EVENT_CLONE}},
		{"exec", stoppedBy(unix.SIGTRAP, unix.PTRACE_EVENT_EXEC), Stop{Kind: ExecEvent, Signal: unix.SIGTRAP, Event: unix.PTRACE_EVENT_EXEC}},
		{"fork", stoppedBy(unix.SIGTRAP, unix.PTRACE_EVENT_FORK), Stop{Kind: ForkEvent, Signal: unix.SIGTRAP, Event: unix.PTRACE_EVENT_FORK}},
		{"vfork", stoppedBy(unix.SIGTRAP, unix.PTRACE_EVENT_VFORK), Stop{Kind: VForkEvent, Signal: unix.SIGTRAP, Event: unix.PTRACE_EVENT_VFORK}},
		{"vfork done", stoppedBy(unix.SIGTRAP, unix.PTRACE_EVENT_VFORK_DONE), Stop{Kind: VForkDoneEvent, Signal: unix.SIGTRAP, Event: unix.PTRACE_EVENT_VFORK_DONE}},
		{"interrupt", stoppedBy(unix.SIGTRAP, unix.PTRACE_EVENT_STOP), Stop{Kind: EventStop, Signal: unix.SIGTRAP, Event: unix.PTRACE_EVENT_STOP}},
		{"group-stop", stoppedBy(unix.SIGSTOP, unix.PTRACE_EVENT_STOP), Stop{Kind: GroupStop, Signal: unix.SIGSTOP, Event: unix.PTRACE_EVENT_STOP}},
		{"group-stop by SIGTSTP", stoppedBy(unix.SIGTSTP, unix.PTRACE_EVENT_STOP), Stop{Kind: GroupStop, Signal: unix.SIGTSTP, Event: unix.PTRACE_EVENT_STOP}},
		{"group-stop by SIGTTIN", stoppedBy(unix.SIGTTIN, unix.PTRACE_EVENT_STOP), Stop{Kind: GroupStop, Signal: unix.SIGTTIN, Event: unix.PTRACE_EVENT_STOP}},
		{"group-stop by SIGTTOU", stoppedBy(unix.SIGTTOU, unix.PTRACE_EVENT_STOP), Stop{Kind: GroupStop, Signal: unix.SIGTTOU, Event: unix.PTRACE_EVENT_STOP}},
		{"exit event (not asked for)", stoppedBy(unix.SIGTRAP, unix.PTRACE_EVENT_EXIT), Stop{Kind: OtherEvent, Signal: unix.SIGTRAP, Event: unix.PTRACE_EVENT_EXIT}},
		{"seccomp event (not asked for)", stoppedBy(unix.SIGTRAP, unix.PTRACE_EVENT_SECCOMP), Stop{Kind: OtherEvent, Signal: unix.SIGTRAP, Event: unix.PTRACE_EVENT_SECCOMP}},
	} {
		tc.want.Tid = 42
		if got := Decode(42, tc.ws); got != tc.want {
			t.Errorf("%s (%#x): got %+v, want %+v", tc.name, uint32(tc.ws), got, tc.want)
		}
	}
}

func TestStopString(t *testing.T) {
	for _, tc := range []struct {
		st   Stop
		want string
	}{
		{Stop{Tid: 5, Kind: Exited, Status: 3}, "thread 5 exited 3"},
		{Stop{Tid: 5, Kind: Killed, Signal: unix.SIGKILL}, "thread 5 killed SIGKILL"},
		{Stop{Tid: 5, Kind: SignalStop, Signal: unix.SIGSEGV}, "thread 5 signal SIGSEGV"},
		{Stop{Tid: 5, Kind: SignalStop, Signal: 99}, "thread 5 signal signal 99"},
		{Stop{Tid: 5, Kind: GroupStop, Signal: unix.SIGTSTP}, "thread 5 group-stop SIGTSTP"},
		{Stop{Tid: 5, Kind: VForkDoneEvent}, "thread 5 vfork done"},
		{Stop{Tid: 5, Kind: Kind(99)}, "thread 5 kind 99"},
	} {
		if got := tc.st.String(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.st, got, tc.want)
		}
	}
}

// FuzzDecode: any status decodes to one kind that agrees with the
// status's own accessors.
func FuzzDecode(f *testing.F) {
	for _, ws := range []unix.WaitStatus{exitedWith(1), killedBy(unix.SIGKILL), 0xffff,
		stoppedBy(unix.SIGTRAP, 0), stoppedBy(unix.SIGSTOP, unix.PTRACE_EVENT_STOP),
		stoppedBy(unix.SIGTRAP, unix.PTRACE_EVENT_CLONE), stoppedBy(unix.SIGTRAP, 0xff)} {
		f.Add(uint32(ws))
	}
	f.Fuzz(func(t *testing.T, raw uint32) {
		ws := unix.WaitStatus(raw)
		st := Decode(9, ws)
		if st.Tid != 9 || int(st.Kind) >= len(kindNames) || st.String() == "" {
			t.Fatalf("%#x: %+v", raw, st)
		}
		if (st.Kind == Exited) != ws.Exited() || (st.Kind == Killed) != ws.Signaled() ||
			(st.Kind == NoStop) != (!ws.Exited() && !ws.Signaled() && !ws.Stopped()) {
			t.Fatalf("%#x: kind %v, exited %v signaled %v stopped %v", raw, st.Kind, ws.Exited(), ws.Signaled(), ws.Stopped())
		}
		if st.Ended() != (ws.Exited() || ws.Signaled()) {
			t.Fatalf("%#x: ended %v", raw, st.Ended())
		}
		switch {
		case st.Kind == Exited && (st.Status < 0 || st.Status > 255):
			t.Fatalf("%#x: exit status %d", raw, st.Status)
		case ws.Stopped() && (st.Event != stopEvent(ws) || st.Signal != ws.StopSignal()):
			t.Fatalf("%#x: event %d signal %v", raw, st.Event, st.Signal)
		case ws.Stopped() && (st.Event == 0) != (st.Kind == SignalStop):
			t.Fatalf("%#x: event %d, kind %v", raw, st.Event, st.Kind)
		case st.Kind == GroupStop && (!isStopSignal(st.Signal) || st.Event != unix.PTRACE_EVENT_STOP):
			t.Fatalf("%#x: a group-stop by %v, event %d", raw, st.Signal, st.Event)
		case !ws.Stopped() && st.Event != 0:
			t.Fatalf("%#x: event %d without a stop", raw, st.Event)
		}
	})
}

// siginfoBytes lays out a siginfo_t as PTRACE_GETSIGINFO writes it.
func siginfoBytes(signo, code int32, addr, perf uint64) [siginfoSize]byte {
	var b [siginfoSize]byte
	le := binary.LittleEndian
	le.PutUint32(b[0:], uint32(signo))
	le.PutUint32(b[8:], uint32(code))
	le.PutUint64(b[16:], addr)
	le.PutUint64(b[24:], perf)
	return b
}

func TestParseSiginfo(t *testing.T) {
	for _, tc := range []struct {
		name string
		buf  [siginfoSize]byte
		want Siginfo
	}{
		{"hardware breakpoint", siginfoBytes(int32(unix.SIGTRAP), arch.TrapHwbkpt, 0x404028, 0),
			Siginfo{Signo: int32(unix.SIGTRAP), Code: arch.TrapHwbkpt, Addr: 0x404028, Pid: 0x404028}},
		{"perf trap: si_perf_data", siginfoBytes(int32(unix.SIGTRAP), arch.TrapPerf, 0x404028, 3),
			Siginfo{Signo: int32(unix.SIGTRAP), Code: arch.TrapPerf, Addr: 0x404028, Pid: 0x404028, PerfData: 3}},
		{"perf data only for TRAP_PERF", siginfoBytes(int32(unix.SIGTRAP), arch.TrapBrkpt, 0x10, 3),
			Siginfo{Signo: int32(unix.SIGTRAP), Code: arch.TrapBrkpt, Addr: 0x10, Pid: 0x10}},
		{"page fault", siginfoBytes(int32(unix.SIGSEGV), 1, 0xdeadbeef000, 0),
			Siginfo{Signo: int32(unix.SIGSEGV), Code: 1, Addr: 0xdeadbeef000, Pid: -0x24111000}},
		{"tgkill: si_pid", siginfoBytes(int32(unix.SIGUSR1), -6, 1234|5678<<32, 0),
			Siginfo{Signo: int32(unix.SIGUSR1), Code: -6, Addr: 1234 | 5678<<32, Pid: 1234}},
		{"event stop", siginfoBytes(int32(unix.SIGTRAP), unix.PTRACE_EVENT_STOP<<8|int32(unix.SIGTRAP), 0, 0),
			Siginfo{Signo: int32(unix.SIGTRAP), Code: unix.PTRACE_EVENT_STOP<<8 | int32(unix.SIGTRAP)}},
	} {
		if got := parseSiginfo(tc.buf); got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// FuzzParseSiginfo: every field is the word at its offset, and
// si_perf_data is read for TRAP_PERF only.
func FuzzParseSiginfo(f *testing.F) {
	b := siginfoBytes(int32(unix.SIGTRAP), arch.TrapPerf, 0x1000, 2)
	f.Add(b[:])
	f.Add(make([]byte, siginfoSize))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var buf [siginfoSize]byte
		copy(buf[:], raw)
		si := parseSiginfo(buf)
		le := binary.LittleEndian
		if si.Signo != int32(le.Uint32(buf[0:])) || si.Code != int32(le.Uint32(buf[8:])) ||
			si.Addr != le.Uint64(buf[16:]) || si.Pid != int32(le.Uint32(buf[16:])) {
			t.Fatalf("% x: %+v", buf[:32], si)
		}
		perf := si.Signo == int32(unix.SIGTRAP) && si.Code == arch.TrapPerf
		if (perf && si.PerfData != le.Uint64(buf[24:])) || (!perf && si.PerfData != 0) {
			t.Fatalf("% x: perf data %#x", buf[:32], si.PerfData)
		}
	})
}

func TestCarriesAddr(t *testing.T) {
	var with []string
	for sig := unix.Signal(1); sig < 65; sig++ {
		if CarriesAddr(sig) {
			with = append(with, unix.SignalName(sig))
		}
	}
	if got := strings.Join(with, " "); got != "SIGILL SIGTRAP SIGBUS SIGFPE SIGSEGV" {
		t.Errorf("signals whose siginfo is read: %s", got)
	}
}
