package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"
)

const (
	// reportEvery is how often the status reporter posts.
	reportEvery = 10 * time.Second
	// maxReports bounds the leak: the reporter stops after that many
	// (about 43 minutes unscaled), having left twice as many goroutines.
	maxReports = 256
)

// statusReporter posts the service's status to a collector (here the
// service's own /api/report) every reportEvery, with a client of its own.
//
// THE LEAK IN THE STANDARD LIBRARY, because of user code: report reads
// the status code and never closes the response body. The transport can
// reuse a connection only once its body is read or closed, so every
// report dials a new connection, and each leaves two net/http goroutines
// behind, persistConn.readLoop (waiting for the body to be read) and
// writeLoop, both started by the go statements in
// net/http.(*Transport).dialConn: +1 each every 10 s. Their request
// context is the service's, so they end at shutdown. Verdict it deserves:
// leak (at net/http's go statements, caused by report).
type statusReporter struct {
	url    string
	scale  timescale
	log    io.Writer
	client *http.Client
}

func newStatusReporter(baseURL string, scale timescale, log io.Writer) *statusReporter {
	return &statusReporter{url: baseURL + "/api/report", scale: scale, log: log, client: &http.Client{Transport: &http.Transport{}}}
}

// run reports every reportEvery until ctx ends or maxReports are sent.
func (r *statusReporter) run(ctx context.Context, wg *sync.WaitGroup) {
	defer wg.Done()
	tick := time.NewTicker(r.scale.of(reportEvery))
	defer tick.Stop()
	for range maxReports {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		r.report(ctx)
	}
}

// report posts one status.
func (r *statusReporter) report(ctx context.Context) {
	status := fmt.Sprintf("goroutines=%d\n", runtime.NumGoroutine())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, strings.NewReader(status))
	if err != nil {
		return
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return
	}
	// The bug: resp.Body is never closed.
	if resp.StatusCode != http.StatusAccepted {
		fmt.Fprintf(io.Discard, "report: %s\n", resp.Status)
	}
}

// handleReport is the collector's side: it accepts a status and answers
// with a receipt (a body, which the reporter leaves unread).
func handleReport(w http.ResponseWriter, r *http.Request) {
	n, _ := io.Copy(io.Discard, io.LimitReader(r.Body, 1<<10))
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintf(w, "accepted %d bytes\n", n)
}
