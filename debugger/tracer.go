package debugger

import (
	"runtime"
)

// tracer owns the one OS thread that may issue ptrace and wait calls for
// the traced process: Linux accepts ptrace requests only from the thread
// that attached the tracee. Other goroutines hand it closures.
type tracer struct {
	reqs chan func()
}

func newTracer() *tracer {
	t := &tracer{reqs: make(chan func())}
	go func() {
		runtime.LockOSThread()
		// The thread stays locked for its life: it is never handed back to
		// the Go scheduler, so no other goroutine runs on it.
		for f := range t.reqs {
			f()
		}
	}()
	return t
}

// do runs f on the tracer thread and waits for it.
func (t *tracer) do(f func()) {
	done := make(chan struct{})
	t.reqs <- func() {
		defer close(done)
		f()
	}
	<-done
}

func (t *tracer) close() { close(t.reqs) }
