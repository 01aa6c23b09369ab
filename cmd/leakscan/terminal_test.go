package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/pprof"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// The tests of this file give leakscan a terminal, which the scripts
// cannot: what it says there to a person waiting.

const tinyDump = "goroutine 1 [running]:\nmain.main()\n\t/app/main.go:5 +0x1d\n"

// TestStdinTerminal: top - with nothing piped in says on stderr that it
// waits for a dump and how to end it, before reading; with a pipe, it
// says nothing.
func TestStdinTerminal(t *testing.T) {
	for _, terminal := range []bool{true, false} {
		var out, errOut bytes.Buffer
		code := run(t.Context(), []string{"top", "-"}, &streams{
			In: strings.NewReader(tinyDump), Out: &out, Err: &errOut, InTerminal: terminal,
			Getenv: func(string) string { return "" },
		})
		if code != exitOK || !strings.Contains(out.String(), "1 goroutine") {
			t.Fatalf("stdin terminal=%v: exit %d, stdout %q; want 0 and the dump's table", terminal, code, out.String())
		}
		const want = "leakscan: waiting for a goroutine dump on stdin (paste it, then Ctrl-D; Ctrl-C to give up)\n"
		switch {
		case terminal && errOut.String() != want:
			t.Errorf("stdin a terminal: stderr %q, want %q", errOut.String(), want)
		case !terminal && errOut.Len() > 0:
			t.Errorf("stdin a pipe: stderr %q, want nothing", errOut.String())
		}
	}
}

// slowServer serves the goroutine profile after a delay, and its body in
// two halves a delay apart.
func slowServer(t *testing.T, delay time.Duration) string {
	profile := pprof.Handler("goroutine")
	srv := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body bytes.Buffer
		profile.ServeHTTP(&bodyWriter{w, &body}, r)
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		half := body.Len() / 2
		w.Write(body.Bytes()[:half])
		w.(http.Flusher).Flush()
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		w.Write(body.Bytes()[half:])
	}))
	return srv.URL + "/debug/pprof/goroutine?debug=2"
}

// bodyWriter keeps what a handler writes, and passes its headers on.
type bodyWriter struct {
	http.ResponseWriter
	body *bytes.Buffer
}

func (b *bodyWriter) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bodyWriter) WriteHeader(int)             {}

// terminalReader is the reader of a command run with stderr a terminal.
func terminalReader(t *testing.T, errOut *bytes.Buffer, args ...string) *reader {
	t.Helper()
	var f inputFlags
	c := &cobra.Command{}
	f.register(c)
	if err := c.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	r, err := f.reader(&streams{Err: errOut, ErrTerminal: true})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestFetchProgress: a fetch that takes longer than progressAfter draws
// its progress on a terminal, one line redrawn in place (waiting, then
// the bytes so far), and clears it when it ends; a quick one, or one
// with --verbose, draws nothing.
func TestFetchProgress(t *testing.T) {
	checkNoLeaks(t)
	url := slowServer(t, 300*time.Millisecond)

	var errOut bytes.Buffer
	r := terminalReader(t, &errOut)
	if r.progressAfter != progressAfter {
		t.Fatalf("stderr a terminal: progress after %s, want %s", r.progressAfter, progressAfter)
	}
	r.progressAfter = 50 * time.Millisecond
	if _, err := r.snapshot(t.Context(), url); err != nil {
		t.Fatal(err)
	}
	got := errOut.String()
	for _, want := range []string{
		"\r\x1b[Kleakscan: fetching " + url + ": no answer yet after ",
		"\r\x1b[Kleakscan: fetching " + url + ": ", // then the bytes so far
	} {
		if !strings.Contains(got, want) {
			t.Errorf("stderr %q lacks %q", got, want)
		}
	}
	if !strings.Contains(got, " KiB after ") && !strings.Contains(got, " bytes after ") {
		t.Errorf("stderr %q never says how much has arrived", got)
	}
	if !strings.HasSuffix(got, "\r\x1b[K") || strings.Contains(got, "\n") {
		t.Errorf("stderr %q: want one line redrawn in place, cleared at the end", got)
	}

	errOut.Reset()
	if _, err := terminalReader(t, &errOut).snapshot(t.Context(), pprofServer(t).URL+"/debug/pprof/goroutine?debug=2"); err != nil {
		t.Fatal(err)
	}
	if errOut.Len() > 0 {
		t.Errorf("a quick fetch: stderr %q, want nothing", errOut.String())
	}

	if r := terminalReader(t, &errOut, "--verbose"); r.progressAfter != 0 {
		t.Errorf("--verbose: progress after %s, want none (verbose says each step)", r.progressAfter)
	}
}

// TestFetchProgressInterrupted: a fetch cancelled mid-way clears its
// line, so that "leakscan: interrupted" gets a line of its own.
func TestFetchProgressInterrupted(t *testing.T) {
	checkNoLeaks(t)
	url := slowServer(t, time.Minute)
	var errOut bytes.Buffer
	r := terminalReader(t, &errOut)
	r.progressAfter = 10 * time.Millisecond
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	if _, err := r.snapshot(ctx, url); err == nil {
		t.Fatal("snapshot of a stalled endpoint: no error after its context ended")
	}
	got := errOut.String()
	if !strings.Contains(got, "leakscan: fetching ") || !strings.HasSuffix(got, "\r\x1b[K") {
		t.Errorf("stderr %q: want the progress line, cleared", got)
	}
}
