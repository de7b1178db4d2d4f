package repl

import (
	"bytes"
	"testing"

	"hwdbg/debugger"
)

func TestBreakHitText(t *testing.T) {
	at := debugger.Location{PC: 0x401126, Func: "tick", Offset: 4}
	for _, tc := range []struct {
		slot, want string
	}{
		{"", "Breakpoint 1 hit: 0x401126 tick+4, thread 7\n"},              // software: no slot
		{"DR2", "Breakpoint 1 hit: 0x401126 tick+4, thread 7, slot DR2\n"}, // hbreak
	} {
		var b bytes.Buffer
		p := &printer{w: &failWriter{w: &b}}
		p.event(debugger.BreakHit{ID: 1, Tid: 7, At: at, Slot: tc.slot})
		if b.String() != tc.want {
			t.Errorf("slot %q: %q, want %q", tc.slot, b.String(), tc.want)
		}
	}
}
