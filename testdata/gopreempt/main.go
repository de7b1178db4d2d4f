// gopreempt: a breakpoint on a store to a package variable, a line that
// arm64 compiles to a restartable sequence (adrp+str through R27). The Go
// runtime preempts a goroutine held at a breakpoint for long (SIGURG) and
// resumes a preempted sequence from its first instruction.
package main

import "fmt"

var level int64

func set(v int64) {
	level = v // set line
}

func main() {
	for i := int64(0); i < 5; i++ {
		set(i)
	}
	fmt.Println(level)
}
