package tracee

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
)

// tracer owns the one OS thread that may issue ptrace and wait calls for
// the traced process: Linux accepts ptrace requests only from the thread
// that attached the tracee. Other goroutines hand it closures.
type tracer struct {
	reqs      chan func()
	closeOnce sync.Once
}

func newTracer() *tracer {
	t := &tracer{reqs: make(chan func())}
	go func() {
		runtime.LockOSThread()
		// The thread stays locked for its life: it is never handed back to
		// the Go scheduler, so no other goroutine runs on it. When it ends
		// (close), the kernel lets go of its tracees, and kills those
		// traced with PTRACE_O_EXITKILL.
		for f := range t.reqs {
			f()
		}
	}()
	return t
}

// TracerPanic carries a panic from the tracer thread to the caller of Do,
// so that the tracer survives to detach from (or kill) the program.
type TracerPanic struct {
	Value any
	Stack []byte
}

func (p TracerPanic) Error() string { return fmt.Sprintf("%v\n%s", p.Value, p.Stack) }

// do runs f on the tracer thread and waits for it. A panic in f is raised
// again in the caller, as a TracerPanic.
func (t *tracer) do(f func()) {
	done := make(chan struct{})
	var p *TracerPanic
	t.reqs <- func() {
		defer close(done)
		defer func() {
			if r := recover(); r != nil {
				p = &TracerPanic{Value: r, Stack: debug.Stack()}
			}
		}()
		f()
	}
	<-done
	if p != nil {
		panic(*p)
	}
}

func (t *tracer) close() { t.closeOnce.Do(func() { close(t.reqs) }) }
