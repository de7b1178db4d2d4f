package debugger

import (
	"testing"

	"hwdbg/arch"
)

func TestKindNames(t *testing.T) {
	for _, tc := range []struct {
		w                           Watchpoint
		kind                        Kind
		noun, title, command, label string
	}{
		{Watchpoint{Access: arch.Write}, KindWatch, "watchpoint", "Watchpoint", "watch", "write"},
		{Watchpoint{Access: arch.Read}, KindWatch, "watchpoint", "Watchpoint", "watch", "read"},
		{Watchpoint{Access: arch.ReadWrite}, KindWatch, "watchpoint", "Watchpoint", "watch", "rw"},
		{Watchpoint{Access: arch.Exec}, KindHBreak, "hardware breakpoint", "Hardware breakpoint", "hbreak", "hbreak"},
		{Watchpoint{Access: arch.Exec, Soft: true}, KindBreak, "breakpoint", "Breakpoint", "break", "break"},
		{Watchpoint{Access: arch.Exec, Soft: true, Temp: true}, KindTBreak, "breakpoint", "Temporary breakpoint", "tbreak", "tbreak"},
	} {
		k := tc.w.Kind()
		if k != tc.kind || k.Noun() != tc.noun || k.Title() != tc.title || k.Command() != tc.command || tc.w.Label() != tc.label {
			t.Errorf("%+v: kind %d %q %q %q label %q, want %d %q %q %q %q", tc.w, k, k.Noun(), k.Title(), k.Command(), tc.w.Label(),
				tc.kind, tc.noun, tc.title, tc.command, tc.label)
		}
	}
	if n := Kind(200).Noun(); n != "kind(200)" {
		t.Errorf("Kind(200).Noun() = %q", n)
	}
}
