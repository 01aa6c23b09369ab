package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/leakscan/leakscan/internal/fetch"
	"github.com/leakscan/leakscan/internal/parse"
)

// inputFlags are the flags of every command that reads dumps.
type inputFlags struct {
	headers  []string
	timeout  time.Duration
	maxBytes string
}

func (f *inputFlags) register(c *cobra.Command) {
	c.Flags().StringArrayVarP(&f.headers, "header", "H", nil,
		"HTTP header for live endpoints, e.g. \"Authorization: Bearer $TOKEN\" (repeatable; never printed)")
	c.Flags().DurationVar(&f.timeout, "timeout", fetch.DefaultTimeout,
		"time limit for fetching a live endpoint, body included")
	c.Flags().StringVar(&f.maxBytes, "max-bytes", "512MiB",
		"largest input accepted, counted after decompression (e.g. 64MiB, 2GiB)")
}

// reader opens and parses the inputs named on the command line.
type reader struct {
	in       io.Reader
	header   http.Header
	timeout  time.Duration
	maxBytes int64
	stdin    bool // "-" was read already
}

func (f *inputFlags) reader(s *streams) (*reader, error) {
	max, err := parseSize(f.maxBytes)
	if err != nil {
		return nil, fmt.Errorf("--max-bytes: %w", err)
	}
	if f.timeout <= 0 {
		return nil, fmt.Errorf("--timeout must be positive, got %s", f.timeout)
	}
	h := http.Header{}
	for i, kv := range f.headers {
		k, v, ok := strings.Cut(kv, ":")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			// Headers carry secrets: say which -H is wrong, never what it holds.
			return nil, fmt.Errorf("-H number %d is not of the form \"Name: value\" (its text is not shown)", i+1)
		}
		h.Add(k, strings.TrimSpace(v))
	}
	return &reader{in: s.In, header: h, timeout: f.timeout, maxBytes: max}, nil
}

// snapshot reads one input: "-" for stdin, a file, or a live endpoint.
func (r *reader) snapshot(ctx context.Context, arg string) (*parse.Snapshot, error) {
	rc, name, err := r.open(ctx, arg)
	if err != nil {
		return nil, err
	}
	// A live sample is taken when the target answers: a debug=2 dump is
	// complete before its first byte is sent.
	taken := time.Now()
	defer rc.Close()
	snap, err := parse.Read(ctx, rc, name, parse.Options{MaxBytes: r.maxBytes})
	var fe *fetch.Error
	if errors.As(err, &fe) {
		// A failure while reading the body: the fetch error names the URL
		// already.
		return nil, fe
	}
	if err == nil && snap.Time.IsZero() && isLive(arg) {
		snap.Time = taken.UTC()
	}
	return snap, err
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

func (r *reader) open(ctx context.Context, arg string) (io.ReadCloser, string, error) {
	if arg == "-" {
		if r.stdin {
			return nil, "", errors.New("stdin (-) can be read only once")
		}
		r.stdin = true
		return io.NopCloser(r.in), "-", nil
	}
	f, err := os.Open(arg)
	if err == nil {
		if st, err := f.Stat(); err == nil && st.IsDir() {
			f.Close()
			return nil, "", fmt.Errorf("%s: is a directory, not a goroutine dump", arg)
		}
		return f, arg, nil
	}
	if !errors.Is(err, fs.ErrNotExist) || !fetch.IsURL(arg) {
		return nil, "", fmt.Errorf("%s: %w", arg, unwrapPath(err))
	}
	u, err := fetch.Normalize(arg)
	if err != nil {
		return nil, "", err
	}
	body, err := fetch.Open(ctx, u, fetch.Options{Timeout: r.timeout, MaxBytes: r.maxBytes, Header: r.header})
	if err != nil {
		return nil, "", err
	}
	return body, fetch.Redact(u), nil
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
