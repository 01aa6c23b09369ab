package main

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	runtimepprof "runtime/pprof"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// The tests of this file read live endpoints: net/http/pprof's handlers
// (and servers that misbehave) on httptest servers, with run called in
// this process, so the goroutines they count are this test's own.

//go:noinline
func parkLive(g *gang) { defer g.wg.Done(); <-g.ch }

// spawnLive is the creation site the live tests look for.
//
//go:noinline
func spawnLive(g *gang, n int) {
	for range n {
		g.wg.Add(1)
		go parkLive(g)
	}
}

// liveGoroutines is how many goroutines spawnLive starts for a test.
const liveGoroutines = 5

// startLive parks liveGoroutines goroutines at spawnLive until the test
// ends.
func startLive(t *testing.T) {
	t.Helper()
	g := newGang()
	spawnLive(g, liveGoroutines)
	t.Cleanup(g.release)
	if err := waitParked(map[string]int{"parkLive": liveGoroutines}); err != nil {
		t.Fatal(err)
	}
}

// checkNoLeaks fails t if goroutines that t started still run once its
// cleanups (servers closed, goroutines released) are done. Call it first,
// so that its cleanup runs last.
func checkNoLeaks(t *testing.T) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
}

// pprofServer serves the goroutine profile where net/http/pprof does.
func pprofServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/debug/pprof/goroutine", pprof.Handler("goroutine"))
	return server(t, mux)
}

func server(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// runLeakscan runs leakscan with args in this process.
func runLeakscan(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(t.Context(), args, &streams{
		In:     strings.NewReader(""),
		Out:    &out,
		Err:    &errOut,
		Getenv: func(string) string { return "" },
	})
	return code, out.String(), errOut.String()
}

// jsonReport is the part of leakscan's JSON that these tests read.
type jsonReport struct {
	Schema    string `json:"schema"`
	Snapshots []struct {
		Source     string `json:"source"`
		Format     string `json:"format"`
		Goroutines int    `json:"goroutines"`
	} `json:"snapshots"`
	Sites []struct {
		Creator string `json:"creator"`
		Entry   string `json:"entry"`
		Benign  string `json:"benign"`
		Counts  []int  `json:"counts"`
	} `json:"sites"`
}

// topJSON runs leakscan top -o json on arg, which must succeed.
func topJSON(t *testing.T, arg string, flags ...string) *jsonReport {
	t.Helper()
	code, stdout, stderr := runLeakscan(t, append([]string{"top", arg, "-o", "json"}, flags...)...)
	if code != exitOK || stderr != "" {
		t.Fatalf("leakscan top %s: exit %d, stderr %q; want 0 and nothing", arg, code, stderr)
	}
	var r jsonReport
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("leakscan top %s -o json: %v\n%s", arg, err, stdout)
	}
	if len(r.Snapshots) != 1 {
		t.Fatalf("leakscan top %s -o json: %d snapshots, want 1", arg, len(r.Snapshots))
	}
	return &r
}

// count returns the goroutines of the site whose creator (or, when the
// format records none, entry function) ends in suffix.
func (r *jsonReport) count(t *testing.T, suffix string) int {
	t.Helper()
	for _, s := range r.Sites {
		if strings.HasSuffix(s.Creator, suffix) || s.Creator == "" && strings.HasSuffix(s.Entry, suffix) {
			return s.Counts[0]
		}
	}
	t.Fatalf("no site %s in %+v", suffix, r.Sites)
	return 0
}

func TestLiveTop(t *testing.T) {
	checkNoLeaks(t)
	startLive(t)
	srv := pprofServer(t)
	hostport := strings.TrimPrefix(srv.URL, "http://")
	want := srv.URL + "/debug/pprof/goroutine?debug=2"
	for _, arg := range []string{
		srv.URL + "/debug/pprof/",
		srv.URL + "/debug/pprof",
		srv.URL,
		hostport,
		hostport + "/debug/pprof/",
		srv.URL + "/debug/pprof/goroutine",
	} {
		t.Run(arg, func(t *testing.T) {
			r := topJSON(t, arg)
			if got := r.Snapshots[0]; got.Source != want || got.Format != "debug=2" {
				t.Errorf("snapshot read from %s, format %s; want %s, debug=2", got.Source, got.Format, want)
			}
			if got := r.count(t, ".spawnLive"); got != liveGoroutines {
				t.Errorf("site spawnLive: %d goroutines, want %d", got, liveGoroutines)
			}
			benign := false
			for _, s := range r.Sites {
				benign = benign || strings.Contains(s.Benign, "writes the dump")
			}
			if !benign {
				t.Errorf("no site marked %q: the handler writing the dump is benign", "writes the dump")
			}
		})
	}

	// The table too.
	code, stdout, stderr := runLeakscan(t, "top", hostport)
	if code != exitOK || stderr != "" {
		t.Fatalf("leakscan top %s: exit %d, stderr %q", hostport, code, stderr)
	}
	if !strings.Contains(stdout, want+": ") || !strings.Contains(stdout, fmt.Sprintf("%d  leakscan.spawnLive live_test.go:", liveGoroutines)) {
		t.Errorf("leakscan top %s:\n%s\nwant the source and a row of %d at spawnLive", hostport, stdout, liveGoroutines)
	}
}

func TestLiveGzipEncoding(t *testing.T) {
	checkNoLeaks(t)
	startLive(t)
	var encoded atomic.Bool
	srv := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// As a compressing proxy in front of the service would answer.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		if err := runtimepprof.Lookup("goroutine").WriteTo(zw, 2); err != nil {
			t.Error(err)
		}
		if err := zw.Close(); err != nil {
			t.Error(err)
		}
		encoded.Store(true)
	}))
	r := topJSON(t, srv.URL+"/debug/pprof/")
	if !encoded.Load() {
		t.Fatal("the server sent nothing")
	}
	if got := r.Snapshots[0].Format; got != "debug=2" {
		t.Errorf("format %s, want debug=2", got)
	}
	if got := r.count(t, ".spawnLive"); got != liveGoroutines {
		t.Errorf("site spawnLive: %d goroutines, want %d", got, liveGoroutines)
	}
}

func TestLiveProtobuf(t *testing.T) {
	checkNoLeaks(t)
	startLive(t)
	srv := pprofServer(t)
	r := topJSON(t, srv.URL+"/debug/pprof/goroutine?debug=0")
	if got := r.Snapshots[0].Format; got != "protobuf" {
		t.Errorf("format %s, want protobuf", got)
	}
	// The protobuf profile records no creation site: the site is the
	// function the goroutines run.
	if got := r.count(t, ".parkLive"); got != liveGoroutines {
		t.Errorf("site parkLive: %d goroutines, want %d", got, liveGoroutines)
	}
}

func TestLiveErrors(t *testing.T) {
	// A port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := l.Addr().String()
	l.Close()

	for _, tt := range []struct {
		name    string
		handler http.HandlerFunc // nil: the refused port
		path    string
		flags   []string
		want    []string // in the one line of stderr
		within  time.Duration
	}{
		{
			name: "500",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "profile unavailable", http.StatusInternalServerError)
			},
			want: []string{"500 Internal Server Error", "profile unavailable"},
		},
		{
			name: "404 HTML page",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.WriteHeader(http.StatusNotFound)
				io.WriteString(w, "<!DOCTYPE html>\n<html><body><h1>Page not found</h1></body></html>\n")
			},
			want: []string{"404 Not Found"},
		},
		{
			name: "200 HTML login page",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				io.WriteString(w, "<!DOCTYPE html>\n<html><head><title>Sign in</title></head>\n"+
					"<body><form action=\"/login\">login: <input name=user></form></body></html>\n")
			},
			want: []string{"HTML"},
		},
		{
			name: "slow",
			handler: func(w http.ResponseWriter, r *http.Request) {
				<-r.Context().Done()
			},
			flags:  []string{"--timeout", "300ms"},
			want:   []string{"timed out"},
			within: 5 * time.Second,
		},
		{
			name: "slow body",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				io.WriteString(w, "goroutine 1 [running]:\nmain.main()\n\t/app/main.go:5 +0x1d\n\n")
				w.(http.Flusher).Flush()
				<-r.Context().Done()
			},
			flags:  []string{"--timeout", "300ms"},
			want:   []string{"timed out"},
			within: 5 * time.Second,
		},
		{
			name: "endless body",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				for id := 1; r.Context().Err() == nil; id++ {
					_, err := fmt.Fprintf(w, "goroutine %d [chan receive]:\nmain.worker()\n\t/app/main.go:12 +0x1d\n"+
						"created by main.main in goroutine 1\n\t/app/main.go:7 +0x25\n\n", id)
					if err != nil {
						return
					}
				}
			},
			flags:  []string{"--max-bytes", "64KiB"},
			want:   []string{"64 KiB"},
			within: 10 * time.Second,
		},
		{
			name: "redirect loop",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, r.URL.RequestURI(), http.StatusFound)
			},
			want: []string{"redirects"},
		},
		{
			name: "refused",
			want: []string{"connection refused"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkNoLeaks(t)
			base := "http://" + refused
			if tt.handler != nil {
				base = server(t, tt.handler).URL
			}
			url := base + "/debug/pprof/goroutine?debug=2"
			args := append([]string{"top", url}, tt.flags...)
			start := time.Now()
			code, stdout, stderr := runLeakscan(t, args...)
			elapsed := time.Since(start)
			t.Logf("after %v: %s", elapsed.Round(time.Millisecond), stderr)
			if code != exitInput {
				t.Errorf("leakscan %s: exit %d, want %d", strings.Join(args, " "), code, exitInput)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if !strings.HasPrefix(stderr, "leakscan: ") || !strings.HasSuffix(stderr, "\n") || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr %q, want one line starting \"leakscan: \"", stderr)
			}
			for _, w := range append([]string{url}, tt.want...) {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not say %q", stderr, w)
				}
			}
			if tt.within > 0 && elapsed > tt.within {
				t.Errorf("leakscan took %v, want less than %v", elapsed, tt.within)
			}
		})
	}
}

// TestLiveSecrets checks that credentials given to leakscan are never
// printed, even when the server echoes them back.
func TestLiveSecrets(t *testing.T) {
	const token = "s3cr3t-token"
	const password = "pa55w0rd-xyz"
	for _, tt := range []struct {
		name    string
		status  int
		args    func(url string) []string
		handler http.HandlerFunc
	}{
		{
			name:   "401 echoing Authorization",
			status: http.StatusUnauthorized,
			args: func(url string) []string {
				return []string{"top", url, "-H", "Authorization: Bearer " + token}
			},
		},
		{
			name:   "403 echoing a custom header",
			status: http.StatusForbidden,
			args: func(url string) []string {
				return []string{"top", url, "-H", "X-Api-Key: " + token}
			},
		},
		{
			name:   "401 echoing a URL password",
			status: http.StatusUnauthorized,
			args: func(url string) []string {
				return []string{"top", strings.Replace(url, "http://", "http://admin:"+password+"@", 1)}
			},
		},
		{
			name:   "200 echoing Authorization, not a dump",
			status: http.StatusOK,
			args: func(url string) []string {
				return []string{"diff", url, url, "-H", "Authorization: Bearer " + token}
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkNoLeaks(t)
			var got atomic.Value
			srv := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				// Everything the client sent that could be a credential.
				echo := r.Header.Get("Authorization") + " " + r.Header.Get("X-Api-Key")
				got.Store(echo)
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				w.WriteHeader(tt.status)
				fmt.Fprintf(w, "invalid credentials: %s\n", echo)
			}))
			args := tt.args(srv.URL + "/debug/pprof/")
			code, stdout, stderr := runLeakscan(t, args...)
			if code != exitInput {
				t.Errorf("exit %d, want %d; stderr %q", code, exitInput, stderr)
			}
			if echo, _ := got.Load().(string); !strings.Contains(echo, token) && !strings.Contains(echo, "Basic ") {
				t.Fatalf("the server saw %q: no credential reached it, the test shows nothing", echo)
			}
			// The password also goes as Basic credentials, base64 is
			// no disguise.
			basic := base64.StdEncoding.EncodeToString([]byte("admin:" + password))
			for _, secret := range []string{token, password, basic} {
				if strings.Contains(stdout, secret) || strings.Contains(stderr, secret) {
					t.Errorf("a secret is printed:\nstdout %q\nstderr %q", stdout, stderr)
				}
			}
			if tt.status != http.StatusOK && !strings.Contains(stderr, fmt.Sprint(tt.status)) {
				t.Errorf("stderr %q does not name the status %d", stderr, tt.status)
			}
		})
	}
}

// TestLiveBodyErrorNamesURLOnce: an error while reading the body names
// the URL once, as errors before the body do ("leakscan: GET <url>:
// timed out after 300ms").
func TestLiveBodyErrorNamesURLOnce(t *testing.T) {
	checkNoLeaks(t)
	srv := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		for r.Context().Err() == nil {
			if _, err := io.WriteString(w, "goroutine 1 [running]:\nmain.main()\n\t/app/main.go:5 +0x1d\n\n"); err != nil {
				return
			}
		}
	}))
	url := srv.URL + "/debug/pprof/goroutine?debug=2"
	code, _, stderr := runLeakscan(t, "top", url, "--max-bytes", "64KiB")
	if code != exitInput {
		t.Errorf("exit %d, want %d", code, exitInput)
	}
	if n := strings.Count(stderr, url); n != 1 {
		t.Errorf("bug: stderr %q names the URL %d times, want once", stderr, n)
	}
}
