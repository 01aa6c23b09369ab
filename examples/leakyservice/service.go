package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// timescale multiplies every period of the service: the constants in this
// package are the real service's, and each goes through of() before use.
type timescale float64

// Bounds of -scale: below 0.01 the handlers' millisecond sleeps vanish
// into scheduling noise; above 10 a leak period lasts five minutes.
const (
	minScale = 0.01
	maxScale = 10.0
)

func (s timescale) of(d time.Duration) time.Duration {
	return time.Duration(float64(d) * float64(s))
}

// idleTimeout is how long the server keeps an idle connection.
const idleTimeout = 20 * time.Second

// service is the whole application: its parts, and the wait group of
// every goroutine meant to end (the designed leaks are not in it).
type service struct {
	scale     timescale
	healthMax int
	log       io.Writer
	dir       string // the monitored files live here, removed at exit

	wg       sync.WaitGroup
	cancel   context.CancelFunc
	monitor  *FileMonitor
	pool     *renderPool
	cache    *tenantCache
	quotes   *quoter
	searches *searcher
	load     *loadGen
	batch    *compactor
	reporter *statusReporter

	unhealthy atomic.Bool // so the first failing check is logged once
}

// newService builds the parts; baseURL is where the service listens, for
// the parts that call it (the load generator and the status reporter).
func newService(opts options, baseURL string, log io.Writer) (*service, error) {
	dir, err := os.MkdirTemp("", "leakyservice-")
	if err != nil {
		return nil, fmt.Errorf("monitored files: %w", err)
	}
	monitor, err := newFileMonitor(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &service{scale: opts.scale, healthMax: opts.healthMax, log: log, dir: dir, monitor: monitor}
	s.cache = &tenantCache{scale: s.scale, wg: &s.wg, entries: map[string]*tenantEntry{}}
	s.quotes = &quoter{scale: s.scale}
	s.searches = &searcher{scale: s.scale}
	s.load = newLoadGen(baseURL, s.scale)
	s.batch = &compactor{scale: s.scale}
	s.reporter = newStatusReporter(baseURL, s.scale, log)
	return s, nil
}

// routes are the service's endpoints: its API, the health check that the
// container's supervisor polls, and the profiles.
func (s *service) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/quote", s.handleQuote)
	mux.HandleFunc("GET /api/search", s.searches.handleSearch)
	mux.HandleFunc("POST /api/report", handleReport)
	mux.HandleFunc("GET /healthz", s.handleHealth)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// start starts the background parts; each ends with ctx.
func (s *service) start(ctx context.Context) {
	ctx, s.cancel = context.WithCancel(ctx)
	s.cache.ctx = ctx
	s.pool = startRenderPool(ctx, &s.wg, renderWorkers)
	s.wg.Add(4)
	go s.monitor.run(ctx, &s.wg, s.scale.of(pollEvery))
	go s.load.run(ctx, &s.wg)
	go s.batch.run(ctx, &s.wg)
	go s.reporter.run(ctx, &s.wg)
}

// stop ends everything start started and waits for it: the server first,
// so that no handler starts a goroutine while the rest is waited for.
func (s *service) stop(srv *http.Server) {
	if s.cancel != nil {
		s.cancel()
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		fmt.Fprintf(s.log, "leakyservice: shutdown: %v\n", err)
	}
	s.wg.Wait()
}

func (s *service) removeFiles() { os.RemoveAll(s.dir) }

// handleHealth is the check the seed's container fails: healthy while the
// process has at most healthMax goroutines. The body says the count.
func (s *service) handleHealth(w http.ResponseWriter, r *http.Request) {
	n := runtime.NumGoroutine()
	if n > s.healthMax {
		if !s.unhealthy.Swap(true) {
			fmt.Fprintf(s.log, "leakyservice: /healthz failing: %d goroutines > %d\n", n, s.healthMax)
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "unhealthy: %d goroutines (limit %d)\n", n, s.healthMax)
		return
	}
	fmt.Fprintf(w, "ok: %d goroutines (limit %d)\n", n, s.healthMax)
}
