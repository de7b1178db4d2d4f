package tracee

import (
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The live tests trace a copy of the test binary itself: childEnv names
// what the copy does (child). No compiler is needed, so they run where
// the tests are only copied to (the arm64 VM).
const childEnv = "HWDBG_TRACEE_CHILD"

// The child's main goroutine stays on its main thread, the process's
// leader, where its marker signals are raised.
func init() {
	if os.Getenv(childEnv) != "" {
		runtime.LockOSThread()
	}
}

// A child gives up after childLife, should its tracer be gone.
const childLife = 60 * time.Second

// Marker signals, raised by a child on its main thread: SIGUSR2 says its
// threads are up; SIGUSR1 is the signal it waits for, and exits 3 on.
const (
	sigReady = unix.SIGUSR2
	sigWant  = unix.SIGUSR1
)

func raise(sig unix.Signal) { unix.Tgkill(os.Getpid(), unix.Gettid(), sig) }

// segvAddr is where the "segv" child writes: no page is mapped there.
const segvAddr = 0x10

// child does what mode says and exits.
func child(mode string) {
	switch mode {
	case "exit":
		os.Exit(7)
	case "threads":
		// Four threads of its own, then the markers: ready, and the
		// signal it waits for.
		want := make(chan os.Signal, 1)
		signal.Notify(want, sigWant)
		startThreads(4)
		raise(sigReady)
		raise(sigWant)
		select {
		case <-want:
			os.Exit(3)
		case <-time.After(childLife):
			os.Exit(4)
		}
	case "thread-exit":
		// A goroutine that ends locked to its thread ends the thread.
		done := make(chan struct{})
		go func() {
			runtime.LockOSThread()
			close(done)
		}()
		<-done
		time.Sleep(200 * time.Millisecond)
		os.Exit(0)
	case "exec":
		// exec from a thread that is not the leader.
		go func() {
			runtime.LockOSThread()
			exe, _ := os.Executable()
			syscall.Exec(exe, []string{exe}, childEnviron("exit"))
			os.Exit(5)
		}()
		time.Sleep(childLife)
	case "vfork":
		// os/exec starts a process with clone(CLONE_VFORK).
		exe, _ := os.Executable()
		cmd := exec.Command(exe)
		cmd.Env = childEnviron("exit")
		cmd.Run()
		os.Exit(cmd.ProcessState.ExitCode())
	case "segv":
		// The address goes through memory, not a conversion, so that
		// neither vet nor checkptr (-race) stops the fault being made.
		addr := uintptr(segvAddr)
		*(*int)(*(*unsafe.Pointer)(unsafe.Pointer(&addr))) = 1
	case "stopself":
		raise(unix.SIGSTOP)
		os.Exit(5)
	case "spin":
		startThreads(2)
		time.Sleep(childLife)
	}
	os.Exit(0)
}

// childEnviron is our environment for a child doing mode.
func childEnviron(mode string) []string {
	env := []string{childEnv + "=" + mode}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, childEnv+"=") {
			env = append(env, kv)
		}
	}
	return env
}

// startThreads starts n threads that sleep, and returns once they run.
func startThreads(n int) {
	var up sync.WaitGroup
	up.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			runtime.LockOSThread()
			up.Done()
			for {
				time.Sleep(time.Millisecond)
			}
		}()
	}
	up.Wait()
}
