// gonames: Go package variables named as Delve takes them: counter in
// main, Level in the package of the running function.
package main

import (
	"fmt"

	"gonames/inner"
)

var counter int64

func bump() {
	local := counter + 1
	local *= 3
	counter = local // counter line
}

func main() {
	inner.Set(5)
	bump()
	fmt.Println(counter, inner.Level)
}
