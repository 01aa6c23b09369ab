package fetch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Defaults for the zero Options.
const (
	DefaultTimeout  = 30 * time.Second
	DefaultMaxBytes = 512 << 20
	DefaultRetries  = 2
)

const (
	maxRedirects = 10
	userAgent    = "leakscan"
	firstBackoff = 100 * time.Millisecond
	maxBackoff   = 2 * time.Second
)

// Options tune Open. The zero value is ready to use.
type Options struct {
	// Timeout bounds the whole fetch: connecting, retries, redirects and
	// reading the body. 0 means DefaultTimeout.
	Timeout time.Duration
	// MaxBytes bounds the body after gzip decoding, so that a runaway
	// dump cannot exhaust memory. 0 means DefaultMaxBytes.
	MaxBytes int64
	// Header holds extra request headers, such as Authorization. Their
	// values never appear in an error, and they are not sent on to
	// another host when the server redirects.
	Header http.Header
	// Retries is how many times to try again after a connection error or a
	// 502, 503 or 504, which is how a service looks while it restarts or
	// its proxy warms up. 0 means DefaultRetries; negative means none.
	Retries int
	// RootCAs, when set, are the only certificate authorities an https
	// server's certificate may be signed by, instead of the system's
	// (which SSL_CERT_FILE and SSL_CERT_DIR replace on Unix). It lets a
	// self-signed certificate be trusted. Unused when Client is set.
	RootCAs *x509.CertPool
	// Trace, when set, is told of each step of the fetch as it happens:
	// requests, connections, answers, retries, redirects, and the body
	// once read. Calls never overlap, and none comes after the body is
	// closed.
	Trace func(Event)
	// Client, when set, makes the requests (tests use it); Open does not
	// modify it. nil means a client of Open's own that keeps no idle
	// connections, so nothing is left running once the body is closed.
	Client *http.Client
}

// EventKind says what an Event reports.
type EventKind int

// The steps of a fetch, in the order they happen.
const (
	// EventRequest: a request is about to be sent, for each attempt and
	// each redirect. URL, Attempt.
	EventRequest EventKind = iota + 1
	// EventConnected: a connection to Addr is open, Elapsed after the
	// attempt started (name lookup included).
	EventConnected
	// EventResponse: the answer's headers arrived, Elapsed after the
	// attempt started (its time to first byte). Status.
	EventResponse
	// EventRedirect: the server redirected to URL with Status.
	EventRedirect
	// EventRetry: the attempt failed with Status or Err and is tried
	// again after Wait.
	EventRetry
	// EventBody: the body was read to its end, failed with Err, or was
	// closed: Bytes read in Elapsed since the answer arrived.
	EventBody
)

// Event is one step of a fetch, for Options.Trace. URLs in it are
// redacted as in Error.
type Event struct {
	Kind    EventKind
	URL     string
	Attempt int // 1 for the first request, 2 for the first retry, …
	Addr    string
	Status  int
	Err     error
	Wait    time.Duration
	Elapsed time.Duration
	Bytes   int64
}

// Open GETs rawURL, which Normalize has usually produced, and returns the
// body of a 2xx answer. Closing the body releases everything, including
// the timeout's context. Reading fails with an *Error when the body is
// longer than MaxBytes or the timeout runs out; every error of Open is an
// *Error too.
func Open(ctx context.Context, rawURL string, opts Options) (io.ReadCloser, error) {
	u, err := parseHTTP(rawURL)
	if err != nil {
		return nil, &Error{URL: Redact(rawURL), Err: err}
	}
	f := newFetcher(u, opts)

	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	// The cause, not the error of whatever call noticed the deadline,
	// tells a timeout from the caller's cancellation.
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, fmt.Errorf("%w after %v", ErrTimeout, timeout))
	release := func() {
		cancel()
		if f.transport != nil {
			f.transport.CloseIdleConnections()
		}
		f.stopTrace()
	}

	resp, retries, err := f.get(ctx)
	if err != nil {
		release()
		return nil, &Error{URL: f.redacted, Retries: retries, Err: err}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		err := &statusError{code: resp.StatusCode, line: firstLine(resp, f.secrets)}
		resp.Body.Close()
		release()
		return nil, &Error{URL: f.redacted, Status: resp.StatusCode, Retries: retries, Err: err}
	}
	if resp.ContentLength > f.maxBytes {
		resp.Body.Close()
		release()
		return nil, &Error{URL: f.redacted, Err: tooLarge(f.maxBytes)}
	}
	return &body{
		rc:      resp.Body,
		ctx:     ctx,
		release: release,
		url:     f.redacted,
		limit:   f.maxBytes,
		left:    f.maxBytes,
		trace:   f.trace,
		start:   time.Now(),
	}, nil
}

// fetcher holds what one call of Open needs across retries and redirects.
type fetcher struct {
	url       *url.URL
	redacted  string
	header    http.Header
	secrets   []string
	maxBytes  int64
	retries   int
	client    *http.Client
	transport *http.Transport // non-nil when the client is Open's own

	traceMu   sync.Mutex
	traceFunc func(Event) // nil once the fetch is over
	attempt   int         // of the request under way, from 1
	started   time.Time   // when it started
}

func newFetcher(u *url.URL, opts Options) *fetcher {
	f := &fetcher{
		url:       u,
		redacted:  Redact(u.String()),
		header:    opts.Header,
		secrets:   secretsOf(opts.Header, u),
		maxBytes:  opts.MaxBytes,
		retries:   opts.Retries,
		traceFunc: opts.Trace,
	}
	if f.maxBytes <= 0 {
		f.maxBytes = DefaultMaxBytes
	}
	switch {
	case f.retries == 0:
		f.retries = DefaultRetries
	case f.retries < 0:
		f.retries = 0
	}
	if opts.Client != nil {
		c := *opts.Client
		f.client = &c
	} else {
		// Keep-alives would leave a connection and its goroutines behind
		// after the body is closed, for a client used once.
		f.transport = http.DefaultTransport.(*http.Transport).Clone()
		f.transport.DisableKeepAlives = true
		if opts.RootCAs != nil {
			f.transport.TLSClientConfig = &tls.Config{RootCAs: opts.RootCAs}
		}
		f.client = &http.Client{Transport: f.transport}
	}
	f.client.CheckRedirect = f.checkRedirect
	return f
}

// trace reports e to Options.Trace, if any and if the fetch is not over.
// The transport calls its hooks from goroutines of its own, hence the
// lock.
func (f *fetcher) trace(e Event) {
	f.traceMu.Lock()
	defer f.traceMu.Unlock()
	if f.traceFunc == nil {
		return
	}
	if e.Attempt == 0 {
		e.Attempt = f.attempt
	}
	f.traceFunc(e)
}

func (f *fetcher) stopTrace() {
	f.traceMu.Lock()
	f.traceFunc = nil
	f.traceMu.Unlock()
}

func (f *fetcher) tracing() bool {
	f.traceMu.Lock()
	defer f.traceMu.Unlock()
	return f.traceFunc != nil
}

// since is the time since the request under way started.
func (f *fetcher) since() time.Duration {
	f.traceMu.Lock()
	defer f.traceMu.Unlock()
	return time.Since(f.started)
}

// clientTrace turns the transport's hooks into Events.
func (f *fetcher) clientTrace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		ConnectDone: func(network, addr string, err error) {
			if err == nil {
				f.trace(Event{Kind: EventConnected, Addr: addr, Elapsed: f.since()})
			}
		},
	}
}

// get makes the request, trying again on failures that a restarting
// service produces, as long as the backoff fits in the time left. The
// response it returns may have any status; retries is how many times it
// tried again.
func (f *fetcher) get(ctx context.Context) (resp *http.Response, retries int, err error) {
	for attempt := 0; ; attempt++ {
		resp, err := f.once(ctx, attempt+1)
		if ctx.Err() != nil {
			if resp != nil {
				resp.Body.Close()
			}
			return nil, attempt, context.Cause(ctx)
		}
		retry := err != nil && retryable(err) ||
			err == nil && (resp.StatusCode == http.StatusBadGateway ||
				resp.StatusCode == http.StatusServiceUnavailable ||
				resp.StatusCode == http.StatusGatewayTimeout)
		wait := min(firstBackoff<<attempt, maxBackoff)
		if !retry || attempt >= f.retries || !fits(ctx, wait) {
			// The last answer says more than a timeout during a
			// backoff that cannot succeed would.
			return resp, attempt, describe(err)
		}
		e := Event{Kind: EventRetry, Wait: wait, Err: describe(err)}
		if resp != nil {
			e.Status = resp.StatusCode
			drain(resp)
		}
		f.trace(e)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, attempt + 1, context.Cause(ctx)
		case <-t.C:
		}
	}
}

// once makes one attempt, the attempt-th, redirects included.
func (f *fetcher) once(ctx context.Context, attempt int) (*http.Response, error) {
	if f.tracing() {
		ctx = httptrace.WithClientTrace(ctx, f.clientTrace())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.url.String(), nil)
	if err != nil {
		return nil, err
	}
	f.setHeader(req.Header)
	f.traceMu.Lock()
	f.attempt, f.started = attempt, time.Now()
	f.traceMu.Unlock()
	f.trace(Event{Kind: EventRequest, URL: f.redacted})
	resp, err := f.client.Do(req)
	if err != nil {
		// url.Error repeats the URL, password and all; Error names it once.
		if uerr, ok := errors.AsType[*url.Error](err); ok {
			err = uerr.Err
		}
		return nil, err
	}
	f.trace(Event{Kind: EventResponse, Status: resp.StatusCode, Elapsed: f.since()})
	return resp, nil
}

func (f *fetcher) setHeader(h http.Header) {
	h.Set("User-Agent", userAgent)
	for k, vs := range f.header {
		h[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
}

// checkRedirect stops redirect loops and keeps the extra headers to the
// host they were meant for. net/http already drops Authorization and Cookie
// on the way to another domain, but not a token in a header of another
// name, and it counts a different port on the same host as the same place.
// Once a redirect has left the host, every later hop goes without them
// too, as net/http does.
func (f *fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return ErrTooManyRedirects
	}
	if req.Response != nil {
		f.trace(Event{Kind: EventResponse, Status: req.Response.StatusCode, Elapsed: f.since()})
	}
	f.trace(Event{Kind: EventRedirect, URL: Redact(req.URL.String())})
	f.traceMu.Lock()
	f.started = time.Now()
	f.traceMu.Unlock()
	left := !sameHost(f.url, req.URL)
	for _, r := range via[1:] {
		left = left || !sameHost(f.url, r.URL)
	}
	if left {
		for k := range f.header {
			req.Header.Del(k)
		}
		req.Header.Set("User-Agent", userAgent)
	}
	return nil
}

// sameHost reports whether headers meant for from may go to to: same host
// name and port, and no step down from https to http.
func sameHost(from, to *url.URL) bool {
	if from.Scheme == "https" && to.Scheme != "https" {
		return false
	}
	return strings.EqualFold(from.Hostname(), to.Hostname()) && from.Port() == to.Port()
}

// retryable reports whether a failed request might succeed in a moment:
// the connection was refused, reset or closed, as while a service
// restarts. A name that does not resolve or a bad certificate will not
// change.
func retryable(err error) bool {
	if errors.Is(err, ErrTooManyRedirects) {
		return false
	}
	if dnsErr, ok := errors.AsType[*net.DNSError](err); ok {
		return dnsErr.IsTemporary || dnsErr.IsTimeout
	}
	if _, ok := errors.AsType[*net.OpError](err); ok {
		return true
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)
}

// describe shortens the messages of common connection failures; the
// original stays reachable by errors.Is.
func describe(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.ECONNREFUSED):
		return &detailError{msg: "connection refused", err: err}
	case errors.Is(err, syscall.ECONNRESET):
		return &detailError{msg: "connection reset by server", err: err}
	case errors.Is(err, io.EOF):
		return &detailError{msg: "server closed the connection without answering", err: err}
	}
	return err
}

// fits reports whether waiting d leaves time before ctx's deadline.
func fits(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline) > d
}

// drain reads a little of a response that is being given up on, so that a
// caller's keep-alive client can reuse the connection, then closes it.
func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
}

// body is the reader Open returns. It stops at limit bytes and turns every
// read error into an *Error.
type body struct {
	rc      io.ReadCloser
	ctx     context.Context
	release func()
	url     string
	limit   int64
	left    int64
	err     error // sticky, once the limit is passed

	trace  func(Event)
	start  time.Time
	traced bool // EventBody was reported
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.read(p)
	if err != nil {
		b.traceBody(err)
	}
	return n, err
}

func (b *body) read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.left <= 0 {
		// Only a read past the limit tells a body of exactly limit bytes
		// from a longer one.
		var one [1]byte
		if n, err := io.ReadFull(b.rc, one[:]); n == 0 {
			return 0, b.wrap(err)
		}
		b.err = &Error{URL: b.url, Err: tooLarge(b.limit)}
		return 0, b.err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, b.wrap(err)
}

// traceBody reports the body once: at its end, its first error, or Close.
func (b *body) traceBody(err error) {
	if b.traced {
		return
	}
	b.traced = true
	if err == io.EOF {
		err = nil
	}
	b.trace(Event{Kind: EventBody, Bytes: b.limit - b.left, Elapsed: time.Since(b.start), Err: err})
}

func (b *body) wrap(err error) error {
	switch {
	case err == nil || err == io.EOF:
		return err
	case b.ctx.Err() != nil:
		// The transport reports an expired context in words of its own.
		return &Error{URL: b.url, Err: context.Cause(b.ctx)}
	}
	return &Error{URL: b.url, Err: fmt.Errorf("read body: %w", err)}
}

func (b *body) Close() error {
	b.traceBody(nil)
	err := b.rc.Close()
	b.release()
	if err != nil {
		return &Error{URL: b.url, Err: fmt.Errorf("close body: %w", err)}
	}
	return nil
}
