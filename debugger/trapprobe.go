package debugger

import (
	"fmt"

	"hwdbg/probe"
)

// trapProbeWrites is how many writes the session's trap probe watches:
// enough to tell "never" from "sometimes", few enough to stay within a
// few milliseconds where traps work.
const trapProbeWrites = 8

// trapProbe is the outcome of the session's one trap probe.
type trapProbe struct {
	res probe.TrapResult
	err error
}

// TrapsDelivered runs the trap probe (probe.Traps) the first time it is
// called and returns its outcome then and after: whether this machine
// delivers debug-register traps, and in a few words what the probe saw.
// The probe runs on the tracer thread, between stops, so that its child
// is never reaped by the wait for the program's threads. An error means
// the probe itself failed; delivered is then true, so that no one is told
// their watchpoints will not fire on the word of a broken probe.
func (d *Debugger) TrapsDelivered() (delivered bool, seen string, err error) {
	if d.probed == nil {
		var p trapProbe
		d.proc.Do(func() { p.res, p.err = probe.Traps(d.arch, trapProbeWrites) })
		tracef("trap probe: %s, took %v, err %v", p.res, p.res.Took, p.err)
		d.probed = &p
	}
	if d.probed.err != nil {
		return true, "", fmt.Errorf("the debug-register trap probe failed: %w", d.probed.err)
	}
	return d.probed.res.Delivered(), d.probed.res.String(), nil
}
