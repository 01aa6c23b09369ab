package exporter

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/leakscan/leakscan/internal/fetch"
)

// Options tune an Exporter. Zero fields take the documented defaults.
type Options struct {
	// MaxConcurrent bounds the probes that fetch and parse at once; 0
	// means DefaultMaxConcurrent.
	MaxConcurrent int
	// MaxQueue bounds the probes waiting for one of those slots, each
	// until its deadline; beyond it a probe fails at once. 0 means four
	// times MaxConcurrent.
	MaxQueue int
	// MaxSites bounds the creation sites of one target that get series
	// of their own, the biggest first; the others are summed into one
	// series with creator="(other)". 0 means DefaultMaxSites.
	MaxSites int
	// Sampling chooses the profile fetched (see Sampling); "" means
	// SamplingAuto. A Config entry may override it per target.
	Sampling Sampling
	// FullMaxGoroutines is the largest target that SamplingAuto dumps in
	// full; 0 means DefaultFullMaxGoroutines, a negative value none.
	FullMaxGoroutines int
	// Timeout is a probe's deadline when the request does not carry
	// Prometheus's X-Prometheus-Scrape-Timeout-Seconds (curl, a
	// browser); 0 means DefaultTimeout.
	Timeout time.Duration
	// TimeoutOffset is taken off Prometheus's scrape timeout so that the
	// answer, even a failed probe's, arrives before Prometheus gives up;
	// 0 means DefaultTimeoutOffset, a negative value none.
	TimeoutOffset time.Duration
	// MaxBytes bounds one response of a target after decompression; 0
	// means DefaultMaxBytes.
	MaxBytes int64
	// Spawners name functions of the programs probed that start
	// goroutines for their callers (see diff.Filter.Spawners).
	Spawners []*regexp.Regexp
	// Config holds per-target headers and sampling; nil means none.
	Config *Config
	// RootCAs, when set, are the only certificate authorities trusted
	// for https targets.
	RootCAs *x509.CertPool
	// Log receives a line per failed probe; nil means none.
	Log *slog.Logger
	// Client, when set, makes the requests to targets (tests use it).
	Client *http.Client
}

// Defaults of the zero Options.
const (
	DefaultMaxConcurrent = 8
	DefaultMaxSites      = 100
	// DefaultFullMaxGoroutines keeps the stall of a debug=2 dump, which
	// stops the target for the whole rendering (about 50 µs per
	// goroutine measured on 2 cores), near 0.1 s.
	DefaultFullMaxGoroutines = 2000
	DefaultTimeout           = 10 * time.Second
	DefaultTimeoutOffset     = 500 * time.Millisecond
	// DefaultMaxBytes is where the runtime itself cuts a debug=2 dump.
	DefaultMaxBytes = 64 << 20
)

// Outcomes of a probe, the label of leakscan_exporter_probes_total.
const (
	outcomeSuccess      = "success"
	outcomeError        = "error"         // the target failed, or its answer is no goroutine profile
	outcomeTimeout      = "timeout"       // the deadline ran out while fetching
	outcomeQueueFull    = "queue_full"    // too many probes waiting already
	outcomeQueueTimeout = "queue_timeout" // the deadline ran out while waiting for a slot
	outcomeCanceled     = "canceled"      // Prometheus went away, or the exporter is stopping
	outcomeBadRequest   = "bad_request"   // no target, a target that is no endpoint, a bad parameter
)

var outcomes = []string{outcomeSuccess, outcomeError, outcomeTimeout, outcomeQueueFull,
	outcomeQueueTimeout, outcomeCanceled, outcomeBadRequest}

// Exporter serves /probe and its own /metrics. It keeps no state between
// probes but its own counters.
type Exporter struct {
	opts    Options
	limit   *limiter
	own     *prometheus.Registry
	probes  *prometheus.CounterVec
	elapsed prometheus.Histogram
}

// New returns an Exporter with opts.
func New(opts Options) *Exporter {
	if opts.MaxConcurrent <= 0 {
		opts.MaxConcurrent = DefaultMaxConcurrent
	}
	if opts.MaxQueue <= 0 {
		opts.MaxQueue = 4 * opts.MaxConcurrent
	}
	if opts.MaxSites <= 0 {
		opts.MaxSites = DefaultMaxSites
	}
	if opts.Sampling == "" {
		opts.Sampling = SamplingAuto
	}
	if opts.FullMaxGoroutines == 0 {
		opts.FullMaxGoroutines = DefaultFullMaxGoroutines
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	switch {
	case opts.TimeoutOffset == 0:
		opts.TimeoutOffset = DefaultTimeoutOffset
	case opts.TimeoutOffset < 0:
		opts.TimeoutOffset = 0
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	e := &Exporter{opts: opts, limit: newLimiter(opts.MaxConcurrent, opts.MaxQueue), own: prometheus.NewRegistry()}
	e.probes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "leakscan_exporter_probes_total",
		Help: "Probes answered, by outcome: success, error, timeout, queue_full, queue_timeout, canceled, bad_request.",
	}, []string{"outcome"})
	for _, o := range outcomes {
		e.probes.WithLabelValues(o)
	}
	e.elapsed = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "leakscan_exporter_probe_duration_seconds",
		Help:    "How long probes took, waiting for a slot included.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	})
	e.own.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		e.probes, e.elapsed,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "leakscan_exporter_probes_running",
			Help: "Probes fetching or parsing now (at most --max-concurrent).",
		}, func() float64 { return float64(e.limit.running()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "leakscan_exporter_probes_waiting",
			Help: "Probes waiting for a slot now (at most --max-queue).",
		}, func() float64 { return float64(e.limit.waiting()) }),
	)
	return e
}

// Handler serves GET /probe, /metrics and an index at /.
func (e *Exporter) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /probe", e.serveProbe)
	mux.Handle("GET /metrics", promhttp.HandlerFor(e.own, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, index)
	})
	return mux
}

const index = `leakscan exporter

/probe?target=HOST:PORT[&profile=goroutine|goroutineleak]
    the target's goroutines per creation site, in the Prometheus exposition format
/metrics
    the exporter's own metrics
`

// serveProbe answers one probe: a registry of its own, a deadline from
// Prometheus's scrape timeout, leakscan_probe_success and
// leakscan_probe_duration_seconds whatever happens.
func (e *Exporter) serveProbe(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	q := r.URL.Query()
	p, err := e.plan(q.Get("target"), q.Get("profile"))
	if err == nil {
		p.timeout, err = e.timeout(r.Header)
	}
	if err != nil {
		e.probes.WithLabelValues(outcomeBadRequest).Inc()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), p.timeout)
	defer cancel()

	reg := prometheus.NewRegistry()
	success := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "leakscan_probe_success",
		Help: "1 when the target's goroutine profile was fetched and read, 0 otherwise.",
	})
	duration := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "leakscan_probe_duration_seconds",
		Help: "How long the probe took, waiting for a free slot included.",
	})
	reg.MustRegister(success, duration)

	outcome, err := e.run(ctx, p, reg)
	elapsed := time.Since(start)
	duration.Set(elapsed.Seconds())
	if outcome == outcomeSuccess {
		success.Set(1)
	} else {
		e.opts.Log.Warn("probe failed", "target", p.name, "outcome", outcome, "err", err)
	}
	e.probes.WithLabelValues(outcome).Inc()
	e.elapsed.Observe(elapsed.Seconds())
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(w, r)
}

// run waits for a slot and probes, filling reg; it returns the outcome
// and, for a failure, why.
func (e *Exporter) run(ctx context.Context, p *plan, reg *prometheus.Registry) (string, error) {
	release, err := e.limit.acquire(ctx)
	switch {
	case errors.Is(err, errQueueFull):
		return outcomeQueueFull, err
	case errors.Is(err, errQueueTimeout):
		return outcomeQueueTimeout, err
	case err != nil:
		return outcomeCanceled, err
	}
	defer release()
	sample, err := e.sample(ctx, p)
	switch {
	case err == nil:
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled):
		return outcomeCanceled, err
	case ctx.Err() != nil, errors.Is(err, fetch.ErrTimeout):
		return outcomeTimeout, err
	default:
		return outcomeError, err
	}
	sample.register(reg, e.opts.MaxSites)
	return outcomeSuccess, nil
}

// scrapeTimeoutHeader is how Prometheus says how long it waits for a
// scrape.
const scrapeTimeoutHeader = "X-Prometheus-Scrape-Timeout-Seconds"

// timeout is a probe's deadline: Prometheus's scrape timeout less
// TimeoutOffset (but never less than half of it), or Options.Timeout for
// a request without the header.
func (e *Exporter) timeout(h http.Header) (time.Duration, error) {
	v := h.Get(scrapeTimeoutHeader)
	if v == "" {
		return e.opts.Timeout, nil
	}
	secs, err := strconv.ParseFloat(v, 64)
	if err != nil || secs <= 0 || math.IsInf(secs, 0) || math.IsNaN(secs) {
		return 0, fmt.Errorf("%s: want a positive number of seconds, got %q", scrapeTimeoutHeader, v)
	}
	// A day is longer than any scrape; beyond, a Duration would overflow.
	d := time.Duration(min(secs, 86400) * float64(time.Second))
	return max(d-e.opts.TimeoutOffset, d/2), nil
}
