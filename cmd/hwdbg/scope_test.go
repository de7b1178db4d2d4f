package main

// Where the names of watch expressions and conditions are bound, and what
// a watch says it watches (testdata/scopes.c, testdata/gonames).

import (
	"strings"
	"testing"

	"hwdbg/internal/fixture"
)

// messages are the message keys of events of one kind.
func messages(r result, kind string) []string {
	var out []string
	for _, e := range r.byEvent(kind) {
		if m, ok := e["message"].(string); ok {
			out = append(out, m)
		}
	}
	return out
}

// A static local has a fixed address: its watch outlives the function.
func TestStaticLocalWatchStays(t *testing.T) {
	bin := fixture.C(t, "scopes", fixture.PIE)
	r := hwdbg(t, "break count_calls\ncontinue\nwatch -w calls\ndelete 1\n"+strings.Repeat("continue\n", 4)+"info watchpoints\n", bin)
	if n := messages(r, "notice"); len(n) != 0 {
		t.Errorf("the watch on a static local was deleted: %v", n)
	}
	var news []string
	for _, h := range r.byEvent("watchpoint") {
		news = append(news, h["new"].(string))
	}
	if strings.Join(news, ",") != "1,2,3,4" {
		t.Errorf("calls went 1,2,3,4, got %v\n%s", news, r)
	}
}
