// Command leakscan finds goroutine leaks in goroutine dumps: it groups
// goroutines by the go statement that started them, compares snapshots,
// and gates CI on growth. See README.md for usage.
package main

import (
	"os"

	"golang.org/x/term"
)

func main() {
	widenPipe(os.Stdin)
	terminal := term.IsTerminal(int(os.Stdout.Fd()))
	columns := 0
	if terminal {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil {
			columns = w
		}
	}
	os.Exit(runWithSignals(os.Args[1:], &streams{
		In:          os.Stdin,
		Out:         os.Stdout,
		Err:         os.Stderr,
		InTerminal:  term.IsTerminal(int(os.Stdin.Fd())),
		Terminal:    terminal,
		Columns:     columns,
		ErrTerminal: term.IsTerminal(int(os.Stderr.Fd())),
		Getenv:      os.Getenv,
	}))
}
