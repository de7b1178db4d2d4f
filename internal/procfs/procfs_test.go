package procfs

import (
	"os"
	"slices"
	"testing"
)

func TestTasks(t *testing.T) {
	tids, err := Tasks(os.Getpid())
	if err != nil || !slices.Contains(tids, os.Getpid()) || !slices.IsSorted(tids) {
		t.Fatalf("own tasks %v, %v", tids, err)
	}
	if _, err := Tasks(1 << 30); err == nil || err.Error() != "no such process" {
		t.Errorf("a pid that cannot exist: %v", err)
	}
}
