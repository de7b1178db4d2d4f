package perfslots

// arm64: an instruction breakpoint covers one instruction.
const execLen = 4
