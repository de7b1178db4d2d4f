// Package inner holds a package variable of a package other than main.
package inner

var Level int64

func Set(v int64) {
	Level = v // set line
}
