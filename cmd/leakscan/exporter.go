package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/leakscan/leakscan/internal/exporter"
)

type exporterOptions struct {
	listen        string
	maxConcurrent int
	maxQueue      int
	maxSites      int
	config        string
	sampling      string
	fullMax       int
	timeout       time.Duration
	timeoutOffset time.Duration
	maxBytes      string
	cacert        string
	spawner       []string
}

// exporterShutdownGrace bounds a graceful stop: probes in flight see the
// command's context cancelled and answer at once, well within it, and
// within the second a command has to return after Ctrl-C.
const exporterShutdownGrace = 500 * time.Millisecond

func newExporterCmd(s *streams) *cobra.Command {
	var opts exporterOptions
	c := &cobra.Command{
		Use:   "exporter",
		Short: "Serve services' goroutines per creation site to Prometheus, as a multi-target exporter",
		Long: `Exporter serves Prometheus in the multi-target exporter pattern, as
blackbox_exporter does: GET /probe?target=HOST:PORT fetches that service's
goroutine profile (any TARGET form of top; &profile=goroutineleak for the
runtime's leak profile) and answers with its goroutines per creation site:
leakscan_site_goroutines{creator,file,line,entry}, leakscan_goroutines,
leakscan_site_waiting_goroutines{min_wait="1m"|"10m"},
leakscan_site_leaked_goroutines, leakscan_probe_success and
leakscan_probe_duration_seconds. Benign goroutines are left out of the
site series and counted in leakscan_benign_goroutines{reason}. GET
/metrics has the exporter's own metrics. deploy/prometheus has the scrape
config, recording rules and the GoroutineLeak alert.

A probe's deadline is Prometheus's X-Prometheus-Scrape-Timeout-Seconds
less --timeout-offset (--timeout without it). At most --max-concurrent
probes run at once; --max-queue more wait for a slot until their deadline.

A debug=2 dump stops the target while it is written (about 50 µs per
goroutine on 2 cores): with --sampling auto, a cheap debug=1 profile is
fetched first, and the full dump only when the target has at most
--full-max-goroutines goroutines; larger targets get sites keyed by entry
function and no wait series. A target URL with a query of its own
(?debug=1) is fetched as it is, as top does.

Headers for targets (credentials) come from the --config file, never from
the URL: a target with user:password@ is refused. It serves until Ctrl-C
or SIGTERM, then stops gracefully.`,
		Example: `  leakscan exporter
  leakscan exporter --listen :9523 --max-concurrent 16 --config /etc/leakscan/exporter.yml
  curl 'localhost:9523/probe?target=localhost:6060'`,
		Args: exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			return runExporter(c.Context(), s, &opts)
		},
	}
	fl := c.Flags()
	fl.StringVar(&opts.listen, "listen", "127.0.0.1:9523", "`address` to serve /probe and /metrics on")
	fl.IntVar(&opts.maxConcurrent, "max-concurrent", exporter.DefaultMaxConcurrent, "probes that fetch and parse at once")
	fl.IntVar(&opts.maxQueue, "max-queue", 0, "probes that may wait for a free slot, each until its deadline (0: 4 × --max-concurrent)")
	fl.IntVar(&opts.maxSites, "max-sites", exporter.DefaultMaxSites, "creation sites per target with series of their own, biggest first; the rest are summed into creator=\"(other)\"")
	fl.StringVar(&opts.config, "config", "", "YAML `file` of per-target headers and sampling (see README: Fleet)")
	fl.StringVar(&opts.sampling, "sampling", string(exporter.SamplingAuto), "auto, full (always debug=2) or light (always debug=1)")
	fl.IntVar(&opts.fullMax, "full-max-goroutines", exporter.DefaultFullMaxGoroutines, "largest target --sampling auto dumps with debug=2 (about 50 µs of stall per goroutine)")
	fl.DurationVar(&opts.timeout, "timeout", exporter.DefaultTimeout, "a probe's deadline when the request has no X-Prometheus-Scrape-Timeout-Seconds")
	fl.DurationVar(&opts.timeoutOffset, "timeout-offset", exporter.DefaultTimeoutOffset, "taken off Prometheus's scrape timeout, so that an answer arrives in time")
	fl.StringVar(&opts.maxBytes, "max-bytes", "64MiB", "largest response of a target, counted after decompression")
	fl.StringVar(&opts.cacert, "cacert", "", "trust only the certificates of this PEM `file` for https targets")
	fl.StringArrayVar(&opts.spawner, "spawner", nil, "a function of the programs probed that starts goroutines for its callers (regexp, repeatable)")
	return c
}

func runExporter(ctx context.Context, s *streams, opts *exporterOptions) error {
	eo, err := opts.exporterOptions(s)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", opts.listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", opts.listen, unwrapListen(err))
	}
	srv := &http.Server{
		Handler:           exporter.New(eo).Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// Probes in flight end when the command's context does.
		BaseContext: func(net.Listener) context.Context { return ctx },
		ErrorLog:    slog.NewLogLogger(eo.Log.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(s.Out, "listening on http://%s\n", ln.Addr())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("--listen %s: %w", opts.listen, err)
	case <-ctx.Done():
	}
	stop, cancel := context.WithTimeout(context.Background(), exporterShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(stop); err != nil {
		srv.Close()
	}
	<-served
	return nil
}

// exporterOptions checks the flags and reads the files they name.
func (o *exporterOptions) exporterOptions(s *streams) (exporter.Options, error) {
	var eo exporter.Options
	switch {
	case o.maxConcurrent < 1:
		return eo, usagef("--max-concurrent must be at least 1, got %d", o.maxConcurrent)
	case o.maxQueue < 0:
		return eo, usagef("--max-queue must not be negative, got %d", o.maxQueue)
	case o.maxSites < 1:
		return eo, usagef("--max-sites must be at least 1, got %d", o.maxSites)
	case o.fullMax < 0:
		return eo, usagef("--full-max-goroutines must not be negative, got %d", o.fullMax)
	case o.timeout <= 0:
		return eo, usagef("--timeout must be positive, got %s", o.timeout)
	case o.timeoutOffset < 0:
		return eo, usagef("--timeout-offset must not be negative, got %s", o.timeoutOffset)
	}
	sampling, err := exporter.ParseSampling(o.sampling)
	if err != nil {
		return eo, usagef("--%w", err)
	}
	maxBytes, err := parseSize(o.maxBytes)
	if err != nil {
		return eo, usagef("--max-bytes: %w", err)
	}
	spawners, err := regexps("--spawner", o.spawner)
	if err != nil {
		return eo, err
	}
	eo = exporter.Options{
		MaxConcurrent: o.maxConcurrent, MaxQueue: o.maxQueue, MaxSites: o.maxSites,
		Sampling: sampling, FullMaxGoroutines: o.fullMax,
		Timeout: o.timeout, TimeoutOffset: o.timeoutOffset, MaxBytes: maxBytes,
		Spawners: spawners,
		Log:      slog.New(slog.NewTextHandler(s.Err, nil)),
	}
	// To the package, 0 means its default; on the command line, none.
	if o.fullMax == 0 {
		eo.FullMaxGoroutines = -1
	}
	if o.timeoutOffset == 0 {
		eo.TimeoutOffset = -1
	}
	if o.cacert != "" {
		if eo.RootCAs, err = readCACert(o.cacert); err != nil {
			return eo, err
		}
	}
	if o.config != "" {
		f, err := os.Open(o.config)
		if err != nil {
			return eo, fmt.Errorf("--config %s: %w", o.config, unwrapPath(err))
		}
		defer f.Close()
		if eo.Config, err = exporter.ReadConfig(f, o.config); err != nil {
			return eo, fmt.Errorf("--config %w", err)
		}
	}
	return eo, nil
}

// unwrapListen keeps the cause of a failed listen: "address already in
// use", not "listen tcp 127.0.0.1:9523: bind: address already in use".
func unwrapListen(err error) error {
	if oe, ok := errors.AsType[*net.OpError](err); ok {
		err = oe.Err
		if se, ok := errors.AsType[*os.SyscallError](err); ok {
			return se.Err
		}
	}
	return err
}
