//go:build linux && arm64

package native

import (
	"hwdbg/arch"
	"hwdbg/arch/arm64"
)

// New returns the arm64 backend.
func New() arch.Backend { return arm64.New() }
