package debugger

import "fmt"

// Event is something the debugger reports: a hit, a stop, an exit, a notice.
// The repl renders events as text or JSON; the debugger never prints.
type Event interface{ event() }

// Location is a code address in a user's terms.
type Location struct {
	PC     uint64
	Func   string // enclosing symbol, "" if none
	Offset uint64 // PC - start of Func
	File   string // source file, "" when unknown
	Line   int
	// Object is the file mapped at PC (e.g. "libc.so.6") when no symbol
	// names the function.
	Object string
}

// WatchHit is a data watchpoint that fired and passed its filters.
type WatchHit struct {
	ID     int
	Expr   string
	Access string // "write", "read", "rw"
	Addr   uint64
	Len    int
	Tid    int
	Slots  []string // the hardware slots that fired, e.g. ["DR0"]
	Old    string
	New    string
	Insn   Location // the instruction that made the access
	Text   string   // its disassembly
	// Hits counts every access to the range up to this one, included
	// (its number: $hits when its condition was judged); Stops the stops
	// of the program it made, this one included.
	Hits, Stops int
	// Guessed is true when the accessing instruction could not be found by
	// decoding from a symbol's start and was guessed backwards from the pc.
	Guessed bool
}

// BreakHit is a breakpoint (hardware or software) reached.
type BreakHit struct {
	ID   int
	Tid  int
	At   Location
	Slot string // hardware slot, "" for a software breakpoint
	// Hits counts the crossings so far, this one included (whether or not
	// the condition held); Stops the stops it made, this one included.
	Hits, Stops int
	// Temporary: a tbreak (or start's breakpoint at main), deleted by
	// this stop.
	Temporary bool
}

// Stop is any other stop of a thread: a signal, a completed step, an
// interrupt.
type Stop struct {
	Tid    int
	Reason string // "signal", "step", "interrupt"
	Signal string // e.g. "SIGSEGV" for reason "signal"
	At     Location
	// Addr is the faulting address of a SIGSEGV/SIGBUS, 0 otherwise.
	Addr uint64
}

// Exit is the end of the process.
type Exit struct {
	Pid    int
	Status int    // exit code, when Signal is ""
	Signal string // the signal that killed it
}

// Notice is an informational line: new threads, exec, watchpoints dropped.
type Notice struct {
	Text string
}

// Warning is something the user must know to trust what follows: a
// watchpoint that cannot fire here, a thread that could not be armed.
type Warning struct {
	Text string // without a "warning: " prefix
}

func (WatchHit) event() {}
func (Warning) event()  {}
func (BreakHit) event() {}
func (Stop) event()     {}
func (Exit) event()     {}
func (Notice) event()   {}

// Kind is what a watch/breakpoint is. Its names are the ones hwdbg gives it
// everywhere: in notices, in the line that confirms it was set, in the kind
// column of info watchpoints.
type Kind uint8

const (
	KindWatch  Kind = iota // a data watchpoint: watch, rwatch, awatch
	KindHBreak             // a hardware execution breakpoint: hbreak
	KindBreak              // a software breakpoint: break
	KindTBreak             // a temporary software breakpoint: tbreak, start
)

type kindName struct{ noun, title, command string }

var kindNames = [...]kindName{
	KindWatch:  {"watchpoint", "Watchpoint", "watch"},
	KindHBreak: {"hardware breakpoint", "Hardware breakpoint", "hbreak"},
	KindBreak:  {"breakpoint", "Breakpoint", "break"},
	KindTBreak: {"breakpoint", "Temporary breakpoint", "tbreak"},
}

func (k Kind) names() kindName {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	s := fmt.Sprintf("kind(%d)", uint8(k))
	return kindName{s, s, s}
}

// Noun names the kind inside a sentence ("deleted hardware breakpoint 2");
// a temporary breakpoint is a breakpoint there.
func (k Kind) Noun() string { return k.names().noun }

// Title begins the line that confirms one was set ("Temporary breakpoint 3
// at ...").
func (k Kind) Title() string { return k.names().title }

// Command is the command that sets one: watch, hbreak, break or tbreak.
func (k Kind) Command() string { return k.names().command }

// Kind says what w is.
func (w *Watchpoint) Kind() Kind {
	switch {
	case w.Soft && w.Temp:
		return KindTBreak
	case w.Soft:
		return KindBreak
	case w.IsBreak():
		return KindHBreak
	}
	return KindWatch
}

// Label is w's kind as the kind column of info watchpoints shows it: a
// watchpoint's access (write, read, rw), otherwise the command that set it
// (hbreak, break, tbreak).
func (w *Watchpoint) Label() string {
	if k := w.Kind(); k != KindWatch {
		return k.Command()
	}
	return w.Access.String()
}
