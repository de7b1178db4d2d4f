package perfring

// amd64: the debug registers cannot trap on loads alone, so a read trace
// records reads and writes; telling them apart is the caller's, by
// decoding the accessing instruction.
const readType = bpR | bpW
