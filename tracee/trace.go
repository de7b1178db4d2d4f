package tracee

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Tracing is set by HWDBG_TRACE=1: every wait status, and whatever else
// the debugger logs with Tracef, goes to stderr, for debugging the
// debugger.
var Tracing = os.Getenv("HWDBG_TRACE") != ""

var traceStart = time.Now()

// Tracef logs one line to stderr when Tracing.
func Tracef(format string, args ...any) {
	if Tracing {
		fmt.Fprintf(os.Stderr, "hwdbg-trace %8.3fms: "+format+"\n", append([]any{float64(time.Since(traceStart).Microseconds()) / 1000}, args...)...)
	}
}

// describeStatus renders a wait status for the trace log.
func describeStatus(ws unix.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exited %d", ws.ExitStatus())
	case ws.Signaled():
		return fmt.Sprintf("killed by %v", ws.Signal())
	case ws.Stopped():
		return fmt.Sprintf("stopped %v event %d", ws.StopSignal(), stopEvent(ws))
	}
	return fmt.Sprintf("status %#x", uint32(ws))
}
