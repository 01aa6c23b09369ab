package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/spf13/cobra"
)

// smallDump is a debug=2 dump of a few KiB.
func smallDump() []byte {
	var b bytes.Buffer
	for id := 1; b.Len() < 4<<10; id++ {
		b.WriteString("goroutine " + strconv.Itoa(id) + " [chan receive]:\nmain.worker()\n\t/app/main.go:12 +0x1d\n" +
			"created by main.main in goroutine 1\n\t/app/main.go:7 +0x25\n\n")
	}
	return b.Bytes()
}

// TestMaxBytesPerSource: without --max-bytes a file is read whatever its
// size, and stdin is bounded; with it, both are.
func TestMaxBytesPerSource(t *testing.T) {
	data := smallDump()
	file := filepath.Join(t.TempDir(), "dump.txt")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		explicit bool
		arg      string
		err      string
	}{
		{"file, default limit", false, file, ""},
		{"stdin, default limit", false, "-", "-: input too large: more than 1 KiB (--max-bytes)"},
		{"file, --max-bytes", true, file, file + ": input too large: more than 1 KiB (--max-bytes)"},
		{"stdin, --max-bytes", true, "-", "-: input too large: more than 1 KiB (--max-bytes)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &reader{in: bytes.NewReader(data), maxBytes: 1 << 10, explicit: tt.explicit}
			snap, err := r.snapshot(t.Context(), tt.arg)
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("snapshot(%s) error %v, want none", tt.arg, err)
			case tt.err == "" && snap.Goroutines == 0:
				t.Errorf("snapshot(%s) read no goroutine", tt.arg)
			case tt.err != "" && (err == nil || err.Error() != tt.err):
				t.Errorf("snapshot(%s) error %v, want %q", tt.arg, err, tt.err)
			}
		})
	}
}

// TestMaxBytesExplicit: the reader knows whether --max-bytes was given,
// whatever its value.
func TestMaxBytesExplicit(t *testing.T) {
	for _, tt := range []struct {
		args     []string
		explicit bool
	}{
		{nil, false},
		{[]string{"--max-bytes", "512MiB"}, true},
		{[]string{"--max-bytes=1KiB"}, true},
	} {
		var f inputFlags
		c := &cobra.Command{}
		f.register(c)
		if err := c.ParseFlags(tt.args); err != nil {
			t.Fatal(err)
		}
		r, err := f.reader(&streams{})
		if err != nil || r.explicit != tt.explicit {
			t.Errorf("flags %q: explicit = %v, %v; want %v", tt.args, r.explicit, err, tt.explicit)
		}
	}
}

// flaky503 answers 503 to its first request, then serves the goroutine
// profile.
func flaky503(t *testing.T) *httptest.Server {
	t.Helper()
	var hits atomic.Int32
	profile := pprof.Handler("goroutine")
	return server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		profile.ServeHTTP(w, r)
	}))
}

// TestVerbose: --verbose says on stderr what was fetched, each retry and
// why, and how long each step took, with URLs redacted.
func TestVerbose(t *testing.T) {
	checkNoLeaks(t)
	srv := flaky503(t)
	url := srv.URL + "/debug/pprof/goroutine?debug=2&token=s3cr3t"
	shown := regexp.QuoteMeta(srv.URL + "/debug/pprof/goroutine?debug=2&token=xxxxx")
	addr := regexp.QuoteMeta(srv.Listener.Addr().String())
	code, stdout, stderr := runLeakscan(t, "top", url, "--verbose")
	if code != exitOK || stdout == "" {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 0 and a table", code, stdout, stderr)
	}
	d := `[0-9.]+[µm]?s`
	want := []string{
		`^leakscan: GET ` + shown + `$`,
		`^leakscan: connected to ` + addr + ` after ` + d + `$`,
		`^leakscan: 503 Service Unavailable after ` + d + ` \(first byte\)$`,
		`^leakscan: retrying in 100ms: 503 Service Unavailable$`,
		`^leakscan: GET ` + shown + ` \(attempt 2\)$`,
		`^leakscan: connected to ` + addr + ` after ` + d + `$`,
		`^leakscan: 200 OK after ` + d + ` \(first byte\)$`,
		`^leakscan: body: [0-9.]+ (bytes|KiB|MiB) in ` + d + `$`,
		`^leakscan: ` + shown + `: [0-9]+ goroutines read in ` + d + `$`,
	}
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("stderr has %d lines, want %d:\n%s", len(lines), len(want), stderr)
	}
	for i, re := range want {
		if !regexp.MustCompile(re).MatchString(lines[i]) {
			t.Errorf("stderr line %d = %q, want it to match %s", i+1, lines[i], re)
		}
	}
	if strings.Contains(stderr, "s3cr3t") {
		t.Errorf("stderr shows the token:\n%s", stderr)
	}
}

// TestFlagInMessage: an error names the flag that changes the outcome,
// and says how often a request was tried again.
func TestFlagInMessage(t *testing.T) {
	for _, tt := range []struct {
		name    string
		handler http.HandlerFunc
		flags   []string
		want    string // the end of stderr's line
	}{
		{"timeout", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
			[]string{"--timeout", "200ms"}, ": timed out after 200ms (--timeout)"},
		{"too large", func(w http.ResponseWriter, r *http.Request) {
			for r.Context().Err() == nil {
				if _, err := w.Write(smallDump()); err != nil {
					return
				}
			}
		}, []string{"--max-bytes", "64KiB"}, ": input too large: more than 64 KiB (--max-bytes)"},
		{"too large by Content-Length", func(w http.ResponseWriter, r *http.Request) {
			w.Write(make([]byte, 2<<10))
		}, []string{"--max-bytes", "1KiB"}, ": input too large: more than 1 KiB (--max-bytes)"},
		{"503 retried", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
		}, nil, ": 503 Service Unavailable, retried twice"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkNoLeaks(t)
			url := server(t, tt.handler).URL + "/debug/pprof/goroutine?debug=2"
			code, _, stderr := runLeakscan(t, append([]string{"top", url}, tt.flags...)...)
			if want := "leakscan: GET " + url + tt.want + "\n"; code != exitInput || stderr != want {
				t.Errorf("exit %d, stderr %q; want %d, %q", code, stderr, exitInput, want)
			}
		})
	}
}

// tlsServer serves the goroutine profile over https with a self-signed
// certificate, written as PEM to the returned file.
func tlsServer(t *testing.T) (*httptest.Server, string) {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/debug/pprof/goroutine", pprof.Handler("goroutine"))
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pemFile := filepath.Join(t.TempDir(), "cert.pem")
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(pemFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, pemFile
}

// TestCACert: --cacert trusts a self-signed certificate; without it the
// error names the flag.
func TestCACert(t *testing.T) {
	checkNoLeaks(t)
	srv, pemFile := tlsServer(t)
	url := srv.URL + "/debug/pprof/goroutine?debug=2"

	code, stdout, stderr := runLeakscan(t, "top", url, "--cacert", pemFile, "-o", "json")
	var r jsonReport
	if code != exitOK || json.Unmarshal([]byte(stdout), &r) != nil || len(r.Snapshots) != 1 || r.Snapshots[0].Goroutines == 0 {
		t.Errorf("with --cacert: exit %d, stderr %q, stdout %.200q; want 0 and a report", code, stderr, stdout)
	}

	code, _, stderr = runLeakscan(t, "top", url)
	if code != exitInput || !strings.HasPrefix(stderr, "leakscan: GET "+url+": ") ||
		!strings.HasSuffix(stderr, "certificate signed by unknown authority (--cacert)\n") {
		t.Errorf("without --cacert: exit %d, stderr %q; want 2 and an unknown authority, naming --cacert", code, stderr)
	}

	notPEM := filepath.Join(t.TempDir(), "key.txt")
	os.WriteFile(notPEM, []byte("not a certificate\n"), 0o600)
	missing := filepath.Join(t.TempDir(), "missing.pem")
	for file, want := range map[string]string{
		notPEM:  "leakscan: --cacert " + notPEM + ": no PEM certificate in it (want \"-----BEGIN CERTIFICATE-----\" blocks)\n",
		missing: "leakscan: --cacert " + missing + ": no such file or directory\n",
	} {
		if code, _, stderr := runLeakscan(t, "top", url, "--cacert", file); code != exitInput || stderr != want {
			t.Errorf("--cacert %s: exit %d, stderr %q; want 2, %q", file, code, stderr, want)
		}
	}
}

// TestSSLCertFile: the SSL_CERT_FILE the help mentions replaces the
// system's certificates, as --cacert does. Go reads it once per process,
// hence a process of its own.
func TestSSLCertFile(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("SSL_CERT_FILE is read on Linux and the BSDs")
	}
	bin := buildLeakscan(t)
	srv, pemFile := tlsServer(t)
	cmd := exec.Command(bin, "top", srv.URL+"/debug/pprof/")
	cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+pemFile)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("leakscan top with SSL_CERT_FILE: %v\n%s", err, out)
	}
}

// TestURLSecrets: query values other than the profile's own are hidden
// in the Source of a snapshot and in JSON, and a password with no scheme
// in front authenticates without being shown.
func TestURLSecrets(t *testing.T) {
	checkNoLeaks(t)
	const password = "pa55w0rd-xyz"
	var auth atomic.Value
	profile := pprof.Handler("goroutine")
	srv := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pw, _ := r.BasicAuth()
		auth.Store(user + ":" + pw + " " + r.URL.Query().Get("token"))
		profile.ServeHTTP(w, r)
	}))
	host := strings.TrimPrefix(srv.URL, "http://")

	r := topJSON(t, srv.URL+"/debug/pprof/goroutine?debug=2&token="+password)
	if want := srv.URL + "/debug/pprof/goroutine?debug=2&token=xxxxx"; r.Snapshots[0].Source != want {
		t.Errorf("source %q, want %q", r.Snapshots[0].Source, want)
	}
	if got, _ := auth.Load().(string); !strings.HasSuffix(got, " "+password) {
		t.Errorf("the server got %q, not the token", got)
	}

	r = topJSON(t, "alice:"+password+"@"+host)
	if want := "http://alice:xxxxx@" + host + "/debug/pprof/goroutine?debug=2"; r.Snapshots[0].Source != want {
		t.Errorf("source %q, want %q", r.Snapshots[0].Source, want)
	}
	if got, _ := auth.Load().(string); !strings.HasPrefix(got, "alice:"+password+" ") {
		t.Errorf("the server got %q, not alice's password", got)
	}

	// Unescaped, '#' and '/' would end the host early; the error says
	// what to write, and never the password.
	for _, arg := range []string{"alice:pa55#w0rd@" + host, "http://alice:pa55/w0rd@" + host + "/", "alice:pa55w0rd@nohost"} {
		code, stdout, stderr := runLeakscan(t, "top", arg)
		if code != exitInput || strings.Contains(stdout+stderr, "pa55") || !strings.Contains(stderr, "alice:xxxxx@") {
			t.Errorf("leakscan top %s: exit %d, stderr %q; want 2 and the password hidden", arg, code, stderr)
		}
	}
}

// TestRunContextNotSignal: a context cancelled for another reason than a
// signal is an error like any other.
func TestRunContextNotSignal(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var out, errOut bytes.Buffer
	code := run(ctx, []string{"top", "-"}, &streams{In: strings.NewReader("x"), Out: &out, Err: &errOut, Getenv: os.Getenv})
	if code != exitInput {
		t.Errorf("run with a cancelled context = %d, stderr %q; want %d", code, errOut.String(), exitInput)
	}
}
