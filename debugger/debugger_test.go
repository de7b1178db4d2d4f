package debugger

import (
	"fmt"
	"strings"
	"testing"

	"hwdbg/arch"
	"hwdbg/internal/fixture"
)

// These tests use the debugger in-process, on real programs.

func TestCompletionNamesDemangled(t *testing.T) {
	bin := fixture.CXX(t, "app")
	d, err := Launch(bin, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Kill()
	names := strings.Join(d.Names("app::"), "\n")
	for _, want := range []string{"app::config", "app::Config::instances", "app::Config::tune(int)"} {
		if !strings.Contains(names, want) {
			t.Errorf("completion of app:: lacks %q:\n%s", want, names)
		}
	}
	if strings.Contains(names, "_ZN") {
		t.Errorf("mangled names offered:\n%s", names)
	}
}

func TestPlannerSharesAndRefuses(t *testing.T) {
	bin := fixture.C(t, "access", fixture.PIE)
	d, err := Launch(bin, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Kill()
	// Indexes count the data slots: DR0-DR3 on amd64, WP0-WP3 on arm64.
	steps := []struct {
		spec  WatchSpec
		slots string // slot indexes, or the start of an error
	}{
		{WatchSpec{Expr: "&buf", Size: 16, Access: arch.Write}, "[0 1]"},
		{WatchSpec{Expr: "(char*)&buf + 4", Size: 12, Access: arch.Write}, "[2 1]"},                 // buf+8 shared
		{WatchSpec{Expr: "(char*)&buf + 8", Size: 8, Access: arch.ReadWrite}, "[3]"},                // same range, other access: not shared
		{WatchSpec{Expr: "&val", Access: arch.Write}, "not enough hardware slots: needs 1, 0 free"}, // all four in use
	}
	for _, s := range steps {
		w, err := d.Watch(s.spec)
		got := ""
		if err != nil {
			got = err.Error()
		} else {
			got = fmtInts(w.SlotIndexes())
		}
		if !strings.HasPrefix(got, s.slots) {
			t.Errorf("%+v: got %s, want %s", s.spec, got, s.slots)
		}
	}
	// Deleting the first frees DR0 only (DR1 is still used by the second).
	if err := d.Delete(1); err != nil {
		t.Fatal(err)
	}
	w, err := d.Watch(WatchSpec{Expr: "&val", Access: arch.Write})
	if err != nil || len(w.SlotIndexes()) != 1 || w.SlotIndexes()[0] != 0 {
		t.Errorf("after delete: %v %v", w, err)
	}
}

func fmtInts(v []int) string { return fmt.Sprint(v) }
