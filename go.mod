module hwdbg

go 1.26.8

require (
	github.com/cilium/ebpf v0.22.0
	github.com/go-delve/liner v1.2.2-1
	github.com/google/pprof v0.0.0-20261105003125-4bf881d7fb0b
	github.com/ianlancetaylor/demangle v0.0.0-20260724033716-83e58baca724
	golang.org/x/arch v0.32.0
	golang.org/x/sys v0.49.0
)

require github.com/mattn/go-runewidth v0.0.3 // indirect
