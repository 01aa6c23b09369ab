package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const token = "s3cr3t-t0ken-value"

// newServer starts a server that the test closes when it ends. Handlers
// that block must return once the client goes away, or Close waits for
// them.
func newServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// get opens url and reads the whole body, as the CLI does.
func get(ctx context.Context, url string, opts Options) ([]byte, error) {
	rc, err := Open(ctx, url, opts)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// wantError checks that err is a one-line *Error that hides the token.
func wantError(t *testing.T, err error) *Error {
	t.Helper()
	if err == nil {
		t.Fatal("got no error")
	}
	e, ok := errors.AsType[*Error](err)
	if !ok {
		t.Fatalf("error %q (%T) is not an *Error", err, err)
	}
	if msg := err.Error(); strings.Contains(msg, "\n") || strings.Contains(msg, token) {
		t.Errorf("error %q is not one line or shows the token", msg)
	}
	return e
}

func TestOpenReadsBodyAndSendsHeaders(t *testing.T) {
	const dump = "goroutine 1 [running]:\nmain.main()\n\t/x/main.go:3 +0x1d\n"
	got := make(chan http.Header, 1)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Clone()
		io.WriteString(w, dump)
	})

	header := http.Header{"Authorization": {"Bearer " + token}}
	header.Set("X-Api-Key", "k1")
	b, err := get(t.Context(), srv.URL+"/debug/pprof/goroutine?debug=2", Options{Header: header})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != dump {
		t.Errorf("body = %q, want %q", b, dump)
	}
	h := <-got
	for k, want := range map[string]string{
		"Authorization":   "Bearer " + token,
		"X-Api-Key":       "k1",
		"User-Agent":      "leakscan",
		"Accept-Encoding": "gzip", // net/http's own, so that it decodes transparently
	} {
		if h.Get(k) != want {
			t.Errorf("server got %s: %q, want %q", k, h.Get(k), want)
		}
	}
}

func TestOpenGzip(t *testing.T) {
	const dump = "goroutine 1 [running]:\n"
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		io.WriteString(zw, dump)
		zw.Close()
	})
	b, err := get(t.Context(), srv.URL, Options{})
	if err != nil || string(b) != dump {
		t.Errorf("get = %q, %v, want %q, nil", b, err, dump)
	}
}

func TestOpenBasicAuth(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if user, pw, _ := r.BasicAuth(); user != "u" || pw != token {
			http.Error(w, "bad credentials "+pw, http.StatusUnauthorized)
			return
		}
		http.Error(w, "Unknown profile", http.StatusNotFound)
	})
	u := strings.Replace(srv.URL, "http://", "http://u:"+token+"@", 1) + "/x"
	_, err := Open(t.Context(), u, Options{})
	e := wantError(t, err)
	want := strings.Replace(srv.URL, "http://", "http://u:xxxxx@", 1) + "/x"
	if e.URL != want || e.Status != http.StatusNotFound {
		t.Errorf("Error{URL: %q, Status: %d}, want {%q, 404}", e.URL, e.Status, want)
	}
}

func TestOpenStatus(t *testing.T) {
	long := strings.Repeat("word ", 30)
	tests := []struct {
		name    string
		code    int
		ctype   string
		body    string
		want    string // the message after "GET <url>: "
		retries int
	}{
		{"pprof unknown profile", 404, "text/plain; charset=utf-8", "Unknown profile\n", "404 Not Found: Unknown profile", 0},
		{"empty", 404, "", "", "404 Not Found", 0},
		{"first line only", 500, "text/plain", "panic: boom\ngoroutine 1 [running]:\n", "500 Internal Server Error: panic: boom", 0},
		{"long line cut", 500, "text/plain", long, "500 Internal Server Error: " + strings.TrimSpace(long)[:79] + "…", 0},
		{"html left out", 500, "text/html", "<html><body>oops</body></html>", "500 Internal Server Error", 0},
		{"binary left out", 500, "text/plain", "bad\x00bytes", "500 Internal Server Error", 0},
		{"long body left out", 500, "text/plain", strings.Repeat("x\n", 1000), "500 Internal Server Error", 0},
		{"token echoed", 401, "text/plain", "invalid token " + token, "401 Unauthorized: invalid token xxxxx", 0},
		{"whole header echoed", 500, "application/json", `{"auth":"Bearer ` + token + `"}`, `500 Internal Server Error: {"auth":"xxxxx"}`, 0},
		{"unknown code", 599, "", "", "599", 0},
		{"503 once retries are spent", 503, "text/plain", "draining", "503 Service Unavailable: draining", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.ctype != "" {
					w.Header().Set("Content-Type", tt.ctype)
				}
				w.WriteHeader(tt.code)
				io.WriteString(w, tt.body)
			})
			opts := Options{Header: http.Header{"Authorization": {"Bearer " + token}}, Retries: tt.retries}
			_, err := Open(t.Context(), srv.URL, opts)
			e := wantError(t, err)
			if want := "GET " + srv.URL + ": " + tt.want; err.Error() != want {
				t.Errorf("error = %q, want %q", err, want)
			}
			if e.Status != tt.code || !errors.Is(err, ErrStatus) {
				t.Errorf("Status = %d, errors.Is(err, ErrStatus) = %v; want %d, true", e.Status, errors.Is(err, ErrStatus), tt.code)
			}
		})
	}
}

func TestOpenRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + ln.Addr().String() + "/debug/pprof/goroutine?debug=2"
	ln.Close()

	_, err = Open(t.Context(), u, Options{})
	wantError(t, err)
	if want := "GET " + u + ": connection refused, retried twice"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("errors.Is(%q, ECONNREFUSED) = false", err)
	}
}

func TestOpenBadURL(t *testing.T) {
	tests := []struct {
		url, want string
	}{
		{"ftp://h/x", `GET ftp://h/x: unsupported scheme "ftp" (want http or https)`},
		{"localhost:6060", `GET localhost:6060: unsupported scheme "localhost" (want http or https)`},
		{"http://u:" + token + "@h:x/", `GET http://u:xxxxx@h:x/: invalid URL: invalid port ":x" after host`},
	}
	for _, tt := range tests {
		_, err := Open(t.Context(), tt.url, Options{})
		wantError(t, err)
		if err.Error() != tt.want {
			t.Errorf("Open(%q) error = %q, want %q", tt.url, err, tt.want)
		}
	}
}

func TestOpenRedirectLoop(t *testing.T) {
	var hits atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, r.URL.Path, http.StatusFound)
	})
	_, err := Open(t.Context(), srv.URL+"/loop", Options{})
	wantError(t, err)
	if !errors.Is(err, ErrTooManyRedirects) {
		t.Errorf("errors.Is(%q, ErrTooManyRedirects) = false", err)
	}
	if want := "GET " + srv.URL + "/loop: stopped after 10 redirects"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if n := hits.Load(); n != maxRedirects {
		t.Errorf("server saw %d requests, want %d (a redirect loop is not retried)", n, maxRedirects)
	}
}

func TestOpenRedirectHeaders(t *testing.T) {
	got := make(chan http.Header, 1)
	// Each server redirects /start and /back to ?to= and records what
	// reaches any other path.
	handler := func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/start", "/back":
			http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
		default:
			got <- r.Header.Clone()
		}
	}
	origin := newServer(t, handler)
	other := newServer(t, handler) // same IP, other port
	tests := []struct {
		name, to string
		keep     bool
	}{
		{"same host", "/here", true},
		{"other port", other.URL + "/there", false},
		// Once a redirect has left the host, the headers stay behind.
		{"other port and back", other.URL + "/back?to=" + url.QueryEscape(origin.URL+"/here"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := http.Header{"Authorization": {"Bearer " + token}, "X-Api-Key": {"k1"}}
			_, err := get(t.Context(), origin.URL+"/start?to="+url.QueryEscape(tt.to), Options{Header: header})
			if err != nil {
				t.Fatal(err)
			}
			h := <-got
			for k, v := range header {
				if kept := h.Get(k) == v[0]; kept != tt.keep || !kept && h.Get(k) != "" {
					t.Errorf("redirect target got %s: %q, want kept = %v", k, h.Get(k), tt.keep)
				}
			}
			if ua := h.Get("User-Agent"); ua != "leakscan" {
				t.Errorf("redirect target got User-Agent: %q, want leakscan", ua)
			}
		})
	}
}

func TestOpenTimeout(t *testing.T) {
	tests := []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request)
	}{
		{"no answer", func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}},
		{"headers then silence", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "goroutine 1 [running]:\n")
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}},
		{"trickle", func(w http.ResponseWriter, r *http.Request) {
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			for {
				if _, err := io.WriteString(w, "x"); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-tick.C:
				}
			}
		}},
	}
	const timeout = 200 * time.Millisecond
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.handler)
			start := time.Now()
			_, err := get(t.Context(), srv.URL, Options{Timeout: timeout})
			elapsed := time.Since(start)
			wantError(t, err)
			if want := "GET " + srv.URL + ": timed out after 200ms"; err.Error() != want {
				t.Errorf("error = %q, want %q", err, want)
			}
			if !errors.Is(err, ErrTimeout) {
				t.Errorf("errors.Is(%q, ErrTimeout) = false", err)
			}
			if elapsed < timeout || elapsed > timeout+2*time.Second {
				t.Errorf("failed after %v, want about %v", elapsed, timeout)
			}
		})
	}
}

func TestOpenMaxBytes(t *testing.T) {
	const limit = 64 << 10
	chunk := bytes.Repeat([]byte("goroutine 1 [chan receive]:\n"), 100)
	tests := []struct {
		name     string
		handler  func(w http.ResponseWriter, r *http.Request)
		wantLen  int
		tooLarge bool
	}{
		{"endless", func(w http.ResponseWriter, r *http.Request) {
			for r.Context().Err() == nil {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, limit, true},
		{"one byte over, chunked", func(w http.ResponseWriter, r *http.Request) {
			w.Write(make([]byte, limit))
			w.(http.Flusher).Flush()
			w.Write([]byte{'x'})
		}, limit, true},
		{"one byte over, Content-Length", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(limit+1))
			w.Write(make([]byte, limit+1))
		}, 0, true},
		{"gzip bomb", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			zw.Write(make([]byte, 1<<20))
			zw.Close()
		}, limit, true},
		{"exactly the limit, chunked", func(w http.ResponseWriter, r *http.Request) {
			w.Write(make([]byte, limit-1))
			w.(http.Flusher).Flush()
			w.Write([]byte{'x'})
		}, limit, false},
		{"exactly the limit, Content-Length", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(limit))
			w.Write(make([]byte, limit))
		}, limit, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.handler)
			b, err := get(t.Context(), srv.URL, Options{MaxBytes: limit})
			if len(b) != tt.wantLen {
				t.Errorf("read %d bytes, want %d", len(b), tt.wantLen)
			}
			if !tt.tooLarge {
				if err != nil {
					t.Errorf("error = %q, want nil", err)
				}
				return
			}
			wantError(t, err)
			// No flag name: the caller knows which of its flags set MaxBytes.
			if want := "GET " + srv.URL + ": input too large: more than 64 KiB"; err.Error() != want {
				t.Errorf("error = %q, want %q", err, want)
			}
			if !errors.Is(err, ErrTooLarge) {
				t.Errorf("errors.Is(%q, ErrTooLarge) = false", err)
			}
		})
	}
}

func TestOpenRetries(t *testing.T) {
	tests := []struct {
		name     string
		codes    []int // answers in turn; the last repeats
		retries  int
		timeout  time.Duration
		attempts int32
		status   int    // of the error, 0 for success
		msg      string // of the error, after "GET <url>: "
	}{
		{"503 twice then 200", []int{503, 503, 200}, 0, 0, 3, 0, ""},
		{"502 and 504 then 200", []int{502, 504, 200}, 0, 0, 3, 0, ""},
		{"503 beyond the retries", []int{503}, 0, 0, 3, 503, "503 Service Unavailable: Service Unavailable, retried twice"},
		{"no retries", []int{503, 200}, -1, 0, 1, 503, "503 Service Unavailable: Service Unavailable"},
		{"500 is not retried", []int{500, 200}, 0, 0, 1, 500, "500 Internal Server Error: Internal Server Error"},
		{"404 is not retried", []int{404, 200}, 0, 0, 1, 404, "404 Not Found: Not Found"},
		// Backoffs of 100ms then 200ms: the second does not fit in 250ms,
		// so the 503 is reported rather than a timeout.
		{"backoff beyond the timeout", []int{503}, 5, 250 * time.Millisecond, 2, 503, "503 Service Unavailable: Service Unavailable, retried once"},
		{"many retries", []int{503, 503, 503, 503}, 3, 0, 4, 503, "503 Service Unavailable: Service Unavailable, retried 3 times"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var attempts atomic.Int32
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				n := int(attempts.Add(1))
				code := tt.codes[min(n, len(tt.codes))-1]
				if code != http.StatusOK {
					http.Error(w, http.StatusText(code), code)
					return
				}
				io.WriteString(w, "ok")
			})
			b, err := get(t.Context(), srv.URL, Options{Retries: tt.retries, Timeout: tt.timeout})
			if n := attempts.Load(); n != tt.attempts {
				t.Errorf("server saw %d attempts, want %d", n, tt.attempts)
			}
			if tt.status == 0 {
				if err != nil || string(b) != "ok" {
					t.Errorf("get = %q, %v, want \"ok\", nil", b, err)
				}
				return
			}
			if e := wantError(t, err); e.Status != tt.status || e.Retries != int(tt.attempts)-1 {
				t.Errorf("error %q has Status %d, Retries %d; want %d, %d", err, e.Status, e.Retries, tt.status, tt.attempts-1)
			}
			if want := "GET " + srv.URL + ": " + tt.msg; err.Error() != want {
				t.Errorf("error = %q, want %q", err, want)
			}
		})
	}
}

func TestOpenCanceled(t *testing.T) {
	tests := []struct {
		name    string
		handler func(arrived chan<- struct{}) http.HandlerFunc
	}{
		{"before the answer", func(arrived chan<- struct{}) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				arrived <- struct{}{}
				<-r.Context().Done()
			}
		}},
		{"while reading the body", func(arrived chan<- struct{}) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "goroutine 1 [running]:\n")
				w.(http.Flusher).Flush()
				arrived <- struct{}{}
				<-r.Context().Done()
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			arrived := make(chan struct{}, 1)
			srv := newServer(t, tt.handler(arrived))
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			go func() {
				select {
				case <-arrived:
					cancel()
				case <-ctx.Done():
				}
			}()
			start := time.Now()
			_, err := get(ctx, srv.URL, Options{})
			wantError(t, err)
			if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
				t.Errorf("error %q is not context.Canceled alone", err)
			}
			if want := "GET " + srv.URL + ": context canceled"; err.Error() != want {
				t.Errorf("error = %q, want %q", err, want)
			}
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Errorf("took %v to stop", elapsed)
			}
		})
	}
}

func TestOpenWithClient(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	})
	client := srv.Client()
	b, err := get(t.Context(), srv.URL, Options{Client: client})
	if err != nil || string(b) != "ok" {
		t.Errorf("get = %q, %v, want \"ok\", nil", b, err)
	}
	if client.CheckRedirect != nil {
		t.Error("Open changed the caller's client")
	}
}

func TestFormatBytes(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{DefaultMaxBytes, "512 MiB"},
		{1 << 30, "1 GiB"},
		{64 << 10, "64 KiB"},
		{1536, "1.5 KiB"},
		{100, "100 bytes"},
		{1, "1 byte"},
	}
	for _, tt := range tests {
		if got := formatBytes(tt.n); got != tt.want {
			t.Errorf("formatBytes(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

// TestOpenQuerySecret: a credential in the query string is hidden in
// errors, even when the server echoes it; the profile's own parameters
// stay.
func TestOpenQuerySecret(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad token "+r.URL.Query().Get("token"), http.StatusUnauthorized)
	})
	_, err := Open(t.Context(), srv.URL+"/debug/pprof/goroutine?debug=2&token="+token, Options{})
	e := wantError(t, err)
	want := "GET " + srv.URL + "/debug/pprof/goroutine?debug=2&token=xxxxx: 401 Unauthorized: bad token xxxxx"
	if err.Error() != want || e.URL != srv.URL+"/debug/pprof/goroutine?debug=2&token=xxxxx" {
		t.Errorf("error = %q, want %q", err, want)
	}
}

// certPool returns a pool that trusts the certificate of a TLS test
// server.
func certPool(t *testing.T, srv *httptest.Server) *x509.CertPool {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return pool
}

// TestOpenRootCAs: a self-signed certificate is refused, unless RootCAs
// trusts it.
func TestOpenRootCAs(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	srv.StartTLS()
	t.Cleanup(srv.Close)

	_, err := get(t.Context(), srv.URL, Options{})
	wantError(t, err)
	if _, ok := errors.AsType[x509.UnknownAuthorityError](err); !ok {
		t.Errorf("without RootCAs: error %q (%T), want an x509.UnknownAuthorityError", err, errors.Unwrap(err))
	}

	b, err := get(t.Context(), srv.URL, Options{RootCAs: certPool(t, srv)})
	if err != nil || string(b) != "ok" {
		t.Errorf("with RootCAs: get = %q, %v, want \"ok\", nil", b, err)
	}
}

// TestOpenTrace: Trace hears of every request, connection, answer, retry
// and redirect, and of the body, in order, with URLs redacted, and of
// nothing after Close.
func TestOpenTrace(t *testing.T) {
	var hits atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case hits.Add(1) == 1:
			http.Error(w, "restarting", http.StatusServiceUnavailable)
		case r.URL.Path == "/start":
			http.Redirect(w, r, "/dump?token="+token, http.StatusFound)
		default:
			io.WriteString(w, "0123456789")
		}
	})
	var events []Event
	rc, err := Open(t.Context(), srv.URL+"/start?token="+token, Options{Trace: func(e Event) { events = append(events, e) }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(rc); err != nil {
		t.Fatal(err)
	}
	rc.Close()
	rc.Close()

	type step struct {
		kind    EventKind
		attempt int
		url     string
		status  int
	}
	start, dump := srv.URL+"/start?token=xxxxx", srv.URL+"/dump?token=xxxxx"
	want := []step{
		{EventRequest, 1, start, 0},
		{EventConnected, 1, "", 0},
		{EventResponse, 1, "", 503},
		{EventRetry, 1, "", 503},
		{EventRequest, 2, start, 0},
		{EventConnected, 2, "", 0},
		{EventResponse, 2, "", 302},
		{EventRedirect, 2, dump, 0},
		{EventConnected, 2, "", 0},
		{EventResponse, 2, "", 200},
		{EventBody, 2, "", 0},
	}
	var got []step
	for _, e := range events {
		got = append(got, step{e.Kind, e.Attempt, e.URL, e.Status})
	}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(step{})); d != "" {
		t.Fatalf("events (-want +got):\n%s", d)
	}
	if e := events[3]; e.Wait != firstBackoff {
		t.Errorf("retry event waits %v, want %v", e.Wait, firstBackoff)
	}
	if e := events[len(events)-1]; e.Bytes != 10 || e.Err != nil || e.Elapsed <= 0 {
		t.Errorf("body event = %+v, want 10 bytes, no error, a duration", e)
	}
	for _, e := range events {
		if e.Kind == EventConnected && e.Addr != srv.Listener.Addr().String() {
			t.Errorf("connected to %q, want %q", e.Addr, srv.Listener.Addr())
		}
		if e.Kind == EventResponse && e.Elapsed <= 0 {
			t.Errorf("response event without a time: %+v", e)
		}
	}
}

// TestOpenTraceBodyError: the body event carries a failure of the body.
func TestOpenTraceBodyError(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush() // no Content-Length
		w.Write(make([]byte, 100))
	})
	var last Event
	_, err := get(t.Context(), srv.URL, Options{MaxBytes: 10, Trace: func(e Event) { last = e }})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error %v, want ErrTooLarge", err)
	}
	if last.Kind != EventBody || !errors.Is(last.Err, ErrTooLarge) || last.Bytes != 10 {
		t.Errorf("last event = %+v, want the body's, with ErrTooLarge after 10 bytes", last)
	}
}
