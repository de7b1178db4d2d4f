package repl

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// InitFile is the init file every session runs first, as gdb runs
// ~/.gdbinit: ~/.hwdbginit ("" without a home directory). A file in the
// current directory is not read: a directory one happens to be in must
// not run commands (gdb asks for an auto-load safe-path first).
func InitFile() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".hwdbginit")
}

// runInit runs the init file at path, one command a line, and tells
// whether the session goes on. No file is no init file. As in gdb, a
// failed command ends the file (with a warning that says where), not the
// session, and does not change the exit status; quit ends the session.
func (s *Session) runInit(path string) bool {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return true
	}
	if err != nil {
		s.out.warning(fmt.Sprintf("init file not run: %v (-nx skips it)", err))
		return true
	}
	for i, line := range strings.Split(string(b), "\n") {
		s.mu.Lock()
		err := s.Execute(line)
		done := s.done
		s.mu.Unlock()
		if err == errQuit || done {
			return false
		}
		if err != nil {
			s.out.warning(fmt.Sprintf("%s:%d: the init file stops at this error, the session goes on (-nx skips the file)", path, i+1))
			return true
		}
	}
	if s.block != nil {
		s.EndInput()
	}
	return true
}
