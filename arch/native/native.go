// Package native gives the backend of the machine hwdbg itself runs on
// (linux/amd64 or linux/arm64), for the debugger and the probes.
package native
