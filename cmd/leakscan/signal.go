package main

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// exitInterrupted is the status after Ctrl-C or SIGTERM: 128 + SIGINT,
// as a shell reports a command that Ctrl-C ended.
const exitInterrupted = 130

// interruptGrace is how long a command may take to return once the first
// signal has cancelled its context. Code that watches its context returns
// well within it (and may print what it has, as watch prints its
// report); code blocked where no context reaches, in open(2) of a FIFO
// with no writer or read(2) of a terminal, is abandoned when it ends.
const interruptGrace = time.Second

// errInterrupted is the cause of a command's context once a signal has
// arrived.
var errInterrupted = errors.New("interrupted")

// interrupted reports whether ctx was cancelled by a signal.
func interrupted(ctx context.Context) bool {
	return errors.Is(context.Cause(ctx), errInterrupted)
}

// runWithSignals runs leakscan with args until it returns or SIGINT or
// SIGTERM ends it, and returns the exit status.
func runWithSignals(args []string, s *streams) int {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	return supervise(context.Background(), sigs, interruptGrace, s, func(ctx context.Context, s *streams) int {
		return run(ctx, args, s)
	})
}

// supervise runs cmd with a context that the first value on sigs
// cancels, with errInterrupted as its cause. It returns cmd's status
// when no signal comes. After one, it returns exitInterrupted and writes
// "leakscan: interrupted" on s.Err as its last line: once cmd has
// returned, or grace later if cmd has not, or at once on a second
// signal. A cmd still running then is left behind, and what it writes
// after the last line is dropped; the caller is to exit.
func supervise(parent context.Context, sigs <-chan os.Signal, grace time.Duration, s *streams, cmd func(context.Context, *streams) int) int {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	out, errOut := &gatedWriter{w: s.Out}, &gatedWriter{w: s.Err}
	cs := *s
	cs.Out, cs.Err = out, errOut
	done := make(chan int, 1)
	go func() { done <- cmd(ctx, &cs) }()

	select {
	case code := <-done:
		return code
	case <-sigs:
	}
	cancel(errInterrupted)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	case <-sigs:
	}
	// A command blocked writing to a full pipe holds its stream's lock:
	// the last line waits for it only so long.
	closed := make(chan struct{})
	go func() {
		errOut.closeWith("leakscan: interrupted\n")
		out.close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(lastLineWait):
	}
	return exitInterrupted
}

// lastLineWait bounds how long supervise waits to write its last line.
const lastLineWait = 100 * time.Millisecond

// gatedWriter passes writes on until it is closed, and drops them after,
// so that nothing follows the last line of an interrupted run.
type gatedWriter struct {
	mu     sync.Mutex
	w      io.Writer
	closed bool
}

func (g *gatedWriter) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return len(p), nil
	}
	return g.w.Write(p)
}

func (g *gatedWriter) close() { g.closeWith("") }

// closeWith writes last, then closes g.
func (g *gatedWriter) closeWith(last string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.closed && last != "" {
		io.WriteString(g.w, last)
	}
	g.closed = true
}
