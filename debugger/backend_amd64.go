//go:build linux && amd64

package debugger

import (
	"hwdbg/arch"
	"hwdbg/arch/amd64"
)

func newBackend() arch.Backend { return amd64.New() }
