package main

import (
	"fmt"
	"io"
	"strings"

	"hwdbg/arch/native"
	"hwdbg/debugger"
	"hwdbg/probe"
	"hwdbg/repl"
)

// How many accesses the doctor's probes make: enough for a time per trap
// that means something, few enough to take milliseconds natively and a
// fraction of a second in an emulated kernel.
const (
	doctorTraps  = 200
	doctorWrites = 1000
)

const doctorUsage = `usage: hwdbg doctor [--json]
  what this machine lets hwdbg do: debug-register traps delivered or not,
  perf hardware breakpoints, BPF, the kernel engine (conditions judged in
  the kernel), slots, ptrace_scope, capabilities, kernel, virtualisation.
  Exit status 0 when all is usable, 1 when not.
`

// doctorReport is `hwdbg doctor --json`: one object.
type doctorReport struct {
	Usable bool `json:"usable"`
	Traps  struct {
		Delivered bool    `json:"delivered"`
		Seen      int     `json:"seen"`
		Expected  int     `json:"expected"`
		UsPerTrap float64 `json:"us_per_trap"`
		ProbeMs   float64 `json:"probe_ms"`
		Simulated bool    `json:"simulated,omitempty"`
		Error     string  `json:"error,omitempty"`
	} `json:"traps"`
	Perf struct {
		Counts   bool   `json:"counts"`
		Counted  int    `json:"counted"`
		Expected int    `json:"expected"`
		Error    string `json:"error,omitempty"`
	} `json:"perf"`
	BPF struct {
		Loads bool   `json:"loads"`
		Error string `json:"error,omitempty"`
	} `json:"bpf"`
	// KernelEngine: data watchpoints' conditions and ignore counts judged
	// in the kernel (a BPF program on a perf breakpoint), and why not.
	// Not needed for Usable: without it hwdbg judges them at each stop.
	KernelEngine struct {
		Usable bool   `json:"usable"`
		Error  string `json:"error,omitempty"`
	} `json:"kernel_engine"`
	// Arming: slots armed as perf events with sigtrap, which the kernel
	// removes if hwdbg is killed (arch/perfslots).
	Arming struct {
		Perf  bool   `json:"perf"`
		Error string `json:"error,omitempty"`
	} `json:"arming"`
	Slots        []string `json:"slots"`
	PtraceScope  int      `json:"ptrace_scope"`
	PerfParanoid int      `json:"perf_event_paranoid"`
	UnprivBPF    int      `json:"unprivileged_bpf_disabled"`
	UID          int      `json:"uid"`
	Caps         []string `json:"capabilities"`
	Kernel       string   `json:"kernel"`
	Arch         string   `json:"arch"`
	Hypervisor   bool     `json:"hypervisor"`
	Product      string   `json:"product"`
	Advice       []string `json:"advice"`
}

func doctor(args []string, stdout, stderr io.Writer) int {
	jsonOut := false
	for _, a := range args {
		switch a {
		case "--json", "-json":
			jsonOut = true
		case "-h", "--help":
			fmt.Fprint(stdout, doctorUsage)
			return repl.ExitOK
		default:
			fmt.Fprintf(stderr, "hwdbg doctor: unknown argument %q\n%s", a, doctorUsage)
			return repl.ExitUsage
		}
	}
	r := examine()
	if jsonOut {
		stdout.Write(repl.JSONLine(r))
	} else {
		r.write(stdout)
	}
	if !r.Usable {
		return repl.ExitFailed
	}
	return repl.ExitOK
}

// examine runs every probe and reads the system's facts.
func examine() *doctorReport {
	r := &doctorReport{}
	t, err := probe.Traps(native.New(), doctorTraps)
	r.Traps.Delivered, r.Traps.Seen, r.Traps.Expected = t.Delivered(), t.Seen, t.Expected
	r.Traps.UsPerTrap = float64(t.PerTrap.Nanoseconds()) / 1000
	r.Traps.ProbeMs = float64(t.Took.Microseconds()) / 1000
	r.Traps.Simulated = t.Simulated
	if err != nil {
		r.Traps.Error = err.Error()
	}
	for _, s := range t.Slots {
		r.Slots = append(r.Slots, s.Name)
	}
	p := probe.PerfBreakpoints(doctorWrites)
	r.Perf.Counts, r.Perf.Counted, r.Perf.Expected = p.Counts(), p.Counted, p.Expected
	if p.Err != nil {
		r.Perf.Error = p.Err.Error()
	}
	if err := probe.BPF(); err != nil {
		r.BPF.Error = err.Error()
	} else {
		r.BPF.Loads = true
	}
	r.KernelEngine.Error = debugger.KernelEngineProblem()
	r.KernelEngine.Usable = r.KernelEngine.Error == ""
	r.Arming.Error = debugger.PerfArmingProblem()
	r.Arming.Perf = r.Arming.Error == ""
	s := probe.ReadSystem()
	r.PtraceScope, r.PerfParanoid, r.UnprivBPF, r.UID, r.Caps = s.PtraceScope, s.PerfParanoid, s.UnprivilegedBPF, s.UID, s.Caps
	r.Kernel, r.Arch, r.Hypervisor, r.Product = s.Kernel, s.Arch, s.Hypervisor, s.Product
	r.Usable = r.Traps.Delivered && r.Perf.Counts && r.BPF.Loads
	r.Advice = r.advice()
	return r
}

// advice says what to do about each thing that is not usable.
func (r *doctorReport) advice() []string {
	var a []string
	if !r.Traps.Delivered {
		if r.Traps.Error != "" {
			a = append(a, "The trap probe failed ("+r.Traps.Error+"): hwdbg cannot debug here until that is fixed.")
		} else {
			a = append(a, "This machine accepts the debug registers but never delivers their traps: watchpoints and hardware "+
				"breakpoints are set but will never fire, and perf breakpoints count nothing. Run hwdbg on bare metal, or in a "+
				"virtual machine whose hypervisor passes debug exceptions through. hwdbg's own tests need no such machine: "+
				"make test runs them in an emulated kernel (scripts/amd64-vm).")
		}
	}
	if r.Traps.Delivered && !r.Perf.Counts {
		a = append(a, "Perf hardware breakpoints are not usable ("+r.perfWords()+"): `trace` and in-kernel conditions "+
			"will not work; watchpoints work through ptrace.")
	}
	if !r.BPF.Loads {
		a = append(a, "BPF programs cannot be loaded ("+r.BPF.Error+"): conditions are evaluated by hwdbg at each stop "+
			"instead of in the kernel. Run as root, or grant CAP_BPF and CAP_PERFMON.")
	}
	if r.PtraceScope >= 2 && r.UID != 0 && !r.hasCap("CAP_SYS_PTRACE") {
		a = append(a, fmt.Sprintf("kernel.yama.ptrace_scope is %d: attaching (hwdbg -p) needs CAP_SYS_PTRACE or root%s.",
			r.PtraceScope, map[bool]string{true: " and is disabled entirely at 3", false: ""}[r.PtraceScope == 2]))
	}
	return a
}

func (r *doctorReport) hasCap(name string) bool {
	for _, c := range r.Caps {
		if c == name {
			return true
		}
	}
	return false
}

func (r *doctorReport) perfWords() string {
	if r.Perf.Error != "" {
		return r.Perf.Error
	}
	return fmt.Sprintf("counted %d of %d writes", r.Perf.Counted, r.Perf.Expected)
}

func (r *doctorReport) write(w io.Writer) {
	row := func(k, format string, args ...any) { fmt.Fprintf(w, "  %-22s%s\n", k, fmt.Sprintf(format, args...)) }
	fmt.Fprintln(w, "hwdbg doctor: what this machine lets hwdbg do")
	fmt.Fprintln(w)
	seen := fmt.Sprintf("%d of %d traps", r.Traps.Seen, r.Traps.Expected)
	if r.Traps.UsPerTrap > 0 {
		seen += fmt.Sprintf(", %.1f µs each", r.Traps.UsPerTrap)
	}
	if r.Traps.Simulated {
		seen += " (simulated: " + probe.SimulateEnv + "=1)"
	}
	switch {
	case r.Traps.Error != "":
		row("debug-register traps", "UNKNOWN: %s", r.Traps.Error)
	case r.Traps.Delivered:
		row("debug-register traps", "delivered: %s, probe %.1f ms", seen, r.Traps.ProbeMs)
	default:
		row("debug-register traps", "NOT DELIVERED: %s; the CPU accepted the slot but never raised its trap", seen)
	}
	if r.Perf.Counts {
		row("perf breakpoints", "count: %d of %d writes", r.Perf.Counted, r.Perf.Expected)
	} else {
		row("perf breakpoints", "NOT USABLE: %s", r.perfWords())
	}
	if r.BPF.Loads {
		row("BPF programs", "may be loaded")
	} else {
		row("BPF programs", "NOT ALLOWED: %s", r.BPF.Error)
	}
	if r.KernelEngine.Usable {
		row("kernel engine", "usable: data watchpoints' conditions and ignore counts are judged in the kernel (BPF)")
	} else {
		row("kernel engine", "NOT USABLE: %s; hwdbg judges conditions at each stop", r.KernelEngine.Error)
	}
	row("slots", "%d: %s", len(r.Slots), strings.Join(r.Slots, " "))
	if r.Arming.Perf {
		row("armed as", "perf events owned by hwdbg in an attached program: it survives hwdbg's SIGKILL")
	} else {
		row("armed as", "ptrace debug registers (%s); in an attached program hwdbg's guardian clears them if hwdbg is killed", r.Arming.Error)
	}
	row("ptrace_scope", "%s", ptraceScopeWords(r.PtraceScope))
	row("perf_event_paranoid", "%s", sysctlWords(r.PerfParanoid))
	caps := strings.Join(r.Caps, " ")
	if caps == "" {
		caps = "none of CAP_SYS_PTRACE, CAP_SYS_ADMIN, CAP_PERFMON, CAP_BPF"
	}
	row("capabilities", "%s (uid %d)", caps, r.UID)
	row("kernel", "%s (%s)", r.Kernel, r.Arch)
	virt := "no hypervisor reported"
	if r.Hypervisor {
		virt = "the CPU reports a hypervisor"
	}
	if r.Product != "" {
		virt += "; firmware: " + r.Product
	}
	if !r.Traps.Delivered && r.Hypervisor {
		virt += " (a hypervisor that does not pass debug exceptions through is the usual cause)"
	}
	row("virtualisation", "%s", virt)
	fmt.Fprintln(w)
	if r.Usable && r.KernelEngine.Usable {
		fmt.Fprintln(w, "All usable: watchpoints, hardware breakpoints, tracing and in-kernel conditions work here.")
		return
	}
	if r.Usable {
		fmt.Fprintln(w, "Usable: watchpoints, hardware breakpoints and tracing work here; conditions are judged by hwdbg at each stop, not in the kernel ("+r.KernelEngine.Error+").")
		return
	}
	for _, a := range r.Advice {
		fmt.Fprintln(w, a)
	}
}

func ptraceScopeWords(v int) string {
	switch v {
	case -1:
		return "no Yama: any process of the same user may be attached"
	case 0:
		return "0: any process of the same user may be attached"
	case 1:
		return "1: attaching (hwdbg -p) needs to be the process's ancestor, or CAP_SYS_PTRACE"
	case 2:
		return "2: attaching needs CAP_SYS_PTRACE"
	case 3:
		return "3: attaching is disabled; programs hwdbg starts still work"
	}
	return fmt.Sprint(v)
}

func sysctlWords(v int) string {
	if v == -1 {
		return "unknown"
	}
	return fmt.Sprint(v)
}
