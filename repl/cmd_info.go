package repl

import (
	"fmt"
	"strconv"
	"strings"

	"hwdbg/arch"
)

// The commands that show the threads, their slots, registers and stacks,
// and select a thread or a frame.

func (s *Session) infoSlots(Command) (Result, error) {
	views, err := s.d.Slots()
	if err != nil {
		return nil, err
	}
	res := slotTable{}
	for _, i := range s.d.SlotInfos() {
		res.Names = append(res.Names, i.Name)
	}
	for _, tid := range s.d.Threads() {
		res.Threads = append(res.Threads, threadSlots{Tid: tid, ArmedBy: s.d.ArmedBy(tid), Slots: views[tid]})
	}
	return res, nil
}

func (s *Session) infoRegisters(cmd Command) (Result, error) {
	regs, err := s.d.Registers()
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, n := range cmd.Args {
		want[strings.TrimPrefix(strings.ToLower(n), "$")] = true
	}
	var shown []arch.Reg
	for _, r := range regs {
		if len(want) == 0 || want[r.Name] {
			shown = append(shown, r)
		}
	}
	if len(want) > 0 && len(shown) == 0 {
		return nil, fmt.Errorf("no register named %s", strings.Join(cmd.Args, ", "))
	}
	return registers{Tid: s.d.Current, Regs: shown}, nil
}

func (s *Session) infoThreads(Command) (Result, error) {
	res := threadList{Current: s.d.Current}
	for _, tid := range s.d.Threads() {
		res.Threads = append(res.Threads, threadRow{Tid: tid, Name: s.d.ThreadName(tid), At: s.d.Where(tid)})
	}
	return res, nil
}

func (s *Session) thread(cmd Command) (Result, error) {
	if len(cmd.Args) == 1 {
		tid, _ := strconv.Atoi(cmd.Args[0])
		if err := s.d.SelectThread(tid); err != nil {
			return nil, err
		}
	}
	return currentThread{Tid: s.d.Current, Name: s.d.ThreadName(s.d.Current), At: s.d.Where(s.d.Current)}, nil
}

func (s *Session) frame(cmd Command) (Result, error) {
	n := s.d.SelectedFrame()
	if len(cmd.Args) == 1 {
		n, _ = strconv.Atoi(cmd.Args[0])
	}
	f, err := s.d.SelectFrame(n)
	if err != nil {
		return nil, err
	}
	return frameSel{N: n, Frame: f}, nil
}

func (s *Session) backtrace(cmd Command) (Result, error) {
	max := 64
	if len(cmd.Args) == 1 {
		max, _ = strconv.Atoi(cmd.Args[0])
	}
	frames, err := s.d.Backtrace(max)
	if err != nil {
		return nil, err
	}
	return backtrace{Tid: s.d.Current, Selected: s.d.SelectedFrame(), Frames: frames}, nil
}
