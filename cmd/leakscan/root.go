package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// streams is everything a command touches outside the process, so tests
// run commands with buffers and no files or terminal.
type streams struct {
	In         io.Reader
	Out, Err   io.Writer
	InTerminal bool // In is a terminal: nothing was piped in
	Terminal   bool // Out is a terminal
	// Columns is Out's width when it is a terminal, else 0.
	Columns int
	// ErrTerminal is set when Err is a terminal: progress is redrawn
	// in place there.
	ErrTerminal bool
	Getenv      func(string) string
}

// Exit statuses, documented in the README.
const (
	exitOK    = 0 // success; with a gate, no limit crossed
	exitGate  = 1 // a gate's limit was crossed
	exitInput = 2 // bad usage or unreadable input
)

// gateError reports crossed limits; its lines are already written.
type gateError struct{ n int }

func (e *gateError) Error() string { return fmt.Sprintf("%d limits crossed", e.n) }

// run executes leakscan with args and returns the exit status. Once a
// signal has cancelled ctx (see supervise) it returns exitInterrupted,
// whatever the command did, and leaves the message to its caller.
func run(ctx context.Context, args []string, s *streams) int {
	root := newRootCmd(s)
	root.SetArgs(args)
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	c, err := root.ExecuteContextC(ctx)
	if interrupted(ctx) {
		return exitInterrupted
	}
	if err == nil {
		return exitOK
	}
	var gate *gateError
	if errors.As(err, &gate) {
		return exitGate
	}
	msg := oneLine(err.Error())
	if _, ok := errors.AsType[*usageError](err); ok {
		msg = usageLine(c, err)
	}
	fmt.Fprintf(s.Err, "leakscan: %s\n", msg)
	return exitInput
}

// oneLine keeps an error message on one line, whatever it wraps.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func newRootCmd(s *streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "leakscan",
		Short: "Find goroutine leaks in goroutine dumps",
		Long: `leakscan reads goroutine dumps (files, stdin or a live /debug/pprof endpoint,
in every format Go writes), groups goroutines by the go statement that
started them, and tells which creation sites grow between snapshots.

Exit status: 0 success, 1 a --max-* limit was crossed, 2 bad usage or input,
130 interrupted (Ctrl-C or SIGTERM).`,
		Version:       versionString(),
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	// --version without cobra's -v: -v means verbose or version
	// depending on the tool, so leakscan gives it neither meaning.
	root.Flags().Bool("version", false, "print the version of leakscan")
	root.SetVersionTemplate(versionLine() + "\n")
	root.AddCommand(newTopCmd(s), newDiffCmd(s), newWatchCmd(s), newTrendCmd(s), newVersionCmd(s))
	root.AddCommand(newExporterCmd(s))
	oneFormOfUsage(root)
	return root
}
