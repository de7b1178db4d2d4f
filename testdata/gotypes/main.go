// gotypes: a Go struct, its locals and arguments, for info locals, info
// args and ptype.
package main

import (
	"fmt"
	"os"
)

type Point struct {
	X, Y  int
	Label string
	Next  *Point
	Tags  []string
}

var origin = Point{Label: "origin"}

func move(p *Point, dx int) int {
	p.X += dx // move line
	return p.X
}

func main() {
	count := 3
	name := "corner"
	pt := Point{X: 1, Y: 2, Label: name, Next: &origin, Tags: []string{"a", "b"}}
	total := move(&pt, count)
	if total != 4 {
		os.Exit(1)
	}
	fmt.Println(pt.Label, total, count)
}
