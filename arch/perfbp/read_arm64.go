package perfbp

// Read is the type that catches reads: an arm64 watchpoint traps on loads
// alone.
const Read = R
