package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/leakscan/leakscan/internal/fetch"
	"github.com/leakscan/leakscan/internal/parse"
)

// inputFlags are the flags of every command that reads dumps.
type inputFlags struct {
	headers   []string
	timeout   time.Duration
	maxBytes  string
	maxStacks int
	cacert    string
	verbose   bool

	maxBytesFlag *pflag.Flag // to tell a --max-bytes given from the default
}

// defaultMaxBytes bounds stdin and live endpoints when --max-bytes is not
// given; files are then not bounded (see reader.limit).
const defaultMaxBytes = "512MiB"

// maxCACertBytes bounds a --cacert file: a system's whole bundle is a
// few hundred KiB.
const maxCACertBytes = 4 << 20

func (f *inputFlags) register(c *cobra.Command) {
	fl := c.Flags()
	fl.StringArrayVarP(&f.headers, "header", "H", nil,
		"HTTP header for live endpoints, e.g. \"Authorization: Bearer $TOKEN\" (repeatable; never printed)")
	fl.DurationVar(&f.timeout, "timeout", fetch.DefaultTimeout,
		"time limit for fetching a live endpoint, body included")
	fl.IntVar(&f.maxStacks, "max-stacks", parse.DefaultMaxStacks,
		"most distinct stacks a dump may hold, each of which costs memory (about half a KiB)")
	fl.StringVar(&f.maxBytes, "max-bytes", defaultMaxBytes,
		"largest input accepted, counted after decompression (e.g. 64MiB, 2GiB); "+
			"bounds stdin and live endpoints, and files only when given")
	fl.StringVar(&f.cacert, "cacert", "",
		"trust only the certificates of this PEM `file` for https endpoints, e.g. a self-signed one "+
			"(without it: the system's, which the SSL_CERT_FILE and SSL_CERT_DIR variables replace)")
	fl.BoolVar(&f.verbose, "verbose", false,
		"say on stderr what is read or fetched, each retry and why, and how long each step took")
	f.maxBytesFlag = fl.Lookup("max-bytes")
}

// reader opens and parses the inputs named on the command line.
type reader struct {
	in       io.Reader
	header   http.Header
	timeout  time.Duration
	maxBytes int64
	explicit bool // --max-bytes was given
	// maxStacks bounds the distinct stacks of a dump (--max-stacks).
	maxStacks int
	rootCAs   *x509.CertPool
	verbose   io.Writer // nil without --verbose
	stdin     bool      // "-" was read already

	// Where a person is watching: what is said to them on stderr.
	errOut        io.Writer
	stdinTerminal bool          // stdin is a terminal: say that a dump is awaited
	progressAfter time.Duration // draw a fetch's progress after this long; 0: never
}

func (f *inputFlags) reader(s *streams) (*reader, error) {
	max, err := parseSize(f.maxBytes)
	if err != nil {
		return nil, usagef("--max-bytes: %w", err)
	}
	if f.maxStacks <= 0 {
		return nil, usagef("--max-stacks must be positive, got %d", f.maxStacks)
	}
	if f.timeout <= 0 {
		return nil, usagef("--timeout must be positive, got %s", f.timeout)
	}
	h := http.Header{}
	for i, kv := range f.headers {
		k, v, ok := strings.Cut(kv, ":")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			// Headers carry secrets: say which -H is wrong, never what it holds.
			return nil, usagef("-H number %d is not of the form \"Name: value\" (its text is not shown)", i+1)
		}
		h.Add(k, strings.TrimSpace(v))
	}
	r := &reader{
		in:        s.In,
		header:    h,
		timeout:   f.timeout,
		maxBytes:  max,
		maxStacks: f.maxStacks,
		explicit:  f.maxBytesFlag != nil && f.maxBytesFlag.Changed,
		errOut:    s.Err,

		stdinTerminal: s.InTerminal,
	}
	if s.ErrTerminal && !f.verbose {
		// --verbose says as much, a line per step.
		r.progressAfter = progressAfter
	}
	if f.cacert != "" {
		if r.rootCAs, err = readCACert(f.cacert); err != nil {
			return nil, err
		}
	}
	if f.verbose {
		r.verbose = s.Err
	}
	return r, nil
}

// readCACert reads the certificates of a PEM file.
func readCACert(name string) (*x509.CertPool, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("--cacert %s: %w", name, unwrapPath(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCACertBytes+1))
	if err != nil {
		return nil, fmt.Errorf("--cacert %s: %w", name, unwrapPath(err))
	}
	if len(data) > maxCACertBytes {
		return nil, fmt.Errorf("--cacert %s: more than %s, not a certificate file", name, formatSize(maxCACertBytes))
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("--cacert %s: no PEM certificate in it (want \"-----BEGIN CERTIFICATE-----\" blocks)", name)
	}
	return pool, nil
}

// snapshot reads one input: "-" for stdin, a file, or a live endpoint.
func (r *reader) snapshot(ctx context.Context, arg string) (*parse.Snapshot, error) {
	in, err := r.open(ctx, arg)
	if err != nil {
		return nil, err
	}
	defer in.rc.Close()
	// A live sample is taken when the target answers: a debug=2 dump is
	// complete before its first byte is sent.
	start := time.Now()
	snap, err := parse.Read(ctx, in.rc, in.name, parse.Options{MaxBytes: in.limit, MaxStacks: r.maxStacks})
	if fe, ok := errors.AsType[*fetch.Error](err); ok {
		// A failure while reading the body: the fetch error names the URL
		// already.
		return nil, withFlag(fe)
	}
	if errors.Is(err, parse.ErrTooManyStacks) {
		return nil, fmt.Errorf("%w (--max-stacks)", err)
	}
	if errors.Is(err, parse.ErrTooLarge) {
		// Said here rather than by parse, which knows no flags.
		return nil, fmt.Errorf("%s: %w: more than %s (--max-bytes)", in.name, parse.ErrTooLarge, formatSize(in.limit))
	}
	if err != nil {
		return nil, err
	}
	r.logf("%s: %s read in %s", in.name, plural(snap.Goroutines, "goroutine", "goroutines"), shortDur(time.Since(start)))
	if in.live && snap.Time.IsZero() {
		snap.Time = start.UTC()
	}
	return snap, nil
}

// input is an opened input: what to read, its name in messages, the most
// bytes it may hold, and whether it is a live endpoint.
type input struct {
	rc    io.ReadCloser
	name  string
	limit int64
	live  bool
}

// isLive reports whether arg names a live endpoint rather than a file or
// stdin, as open decides.
func isLive(arg string) bool {
	if arg == "-" {
		return false
	}
	if _, err := os.Stat(arg); err == nil {
		return false
	}
	return fetch.IsURL(arg)
}

// noLimit lets a file be as large as it is; not math.MaxInt64, which a
// limit counting one byte past itself would overflow.
const noLimit = 1 << 62

func (r *reader) open(ctx context.Context, arg string) (*input, error) {
	if arg == "-" {
		if r.stdin {
			return nil, errors.New("stdin (-) can be read only once")
		}
		r.stdin = true
		if r.stdinTerminal {
			// Nothing was piped in: without a word, leakscan would seem to hang.
			fmt.Fprintf(r.errOut, "leakscan: waiting for a goroutine dump on stdin (paste it, then %s; Ctrl-C to give up)\n", endOfInput())
		}
		r.logf("reading stdin, up to %s (--max-bytes)", formatSize(r.maxBytes))
		return &input{rc: io.NopCloser(r.in), name: "-", limit: r.maxBytes}, nil
	}
	f, err := os.Open(arg)
	if err == nil {
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %w", arg, unwrapPath(err))
		}
		if st.IsDir() {
			f.Close()
			return nil, fmt.Errorf("%s: is a directory, not a goroutine dump", arg)
		}
		in := &input{rc: f, name: arg, limit: r.maxBytes}
		switch {
		case r.explicit:
			r.logf("reading %s, up to %s (--max-bytes)", arg, formatSize(in.limit))
		case st.Mode().IsRegular():
			// A file is read in bounded memory, region by region, and
			// is as large as it is: the default limit is for what could
			// be endless, a pipe, a device or a live endpoint.
			in.limit = noLimit
			r.logf("reading %s, %s", arg, formatSize(st.Size()))
		default:
			r.logf("reading %s (not a regular file), up to %s (--max-bytes)", arg, formatSize(in.limit))
		}
		return in, nil
	}
	if !errors.Is(err, fs.ErrNotExist) || !fetch.IsURL(arg) {
		name := arg
		if strings.Contains(arg, "@") {
			name = fetch.Redact(arg) // alice:pw@host, which is no URL without a port
		}
		return nil, fmt.Errorf("%s: %w", name, unwrapPath(err))
	}
	u, err := fetch.Normalize(arg)
	if err != nil {
		return nil, err
	}
	var progress *fetchProgress
	if r.progressAfter > 0 {
		progress = startProgress(ctx, r.errOut, fetch.Redact(u), r.progressAfter)
	}
	body, err := fetch.Open(ctx, u, r.fetchOptions())
	if err != nil {
		if progress != nil {
			progress.end()
		}
		return nil, withFlag(err)
	}
	if progress != nil {
		body = progress.counting(body)
	}
	return &input{rc: body, name: fetch.Redact(u), limit: r.maxBytes, live: true}, nil
}

// endOfInput is the key that ends input typed into a terminal.
func endOfInput() string {
	if runtime.GOOS == "windows" {
		return "Ctrl-Z and Enter"
	}
	return "Ctrl-D"
}

// fetchOptions are the options of every request to a live endpoint.
func (r *reader) fetchOptions() fetch.Options {
	opts := fetch.Options{Timeout: r.timeout, MaxBytes: r.maxBytes, Header: r.header, RootCAs: r.rootCAs}
	if r.verbose != nil {
		opts.Trace = r.trace
	}
	return opts
}

// withFlag names the flag that changes the outcome of a failed fetch, which
// the fetch package cannot know.
func withFlag(err error) error {
	switch {
	case errors.Is(err, fetch.ErrTimeout):
		return fmt.Errorf("%w (--timeout)", err)
	case errors.Is(err, fetch.ErrTooLarge):
		return fmt.Errorf("%w (--max-bytes)", err)
	}
	if _, ok := errors.AsType[x509.UnknownAuthorityError](err); ok {
		return fmt.Errorf("%w (--cacert)", err)
	}
	return err
}

// logf writes a --verbose line.
func (r *reader) logf(format string, args ...any) {
	if r.verbose != nil {
		fmt.Fprintf(r.verbose, "leakscan: "+format+"\n", args...)
	}
}

// trace writes the steps of a fetch for --verbose:
//
//	leakscan: GET http://localhost:6060/debug/pprof/goroutine?debug=2
//	leakscan: connected to 127.0.0.1:6060 after 0.21ms
//	leakscan: 503 Service Unavailable after 1.3ms
//	leakscan: retrying in 100ms: 503 Service Unavailable
//	leakscan: GET http://localhost:6060/debug/pprof/goroutine?debug=2 (attempt 2)
//	leakscan: 200 OK after 2.1ms
//	leakscan: body: 1.2 MiB in 14ms
func (r *reader) trace(e fetch.Event) {
	switch e.Kind {
	case fetch.EventRequest:
		if e.Attempt > 1 {
			r.logf("GET %s (attempt %d)", e.URL, e.Attempt)
		} else {
			r.logf("GET %s", e.URL)
		}
	case fetch.EventConnected:
		r.logf("connected to %s after %s", e.Addr, shortDur(e.Elapsed))
	case fetch.EventResponse:
		r.logf("%s after %s (first byte)", statusText(e.Status), shortDur(e.Elapsed))
	case fetch.EventRedirect:
		r.logf("redirected to %s", e.URL)
	case fetch.EventRetry:
		why := statusText(e.Status)
		if e.Err != nil {
			why = e.Err.Error()
		}
		r.logf("retrying in %s: %s", shortDur(e.Wait), why)
	case fetch.EventBody:
		if e.Err != nil {
			r.logf("body: %s in %s, then failed", formatSize(e.Bytes), shortDur(e.Elapsed))
		} else {
			r.logf("body: %s in %s", formatSize(e.Bytes), shortDur(e.Elapsed))
		}
	}
}

func statusText(code int) string {
	return strings.TrimSpace(strconv.Itoa(code) + " " + http.StatusText(code))
}

// shortDur rounds a duration for people: 0.21ms, 14ms, 1.2s.
func shortDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	case d < time.Second:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.Round(10 * time.Millisecond).String()
}

// unwrapPath drops the *fs.PathError wrapper, whose message repeats the
// file name.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parseSize reads 512MiB, 64MB, 1GiB, 1048576.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(strings.ToUpper(t), strings.ToUpper(u.suffix)) {
			t, mult = strings.TrimSpace(t[:len(t)-len(u.suffix)]), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("want a positive size such as 512MiB, got %q", s)
	}
	return n * mult, nil
}

// formatSize writes a size the way people set it:
//
//	536870912 → "512 MiB"
//	1536      → "1.5 KiB"
//	1000      → "1000 bytes"
//	1         → "1 byte"
func formatSize(n int64) string {
	for _, u := range []struct {
		size int64
		name string
	}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		if n >= u.size {
			if n%u.size == 0 {
				return fmt.Sprintf("%d %s", n/u.size, u.name)
			}
			return fmt.Sprintf("%.1f %s", float64(n)/float64(u.size), u.name)
		}
	}
	return plural(int(n), "byte", "bytes")
}
