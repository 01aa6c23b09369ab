// Command leakyservice is the patient of leakscan's demo: a small HTTP
// service that reproduces the report leakscan was built for — "+16
// goroutines every 30 s, the health check fails, the container restarts
// every 4 minutes" — next to goroutines that look alarming and are fine,
// and two subtler leaks that a good tool must still catch.
//
// Every go statement in it is one designed behaviour, documented where it
// is, with the verdict it deserves (README.md lists them). Every period
// scales with -scale, so a test can run four minutes of the story in
// twenty-four seconds. It listens on loopback only.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// Exit statuses. exitRestart is what -restart-after ends with, distinct
// from a crash so that a supervisor (or a test) knows it was asked for.
const (
	exitOK      = 0
	exitError   = 1
	exitUsage   = 2
	exitRestart = 3
)

// shutdownGrace bounds how long a stop waits for requests in flight.
const shutdownGrace = 5 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// options are the command line's flags.
type options struct {
	addr         string
	addrFile     string
	scale        timescale
	restartAfter time.Duration
	healthMax    int
}

// parseFlags reads the command line. The error is one line, fit to print
// after "leakyservice: ".
func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("leakyservice", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8401", "loopback `host:port` to listen on (port 0 picks a free one)")
	fs.StringVar(&o.addrFile, "addr-file", "", "write the address listened on to this `file` (atomically; removed at exit)")
	scale := fs.Float64("scale", 1, "multiply every period by this `factor` (0.1: a leak every 3 s instead of 30 s)")
	fs.DurationVar(&o.restartAfter, "restart-after", 0, fmt.Sprintf("exit with status %d after this wall-clock `duration`, not scaled (0: never)", exitRestart))
	fs.IntVar(&o.healthMax, "health-max-goroutines", 200, "/healthz fails once the process has more goroutines than `n`")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := checkLoopback(o.addr); err != nil {
		return o, err
	}
	if *scale < minScale || *scale > maxScale {
		return o, fmt.Errorf("-scale %g: want a factor from %g to %g", *scale, minScale, maxScale)
	}
	o.scale = timescale(*scale)
	if o.restartAfter < 0 {
		return o, fmt.Errorf("-restart-after %v: want a duration of zero or more", o.restartAfter)
	}
	if o.healthMax < 1 {
		return o, fmt.Errorf("-health-max-goroutines %d: want 1 or more", o.healthMax)
	}
	return o, nil
}

// checkLoopback refuses any address but a loopback one: the service
// serves its profiles without authentication.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %v", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-addr %q: not a loopback address (want 127.0.0.1, ::1 or localhost)", addr)
	}
	return nil
}

// run is the whole program: it serves until ctx ends (exit 0), until
// -restart-after elapses (exit 3), or until serving fails (exit 1). The
// only line on stdout is the first: "listening on http://ADDR".
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "leakyservice: %v\n", err)
		return exitUsage
	}
	ln, err := net.Listen("tcp", opts.addr)
	if err != nil {
		fmt.Fprintf(stderr, "leakyservice: listen: %v\n", err)
		return exitError
	}
	addr := ln.Addr().String()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	svc, err := newService(opts, "http://"+addr, stderr)
	if err != nil {
		ln.Close()
		fmt.Fprintf(stderr, "leakyservice: %v\n", err)
		return exitError
	}
	defer svc.removeFiles()
	srv := &http.Server{
		Handler:           svc.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		// Connections left idle are closed, so the server's side of the
		// status reporter's leaked connections does not pile up: the
		// leak is the client's.
		IdleTimeout: opts.scale.of(idleTimeout),
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	// The parts start before the server serves: handlers use them. The
	// load generator's first requests wait in the listener's backlog.
	svc.start(ctx)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	if opts.addrFile != "" {
		if err := writeFileAtomic(opts.addrFile, addr+"\n"); err != nil {
			fmt.Fprintf(stderr, "leakyservice: -addr-file: %v\n", err)
			cancel()
			svc.stop(srv)
			return exitError
		}
		defer os.Remove(opts.addrFile)
	}
	fmt.Fprintf(stdout, "listening on http://%s\n", addr)
	fmt.Fprintf(stderr, "leakyservice: pid %d, scale %g: a leak of %d every %v; /healthz fails above %d goroutines\n",
		os.Getpid(), float64(opts.scale), checkpointShards, opts.scale.of(checkpointEvery*pollEvery), opts.healthMax)

	var restart <-chan time.Time
	if opts.restartAfter > 0 {
		t := time.NewTimer(opts.restartAfter)
		defer t.Stop()
		restart = t.C
	}
	code := exitOK
	select {
	case <-ctx.Done():
		fmt.Fprintln(stderr, "leakyservice: stopping")
	case <-restart:
		fmt.Fprintf(stderr, "leakyservice: -restart-after %v elapsed: exiting with status %d\n", opts.restartAfter, exitRestart)
		code = exitRestart
	case err := <-served:
		fmt.Fprintf(stderr, "leakyservice: serve: %v\n", err)
		code = exitError
	}
	cancel()
	svc.stop(srv)
	return code
}

// writeFileAtomic writes data to a temporary file beside path and renames
// it into place, so a reader sees either no file or all of it.
func writeFileAtomic(path, data string) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	_, werr := f.WriteString(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}
