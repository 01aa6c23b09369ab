// Command leakscan finds goroutine leaks in goroutine dumps: it groups
// goroutines by the go statement that started them, compares snapshots,
// and gates CI on growth. See README.md for usage.
package main

import (
	"context"
	"os"
	"os/signal"

	"golang.org/x/term"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	widenPipe(os.Stdin)
	code := run(ctx, os.Args[1:], &streams{
		In:       os.Stdin,
		Out:      os.Stdout,
		Err:      os.Stderr,
		Terminal: term.IsTerminal(int(os.Stdout.Fd())),
		Getenv:   os.Getenv,
	})
	stop()
	os.Exit(code)
}
