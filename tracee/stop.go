package tracee

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"

	"hwdbg/arch"
)

// Kind is what a wait status reports of a thread.
type Kind uint8

const (
	// NoStop is a status that reports no stop (a thread continued).
	NoStop Kind = iota
	// Exited: the thread ended, with Status when it was the last.
	Exited
	// Killed: the thread ended by Signal.
	Killed
	// SignalStop: Signal is about to be delivered to the thread
	// (signal-delivery-stop). Info is its siginfo when the signal says
	// where (a fault, a trap: CarriesAddr).
	SignalStop
	// CloneEvent: the thread created a thread, Child (PTRACE_EVENT_CLONE).
	CloneEvent
	// ExecEvent: the process runs a new program (PTRACE_EVENT_EXEC). Every
	// other thread is gone, and the one that exec'd, Former, now has the
	// process's id.
	ExecEvent
	// ForkEvent and VForkEvent: the thread forked a child, stopped and
	// traced until ReleaseChild (PTRACE_EVENT_FORK, PTRACE_EVENT_VFORK).
	ForkEvent
	VForkEvent
	// VForkDoneEvent: the child of a vfork no longer shares the process's
	// memory (PTRACE_EVENT_VFORK_DONE).
	VForkDoneEvent
	// GroupStop: a job-control stop by Signal (PTRACE_EVENT_STOP with a
	// stopping signal). The thread resumes into it, stopped for the
	// program, as it would be without a tracer.
	GroupStop
	// EventStop: a PTRACE_EVENT_STOP that is no group-stop: a
	// PTRACE_INTERRUPT, or a new thread's first stop (NewThread).
	EventStop
	// OtherEvent: any other PTRACE_EVENT_* (Event); none is asked for.
	OtherEvent
)

var kindNames = [...]string{
	NoStop: "no stop", Exited: "exited", Killed: "killed", SignalStop: "signal",
	CloneEvent: "clone", ExecEvent: "exec", ForkEvent: "fork", VForkEvent: "vfork",
	VForkDoneEvent: "vfork done", GroupStop: "group-stop", EventStop: "event stop",
	OtherEvent: "event",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind %d", int(k))
}

// Stop is one thing that happened to a thread, as wait reports it.
type Stop struct {
	Tid  int
	Kind Kind
	// Status is the exit status (Exited).
	Status int
	// Signal is the signal that killed the thread (Killed), the one to be
	// delivered (SignalStop), the stopping one (GroupStop), or the one an
	// event stop carries (SIGTRAP, or a stopping signal).
	Signal unix.Signal
	// Event is the PTRACE_EVENT_* of an event stop, 0 otherwise.
	Event int
	// Child is the new thread of a CloneEvent (0 if the kernel did not
	// say).
	Child int
	// Former is the id the thread had before its ExecEvent.
	Former int
	// NewThread marks a new thread's first stop, before its first
	// instruction (an EventStop).
	NewThread bool
	// Info is the siginfo of a SignalStop whose signal CarriesAddr, read
	// when Wait returned it; InfoErr says why it could not be.
	Info    Siginfo
	InfoErr error
}

// Ended tells whether the thread is gone (Exited or Killed).
func (s Stop) Ended() bool { return s.Kind == Exited || s.Kind == Killed }

func (s Stop) String() string {
	switch s.Kind {
	case Exited:
		return fmt.Sprintf("thread %d exited %d", s.Tid, s.Status)
	case Killed, SignalStop, GroupStop:
		return fmt.Sprintf("thread %d %s %s", s.Tid, s.Kind, SignalName(s.Signal))
	}
	return fmt.Sprintf("thread %d %s", s.Tid, s.Kind)
}

// SignalName is a signal's name, "SIGSEGV", or "signal N" for a number
// without one.
func SignalName(s unix.Signal) string {
	if n := unix.SignalName(s); n != "" {
		return n
	}
	return fmt.Sprintf("signal %d", int(s))
}

// Decode says what wait status ws of thread tid reports. It knows no
// thread: the package completes the Stop from what it knows of tid (a new
// thread's first stop, the child of a clone, the siginfo).
func Decode(tid int, ws unix.WaitStatus) Stop {
	st := Stop{Tid: tid}
	switch {
	case ws.Exited():
		st.Kind, st.Status = Exited, ws.ExitStatus()
		return st
	case ws.Signaled():
		st.Kind, st.Signal = Killed, ws.Signal()
		return st
	case !ws.Stopped():
		return st
	}
	st.Signal, st.Event = ws.StopSignal(), stopEvent(ws)
	switch {
	case st.Event == 0:
		st.Kind = SignalStop
	case st.Event == unix.PTRACE_EVENT_STOP && isStopSignal(st.Signal):
		st.Kind = GroupStop
	case st.Event < len(eventKinds) && eventKinds[st.Event] != NoStop:
		st.Kind = eventKinds[st.Event]
	default:
		st.Kind = OtherEvent
	}
	return st
}

// eventKinds are the kinds of the ptrace events we ask for, by event.
var eventKinds = [...]Kind{
	unix.PTRACE_EVENT_CLONE:      CloneEvent,
	unix.PTRACE_EVENT_EXEC:       ExecEvent,
	unix.PTRACE_EVENT_FORK:       ForkEvent,
	unix.PTRACE_EVENT_VFORK:      VForkEvent,
	unix.PTRACE_EVENT_VFORK_DONE: VForkDoneEvent,
	unix.PTRACE_EVENT_STOP:       EventStop,
}

// stopEvent is the PTRACE_EVENT_* of a ptrace stop (status>>16), 0 for a
// plain signal-delivery-stop. unix.WaitStatus.TrapCause reports it only
// for SIGTRAP, but group-stops of a seized tracee carry PTRACE_EVENT_STOP
// with the stopping signal.
func stopEvent(ws unix.WaitStatus) int {
	if !ws.Stopped() {
		return 0
	}
	return int(uint32(ws)>>16) & 0xff
}

func isStopSignal(s unix.Signal) bool {
	return s == unix.SIGSTOP || s == unix.SIGTSTP || s == unix.SIGTTIN || s == unix.SIGTTOU
}

// Siginfo is the part of the kernel's siginfo_t the debugger reads.
type Siginfo struct {
	Signo int32
	Code  int32
	Addr  uint64 // si_addr for SIGTRAP, SIGSEGV, SIGBUS, SIGILL, SIGFPE
	Pid   int32  // si_pid for signals sent by kill/tgkill
	// PerfData is si_perf_data, for a TRAP_PERF SIGTRAP (0 otherwise).
	PerfData uint64
}

// CarriesAddr tells the signals whose siginfo says where they were
// raised (si_addr): traps and faults. Wait reads the siginfo of these.
func CarriesAddr(s unix.Signal) bool {
	switch s {
	case unix.SIGTRAP, unix.SIGSEGV, unix.SIGBUS, unix.SIGILL, unix.SIGFPE:
		return true
	}
	return false
}

// parseSiginfo decodes a siginfo_t as PTRACE_GETSIGINFO writes it for a
// 64-bit tracer, whatever the tracee.
func parseSiginfo(buf [siginfoSize]byte) Siginfo {
	le := binary.LittleEndian
	si := Siginfo{
		Signo: int32(le.Uint32(buf[0:])),
		Code:  int32(le.Uint32(buf[8:])),
		Addr:  le.Uint64(buf[16:]),
		Pid:   int32(le.Uint32(buf[16:])),
	}
	if si.Signo == int32(unix.SIGTRAP) && si.Code == arch.TrapPerf {
		// si_perf_data follows si_addr (include/uapi/asm-generic/siginfo.h).
		si.PerfData = le.Uint64(buf[24:])
	}
	return si
}

// Siginfo reads the siginfo of the signal thread tid is stopped for.
func (p *Process) Siginfo(tid int) (Siginfo, error) {
	buf, err := ptraceSiginfo(tid)
	if err != nil {
		return Siginfo{}, fmt.Errorf("read signal info of thread %d: %w", tid, err)
	}
	return parseSiginfo(buf), nil
}
