package perfslots

// amd64: an instruction breakpoint is as long as a long.
const execLen = 8
