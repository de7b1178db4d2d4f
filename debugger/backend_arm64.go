//go:build linux && arm64

package debugger

import (
	"hwdbg/arch"
	"hwdbg/arch/arm64"
)

func newBackend() arch.Backend { return arm64.New() }
