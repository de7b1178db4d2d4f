// Package readme checks what the README tells a user to type. Its tests
// need no debug-register trap, so they always run on this machine, never
// in an emulated kernel (where compiling the module takes minutes).
package readme

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"hwdbg/internal/fixture"
)

// TestGoInstall: the install command README gives works: from the
// checkout, into GOBIN, a hwdbg that runs and says its version.
func TestGoInstall(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("needs the go command (a prebuilt test binary runs without it): %v", err)
	}
	root := fixture.Root()
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("`(go install [^`]+)`").FindStringSubmatch(string(readme))
	if m == nil {
		t.Fatal("README gives no `go install ...` command")
	}
	gomod, _ := os.ReadFile(filepath.Join(root, "go.mod"))
	module := regexp.MustCompile(`(?m)^module (\S+)`).FindStringSubmatch(string(gomod))
	target := strings.Fields(m[1])[2]
	if module == nil || !(strings.HasPrefix(target, "./") || strings.HasPrefix(target, module[1]+"/")) {
		t.Fatalf("README installs %s, which is not in module %v", target, module)
	}
	gobin := t.TempDir()
	cmd := exec.Command(goCmd, strings.Fields(m[1])[1:]...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOBIN="+gobin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", m[1], err, out)
	}
	main, err := os.ReadFile(filepath.Join(root, "cmd", "hwdbg", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`(?m)^const version = "([^"]+)"`).FindSubmatch(main)
	out, err := exec.Command(filepath.Join(gobin, "hwdbg"), "--version").Output()
	if err != nil || want == nil || strings.TrimSpace(string(out)) != string(want[1]) {
		t.Errorf("the installed hwdbg --version: %q, %v; want %q", out, err, want)
	}
}
