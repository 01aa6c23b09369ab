package main

// colorModes are the values of --color.
var colorModes = []string{"auto", "always", "never"}

// useColor decides whether a table is coloured. --color always and never
// decide alone. auto colours a terminal, and never one where NO_COLOR is
// set (no-color.org), CLICOLOR=0 or TERM=dumb; CLICOLOR_FORCE other than
// 0 colours whatever stdout is, for `leakscan … | less -R`. NO_COLOR
// wins over CLICOLOR_FORCE: it is the user's, the other often a CI's.
func useColor(mode string, s *streams) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	env := s.Getenv
	if env == nil {
		env = func(string) string { return "" }
	}
	if env("NO_COLOR") != "" {
		return false
	}
	if force := env("CLICOLOR_FORCE"); force != "" && force != "0" {
		return true
	}
	if env("CLICOLOR") == "0" || env("TERM") == "dumb" {
		return false
	}
	return s.Terminal
}
