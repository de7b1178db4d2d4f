// Package procfs reads what /proc tells of a process that ptrace does not.
package procfs

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
)

// Tasks lists the thread ids of process pid, in order.
func Tasks(pid int) ([]int, error) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		if os.IsNotExist(err) {
			return nil, errors.New("no such process")
		}
		return nil, err
	}
	var tids []int
	for _, e := range ents {
		if n, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, n)
		}
	}
	sort.Ints(tids)
	return tids, nil
}
