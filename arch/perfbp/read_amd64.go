package perfbp

// Read is the type that catches reads: on amd64 the debug registers cannot
// trap on loads alone, so it catches writes too; telling them apart is
// the caller's, by decoding the accessing instruction.
const Read = R | W
