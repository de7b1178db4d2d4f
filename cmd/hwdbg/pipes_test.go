package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"hwdbg/internal/fixture"
)

// chattyLines is how many lines testdata/chatty.c writes to its stdout.
const chattyLines = 3000

// chattyLine matches one of them.
var chattyLine = regexp.MustCompile(`(?m)^\{"event":"chatty","line":\d+\} & <not JSON> line \d+$`)

// jsonOnly checks that every line of out is a JSON object, as json and jq
// (where installed) read it, and returns them.
func jsonOnly(t *testing.T, out string) []map[string]any {
	t.Helper()
	var objs []map[string]any
	for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("stdout line %d is not JSON (%v): %q", i+1, err, line)
		}
		objs = append(objs, obj)
	}
	if jq, err := exec.LookPath("jq"); err == nil {
		cmd := exec.Command(jq, "-c", ".")
		cmd.Stdin = strings.NewReader(out)
		got, err := cmd.Output()
		if err != nil {
			t.Fatalf("jq . on hwdbg's stdout: %v", err)
		}
		if n := bytes.Count(got, []byte("\n")); n != len(objs) {
			t.Errorf("jq read %d objects, want %d", n, len(objs))
		}
	} else {
		t.Logf("no jq here: stdout checked with encoding/json only")
	}
	return objs
}

// chattyScript stops at bump, steps one instruction (a stop event), then
// prints, and runs to the end through bump's two other calls: 3 breakpoint
// stops and the exit. It needs no trap, so the tests of where the
// program's output goes run natively everywhere.
const chattyScript = "break bump\ncontinue\nstepi\nprint &counter\nprint label\ncontinue\ncontinue\ncontinue\n"

// TestPipesJSONProgramOutput: with --json on a pipe (hwdbg --json ... |
// jq .), a program that writes thousands of lines to its own stdout, some
// of them like JSON, leaves the JSON stream alone: every stdout line is an
// event, and the program's output is on hwdbg's stderr, whole.
func TestPipesJSONProgramOutput(t *testing.T) {
	bin := fixture.C(t, "chatty", fixture.PIE)
	r := hwdbg(t, chattyScript, bin)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	objs := jsonOnly(t, r.stdout)
	if len(objs) != len(r.events) || len(r.text) != 0 {
		t.Fatalf("stdout has lines that are not events: %q", r.text)
	}
	if n := len(chattyLine.FindAllString(r.stderr, -1)); n != chattyLines {
		t.Errorf("stderr has %d of the program's %d stdout lines", n, chattyLines)
	}
	if !strings.Contains(r.stderr, "chatty: done, counter = 5997") {
		t.Errorf("stderr lacks the program's stderr line:\n%.500s", r.stderr)
	}
	if len(r.byEvent("breakpoint")) != 3 || len(r.byEvent("stop")) != 1 || len(r.byEvent("exit")) != 1 {
		t.Errorf("want 3 breakpoint stops, a step's stop and the exit\n%s", strings.Join(eventLines(r), "\n"))
	}
}

func eventLines(r result) []string {
	var out []string
	for _, e := range r.events {
		b, _ := json.Marshal(e)
		out = append(out, string(b))
	}
	return out
}

// TestPipesStopEventsCarryLines: a breakpoint's and a step's events carry
// func, file and line.
func TestPipesStopEventsCarryLines(t *testing.T) {
	bin := fixture.C(t, "chatty", fixture.PIE)
	r := hwdbg(t, "break bump\ncontinue\nstepi\n", bin)
	bp, stops := r.byEvent("breakpoint"), r.byEvent("stop")
	if len(bp) != 1 || len(stops) != 1 {
		t.Fatalf("want a breakpoint and a stop\n%s", r)
	}
	line := lineOf(t, "chatty.c", "void bump(long by)")
	for _, e := range []map[string]any{bp[0], stops[0]} {
		if e["func"] != "bump" || e["file"] != "chatty.c" || e["line"] != float64(line) {
			t.Errorf("%s event: func %v file %v line %v, want bump chatty.c %d", e["event"], e["func"], e["file"], e["line"], line)
		}
	}
	if stops[0]["reason"] != "step" {
		t.Errorf("stop reason %v", stops[0]["reason"])
	}
}

// TestPipesJSONUnescaped: &, < and > stay as they are in JSON strings:
// an expression, a <symbol>, a C string, and the error of a launch.
func TestPipesJSONUnescaped(t *testing.T) {
	bin := fixture.C(t, "chatty", fixture.PIE)
	r := hwdbg(t, "start\nprint &counter\nprint label\n", bin)
	for _, esc := range []string{`\u0026`, `\u003c`, `\u003e`} {
		if strings.Contains(r.stdout, esc) {
			t.Errorf("stdout has %s:\n%s", esc, r.stdout)
		}
	}
	prints := r.results("print")
	if len(prints) != 2 {
		t.Fatalf("want 2 prints\n%s", r)
	}
	if !strings.Contains(r.stdout, `"expr":"&counter"`) || !regexp.MustCompile(`"value":"\(long( int)? \*\) 0x[0-9a-f]+ <counter>"`).MatchString(r.stdout) {
		t.Errorf("print &counter as written: %s", r.stdout)
	}
	if !strings.Contains(r.stdout, `a & b <c>`) {
		t.Errorf("print label as written: %s", r.stdout)
	}
	// The launch's error, written before any session.
	missing := filepath.Join(t.TempDir(), "a&b<c>")
	r = hwdbg(t, "", missing)
	if r.code != 1 || !strings.Contains(r.stdout, `a&b<c>`) || len(r.byEvent("error")) != 1 {
		t.Errorf("launch error: exit %d, stdout %q", r.code, r.stdout)
	}
}

// TestPipesProgramOutputFile: --program-output FILE takes the program's
// stdout and stderr; hwdbg's stdout is JSON only and its stderr has none
// of the program's lines.
func TestPipesProgramOutputFile(t *testing.T) {
	bin := fixture.C(t, "chatty", fixture.PIE)
	out := filepath.Join(t.TempDir(), "program.out")
	r := hwdbg(t, chattyScript, "--program-output", out, bin)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	jsonOnly(t, r.stdout)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(chattyLine.FindAllString(string(b), -1)); n != chattyLines || !strings.Contains(string(b), "chatty: done") {
		t.Errorf("%s has %d of %d lines and the stderr line? %q", out, n, chattyLines, string(b[max(0, len(b)-100):]))
	}
	if strings.Contains(r.stderr, "chatty") {
		t.Errorf("hwdbg's stderr has the program's output: %.300s", r.stderr)
	}
	// In text mode too.
	text := runScript(t, "continue\n", "-q", "--program-output", out, bin)
	if b, _ := os.ReadFile(out); text.code != 0 || len(chattyLine.FindAllString(string(b), -1)) != chattyLines || len(chattyLine.FindAllString(text.stdout, -1)) != 0 {
		t.Errorf("text mode: exit %d, program output on stdout:\n%.300s", text.code, text.stdout)
	}
}

// TestPipesTextModeKeepsOutput: without --json the program writes on
// hwdbg's stdout, as under gdb.
func TestPipesTextModeKeepsOutput(t *testing.T) {
	bin := fixture.C(t, "chatty", fixture.PIE)
	r := runScript(t, "continue\n", "-q", bin)
	if n := len(chattyLine.FindAllString(r.stdout, -1)); r.code != 0 || n != chattyLines {
		t.Errorf("exit %d, %d program lines on stdout", r.code, n)
	}
}

// TestPipesTTY: --tty PATH puts the program's input, output and error on
// a terminal; hwdbg's stdout stays JSON.
func TestPipesTTY(t *testing.T) {
	bin := fixture.C(t, "chatty", fixture.PIE)
	master, slave := openPTY(t)
	defer master.Close()
	var mu sync.Mutex
	var screen bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 64*1024)
		for {
			n, err := master.Read(buf)
			mu.Lock()
			screen.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	r := hwdbg(t, "continue\n", "--tty", slave.Name(), bin)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	jsonOnly(t, r.stdout)
	want := chattyLines
	deadline := time.Now().Add(10 * time.Second)
	var n int
	for time.Now().Before(deadline) {
		mu.Lock()
		n = len(regexp.MustCompile(`\{"event":"chatty","line":\d+\} & <not JSON> line \d+\r?\n`).FindAllString(screen.String(), -1))
		mu.Unlock()
		if n == want {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n != want || strings.Contains(r.stderr, "chatty") {
		t.Errorf("the terminal shows %d of %d lines; hwdbg's stderr: %.200s", n, want, r.stderr)
	}
	slave.Close()
}

// TestPipesOptionRefusals: the program's channel is for a program hwdbg
// starts, one way at a time, and must open; a refusal is one line, exit 2,
// before anything starts.
func TestPipesOptionRefusals(t *testing.T) {
	bin := fixture.C(t, "chatty", fixture.PIE)
	out := filepath.Join(t.TempDir(), "out")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"attach", []string{"--tty", "/dev/null", "-p", "1"}, "for a program hwdbg starts"},
		{"both", []string{"--tty", "/dev/null", "--program-output", out, bin}, "not both"},
		{"no tty", []string{"--tty", "/nonexistent/tty", bin}, "--tty /nonexistent/tty: no such file or directory"},
		{"unwritable", []string{"--program-output", "/nonexistent/dir/out", bin}, "--program-output /nonexistent/dir/out: no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runScript(t, "", append([]string{"-q"}, tc.args...)...)
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if r.code != 2 || len(lines) != 1 || !strings.Contains(lines[0], tc.want) || r.stdout != "" {
				t.Errorf("exit %d, stderr %q, stdout %q; want exit 2 and one line with %q", r.code, r.stderr, r.stdout, tc.want)
			}
		})
	}
}

// TestPipesHitReportInJSON: the watchpoint event carries what the text
// report shows: the object a nameless library function is in (libc.so.6,
// with no separate debug file to name its internal functions), the
// function and offset otherwise, the instruction, and whether it was
// guessed.
func TestPipesHitReportInJSON(t *testing.T) {
	needTraps(t)
	noDebug := []string{"HOME=" + testHome, "HWDBG_DEBUG_FILE_DIRECTORY="}
	script := "start\nwatch -w buf\ncontinue\ncontinue\ncontinue\n"
	bin := fixture.C(t, "fmt", fixture.PIE)
	js := runScriptEnv(t, noDebug, script, "--json", "-q", bin)
	text := runScriptEnv(t, noDebug, script, "-q", bin)
	hits := js.byEvent("watchpoint")
	var by []string
	for _, l := range text.text {
		if strings.HasPrefix(l, "  by ") {
			by = append(by, l)
		}
	}
	if len(hits) == 0 || len(hits) != len(by) {
		t.Fatalf("%d JSON hits, %d text reports\n%s\n%s", len(hits), len(by), js, strings.Join(text.text, "\n"))
	}
	inLib := false
	for i, h := range hits {
		want := hitText(h)
		if got := regexp.MustCompile(`^  by 0x[0-9a-f]+`).ReplaceAllString(by[i], ""); got != want {
			t.Errorf("hit %d: text %q, JSON says %q", i+1, got, want)
		}
		inLib = inLib || (h["func"] == "" && h["object"] == "libc.so.6")
	}
	if runtime.GOARCH == "amd64" && !inLib {
		t.Errorf("no hit in a nameless function of libc.so.6 (snprintf's internals)\n%s", js)
	}

	// Code with no symbol and no call frame information: guessed where
	// the machine traps after the access (amd64), decoded at the pc where
	// it traps before (arm64).
	bin = fixture.C(t, "jit", fixture.PIE)
	script = "watch -w target\ncontinue\n"
	js = runScript(t, script, "--json", "-q", bin)
	text = runScript(t, script, "-q", bin)
	hits = js.byEvent("watchpoint")
	if len(hits) != 1 || hits[0]["new"] != "42" {
		t.Fatalf("want one hit writing 42\n%s", js)
	}
	if g := hits[0]["guessed"]; g != (runtime.GOARCH == "amd64") {
		t.Errorf("guessed %v on %s", g, runtime.GOARCH)
	}
	var line string
	for _, l := range text.text {
		if strings.HasPrefix(l, "  by ") {
			line = l
		}
	}
	if got, want := regexp.MustCompile(`^  by 0x[0-9a-f]+`).ReplaceAllString(line, ""), hitText(hits[0]); got != want {
		t.Errorf("text %q, JSON says %q", got, want)
	}
}

// hitText is the hit report's "by" line, after its address, as the JSON
// event's keys describe it.
func hitText(h map[string]any) string {
	s := ""
	switch {
	case h["func"] != "":
		s = " " + h["func"].(string)
		if off := h["offset"].(float64); off != 0 {
			s += "+" + jsonNum(off)
		}
	case h["object"] != "":
		s = " in " + h["object"].(string)
	}
	if h["file"] != "" {
		s += " (" + h["file"].(string) + ":" + jsonNum(h["line"].(float64)) + ")"
	}
	s += ": " + h["insn"].(string)
	if h["guessed"] == true {
		s += " (guessed: no symbol to decode from)"
	}
	return s
}

func jsonNum(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

// lockedBuffer is a bytes.Buffer a process writes while a test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestPipesPromptOnTerminalJSONOnPipe: typed at a terminal with the JSON
// going down a pipe (hwdbg --json PROGRAM | jq .), the prompt and
// delete's question go to stderr, and stdout is JSON only.
func TestPipesPromptOnTerminalJSONOnPipe(t *testing.T) {
	bin := fixture.C(t, "bank", fixture.PIE)
	master, slave := openPTY(t)
	defer master.Close()
	go func() { // the terminal's echo
		buf := make([]byte, 4096)
		for {
			if _, err := master.Read(buf); err != nil {
				return
			}
		}
	}()
	cmd := exec.Command(hwdbgBin, "--json", bin)
	cmd.Env = append(os.Environ(), "HOME="+testHome)
	var stdout, stderr lockedBuffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	defer cmd.Process.Kill()
	await := func(want string, n int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if strings.Count(stderr.String(), want) >= n {
				return
			}
		}
		t.Fatalf("no %q on stderr (%d times):\n%s\nstdout:\n%s", want, n, stderr.String(), stdout.String())
	}
	await("(hwdbg) ", 1)
	master.Write([]byte("break withdraw\n"))
	await("(hwdbg) ", 2)
	master.Write([]byte("delete\n"))
	await("Delete all watchpoints and breakpoints? (y or n) ", 1)
	master.Write([]byte("y\n"))
	await("(hwdbg) ", 3)
	master.Write([]byte("info watchpoints\nquit\n"))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("hwdbg: %v\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("hwdbg did not quit:\n%s", stderr.String())
	}
	objs := jsonOnly(t, stdout.String())
	if len(objs) != 3 || objs[0]["command"] != "break" || objs[1]["command"] != "delete" ||
		fmt.Sprint(objs[2]["watchpoints"]) != "[]" {
		t.Errorf("stdout:\n%s", stdout.String())
	}
}
