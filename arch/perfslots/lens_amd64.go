package perfslots

// amd64: an instruction breakpoint is as long as a long, and the debug
// registers cannot trap on reads alone (a read watch is read-or-write).
const (
	execLen  = 8
	readType = bpR | bpW
)
