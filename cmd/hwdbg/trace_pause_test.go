package main

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"hwdbg/internal/fixture"
	"hwdbg/probe"
)

// A trace's life beyond one run: paused by a stop of the user's, listed
// while paused, resumed by continue, ended by delete; its count exact; one
// access to two pieces counted once; its end at an exec; the warning where
// traps are not delivered.

// TestTracePausedByBreakpoint: writers two with a breakpoint on write_b:
// the trace is paused there with write_a's 60000 writes; info slots shows
// its slot owned by the trace, info watchpoints lists it; continue records
// write_b's 40000; the report has both.
func TestTracePausedByBreakpoint(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "writers", fixture.PIE)
	r := hwdbg(t, "break write_b\ntrace target\ninfo slots\ninfo watchpoints\ndelete 1\ncontinue\n", bin, "two", "nowait")
	paused := r.byEvent("trace_paused")
	if len(paused) != 1 || paused[0]["id"] != float64(2) || paused[0]["cause"] != "breakpoint 1 stopped the program" {
		t.Fatalf("want trace 2 paused by breakpoint 1:\n%s", r)
	}
	if h := paused[0]["hits"].(float64); h == 0 || h > 60000 {
		t.Fatalf("%v counted before the pause, want write_a's:\n%s", h, r)
	}
	// info slots: the trace's slot on the thread, owned by trace 2.
	slots := r.results("info slots")
	if len(slots) != 1 {
		t.Fatalf("no info slots:\n%s", r)
	}
	found := false
	for _, rows := range slots[0]["slots"].(map[string]any) {
		for _, row := range rows.([]any) {
			s := row.(map[string]any)
			if s["trace"] == float64(2) && s["enabled"] == true && s["len"] == float64(8) && s["access"] == "write" {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("info slots shows no slot of trace 2: %v", slots[0])
	}
	// info watchpoints: breakpoint 1, then the trace.
	if w := r.listed(1); w == nil || w["id"] != float64(2) || w["kind"] != "trace" || w["engine"] != "perf" ||
		w["paused"] != "breakpoint 1 stopped the program" || w["hits"] != paused[0]["hits"] {
		t.Errorf("info watchpoints: trace row %v", w)
	}
	ev := traceEvent(t, r)
	checkTwoWriters(t, ev)
	if ev["ended"] != "the program ended" {
		t.Errorf("ended %q, want the program's end", ev["ended"])
	}
}

// TestTraceOwnsSlots: while a trace is paused, watchpoints take the slots
// it leaves, and the one that finds none is refused naming the trace
// among the holders. The session's end reports the trace.
func TestTraceOwnsSlots(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "writers", fixture.PIE)
	var script strings.Builder
	script.WriteString("break write_b\ntrace target\n")
	for i := 0; i < 16; i++ {
		fmt.Fprintf(&script, "watch -w *((char*)&sink+%d)\n", i%8)
	}
	r := hwdbg(t, script.String(), bin, "two", "nowait")
	errs := r.byEvent("error")
	if len(errs) != 1 || errs[0]["command"] != "watch" || !strings.Contains(errs[0]["message"].(string), "not enough hardware slots") {
		t.Fatalf("want one watch refused for want of slots:\n%s", r)
	}
	if msg := errs[0]["message"].(string); !strings.Contains(msg, " by trace 2") {
		t.Errorf("the refusal does not name trace 2 as a holder: %s", msg)
	}
	ev := traceEvent(t, r)
	if ev["ended"] != "the session ended" || ev["hits"].(float64)+ev["lost"].(float64) != 60000 {
		t.Errorf("want write_a's writes reported at the session's end: %v", ev)
	}
}

// TestTraceDeleteReports: delete N of a paused trace ends it with its
// report; the program runs on without it, and its slot is free again.
func TestTraceDeleteReports(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "writers", fixture.PIE)
	r := hwdbg(t, "break write_b\ntrace target\ndelete 2\ninfo watchpoints\ncontinue\ninfo watchpoints\n", bin, "two", "nowait")
	ev := traceEvent(t, r)
	if ev["ended"] != "deleted" || ev["hits"].(float64)+ev["lost"].(float64) != 60000 {
		t.Fatalf("want the report of write_a's 60000 writes at the delete:\n%s", r)
	}
	lists := r.results("info watchpoints")
	if len(lists) != 2 || len(lists[0]["watchpoints"].([]any)) != 1 {
		t.Fatalf("the trace is still listed after delete:\n%s", r)
	}
	if len(r.byEvent("breakpoint")) != 1 || len(r.byEvent("exit")) != 1 {
		t.Errorf("want breakpoint 1 hit once, then the program's end:\n%s", r)
	}
}

// TestTraceCountExact: for COUNT reports exactly the first COUNT hits,
// however many more the program made while it was being stopped.
func TestTraceCountExact(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "writers", fixture.PIE)
	r := hwdbg(t, "trace target for 1000\n", bin, "two", "nowait")
	ev := traceEvent(t, r)
	if ev["hits"] != float64(1000) || ev["ended"] != "1000 hits counted" {
		t.Fatalf("want exactly 1000 hits, ended at the count:\n%s", r)
	}
	var sum float64
	for _, s := range ev["stacks"].([]any) {
		sum += s.(map[string]any)["count"].(float64)
	}
	for _, th := range ev["threads"].([]any) {
		sum -= th.(map[string]any)["hits"].(float64)
	}
	if sum != 0 {
		t.Errorf("stacks and threads do not add up to the same hits: %v", ev)
	}
	// The first 1000 writes are write_a's.
	if top := ev["stacks"].([]any)[0].(map[string]any)["frames"].([]any)[0].(map[string]any); top["func"] != "write_a" {
		t.Errorf("the first 1000 writes counted in %v", top)
	}
}

// TestTraceWideAccessOnce: a 16-byte range in two 8-byte slots; one
// 16-byte store is one hit, the two halves written one after the other are
// two.
func TestTraceWideAccessOnce(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "pieces", fixture.PIE)
	r := hwdbg(t, "trace &pair\n", bin, "3000", "2000")
	ev := traceEvent(t, r)
	if n := len(ev["slots"].([]any)); n != 2 {
		t.Fatalf("the 16-byte aligned range took %d slots, want two 8-byte pieces:\n%s", n, r)
	}
	hits, lost := ev["hits"].(float64), ev["lost"].(float64)
	// Three storing instructions: the 16-byte one and each half's.
	lines := map[float64]float64{}
	for _, pc := range ev["pcs"].([]any) {
		p := pc.(map[string]any)
		lines[p["line"].(float64)] += p["hits"].(float64)
	}
	byFunc := map[string]float64{}
	for _, s := range ev["stacks"].([]any) {
		st := s.(map[string]any)
		byFunc[st["frames"].([]any)[0].(map[string]any)["func"].(string)] += st["count"].(float64)
	}
	if os.Getenv("HWDBG_AMD64_VM") == "1" && lines[25] > 2000 && lines[25] <= 4000 {
		// QEMU's amd64 also fires the high half's slot for many stores to
		// the low half (1991 of 2000 in one run): the kernel reports a
		// sample for each, which no CPU does. Take them out, and check
		// the rest.
		extra := lines[25] - 2000
		t.Logf("the emulator reported %v stores to the low half on the high half's slot too", extra)
		hits, lines[25], byFunc["halves"] = hits-extra, 2000, byFunc["halves"]-extra
	}
	if lost == 0 && hits != 3000+2*2000 {
		t.Fatalf("%v hits, want 7000: 3000 whole stores and 2000 pairs of halves:\n%s", hits, r)
	}
	if lost == 0 && (byFunc["whole"] != 3000 || byFunc["halves"] != 4000) {
		t.Errorf("by function %v, want whole 3000, halves 4000", byFunc)
	}
	if lost == 0 && (lines[19] != 3000 || lines[25] != 2000 || lines[26] != 2000) {
		t.Errorf("hits by line %v, want pieces.c:19 3000, :25 2000, :26 2000", lines)
	}
	// A CPU reports both pieces of a whole store (amd64: DR6 names two
	// slots), and the second is merged; QEMU's amd64 and arm64 report one,
	// so there is nothing to merge. Either way the hits above count stores.
	if m := ev["merged"]; m != float64(3000) && m != float64(0) {
		t.Errorf("merged %v, want the 3000 second pieces of the whole stores, or none where one piece is reported", m)
	}
}

// TestTraceExec: a program that execs while traced: the trace ends there
// with its report of the old image's writes and says so; the program
// stops there, and runs on at continue.
func TestTraceExec(t *testing.T) {
	needTraps(t)
	bin := fixture.C(t, "traceexec", fixture.PIE)
	r := hwdbg(t, "trace target\ncontinue\n", bin, "5000")
	ev := traceEvent(t, r)
	if h, l := ev["hits"].(float64), ev["lost"].(float64); h == 0 || h+l != 5000 {
		t.Fatalf("want the old image's 5000 writes:\n%s", r)
	}
	// The writing instruction, decoded from the old image's file after it
	// was gone.
	if pcs := ev["pcs"].([]any); len(pcs) != 1 || pcs[0].(map[string]any)["func"] != "write_target" || pcs[0].(map[string]any)["line"] != float64(14) {
		t.Errorf("pcs %v, want the store of write_target (traceexec.c:14)", pcs)
	}
	if e := ev["ended"].(string); !strings.Contains(e, "executed a new program") {
		t.Errorf("ended %q: does not say the program exec'd", e)
	}
	notices := 0
	for _, n := range r.byEvent("notice") {
		if strings.Contains(n["message"].(string), "is executing new program") {
			notices++
		}
	}
	// The trace's report comes at the exec, before the new image runs.
	ti, xi := -1, -1
	for i, e := range r.events {
		if e["event"] == "trace" {
			ti = i
		}
		if e["event"] == "exit" {
			xi = i
		}
	}
	if notices != 1 || ti < 0 || xi < ti || len(r.byEvent("trace_paused")) != 0 {
		t.Errorf("want the exec's notice, the report, then the new image's exit:\n%s", r)
	}
	if !strings.Contains(r.output(), "again") {
		t.Errorf("the new image did not run:\n%s", r)
	}
}

// TestTraceWarnsWithoutTraps: where debug-register traps are not
// delivered, the trace says so as a watch does, once, and still runs.
func TestTraceWarnsWithoutTraps(t *testing.T) {
	t.Setenv(probe.SimulateEnv, "1")
	bin := fixture.C(t, "writers", fixture.PIE)
	r := hwdbg(t, "trace target for 10\n", bin, "two", "nowait")
	w := r.byEvent("warning")
	if len(w) != 1 || !strings.Contains(w[0]["message"].(string), "accepts debug registers but never delivers their traps") ||
		!strings.Contains(w[0]["message"].(string), "trace 1 is set but will not fire") {
		t.Fatalf("want the trap warning naming trace 1:\n%s", r)
	}
	traceEvent(t, r)
	if r.code != 0 {
		t.Errorf("exit %d", r.code)
	}
}
