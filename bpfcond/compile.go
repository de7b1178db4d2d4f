// Package bpfcond compiles a watchpoint's condition (a condition lowered
// by expr.Lower: integer operations on constants and memory at fixed
// addresses) into a BPF program of type PERF_EVENT, built instruction by
// instruction with cilium/ebpf's asm package (no compiler at run time).
//
// The kernel runs the program at every access that overflows the perf
// breakpoint it is attached to (PERF_EVENT_IOC_SET_BPF). The program
//
//   - counts the access (every one: the watchpoint's hits), process-wide
//     and per thread, and keeps, per thread, the number of its last
//     access (what $hits was for the access a stopped thread made),
//   - evaluates the condition, reading memory with bpf_probe_read_user
//     ($hits is this access's number),
//   - when it holds, counts a crossing, and says "stop" (returns 1) only
//     when that crossing's number is past the threshold: the crossings
//     already counted plus the ignore count, set by the debugger before
//     the program runs on.
//
// Counting the ignore count in the map rather than with the event's
// sample_period keeps it process-wide and exact: every thread has its
// own event, so a period would count each thread's accesses apart, and
// an atomic fetch-and-add numbers the crossings of all threads at once.
//
// A read that faults, or a division by zero, counts a crossing and stops:
// the debugger then evaluates the condition itself, and reports the error
// as it does for a condition it evaluates.
//
// Registers: r7 points to the counts map's value, r8 holds this access's
// number, r6 the verdict; r0-r5 are scratch (helpers clobber them).
package bpfcond

import (
	"fmt"

	"github.com/cilium/ebpf/asm"

	"hwdbg/expr"
)

// The layout of the counts map's one value: Counts, then the watched
// bytes as the access before the last left them (prev), then as the last
// left them (last), each rounded up to 8 bytes.
const (
	offAccesses  = 0
	offCrossings = 8
	offThreshold = 16
	countsSize   = 24
)

// MaxWatched is the most bytes of watched memory a program keeps.
const MaxWatched = 64

// Watched is the memory a program keeps a copy of at each access, so
// that a stop can report the value the access found (the "old" value):
// the watchpoint's range. Len 0 keeps none.
type Watched struct {
	Addr uint64
	Len  int
}

func (w Watched) rounded() int { return (w.Len + 7) &^ 7 }

// valueSize is the size of the counts map's value.
func (w Watched) valueSize() int { return countsSize + 2*w.rounded() }

// Map references in the instructions, resolved when the program loads.
const (
	refCounts  = "counts"
	refThreads = "threads"
)

// Stack: an 8-byte buffer for reads and map keys, then one 8-byte slot
// per level of the condition (the first two also hold a new per-thread
// value before the condition runs).
const (
	bufOff   = -8
	slot0Off = -16
	maxSlots = (512 - 16) / 8
)

// The per-thread map's value: the thread's accesses, and the number of
// its last access.
const (
	threadAccesses = 0
	threadLast     = 8
	threadSize     = 16
	threadValOff   = slot0Off - 8 // where a new value is built
)

// Labels of the program's tail.
const (
	lblOut0  = "out0"  // return 0: no stop
	lblFault = "fault" // a read faulted, or a divisor was 0: a crossing that stops
	lblRet   = "ret"   // return r6
)

// Compile is the program for cond (nil: a condition that always holds)
// on a watchpoint of range w. Its map references (counts, threads) are
// resolved by Load.
func Compile(cond expr.Low, w Watched) (asm.Instructions, error) {
	if w.Len < 0 || w.Len > MaxWatched {
		return nil, fmt.Errorf("a BPF program keeps at most %d watched bytes, not %d", MaxWatched, w.Len)
	}
	c := &compiler{}
	insns := asm.Instructions{
		// counts[0]
		asm.StoreImm(asm.RFP, bufOff, 0, asm.Word),
		asm.LoadMapPtr(asm.R1, 0).WithReference(refCounts),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, bufOff),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, lblOut0),
		asm.Mov.Reg(asm.R7, asm.R0),
		// Every access counts; r8 is its number.
		asm.Mov.Imm(asm.R8, 1),
		fetchAdd(asm.R7, asm.R8, offAccesses),
		asm.Add.Imm(asm.R8, 1),
	}
	insns = append(insns, perThread()...)
	insns = append(insns, keepValue(w)...)
	if cond != nil {
		if err := c.gen(cond, 0); err != nil {
			return nil, err
		}
		insns = append(insns, c.out...)
		insns = append(insns,
			asm.LoadMem(asm.R0, asm.RFP, slot0Off, asm.DWord),
			asm.JEq.Imm(asm.R0, 0, lblOut0),
		)
	}
	insns = append(insns,
		// This crossing's number, in the order of every thread's.
		asm.Mov.Imm(asm.R1, 1),
		fetchAdd(asm.R7, asm.R1, offCrossings),
		asm.Add.Imm(asm.R1, 1),
		asm.LoadMem(asm.R2, asm.R7, offThreshold, asm.DWord),
		asm.Mov.Imm(asm.R6, 1),
		asm.JGT.Reg(asm.R1, asm.R2, lblRet),
		asm.Mov.Imm(asm.R6, 0),
	)
	if c.faults {
		// The verifier refuses code no path reaches: this only where a
		// read may fault or a divisor be 0.
		insns = append(insns,
			asm.Ja.Label(lblRet),
			asm.Mov.Imm(asm.R1, 1).WithSymbol(lblFault),
			asm.AddAtomic.Mem(asm.R7, asm.R1, asm.DWord, offCrossings),
			asm.Mov.Imm(asm.R6, 1),
		)
	}
	insns = append(insns,
		asm.Mov.Reg(asm.R0, asm.R6).WithSymbol(lblRet),
		asm.Return(),
		asm.Mov.Imm(asm.R0, 0).WithSymbol(lblOut0),
		asm.Return(),
	)
	return insns, nil
}

// keepValue copies last to prev and reads the watched bytes into last (a
// read that faults leaves zeros).
func keepValue(w Watched) asm.Instructions {
	if w.Len == 0 {
		return nil
	}
	n := w.rounded()
	var out asm.Instructions
	for off := 0; off < n; off += 8 {
		out = append(out,
			asm.LoadMem(asm.R1, asm.R7, int16(countsSize+n+off), asm.DWord),
			asm.StoreMem(asm.R7, int16(countsSize+off), asm.R1, asm.DWord))
	}
	return append(out,
		asm.Mov.Reg(asm.R1, asm.R7),
		asm.Add.Imm(asm.R1, int32(countsSize+n)),
		asm.Mov.Imm(asm.R2, int32(w.Len)),
		asm.LoadImm(asm.R3, int64(w.Addr), asm.DWord),
		asm.FnProbeReadUser.Call())
}

// fetchAdd is *(u64*)(dst+off) += src, src = the old value. cilium/ebpf
// v0.22 encodes the operation into the immediate from the instruction's
// Constant (its own encoding of the operation is lost on the way), so the
// instruction carries it there too.
func fetchAdd(dst, src asm.Register, off int16) asm.Instruction {
	ins := asm.FetchAdd.Mem(dst, src, asm.DWord, off)
	ins.Constant = int64(asm.FetchAdd >> 8) // BPF_ADD | BPF_FETCH
	return ins
}

// perThread counts the access in the threads map, by thread id, keeps
// its number (r8) there, and falls through.
func perThread() asm.Instructions {
	return asm.Instructions{
		asm.FnGetCurrentPidTgid.Call(),
		asm.StoreMem(asm.RFP, bufOff, asm.R0, asm.Word), // the thread id: the low half
		asm.LoadMapPtr(asm.R1, 0).WithReference(refThreads),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, bufOff),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "insert"),
		asm.Mov.Imm(asm.R1, 1),
		asm.AddAtomic.Mem(asm.R0, asm.R1, asm.DWord, threadAccesses),
		asm.StoreMem(asm.R0, threadLast, asm.R8, asm.DWord),
		asm.Ja.Label("counted"),
		// First access of the thread. Another CPU cannot race it: a
		// thread runs on one CPU at a time.
		asm.Mov.Imm(asm.R1, 1).WithSymbol("insert"),
		asm.StoreMem(asm.RFP, threadValOff+threadAccesses, asm.R1, asm.DWord),
		asm.StoreMem(asm.RFP, threadValOff+threadLast, asm.R8, asm.DWord),
		asm.LoadMapPtr(asm.R1, 0).WithReference(refThreads),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, bufOff),
		asm.Mov.Reg(asm.R3, asm.RFP),
		asm.Add.Imm(asm.R3, threadValOff),
		asm.Mov.Imm(asm.R4, 0), // BPF_ANY
		asm.FnMapUpdateElem.Call(),
		asm.Mov.Imm(asm.R0, 0).WithSymbol("counted"),
	}
}

// compiler emits a condition's instructions: each node's value goes to
// its stack slot.
type compiler struct {
	out    asm.Instructions
	labels int
	faults bool // a read that may fault, or a division, was emitted
}

func (c *compiler) emit(insns ...asm.Instruction) { c.out = append(c.out, insns...) }

func (c *compiler) label() string {
	c.labels++
	return fmt.Sprintf("l%d", c.labels)
}

func slot(k int) int16 { return int16(slot0Off - 8*k) }

// store puts r0 in slot k.
func (c *compiler) store(k int) { c.emit(asm.StoreMem(asm.RFP, slot(k), asm.R0, asm.DWord)) }

// load puts slot k in r.
func (c *compiler) load(r asm.Register, k int) { c.emit(asm.LoadMem(r, asm.RFP, slot(k), asm.DWord)) }

// boolean stores in slot k 1 when jump (which jumps to its label when
// the comparison holds) jumps, else 0.
func (c *compiler) boolean(k int, jump func(label string) asm.Instruction) {
	yes, done := c.label(), c.label()
	c.emit(jump(yes), asm.Mov.Imm(asm.R0, 0), asm.Ja.Label(done),
		asm.Mov.Imm(asm.R0, 1).WithSymbol(yes))
	c.emit(asm.StoreMem(asm.RFP, slot(k), asm.R0, asm.DWord).WithSymbol(done))
}

// gen puts n's value in slot k, using the slots above k.
func (c *compiler) gen(n expr.Low, k int) error {
	if k >= maxSlots {
		return fmt.Errorf("the condition is nested too deeply for a BPF program's stack")
	}
	switch n := n.(type) {
	case expr.LowConst:
		c.emit(asm.LoadImm(asm.R0, int64(n.V), asm.DWord))
		c.store(k)
	case expr.LowHits:
		c.emit(asm.Mov.Reg(asm.R0, asm.R8))
		c.store(k)
	case expr.LowLoad:
		if n.Size < 1 || n.Size > 8 {
			return fmt.Errorf("cannot read %d bytes at %#x", n.Size, n.Addr)
		}
		c.faults = true
		c.emit(
			asm.Mov.Imm(asm.R1, 0),
			asm.StoreMem(asm.RFP, bufOff, asm.R1, asm.DWord),
			asm.Mov.Reg(asm.R1, asm.RFP),
			asm.Add.Imm(asm.R1, bufOff),
			asm.Mov.Imm(asm.R2, int32(n.Size)),
			asm.LoadImm(asm.R3, int64(n.Addr), asm.DWord),
			asm.FnProbeReadUser.Call(),
			asm.JNE.Imm(asm.R0, 0, lblFault),
			asm.LoadMem(asm.R0, asm.RFP, bufOff, asm.DWord),
		)
		c.extend(n.Size, n.Signed)
		c.store(k)
	case expr.LowUnary:
		if err := c.gen(n.X, k); err != nil {
			return err
		}
		c.load(asm.R0, k)
		switch n.Op {
		case "!":
			c.boolean(k, func(l string) asm.Instruction { return asm.JEq.Imm(asm.R0, 0, l) })
		case "-":
			c.emit(asm.Neg.Imm(asm.R0, 0))
			c.store(k)
		default:
			return fmt.Errorf("unknown operator %q", n.Op)
		}
	case expr.LowTrunc:
		if n.Size < 1 || n.Size > 8 {
			return fmt.Errorf("cannot convert to %d bytes", n.Size)
		}
		if err := c.gen(n.X, k); err != nil {
			return err
		}
		c.load(asm.R0, k)
		c.extend(n.Size, n.Signed)
		c.store(k)
	case expr.LowBinary:
		return c.binary(n, k)
	default:
		return fmt.Errorf("cannot compile %T", n)
	}
	return nil
}

// extend widens the low size bytes of r0 to 64 bits.
func (c *compiler) extend(size int, signed bool) {
	if size >= 8 {
		return
	}
	shift := int32(64 - 8*size)
	c.emit(asm.LSh.Imm(asm.R0, shift))
	if signed {
		c.emit(asm.ArSh.Imm(asm.R0, shift))
	} else {
		c.emit(asm.RSh.Imm(asm.R0, shift))
	}
}

// jumps are the conditional jumps of the comparisons, signed and
// unsigned.
var jumps = map[string][2]asm.JumpOp{
	"==": {asm.JEq, asm.JEq},
	"!=": {asm.JNE, asm.JNE},
	"<":  {asm.JSLT, asm.JLT},
	"<=": {asm.JSLE, asm.JLE},
	">":  {asm.JSGT, asm.JGT},
	">=": {asm.JSGE, asm.JGE},
}

func (c *compiler) binary(n expr.LowBinary, k int) error {
	if err := c.gen(n.X, k); err != nil {
		return err
	}
	if n.Op == "&&" || n.Op == "||" {
		// Y only when X does not decide.
		decided := c.label()
		c.load(asm.R0, k)
		if n.Op == "&&" {
			c.emit(asm.JEq.Imm(asm.R0, 0, decided))
		} else {
			c.emit(asm.JNE.Imm(asm.R0, 0, decided))
		}
		if err := c.gen(n.Y, k); err != nil {
			return err
		}
		// Both paths: slot k holds the deciding operand; make it 0 or 1.
		c.emit(asm.LoadMem(asm.R0, asm.RFP, slot(k), asm.DWord).WithSymbol(decided))
		c.boolean(k, func(l string) asm.Instruction { return asm.JNE.Imm(asm.R0, 0, l) })
		return nil
	}
	if err := c.gen(n.Y, k+1); err != nil {
		return err
	}
	c.load(asm.R0, k)
	c.load(asm.R1, k+1)
	if j, ok := jumps[n.Op]; ok {
		op := j[0]
		if n.Unsigned {
			op = j[1]
		}
		c.boolean(k, func(l string) asm.Instruction { return op.Reg(asm.R0, asm.R1, l) })
		return nil
	}
	switch n.Op {
	case "&":
		c.emit(asm.And.Reg(asm.R0, asm.R1))
	case "+":
		c.emit(asm.Add.Reg(asm.R0, asm.R1))
	case "-":
		c.emit(asm.Sub.Reg(asm.R0, asm.R1))
	case "*":
		c.emit(asm.Mul.Reg(asm.R0, asm.R1))
	case "/", "%":
		c.divide(n.Op, n.Unsigned)
	default:
		return fmt.Errorf("unknown operator %q", n.Op)
	}
	c.store(k)
	return nil
}

// divide puts r0 / r1 or r0 % r1 in r0. A divisor of 0 faults (the
// debugger reports it). BPF divides unsigned only (signed division needs
// Linux 6.6): a signed one divides the magnitudes and gives the quotient
// the sign of a*b, the remainder that of a, as C does. The most negative
// number is its own magnitude, which unsigned division reads right.
func (c *compiler) divide(op string, unsigned bool) {
	c.faults = true
	c.emit(asm.JEq.Imm(asm.R1, 0, lblFault))
	alu := asm.Div
	if op == "%" {
		alu = asm.Mod
	}
	if unsigned {
		c.emit(alu.Reg(asm.R0, asm.R1))
		return
	}
	aPos, bPos, done := c.label(), c.label(), c.label()
	c.emit(
		asm.Mov.Imm(asm.R2, 0), // r2: a < 0
		asm.JSGE.Imm(asm.R0, 0, aPos),
		asm.Neg.Imm(asm.R0, 0),
		asm.Mov.Imm(asm.R2, 1),
		asm.Mov.Reg(asm.R3, asm.R2).WithSymbol(aPos), // r3: negate the result
		asm.JSGE.Imm(asm.R1, 0, bPos),
		asm.Neg.Imm(asm.R1, 0),
	)
	if op == "/" {
		c.emit(asm.Xor.Imm(asm.R3, 1))
	}
	c.emit(
		alu.Reg(asm.R0, asm.R1).WithSymbol(bPos),
		asm.JEq.Imm(asm.R3, 0, done),
		asm.Neg.Imm(asm.R0, 0),
		asm.Mov.Reg(asm.R0, asm.R0).WithSymbol(done),
	)
}
