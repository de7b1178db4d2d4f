// gocount: main.tick is called N times by the main goroutine while another
// goroutine spins. The main goroutine runs for long without yielding, so
// the runtime preempts it (SIGURG) and may resume it on another thread,
// while hwdbg steps over a breakpoint on tick or over a watched store to
// main.sink. Each call and each write must be seen exactly once.
// gocount N prints "N calls, sink = N-1".
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
)

var sink int64

var stop atomic.Bool

//go:noinline
func tick(i int64) {
	sink = i
}

func spin(n *int64) {
	for !stop.Load() {
		*n++
	}
}

func main() {
	n := int64(20000)
	if len(os.Args) > 1 {
		v, err := strconv.ParseInt(os.Args[1], 10, 64)
		if err != nil {
			fmt.Fprintln(os.Stderr, "usage: gocount N")
			os.Exit(2)
		}
		n = v
	}
	var spun int64
	go spin(&spun)
	for i := int64(0); i < n; i++ {
		tick(i)
	}
	stop.Store(true)
	fmt.Printf("%d calls, sink = %d\n", n, sink)
}
