package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer that a command abandoned by supervise may
// write to while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func testStreams() (*streams, *syncBuffer, *syncBuffer) {
	out, errOut := &syncBuffer{}, &syncBuffer{}
	return &streams{In: strings.NewReader(""), Out: out, Err: errOut, Getenv: func(string) string { return "" }}, out, errOut
}

// TestSuperviseNoSignal: without a signal, supervise is the command.
func TestSuperviseNoSignal(t *testing.T) {
	s, out, errOut := testStreams()
	code := supervise(t.Context(), make(chan os.Signal), time.Hour, s, func(ctx context.Context, s *streams) int {
		io.WriteString(s.Out, "report\n")
		io.WriteString(s.Err, "leakscan: a warning\n")
		return exitGate
	})
	if code != exitGate || out.String() != "report\n" || errOut.String() != "leakscan: a warning\n" {
		t.Errorf("supervise = %d, stdout %q, stderr %q; want %d and the command's output", code, out, errOut, exitGate)
	}
}

// TestSuperviseCooperative: the first signal cancels the command's
// context; a command that returns then may still print what it has, and
// "interrupted" is the last line. The grace period is an hour, so only
// the command's own return can end this test.
func TestSuperviseCooperative(t *testing.T) {
	s, out, errOut := testStreams()
	sigs := make(chan os.Signal, 1)
	sigs <- os.Interrupt
	code := supervise(t.Context(), sigs, time.Hour, s, func(ctx context.Context, s *streams) int {
		<-ctx.Done()
		if !interrupted(ctx) {
			t.Errorf("context cause %v, want errInterrupted", context.Cause(ctx))
		}
		io.WriteString(s.Out, "what was gathered\n")
		return exitOK
	})
	if code != exitInterrupted {
		t.Errorf("supervise = %d, want %d", code, exitInterrupted)
	}
	if out.String() != "what was gathered\n" || errOut.String() != "leakscan: interrupted\n" {
		t.Errorf("stdout %q, stderr %q; want the report and one line \"leakscan: interrupted\"", out, errOut)
	}
}

// stuckCommand blocks, as open(2) of a FIFO does, until the test ends, then
// writes to both streams; it returns a channel closed once it has.
func stuckCommand(t *testing.T) (func(context.Context, *streams) int, <-chan struct{}) {
	release, done := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(release); <-done })
	return func(ctx context.Context, s *streams) int {
		defer close(done)
		<-release
		io.WriteString(s.Out, "late report\n")
		io.WriteString(s.Err, "leakscan: late error\n")
		return exitInput
	}, done
}

// TestSuperviseGrace: a command that does not return within the grace
// period is left behind, and what it writes later is dropped.
func TestSuperviseGrace(t *testing.T) {
	s, out, errOut := testStreams()
	sigs := make(chan os.Signal, 1)
	sigs <- os.Interrupt
	cmd, _ := stuckCommand(t)
	const grace = 50 * time.Millisecond
	start := time.Now()
	code := supervise(t.Context(), sigs, grace, s, cmd)
	if elapsed := time.Since(start); code != exitInterrupted || elapsed < grace {
		t.Errorf("supervise = %d after %v, want %d after the grace period of %v", code, elapsed, exitInterrupted, grace)
	}
	if out.String() != "" || errOut.String() != "leakscan: interrupted\n" {
		t.Errorf("stdout %q, stderr %q; want nothing and \"leakscan: interrupted\"", out, errOut)
	}
}

// TestSuperviseSecondSignal: a second signal does not wait for the grace
// period (an hour here).
func TestSuperviseSecondSignal(t *testing.T) {
	s, _, errOut := testStreams()
	sigs := make(chan os.Signal, 2)
	sigs <- os.Interrupt
	sigs <- os.Interrupt
	cmd, _ := stuckCommand(t)
	if code := supervise(t.Context(), sigs, time.Hour, s, cmd); code != exitInterrupted {
		t.Errorf("supervise = %d, want %d", code, exitInterrupted)
	}
	if errOut.String() != "leakscan: interrupted\n" {
		t.Errorf("stderr %q, want one line \"leakscan: interrupted\"", errOut)
	}
}

// TestSuperviseDropsLateOutput: nothing follows "interrupted", even from
// a command that is still running.
func TestSuperviseDropsLateOutput(t *testing.T) {
	s, out, errOut := testStreams()
	sigs := make(chan os.Signal, 1)
	sigs <- os.Interrupt
	release := make(chan struct{})
	done := make(chan struct{})
	code := supervise(t.Context(), sigs, time.Millisecond, s, func(ctx context.Context, s *streams) int {
		defer close(done)
		<-release
		io.WriteString(s.Out, "late\n")
		io.WriteString(s.Err, "late\n")
		return exitOK
	})
	close(release)
	<-done
	if code != exitInterrupted || out.String() != "" || errOut.String() != "leakscan: interrupted\n" {
		t.Errorf("supervise = %d, stdout %q, stderr %q; want %d, nothing, \"leakscan: interrupted\"", code, out, errOut, exitInterrupted)
	}
}

// TestInterruptFetch: Ctrl-C during a fetch that hangs ends leakscan
// through its context, with one line and no error of the cancelled
// request.
func TestInterruptFetch(t *testing.T) {
	checkNoLeaks(t)
	arrived := make(chan struct{}, 1)
	srv := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-r.Context().Done()
	}))
	sigs := make(chan os.Signal, 1)
	go func() {
		<-arrived
		sigs <- os.Interrupt
	}()
	s, out, errOut := testStreams()
	code := supervise(t.Context(), sigs, time.Hour, s, func(ctx context.Context, s *streams) int {
		return run(ctx, []string{"top", srv.URL}, s)
	})
	if code != exitInterrupted || out.String() != "" || errOut.String() != "leakscan: interrupted\n" {
		t.Errorf("supervise = %d, stdout %q, stderr %q; want %d, nothing, \"leakscan: interrupted\"", code, out, errOut, exitInterrupted)
	}
}
