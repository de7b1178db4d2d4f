// goprog: Go package variables, written by a goroutine locked to its own
// OS thread, and Go values as Delve prints them.
package main

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
)

var counter int64
var name = "hello"
var primes = []int{2, 3, 5}
var done = make(chan int)

// The main goroutine keeps the main thread, so the writer runs on another.
func init() { runtime.LockOSThread() }

func writer() {
	runtime.LockOSThread()
	fmt.Fprintf(os.Stderr, "writer tid %d\n", syscall.Gettid())
	counter = 42 // writer line
	n := counter + 1
	n *= 2 // local line
	done <- int(n)
}

func main() {
	fmt.Fprintf(os.Stderr, "main tid %d\n", syscall.Gettid())
	go writer()
	if <-done != 86 {
		os.Exit(1)
	}
	fmt.Println(counter, name, primes)
}
