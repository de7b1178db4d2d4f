package arch

// Calls is what a backend knows of its machine's calls and of how its C
// ABI returns a value, for the debugger's line stepping (step into a call,
// run over one, finish a function). It is optional: a backend that does
// not implement it cannot step into calls nor show returned values.
type Calls interface {
	// CallReturn tells whether the one instruction that took a thread
	// from registers before to registers after was a call, and the
	// address it returns to. mem reads the thread's memory.
	CallReturn(before, after Regs, mem func(addr uint64, b []byte) error) (ret uint64, ok bool)
	// ReturnValue reads the value of layout v that a C function has just
	// returned to its caller, from thread tid's registers (regs are its
	// general ones; floating-point ones are read when v needs them) or,
	// for a value returned in memory whose address the ABI gives back,
	// from mem. An error says why the value cannot be had.
	ReturnValue(tid int, regs Regs, v ValueLayout, mem func(addr uint64, b []byte) error) ([]byte, error)
	// GoRegister names the register that holds the running goroutine (the
	// runtime's g) in Go code compiled for the register ABI, "" when
	// there is none.
	GoRegister() string
}

// ValueLayout is a value's size and its scalar members, flattened (a
// struct's fields, an array's elements, recursively), which is what an ABI
// classifies a returned value by.
type ValueLayout struct {
	Size    int
	Scalars []Scalar
}

// Scalar is one scalar member of a value.
type Scalar struct {
	Offset int
	Size   int
	Float  bool // a floating-point member (float, double, long double)
}
