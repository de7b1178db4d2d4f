package repl

import "strings"

// The commands that end the session, and help.

func (s *Session) detach(Command) (Result, error) {
	if err := s.d.Detach(); err != nil {
		return nil, err
	}
	s.done = true
	return detached{Pid: s.d.Pid()}, errQuit
}

func (s *Session) kill(Command) (Result, error) {
	s.d.Kill()
	s.done = true
	return killed{Pid: s.d.Pid()}, errQuit
}

func (s *Session) quit(Command) (Result, error) {
	s.Close()
	return nil, errQuit
}

func (s *Session) help(cmd Command) (Result, error) {
	if len(cmd.Args) > 0 {
		name := strings.Join(cmd.Args, " ")
		if a, ok := aliases[name]; ok {
			name = a
		}
		if sub, ok := infoSubs[strings.TrimPrefix(name, "info ")]; ok && strings.HasPrefix(name, "info ") {
			name = sub
		}
		c, ok := lookupCommand(name)
		if !ok {
			if group := helpGroup(name); len(group.Entries) > 0 {
				return group, nil // help info: every info subcommand
			}
			return nil, unknownCommand(name)
		}
		return helpEntry{Usage: c.usage, Help: c.help}, nil
	}
	res := helpList{Names: CommandNames()}
	for _, c := range commands {
		res.Entries = append(res.Entries, helpEntry{Usage: c.usage, Help: c.help})
	}
	return res, nil
}

// helpGroup is the commands that start with the word prefix (info, set),
// each with its help.
func helpGroup(prefix string) helpList {
	res := helpList{Group: true}
	for _, c := range commands {
		if strings.HasPrefix(c.name, prefix+" ") {
			res.Entries = append(res.Entries, helpEntry{Usage: c.usage, Help: c.help})
			res.Names = append(res.Names, c.name)
		}
	}
	return res
}
