package main

// Where the names of watch expressions and conditions are bound, and what
// a watch says it watches (testdata/scopes.c, testdata/gonames).

import (
	"fmt"
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

// A condition binds its names where the watch was set: q is main's local,
// read in main's frame while bump (which has no q) writes the global.
func TestConditionBindsLocalsOfItsFrame(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "scopes", fixture.PIE)
	bumpLine := float64(lineOf(t, "scopes.c", "bump line"))
	r := hwdbg(t, "start\nwatch -w global if q > 10\ncontinue\nframe 1\nprint q\n", bin)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	if n := messages(r, "notice"); len(n) != 0 {
		t.Errorf("the condition failed: %v", n)
	}
	hits := r.byEvent("watchpoint")
	if len(hits) != 1 || hits[0]["old"] != "102" || hits[0]["new"] != "103" || hits[0]["func"] != "bump" || hits[0]["line"] != bumpLine {
		t.Fatalf("want the first stop in bump at q = 15 (global 102 -> 103): %v\n%s", hits, r)
	}
	if p := r.results("print"); len(p) != 1 || p[0]["value"] != "15" {
		t.Errorf("print q (main's, frame 1 now): %v", p)
	}

	// A condition on a global stays on the global, although the writing
	// function has a local of the same name (bump's level is negative).
	r = hwdbg(t, "start\nwatch -w global if level > 0\ncontinue\n", bin)
	if hits := r.byEvent("watchpoint"); len(hits) != 1 || hits[0]["new"] != "100" {
		t.Errorf("level > 0 on the global level must hold at the first write: %v\n%s", hits, r)
	}

	// When the frame it was bound to has returned, the condition says so,
	// naming the scope, and stops.
	r = hwdbg(t, "break phase\ncontinue\nwatch -w global if r == 7\ncontinue\ncontinue\n", bin)
	hits = r.byEvent("watchpoint")
	if len(hits) != 2 || hits[0]["new"] != "1" || hits[1]["new"] != "2" || hits[1]["func"] != "main" {
		t.Fatalf("want a stop in bump under phase, then at main's write: %v\n%s", hits, r)
	}
	n := messages(r, "notice")
	if len(n) != 1 || !strings.Contains(n[0], "error in the condition of 2 (r == 7)") ||
		!strings.Contains(n[0], "phase") || !strings.Contains(n[0], "returned") {
		t.Errorf("want one notice that phase's frame has returned: %v", n)
	}

	// A name that is nowhere in the watch's scope is refused at once, with
	// that scope.
	r = hwdbg(t, "break phase\ncontinue\nwatch -w global if q > 1\n", bin)
	e := messages(r, "error")
	if len(e) != 1 || !strings.Contains(e[0], `no symbol "q"`) || !strings.Contains(e[0], "in the scope of phase") || len(r.results("watch")) != 0 {
		t.Errorf("a condition naming what the scope lacks must be refused, naming the scope: %v\n%s", e, r)
	}
}

// A static local has a fixed address: its watch outlives the function.
func TestStaticLocalWatchStays(t *testing.T) {
	needTraps(t)
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

// watch ptr->field says that it watches a fixed address, and how to see
// ptr change; then it stays on the old object, as it said.
func TestWatchThroughPointerSaysAddressIsFixed(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "scopes", fixture.PIE)
	r := hwdbg(t, "start\nwatch -w ptr->field\nwatch -w level\nwatch -w *(long*)&b\ncontinue\ncontinue\n", bin)
	res := r.results("watch")
	if len(res) != 3 {
		t.Fatalf("want 3 watches\n%s", r)
	}
	note, _ := res[0]["note"].(string)
	addr, _ := res[0]["addr"].(string)
	for _, want := range []string{"fixed at " + addr, "if ptr changes", "watch -w &ptr"} {
		if !strings.Contains(note, want) {
			t.Errorf("the note of watch ptr->field %q lacks %q", note, want)
		}
	}
	for _, w := range res[1:] {
		if w["note"] != nil {
			t.Errorf("no pointer is followed in %v: no note", w)
		}
	}
	hits := r.byEvent("watchpoint")
	if len(hits) != 2 || hits[0]["new"] != "10" || hits[0]["id"] != float64(2) || hits[1]["new"] != "20" || hits[1]["id"] != float64(4) {
		t.Errorf("want watch 2 (still a) to see 10 and watch 4 (b) to see 20: %v\n%s", hits, r)
	}
}

// A function is code: a data watch on it is refused, saying what to use.
func TestWatchOnFunctionRefused(t *testing.T) {
	bin := fixture.C(t, "scopes", fixture.PIE)
	for _, expr := range []string{"marker1", "&marker1", "-r marker1"} {
		r := hwdbg(t, "start\nwatch "+expr+"\n", bin)
		e := messages(r, "error")
		if len(e) != 1 || !strings.Contains(e[0], "marker1 is a function") || !strings.Contains(e[0], "hbreak marker1") || len(r.results("watch")) != 0 {
			t.Errorf("watch %s: want a refusal that names hbreak: %v\n%s", expr, e, r)
		}
	}
	// Its bytes, asked for as bytes, can be watched.
	r := hwdbg(t, "start\nwatch -rw -s 1 *(char*)&marker1\n", bin)
	if len(r.results("watch")) != 1 {
		t.Errorf("the bytes of a function, cast, must be watchable\n%s", r)
	}
}

// Go names as Delve takes them: counter is main.counter anywhere, Level
// is gonames/inner.Level in package inner.
func TestGoNamesAsDelveTakesThem(t *testing.T) {
	needTraps(t)
	bin := fixture.Go(t, "gonames")
	set := lineOf(t, "gonames/inner/inner.go", "set line")
	r := hwdbg(t, fmt.Sprintf("watch -w counter\nbreak inner.go:%d\ncontinue\nwatch -w Level\nprint counter\ncontinue\ncontinue\n", set), bin)
	if e := messages(r, "error"); len(e) != 0 {
		t.Fatalf("errors: %v\n%s", e, r)
	}
	res := r.results("watch")
	if len(res) != 2 || res[0]["expr"] != "counter" || res[1]["expr"] != "Level" {
		t.Fatalf("watches: %v\n%s", res, r)
	}
	if p := r.results("print"); len(p) != 1 || p[0]["value"] != "0" {
		t.Errorf("print counter in package inner: %v", p)
	}
	hits := r.byEvent("watchpoint")
	if len(hits) != 2 || hits[0]["id"] != float64(3) || hits[0]["new"] != "5" || hits[1]["id"] != float64(1) || hits[1]["new"] != "3" {
		t.Errorf("want Level 0 -> 5, then counter 0 -> 3: %v\n%s", hits, r)
	}
}
