package repl

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"

	"hwdbg/arch"
	"hwdbg/debugger"
)

// Session runs commands against one debugged process.
type Session struct {
	d   *debugger.Debugger
	out *printer
	// mu is held while a command line runs; a terminating signal takes it
	// to end the session between commands.
	mu sync.Mutex
	// done is set once the session is over (quit, detach, kill).
	done bool
	// closing runs Close once.
	closing sync.Once
	// commands maps a watch/breakpoint id to the commands it runs when it
	// stops the program.
	commands map[int][]string
	// block collects the lines of a commands ... end block.
	block *cmdBlock
	// lastID is the newest watch/breakpoint, the default of commands.
	lastID int
	// trapsChecked is set once the trap probe ran (checkTraps).
	trapsChecked bool
}

type cmdBlock struct {
	id    int
	lines []string
}

// errQuit ends the command loop.
var errQuit = errors.New("quit")

// NewSession wraps a debugger; output goes to w, as JSON lines if json.
func NewSession(d *debugger.Debugger, w io.Writer, json bool) *Session {
	return &Session{d: d, out: &printer{w: &failWriter{w: w}, json: json}, commands: map[int][]string{}}
}

// InBlock tells whether a commands block is being read (the prompt shows
// a continuation prompt then).
func (s *Session) InBlock() bool { return s.block != nil }

// EndInput checks the end of the commands: input that ends inside a
// commands block is an error.
func (s *Session) EndInput() error {
	if s.block == nil {
		return nil
	}
	err := fmt.Errorf("input ended inside 'commands %d': the block needs a line 'end'", s.block.id)
	s.block = nil
	s.out.error("commands", err)
	return err
}

// Done tells whether the session has ended (quit, detach or kill).
func (s *Session) Done() bool { return s.done }

// Execute runs one command line. A failed command has already been
// reported when it returns its error.
func (s *Session) Execute(line string) error {
	if s.block != nil {
		return s.blockLine(line)
	}
	cmd, err := ParseCommand(line)
	if err != nil {
		s.out.error(firstWord(line), err)
		return err
	}
	if cmd.Name == "" {
		return nil
	}
	// A program killed from outside while we waited: say so once, first.
	for _, ev := range s.d.Gone() {
		s.out.event(ev)
	}
	err = s.dispatch(cmd)
	if err != nil && err != errQuit {
		s.out.error(cmd.Name, err)
	}
	return err
}

func firstWord(line string) string {
	f := strings.Fields(line)
	if len(f) == 0 {
		return ""
	}
	return truncate(f[0], 40)
}

func (s *Session) needLive() error {
	if s.d.Exited() {
		return errGone
	}
	return nil
}

// errGone is what a command that needs the program says once it is gone.
var errGone = errors.New("the program is not running (it exited or was killed); quit to leave")

func (s *Session) dispatch(cmd Command) error {
	switch cmd.Name {
	case "help":
		return s.help(cmd)
	case "quit":
		s.Close()
		return errQuit
	case "info watchpoints":
		return s.infoWatchpoints()
	case "condition":
		id, _ := strconv.Atoi(cmd.Args[0])
		if err := s.d.SetCondition(id, cmd.Cond); err != nil {
			return err
		}
		if cmd.Cond == "" {
			s.out.text("Watchpoint/breakpoint %d now stops unconditionally.", id)
		}
		s.out.result("condition", map[string]any{"id": id, "cond": cmd.Cond})
		return nil
	case "ignore":
		id, _ := strconv.Atoi(cmd.Args[0])
		n, _ := strconv.Atoi(cmd.Args[1])
		if err := s.d.SetIgnore(id, n); err != nil {
			return err
		}
		s.out.text("Will ignore the next %d crossings of %d.", n, id)
		s.out.result("ignore", map[string]any{"id": id, "count": n})
		return nil
	case "commands":
		id := s.lastID
		if len(cmd.Args) == 1 {
			id, _ = strconv.Atoi(cmd.Args[0])
		}
		if id == 0 || s.d.Get(id) == nil {
			return fmt.Errorf("no watchpoint or breakpoint %d for commands (see info watchpoints)", id)
		}
		s.block = &cmdBlock{id: id}
		s.out.text("Type commands for %d, one per line; end with a line saying just \"end\".", id)
		return nil
	case "delete":
		ids := atois(cmd.Args)
		if err := s.d.Delete(ids...); err != nil {
			return err
		}
		s.out.result("delete", map[string]any{"deleted": ids})
		return nil
	case "disable", "enable":
		for _, id := range atois(cmd.Args) {
			if err := s.d.SetEnabled(id, cmd.Name == "enable"); err != nil {
				return err
			}
		}
		s.out.result(cmd.Name, map[string]any{"ids": atois(cmd.Args)})
		return nil
	}
	if err := s.needLive(); err != nil {
		return err
	}
	switch cmd.Name {
	case "watch", "rwatch", "awatch":
		return s.watch(cmd)
	case "hbreak", "break", "tbreak":
		return s.breakpoint(cmd)
	case "start":
		w, err := s.d.Break("main", true)
		if err != nil {
			return err
		}
		s.out.text("Temporary breakpoint %d at %#x%s", w.ID, w.Addr, funcSuffix(s.d, w.Addr))
		return s.resume(s.d.Continue)
	case "continue":
		return s.resume(s.d.Continue)
	case "stepi":
		return s.resume(s.d.Step)
	case "info slots":
		return s.infoSlots()
	case "info registers":
		return s.infoRegisters(cmd.Args)
	case "info threads":
		return s.infoThreads()
	case "thread":
		if len(cmd.Args) == 1 {
			tid, _ := strconv.Atoi(cmd.Args[0])
			if err := s.d.SelectThread(tid); err != nil {
				return err
			}
		}
		loc := s.d.Where(s.d.Current)
		s.out.text("[Current thread is %d (%s) at %s]", s.d.Current, s.d.ThreadName(s.d.Current), where(loc))
		s.out.result("thread", map[string]any{"tid": s.d.Current, "pc": hex(loc.PC), "func": loc.Func})
		return nil
	case "print":
		return s.print(cmd)
	case "x":
		return s.examine(cmd)
	case "backtrace":
		return s.backtrace(cmd)
	case "frame":
		n := s.d.SelectedFrame()
		if len(cmd.Args) == 1 {
			n, _ = strconv.Atoi(cmd.Args[0])
		}
		f, err := s.d.SelectFrame(n)
		if err != nil {
			return err
		}
		s.out.text("#%-2d %s", n, where(f.Location))
		s.out.result("frame", map[string]any{"frame": n, "pc": hex(f.PC), "func": f.Func, "file": f.File, "line": f.Line})
		return nil
	case "disassemble":
		return s.disassemble(cmd)
	case "detach":
		if err := s.d.Detach(); err != nil {
			return err
		}
		s.done = true
		s.out.text("Detached from process %d; it runs on with our debug registers cleared.", s.d.Pid())
		s.out.result("detach", map[string]any{"pid": s.d.Pid()})
		return errQuit
	case "kill":
		s.d.Kill()
		s.done = true
		s.out.text("Killed process %d.", s.d.Pid())
		s.out.result("kill", map[string]any{"pid": s.d.Pid()})
		return errQuit
	}
	return fmt.Errorf("command %q is not implemented", cmd.Name)
}

// Close ends the session the way SPEC says: a started program is killed,
// an attached one is detached with every slot we set cleared. It runs
// once: a second caller (a terminating signal racing the end of the
// commands) waits for the first to finish before hwdbg may exit.
func (s *Session) Close() {
	s.closing.Do(func() {
		if s.done {
			return
		}
		s.done = true
		if s.d.Launched() {
			s.d.Kill()
		} else if err := s.d.Detach(); err != nil {
			s.out.error("detach", err)
		}
	})
}

func atois(args []string) []int {
	var out []int
	for _, a := range args {
		n, _ := strconv.Atoi(a)
		out = append(out, n)
	}
	return out
}

// funcSuffix is " <func+off>" for an address with a symbol, "" otherwise.
func funcSuffix(d *debugger.Debugger, addr uint64) string {
	if loc := d.Locate(addr); loc.Func != "" {
		return " <" + loc.Describe() + ">"
	}
	return ""
}

func (s *Session) slotList(w *debugger.Watchpoint) []string {
	var names []string
	for _, i := range w.SlotIndexes() {
		names = append(names, s.d.SlotName(i))
	}
	return names
}

func (s *Session) slotNames(w *debugger.Watchpoint) string {
	names := s.slotList(w)
	if len(names) == 0 {
		return "-"
	}
	return strings.Join(names, ",")
}

func (s *Session) watch(cmd Command) error {
	w, err := s.d.Watch(debugger.WatchSpec{Expr: cmd.Expr, Access: cmd.Access, Size: cmd.Size, Thread: cmd.Thread, Modify: cmd.Modify, Cond: cmd.Cond, Location: cmd.Location})
	if err != nil {
		return err
	}
	s.lastID = w.ID
	s.out.text("Watchpoint %d: %s %s (%d bytes at %#x), %s %s", w.ID, accessFlag(w.Access.String()), w.Expr, w.Len, w.Addr,
		plural(len(w.SlotIndexes()), "slot", "slots"), s.slotNames(w))
	res := map[string]any{"id": w.ID, "expr": w.Expr, "access": w.Access.String(),
		"addr": hex(w.Addr), "len": w.Len, "slots": s.slotList(w)}
	if w.Note != "" {
		s.out.text("Note: %s", w.Note)
		res["note"] = w.Note
	}
	s.out.result(cmd.Name, res)
	s.checkTraps(fmt.Sprintf("watchpoint %d", w.ID))
	return nil
}

// checkTraps runs the trap probe at the session's first watchpoint or
// hardware breakpoint (what, e.g. "watchpoint 1") and, where this machine
// never delivers debug-register traps, says so once: the slot is set, and
// it will not fire.
func (s *Session) checkTraps(what string) {
	if s.trapsChecked {
		return
	}
	s.trapsChecked = true
	delivered, seen, err := s.d.TrapsDelivered()
	switch {
	case err != nil:
		s.out.warning(err.Error() + "; watchpoints may or may not fire here (hwdbg doctor)")
	case !delivered:
		s.out.warning(fmt.Sprintf("this machine accepts debug registers but never delivers their traps (probe: %s): "+
			"%s is set but will not fire, nor will any other watchpoint or hardware breakpoint; "+
			"run `hwdbg doctor` for why and what to do", seen, what))
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (s *Session) breakpoint(cmd Command) error {
	var w *debugger.Watchpoint
	var err error
	if cmd.Name == "hbreak" {
		w, err = s.d.HBreak(cmd.Rest)
	} else {
		w, err = s.d.Break(cmd.Rest, cmd.Name == "tbreak")
	}
	if err != nil {
		return err
	}
	s.lastID = w.ID
	if cmd.Cond != "" {
		if err := s.d.SetCondition(w.ID, cmd.Cond); err != nil {
			s.d.Delete(w.ID)
			return err
		}
	}
	switch cmd.Name {
	case "hbreak":
		s.out.text("Hardware breakpoint %d at %#x%s, slot %s", w.ID, w.Addr, funcSuffix(s.d, w.Addr), s.slotNames(w))
		defer s.checkTraps(fmt.Sprintf("hardware breakpoint %d", w.ID))
	case "tbreak":
		s.out.text("Temporary breakpoint %d at %#x%s", w.ID, w.Addr, funcSuffix(s.d, w.Addr))
	default:
		s.out.text("Breakpoint %d at %#x%s", w.ID, w.Addr, funcSuffix(s.d, w.Addr))
	}
	s.out.result(cmd.Name, map[string]any{"id": w.ID, "addr": hex(w.Addr), "slots": s.slotList(w)})
	return nil
}

// blockLine takes one line of a commands block.
func (s *Session) blockLine(line string) error {
	t := strings.TrimSpace(line)
	if t != "end" {
		if t != "" && !strings.HasPrefix(t, "#") {
			s.block.lines = append(s.block.lines, t)
		}
		return nil
	}
	b := s.block
	s.block = nil
	if s.d.Get(b.id) == nil {
		return fmt.Errorf("watchpoint or breakpoint %d is gone", b.id)
	}
	for _, l := range b.lines {
		if l == "silent" {
			continue
		}
		if _, err := ParseCommand(l); err != nil {
			err = fmt.Errorf("in commands for %d: %w", b.id, err)
			s.out.error("commands", err)
			return err
		}
	}
	s.commands[b.id] = b.lines
	if len(b.lines) == 0 {
		delete(s.commands, b.id)
	}
	// silent + continue and nothing else: the tracer counts and resumes
	// by itself, without a stop.
	s.d.SetAutoContinue(b.id, len(b.lines) == 2 && b.lines[0] == "silent" && isContinue(b.lines[1]))
	s.out.result("commands", map[string]any{"id": b.id, "commands": b.lines})
	return nil
}

func isContinue(line string) bool {
	c, err := ParseCommand(line)
	return err == nil && c.Name == "continue"
}

// stopID is the watch/breakpoint an event stopped at, 0 for others.
func stopID(ev debugger.Event) int {
	switch e := ev.(type) {
	case debugger.WatchHit:
		return e.ID
	case debugger.BreakHit:
		return e.ID
	}
	return 0
}

// resume runs continue or stepi and reports what happened, then runs the
// commands of the watch/breakpoints that stopped the program; a continue
// among them resumes again.
func (s *Session) resume(f func() ([]debugger.Event, error)) error {
	for {
		evs, err := f()
		var run [][]string
		for _, ev := range evs {
			cmds := s.commands[stopID(ev)]
			if len(cmds) == 0 || cmds[0] != "silent" {
				s.out.event(ev)
			}
			if len(cmds) > 0 {
				run = append(run, cmds)
			}
		}
		if err != nil {
			return err
		}
		again := false
		for _, cmds := range run {
			for _, line := range cmds {
				if line == "silent" {
					continue
				}
				if isContinue(line) {
					again = true
					break
				}
				if err := s.Execute(line); err != nil {
					return err
				}
			}
		}
		if !again || s.d.Exited() || s.done {
			return nil
		}
		f = s.d.Continue
	}
}

func kindOf(w *debugger.Watchpoint) string {
	switch {
	case w.Soft && w.Temp:
		return "tbreak"
	case w.Soft:
		return "break"
	case w.IsBreak():
		return "hbreak"
	}
	return w.Access.String()
}

func (s *Session) infoWatchpoints() error {
	ws := s.d.SortedWatchpoints()
	if len(ws) == 0 {
		s.out.text("No watchpoints or breakpoints.")
		s.out.result("info watchpoints", map[string]any{"watchpoints": []any{}})
		return nil
	}
	var rows []any
	s.out.text("%-4s %-6s %-4s %-24s %-28s %-10s %-34s %s", "Num", "Kind", "Enb", "What", "Requested", "Slots", "Covers", "Hits")
	for _, w := range ws {
		kind := kindOf(w)
		enb := "y"
		if !w.Enabled {
			enb = "n"
		}
		req := fmt.Sprintf("%d bytes at %#x", w.Len, w.Addr)
		var covers []string
		var pieces []any
		for _, p := range w.Pieces() {
			covers = append(covers, fmt.Sprintf("%#x+%d", p.Addr, p.Len))
			pieces = append(pieces, map[string]any{"addr": hex(p.Addr), "len": p.Len})
		}
		slots := s.slotNames(w)
		if w.Soft {
			req, slots, covers = fmt.Sprintf("at %#x%s", w.Addr, funcSuffix(s.d, w.Addr)), "int3", nil
		}
		if !w.Enabled {
			slots = "-"
		}
		s.out.text("%-4d %-6s %-4s %-24s %-28s %-10s %-34s %d", w.ID, kind, enb, truncate(w.Expr, 24), req, slots, strings.Join(covers, " "), w.Hits)
		var notes []string
		if w.Modify {
			notes = append(notes, "stops only when the value changes (-m)")
		}
		if name := s.d.Arch().Name(); w.Access == arch.Read && (name == "amd64" || name == "386") {
			notes = append(notes, "x86 has no read-only slot: a read-or-write slot, writes filtered by decoding the instruction")
		}
		if w.Thread != 0 {
			notes = append(notes, fmt.Sprintf("only thread %d, in its own slots", w.Thread))
		}
		if w.Cond != "" {
			notes = append(notes, "stop only if "+w.Cond)
		}
		if w.Ignore > 0 {
			notes = append(notes, fmt.Sprintf("ignore next %d crossings", w.Ignore))
		}
		threadHits := map[string]int{}
		if len(w.ThreadHits) > 0 {
			var per []string
			for _, tid := range sortedKeys(w.ThreadHits) {
				per = append(per, fmt.Sprintf("thread %d: %d", tid, w.ThreadHits[tid]))
				threadHits[strconv.Itoa(tid)] = w.ThreadHits[tid]
			}
			notes = append(notes, "hits by "+strings.Join(per, ", "))
		}
		for _, n := range notes {
			s.out.text("     %s", n)
		}
		for _, c := range s.commands[w.ID] {
			s.out.text("        %s", c)
		}
		rows = append(rows, map[string]any{"id": w.ID, "kind": kind, "enabled": w.Enabled, "expr": w.Expr,
			"addr": hex(w.Addr), "len": w.Len, "slots": s.slotList(w), "covers": pieces, "hits": w.Hits,
			"thread_hits": threadHits, "thread": w.Thread, "cond": w.Cond, "ignore": w.Ignore, "modify": w.Modify,
			"commands": s.commands[w.ID]})
	}
	s.out.result("info watchpoints", map[string]any{"watchpoints": rows})
	return nil
}

func sortedKeys(m map[int]int) []int {
	var keys []int
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}

func (s *Session) infoSlots() error {
	views, err := s.d.Slots()
	if err != nil {
		return err
	}
	infos := s.d.SlotInfos()
	var names []string
	for _, i := range infos {
		names = append(names, i.Name)
	}
	s.out.text("The CPU has %d debug-register slots (%s); per thread, as armed in the kernel:", len(infos), strings.Join(names, " "))
	threads := map[string]any{}
	armed := map[string]any{}
	for _, tid := range s.d.Threads() {
		how := s.d.ArmedBy(tid)
		armed[strconv.Itoa(tid)] = how
		s.out.text("Thread %d: through %s", tid, how)
		var rows []any
		for _, v := range views[tid] {
			owner := "-"
			if len(v.Owners) > 0 {
				owner = "owner " + joinInts(v.Owners)
			}
			if !v.Slot.Enabled {
				s.out.text("  %-4s free%s", v.Name, ifOwned(v.Owners))
			} else {
				s.out.text("  %-4s %#-18x len %-2d %-6s %s", v.Name, v.Slot.Addr, v.Slot.Len, v.Slot.Access, owner)
			}
			rows = append(rows, map[string]any{"slot": v.Name, "enabled": v.Slot.Enabled, "addr": hex(v.Slot.Addr),
				"len": v.Slot.Len, "access": v.Slot.Access.String(), "owners": v.Owners})
		}
		threads[strconv.Itoa(tid)] = rows
	}
	s.out.result("info slots", map[string]any{"count": len(infos), "slots": threads, "armed": armed})
	return nil
}

func ifOwned(owners []int) string {
	if len(owners) > 0 {
		return " (owner " + joinInts(owners) + ", disabled)"
	}
	return ""
}

func joinInts(v []int) string {
	var s []string
	for _, n := range v {
		s = append(s, strconv.Itoa(n))
	}
	return strings.Join(s, ",")
}

func (s *Session) infoRegisters(names []string) error {
	regs, err := s.d.Registers()
	if err != nil {
		return err
	}
	data := map[string]any{}
	want := map[string]bool{}
	for _, n := range names {
		want[strings.TrimPrefix(strings.ToLower(n), "$")] = true
	}
	found := 0
	for _, r := range regs {
		if len(want) > 0 && !want[r.Name] {
			continue
		}
		found++
		s.out.text("%-10s %#-18x %d", r.Name, r.Value, int64(r.Value))
		data[r.Name] = hex(r.Value)
	}
	if len(want) > 0 && found == 0 {
		return fmt.Errorf("no register named %s", strings.Join(names, ", "))
	}
	s.out.result("info registers", map[string]any{"tid": s.d.Current, "registers": data})
	return nil
}

func (s *Session) infoThreads() error {
	var rows []any
	s.out.text("  %-8s %-16s %s", "Id", "Name", "Where")
	for _, tid := range s.d.Threads() {
		mark := " "
		if tid == s.d.Current {
			mark = "*"
		}
		loc := s.d.Where(tid)
		name := s.d.ThreadName(tid)
		s.out.text("%s %-8d %-16s %s", mark, tid, name, where(loc))
		rows = append(rows, map[string]any{"tid": tid, "name": name, "pc": hex(loc.PC), "func": loc.Func, "current": tid == s.d.Current})
	}
	s.out.result("info threads", map[string]any{"threads": rows})
	return nil
}

func (s *Session) print(cmd Command) error {
	var val string
	var typ *debugger.Type
	var err error
	if cmd.Format != 0 {
		var n int64
		if n, typ, err = s.d.EvalInt(cmd.Rest); err != nil {
			return fmt.Errorf("print/%c: %w", cmd.Format, err)
		}
		val = formatInt(uint64(n), cmd.Format, int(typ.Size))
	} else if val, typ, err = s.d.Evaluate(cmd.Rest); err != nil {
		return err
	}
	s.out.text("%s", val)
	s.out.result("print", map[string]any{"expr": cmd.Rest, "value": val, "type": typ.Name})
	return nil
}

func formatInt(u uint64, f byte, size int) string {
	if size > 0 && size < 8 {
		u &= 1<<(8*uint(size)) - 1
	}
	switch f {
	case 'x':
		return fmt.Sprintf("%#x", u)
	case 'o':
		return fmt.Sprintf("%#o", u)
	case 't':
		return strconv.FormatUint(u, 2)
	case 'u':
		return strconv.FormatUint(u, 10)
	case 'c':
		return fmt.Sprintf("%d %q", u, rune(u&0xff))
	}
	if size > 0 && size < 8 {
		shift := 64 - 8*uint(size)
		return strconv.FormatInt(int64(u<<shift)>>shift, 10)
	}
	return strconv.FormatInt(int64(u), 10)
}

func (s *Session) examine(cmd Command) error {
	addr, err := s.d.EvalAddress(cmd.Rest)
	if err != nil {
		return err
	}
	if cmd.Format == 'i' {
		ins, err := s.d.Disassemble(addr, cmd.Count)
		if err != nil {
			return err
		}
		return s.showInsns("x", ins)
	}
	if cmd.Format == 's' {
		b, err := s.d.ReadString(addr, 4096)
		if err != nil {
			return err
		}
		s.out.text("%#x: %q", addr, b)
		s.out.result("x", map[string]any{"addr": hex(addr), "value": b})
		return nil
	}
	n := cmd.Count * cmd.Unit
	b, err := s.d.ReadMemory(addr, n)
	if err != nil {
		return err
	}
	perLine := 16 / cmd.Unit
	if cmd.Format == 'c' {
		perLine = 8
	}
	var vals []string
	var line []string
	for i := 0; i < cmd.Count; i++ {
		chunk := b[i*cmd.Unit : (i+1)*cmd.Unit]
		var u uint64
		for j := len(chunk) - 1; j >= 0; j-- {
			u = u<<8 | uint64(chunk[j])
		}
		var v string
		switch cmd.Format {
		case 'a':
			v = hex(u) + funcSuffix(s.d, u)
		case 'x':
			v = fmt.Sprintf("0x%0*x", 2*cmd.Unit, u)
		default:
			v = formatInt(u, cmd.Format, cmd.Unit)
		}
		vals = append(vals, v)
		line = append(line, v)
		if len(line) == perLine || i == cmd.Count-1 {
			start := addr + uint64((i+1-len(line))*cmd.Unit)
			s.out.text("%#x%s:\t%s", start, funcSuffix(s.d, start), strings.Join(line, "\t"))
			line = nil
		}
	}
	s.out.result("x", map[string]any{"addr": hex(addr), "unit": cmd.Unit, "format": string(cmd.Format), "values": vals})
	return nil
}

func (s *Session) showInsns(command string, ins []debugger.Instruction) error {
	var rows []any
	pc, _ := s.d.PC()
	for _, in := range ins {
		mark := "  "
		if in.At.PC == pc {
			mark = "=>"
		}
		s.out.text("%s %#x <%s>:\t%s", mark, in.At.PC, in.At.Describe(), in.Text)
		rows = append(rows, map[string]any{"pc": hex(in.At.PC), "func": in.At.Func, "offset": in.At.Offset, "insn": in.Text})
	}
	s.out.result(command, map[string]any{"instructions": rows})
	return nil
}

func (s *Session) disassemble(cmd Command) error {
	var addr uint64
	var err error
	if cmd.Rest == "" {
		addr, err = s.d.PC()
	} else {
		addr, err = s.d.ResolveLocation(cmd.Rest)
	}
	if err != nil {
		return err
	}
	ins, err := s.d.Disassemble(addr, 0)
	if err != nil {
		return err
	}
	return s.showInsns("disassemble", ins)
}

func (s *Session) backtrace(cmd Command) error {
	max := 64
	if len(cmd.Args) == 1 {
		max, _ = strconv.Atoi(cmd.Args[0])
	}
	frames, err := s.d.Backtrace(max)
	if err != nil {
		return err
	}
	var rows []any
	for i, f := range frames {
		mark := " "
		if i == s.d.SelectedFrame() {
			mark = "*"
		}
		s.out.text("%s#%-2d %s", mark, i, where(f.Location))
		rows = append(rows, map[string]any{"pc": hex(f.PC), "func": f.Func, "offset": f.Offset, "file": f.File, "line": f.Line, "object": f.Object})
	}
	s.out.result("backtrace", map[string]any{"tid": s.d.Current, "frames": rows})
	return nil
}

func (s *Session) help(cmd Command) error {
	if len(cmd.Args) > 0 {
		name := strings.Join(cmd.Args, " ")
		if a, ok := aliases[name]; ok {
			name = a
		}
		if sub, ok := infoSubs[strings.TrimPrefix(name, "info ")]; ok && strings.HasPrefix(name, "info ") {
			name = sub
		}
		c, ok := lookupCommand(name)
		if !ok {
			return unknownCommand(name)
		}
		s.out.text("%s -- %s", c.usage, c.help)
		s.out.result("help", map[string]any{"usage": c.usage, "help": c.help})
		return nil
	}
	for _, c := range commands {
		s.out.text("  %-32s %s", c.usage, c.help)
	}
	s.out.text("EXPR: &sym, sym, 0xADDR with -s N, *(TYPE*)0xADDR, $reg; LOCATION: func or *ADDR.")
	s.out.result("help", map[string]any{"commands": CommandNames()})
	return nil
}
