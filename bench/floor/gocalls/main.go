// Command gocalls calls a function N times, for the software-breakpoint
// stop loop of `make bench` on a Go program: a breakpoint on main.tick
// stops N times. Like most Go functions, tick has a frame (it calls
// another function); only the main goroutine calls it. gocalls N calls
// tick(0..N-1) and prints how many calls it made.
package main

import (
	"fmt"
	"os"
	"strconv"
)

var sink int

//go:noinline
func next(i int) int { return i + 1 }

//go:noinline
func tick(i int) int {
	sink = i
	return next(i)
}

func main() {
	n := 100000
	if len(os.Args) > 1 {
		var err error
		if n, err = strconv.Atoi(os.Args[1]); err != nil {
			fmt.Fprintln(os.Stderr, "usage: gocalls N")
			os.Exit(2)
		}
	}
	for i := 0; i < n; i++ {
		tick(i)
	}
	fmt.Printf("%d calls\n", n)
}
