// Command init is PID 1 of the arm64 test VM (scripts/arm64-vm/boot packs
// it into the initramfs as /init). It mounts the usual file systems, runs
// the test binaries listed in /vm/plan one after another, prints after
// each the line `go test` prints for a package ("ok  \tPKG\t1.234s" or
// "FAIL\tPKG\t1.234s"), then "arm64-vm: exit N NONCE" (N = 0 when every
// package passed) and powers the VM off.
//
// /vm/plan has one package a line: PKG<TAB>DIR<TAB>PROGRAM[<TAB>ARG...];
// the program runs in DIR with /vm/env as its environment and stdin
// /dev/null. Only the standard library is used; it builds for any
// linux/GOARCH but is only useful as an init.
package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
)

func main() {
	mount("proc", "/proc", "proc", 0o555)
	mount("sysfs", "/sys", "sysfs", 0o555)
	mount("devtmpfs", "/dev", "devtmpfs", 0o755)
	mount("devpts", "/dev/pts", "devpts", 0o755)
	mount("tmpfs", "/dev/shm", "tmpfs", 0o1777)
	os.MkdirAll("/tmp", 0o1777)
	os.Chmod("/tmp", 0o1777)
	os.MkdirAll("/root", 0o700)

	nonce := strings.TrimSpace(read("/vm/nonce"))
	fmt.Printf("arm64-vm: start %s\n", nonce)
	code := runPlan()
	fmt.Printf("arm64-vm: exit %d %s\n", code, nonce)
	syscall.Sync()
	syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF)
	select {}
}

func read(name string) string {
	b, _ := os.ReadFile(name)
	return string(b)
}

func mount(src, dst, fstype string, mode os.FileMode) {
	os.MkdirAll(dst, mode)
	if err := syscall.Mount(src, dst, fstype, 0, ""); err != nil {
		fmt.Fprintf(os.Stderr, "arm64-vm: mount %s: %v\n", dst, err)
	}
}

func runPlan() int {
	env := strings.Split(strings.TrimSpace(read("/vm/env")), "\n")
	status := 0
	for _, line := range strings.Split(read("/vm/plan"), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 3 {
			continue
		}
		pkg, dir, argv := f[0], f[1], f[2:]
		start := time.Now()
		code := run(argv, env, dir)
		secs := time.Since(start).Seconds()
		if code == 0 {
			fmt.Printf("ok  \t%s\t%.3fs\n", pkg, secs)
		} else {
			fmt.Printf("FAIL\t%s\t%.3fs\n", pkg, secs)
			status = 1
		}
	}
	if status != 0 {
		fmt.Println("FAIL")
	}
	return status
}

func run(argv, env []string, dir string) int {
	devnull, _ := os.Open("/dev/null")
	p, err := os.StartProcess(argv[0], argv, &os.ProcAttr{
		Dir:   dir,
		Env:   env,
		Files: []*os.File{devnull, os.Stdout, os.Stderr},
	})
	if err != nil {
		fmt.Printf("arm64-vm: cannot run %s: %v\n", argv[0], err)
		return 126
	}
	st, err := p.Wait()
	if err != nil {
		fmt.Printf("arm64-vm: wait: %v\n", err)
		return 125
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		fmt.Printf("arm64-vm: %s killed by signal %d (%v)\n", argv[0], int(ws.Signal()), ws.Signal())
		return 128 + int(ws.Signal())
	}
	return st.ExitCode()
}
