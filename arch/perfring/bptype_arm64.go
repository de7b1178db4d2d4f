package perfring

// arm64: a watchpoint can trap on loads alone.
const readType = bpR
