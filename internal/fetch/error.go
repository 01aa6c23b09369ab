package fetch

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Causes that callers can test with errors.Is on an *Error.
var (
	// ErrTimeout: Options.Timeout ran out before the body was read.
	ErrTimeout = errors.New("timed out")
	// ErrTooLarge: the body is longer than Options.MaxBytes.
	ErrTooLarge = errors.New("input too large")
	// ErrTooManyRedirects: the server redirected more than 10 times,
	// which is how a redirect loop ends.
	ErrTooManyRedirects = fmt.Errorf("stopped after %d redirects", maxRedirects)
	// ErrStatus: the server answered with a status other than 2xx;
	// Error.Status holds it.
	ErrStatus = errors.New("unexpected HTTP status")
)

// Error is every failure of Open and of reading the body it returns. Its
// message is one line, "GET <url>: <cause>", for example:
//
//	GET http://localhost:6060/debug/pprof/goroutine?debug=2: connection refused, retried twice
//	GET http://h/debug/pprof/goroutine?debug=2: 404 Not Found: Unknown profile
//	GET http://h/debug/pprof/goroutine?debug=2: 503 Service Unavailable, retried twice
//	GET http://h/debug/pprof/goroutine?debug=2: timed out after 30s
//	GET http://h/debug/pprof/goroutine?debug=2: input too large: more than 512 MiB
//
// It names no option: a caller that knows how Options were set from its
// own flags can add that, testing the cause with errors.Is.
type Error struct {
	URL     string // the URL asked for, redacted (see Redact)
	Status  int    // the HTTP status code of a non-2xx answer, 0 for other failures
	Retries int    // how many times the request was tried again before this failure
	Err     error  // the cause; see ErrTimeout, ErrTooLarge, ErrTooManyRedirects and ErrStatus
}

func (e *Error) Error() string {
	s := "GET " + e.URL + ": " + e.Err.Error()
	switch e.Retries {
	case 0:
	case 1:
		s += ", retried once"
	case 2:
		s += ", retried twice"
	default:
		s += ", retried " + strconv.Itoa(e.Retries) + " times"
	}
	return s
}

func (e *Error) Unwrap() error {
	return e.Err
}

// detailError gives a cause a message of its own without hiding the cause
// from errors.Is: "connection refused" rather than the net package's
// "dial tcp 127.0.0.1:1: connect: connection refused".
type detailError struct {
	msg string
	err error
}

func (e *detailError) Error() string { return e.msg }
func (e *detailError) Unwrap() error { return e.err }

func tooLarge(limit int64) error {
	return &detailError{
		msg: ErrTooLarge.Error() + ": more than " + formatBytes(limit),
		err: ErrTooLarge,
	}
}

// statusError is a non-2xx answer, with the first line of its body when
// that is short text, because servers put the reason there:
// net/http/pprof answers an unknown profile with 404 "Unknown profile".
type statusError struct {
	code int
	line string
}

func (e *statusError) Error() string {
	// http.StatusText rather than the server's reason phrase, which is
	// free text and could say anything.
	s := strconv.Itoa(e.code)
	if text := http.StatusText(e.code); text != "" {
		s += " " + text
	}
	if e.line != "" {
		s += ": " + e.line
	}
	return s
}

func (e *statusError) Is(target error) bool { return target == ErrStatus }

const (
	maxErrorBody = 1 << 10 // a longer error body is not a message for people
	maxErrorLine = 80
)

// firstLine returns the first line of a short textual error body, with
// every secret replaced by "xxxxx", or "" when there is nothing worth
// showing. Servers echo credentials ("invalid token abc…"), hence secrets.
func firstLine(resp *http.Response, secrets []string) string {
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "text/plain" && mt != "application/json" {
			return ""
		}
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody+1))
	if len(b) > maxErrorBody || !utf8.Valid(b) {
		return ""
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimSpace(strings.ReplaceAll(line, "\t", " "))
	if strings.IndexFunc(line, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return ""
	}
	for _, s := range secrets {
		line = strings.ReplaceAll(line, s, "xxxxx")
	}
	if utf8.RuneCountInString(line) > maxErrorLine {
		line = string([]rune(line)[:maxErrorLine-1]) + "…"
	}
	return line
}

// secretsOf lists what must never appear in a message: every extra header
// value, the credential part of each ("abc" in "Bearer abc"), the URL's
// password, also as the Basic credentials net/http sends for it (which a
// server may echo), and the query values Redact hides, but for short ones:
// hiding "1" would garble a message more than it protects. Longest first,
// so that a value is hidden whole before any part of it.
func secretsOf(h http.Header, u *url.URL) []string {
	var secrets []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			secrets = append(secrets, s)
		}
	}
	for _, vs := range h {
		for _, v := range vs {
			add(v)
			if f := strings.Fields(v); len(f) > 1 {
				for _, s := range f[1:] {
					add(s)
				}
			}
		}
	}
	if password, ok := u.User.Password(); ok {
		add(password)
		add(base64.StdEncoding.EncodeToString([]byte(u.User.Username() + ":" + password)))
	}
	for k, vs := range u.Query() {
		if keptParams[k] {
			continue
		}
		for _, v := range vs {
			if len(v) >= minSecret {
				add(v)
			}
		}
	}
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	return secrets
}

// minSecret is the shortest query value secretsOf hides in messages.
const minSecret = 4

// formatBytes writes a limit the way people set it:
//
//	536870912 → "512 MiB"
//	1536      → "1.5 KiB"
//	100       → "100 bytes"
//	1         → "1 byte"
func formatBytes(n int64) string {
	units := []struct {
		size int64
		name string
	}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}}
	for _, u := range units {
		if n >= u.size {
			if n%u.size == 0 {
				return fmt.Sprintf("%d %s", n/u.size, u.name)
			}
			return fmt.Sprintf("%.1f %s", float64(n)/float64(u.size), u.name)
		}
	}
	if n == 1 {
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", n)
}
