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
	os.Exit(runWithSignals(os.Args[1:], &streams{
		In:          os.Stdin,
		Out:         os.Stdout,
		Err:         os.Stderr,
		InTerminal:  term.IsTerminal(int(os.Stdin.Fd())),
		Terminal:    term.IsTerminal(int(os.Stdout.Fd())),
		ErrTerminal: term.IsTerminal(int(os.Stderr.Fd())),
		Getenv:      os.Getenv,
	}))
}
