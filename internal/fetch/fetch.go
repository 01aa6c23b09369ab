package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
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
	// Client, when set, makes the requests (tests use it); Open does not
	// modify it. nil means a client of Open's own that keeps no idle
	// connections, so nothing is left running once the body is closed.
	Client *http.Client
}

// Open GETs rawURL, which Normalize has usually produced, and returns the
// body of a 2xx answer. Closing the body releases everything, including
// the timeout's context. Reading fails with an *Error when the body is
// longer than MaxBytes or the timeout runs out; every error of Open is an
// *Error too.
func Open(ctx context.Context, rawURL string, opts Options) (io.ReadCloser, error) {
	u, err := parseHTTP(rawURL)
	if err != nil {
		return nil, &Error{URL: redactString(rawURL), Err: err}
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
	}

	resp, err := f.get(ctx)
	if err != nil {
		release()
		return nil, &Error{URL: f.redacted, Err: err}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		err := &statusError{code: resp.StatusCode, line: firstLine(resp, f.secrets)}
		resp.Body.Close()
		release()
		return nil, &Error{URL: f.redacted, Status: resp.StatusCode, Err: err}
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
}

func newFetcher(u *url.URL, opts Options) *fetcher {
	f := &fetcher{
		url:      u,
		redacted: u.Redacted(),
		header:   opts.Header,
		secrets:  secretsOf(opts.Header, u.User),
		maxBytes: opts.MaxBytes,
		retries:  opts.Retries,
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
		f.client = &http.Client{Transport: f.transport}
	}
	f.client.CheckRedirect = f.checkRedirect
	return f
}

// get makes the request, trying again on failures that a restarting
// service produces, as long as the backoff fits in the time left. The
// response it returns may have any status.
func (f *fetcher) get(ctx context.Context) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		resp, err := f.once(ctx)
		if ctx.Err() != nil {
			if resp != nil {
				resp.Body.Close()
			}
			return nil, context.Cause(ctx)
		}
		retry := err != nil && retryable(err) ||
			err == nil && (resp.StatusCode == http.StatusBadGateway ||
				resp.StatusCode == http.StatusServiceUnavailable ||
				resp.StatusCode == http.StatusGatewayTimeout)
		wait := min(firstBackoff<<attempt, maxBackoff)
		if !retry || attempt >= f.retries || !fits(ctx, wait) {
			// The last answer says more than a timeout during a
			// backoff that cannot succeed would.
			return resp, describe(err)
		}
		if resp != nil {
			drain(resp)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, context.Cause(ctx)
		case <-t.C:
		}
	}
}

func (f *fetcher) once(ctx context.Context) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.url.String(), nil)
	if err != nil {
		return nil, err
	}
	f.setHeader(req.Header)
	resp, err := f.client.Do(req)
	if err != nil {
		// url.Error repeats the URL, password and all; Error names it once.
		if uerr, ok := errors.AsType[*url.Error](err); ok {
			err = uerr.Err
		}
		return nil, err
	}
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
}

func (b *body) Read(p []byte) (int, error) {
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
	err := b.rc.Close()
	b.release()
	if err != nil {
		return &Error{URL: b.url, Err: fmt.Errorf("close body: %w", err)}
	}
	return nil
}
