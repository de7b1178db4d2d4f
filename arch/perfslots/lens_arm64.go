package perfslots

// arm64: an instruction breakpoint covers one instruction; watchpoints
// can trap on loads alone.
const (
	execLen  = 4
	readType = bpR
)
