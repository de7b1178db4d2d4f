//go:build linux && amd64

package native

import (
	"hwdbg/arch"
	"hwdbg/arch/amd64"
)

// New returns the amd64 backend.
func New() arch.Backend { return amd64.New() }
