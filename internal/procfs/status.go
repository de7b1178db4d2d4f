package procfs

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// StatusValue is the value of one "Key:\tvalue" line of a /proc status
// file (e.g. /proc/PID/status), "" if absent or unreadable.
func StatusValue(path, key string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return statusValue(string(b), key)
}

func statusValue(text, key string) string {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, key); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// StatusField is a decimal field of /proc/PID/status, 0 if absent.
func StatusField(pid int, key string) int {
	n, _ := strconv.Atoi(StatusValue(fmt.Sprintf("/proc/%d/status", pid), key))
	return n
}

// Tgid is the process a thread belongs to, 0 if unknown.
func Tgid(tid int) int { return StatusField(tid, "Tgid:") }

// TracerOf returns the process tracing pid, 0 for none, from
// /proc/PID/status. The kernel names the tracing thread; its Tgid is the
// process.
func TracerOf(pid int) int {
	tid := StatusField(pid, "TracerPid:")
	if tid == 0 {
		return 0
	}
	if tgid := Tgid(tid); tgid != 0 {
		return tgid
	}
	return tid
}

// State is the state letter of /proc/PID/stat ("R", "S", "Z", ...), ""
// when there is no such process.
func State(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	return statState(string(b))
}

// statState is the field after the command name, which is in parentheses
// and may hold spaces and parentheses itself.
func statState(stat string) string {
	i := strings.LastIndexByte(stat, ')')
	if f := strings.Fields(stat[i+1:]); i >= 0 && len(f) > 0 {
		return f[0]
	}
	return ""
}

// SigPending says whether signal sig is pending for thread tid of process
// pid: sent to the thread (SigPnd) or to the process (ShdPnd).
func SigPending(pid, tid, sig int) bool {
	path := fmt.Sprintf("/proc/%d/task/%d/status", pid, tid)
	for _, key := range []string{"SigPnd:", "ShdPnd:"} {
		if inMask(StatusValue(path, key), sig) {
			return true
		}
	}
	return false
}

// SigBlocked says whether thread tid of process pid blocks signal sig
// (SigBlk).
func SigBlocked(pid, tid, sig int) bool {
	return inMask(StatusValue(fmt.Sprintf("/proc/%d/task/%d/status", pid, tid), "SigBlk:"), sig)
}

// inMask says whether a signal mask as /proc writes it (hexadecimal, bit
// N-1 for signal N) holds sig.
func inMask(mask string, sig int) bool {
	m, err := strconv.ParseUint(mask, 16, 64)
	return err == nil && sig >= 1 && sig <= 64 && m&(uint64(1)<<(uint(sig)-1)) != 0
}
