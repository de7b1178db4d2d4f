package expr

// Scope is what evaluation sees of a stopped program: its memory, the
// registers of one thread, the variables of one frame of that thread, and
// the program's globals and symbols. The debugger implements it for the
// selected thread and frame, for the thread that hit a watchpoint, and
// for the frame a condition was bound to; tests implement it over a map
// of memory. Its methods may fail (the program is gone, memory is
// unmapped): evaluation passes their errors on.
type Scope interface {
	// ReadMemory reads len(buf) bytes of the program's memory at addr.
	ReadMemory(addr uint64, buf []byte) error
	// Register is the value of a register of the scope's thread by name
	// ("rax", "pc"); ok is false when the machine has none of that name.
	Register(name string) (v uint64, ok bool, err error)
	// PtrSize is the program's pointer size in bytes: 8, or 4 in an
	// i386 program.
	PtrSize() int
	// Language is the program's source language as its debug information
	// names it ("c", "c++", "go", "rust"); "" when unknown.
	Language() string
	// DebugInfo tells whether the program has debug information (DWARF):
	// without it, names are symbols of unknown type.
	DebugInfo() bool
	// LookupType finds a type the debug information defines by name
	// ("struct node", "app::Config", "main.T").
	LookupType(name string) (*Type, bool)
	// Local finds a local, parameter or static local of the scope's frame;
	// ok is false when the frame has none of that name. A local that
	// exists but cannot be read here (optimized out, a constant) is ok
	// with an error.
	Local(name string) (v Local, ok bool, err error)
	// Global finds a global variable of the debug information.
	Global(name string) (Global, bool)
	// Symbol finds a symbol of the program or its libraries.
	Symbol(name string) (Symbol, bool)
	// Func finds a function the debug information knows (and the symbol
	// table may not): its entry address.
	Func(name string) (entry uint64, ok bool)
	// FrameFunc names the function of the scope's frame, "" when unknown:
	// in a Go program a name is also looked for in that function's
	// package.
	FrameFunc() string
	// Closest lists the names closest to name, for suggestions.
	Closest(name string) []string
	// Where describes the scope's frame for messages, e.g. "main (frame
	// #0, where the watch was set)"; "" when its function is unknown.
	Where() string
}

// Local is a variable of a frame: a local or a parameter, which lives in
// Frame, or a static local (Frame nil), which lives for the program.
type Local struct {
	Type  *Type
	Addr  uint64
	Frame *Frame
	// Reg names the register a local lives in, instead of memory at Addr;
	// Bytes is then its value in the frame (Type.Size bytes).
	Reg   string
	Bytes []byte
}

// value is the local as a value: memory at Addr, or the value of its
// register.
func (l Local) value() Value {
	if l.Reg != "" {
		return Value{Type: l.Type, Bytes: l.Bytes, Reg: l.Reg, Frame: l.Frame}
	}
	return Value{Type: l.Type, Lvalue: true, Addr: l.Addr, Frame: l.Frame}
}

// Frame is the stack frame a local variable lives in. A watch on the
// local ends when the frame returns.
type Frame struct {
	Tid   int    // the thread whose stack holds the frame
	CFA   uint64 // its canonical frame address: its identity while it lives
	RetPC uint64 // where it returns to; 0 when unknown
	Func  string // its function
	Go    bool   // a Go local: on a goroutine stack, which the runtime moves
}

// Global is a global variable of the debug information.
type Global struct {
	Type *Type
	Addr uint64
	// Const is set for a variable with a value but no storage.
	Const bool
}

// Symbol is a symbol of the program's symbol tables: storage of unknown
// type.
type Symbol struct {
	Addr, Size uint64
	Func       bool // code, not data
}
