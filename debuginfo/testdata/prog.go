// Go test program: package variables of Go's own kinds. With the argument
// "stop" it stops itself with SIGSTOP once they are set.
package main

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

type point struct {
	X, Y int
	Tag  string
}

var (
	counter  int64 = 41
	greeting string
	nums     []int
	anyv     any
	errv     error
	pt       point
	arr      [3]uint16
	ptr      *point
)

func main() {
	counter++
	greeting = "hello, world"
	nums = make([]int, 3, 4)
	nums[0], nums[1], nums[2] = 1, 2, 3
	anyv = 42
	errv = errors.New("boom")
	pt = point{X: 1, Y: -2, Tag: "p"}
	arr = [3]uint16{7, 8, 9}
	ptr = &pt
	fmt.Println("ready", counter, len(greeting))
	if len(os.Args) > 1 && os.Args[1] == "stop" {
		syscall.Kill(os.Getpid(), syscall.SIGSTOP)
	}
	fmt.Println(nums, anyv, errv, pt, arr, ptr != nil)
}
