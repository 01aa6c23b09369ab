package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestExporterFlags checks the command line's mistakes: exit 2 and one
// line naming the flag, before anything listens.
func TestExporterFlags(t *testing.T) {
	dir := t.TempDir()
	badConfig := filepath.Join(dir, "bad.yml")
	if err := os.WriteFile(badConfig, []byte("targets:\n  - match: db:6060\n    headers: [\"Authorization Bearer s3cr3t\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--max-concurrent", "0"}, "--max-concurrent must be at least 1, got 0"},
		{[]string{"--max-queue", "-1"}, "--max-queue must not be negative"},
		{[]string{"--max-sites", "0"}, "--max-sites must be at least 1"},
		{[]string{"--sampling", "often"}, `--sampling "often": want auto, full or light`},
		{[]string{"--timeout", "0s"}, "--timeout must be positive"},
		{[]string{"--max-bytes", "lots"}, "--max-bytes: want a positive size"},
		{[]string{"--spawner", "("}, "--spawner"},
		{[]string{"--config", filepath.Join(dir, "missing.yml")}, "--config " + filepath.Join(dir, "missing.yml") + ": no such file or directory"},
		{[]string{"--config", badConfig}, "--config " + badConfig + `: target 1 (match "db:6060"): header 1 is not of the form`},
		{[]string{"--cacert", filepath.Join(dir, "missing.pem")}, "--cacert"},
		{[]string{"--listen", busy.Addr().String()}, "--listen " + busy.Addr().String() + ": address already in use"},
		{[]string{"extra"}, "want no arguments, got 1"},
	} {
		code, stdout, stderr := runLeakscan(t, append([]string{"exporter"}, c.args...)...)
		if code != exitInput || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 || stdout != "" {
			t.Errorf("leakscan exporter %q: exit %d, stdout %q, stderr %q; want 2 and one line with %q", c.args, code, stdout, stderr, c.want)
		}
		if strings.Contains(stderr, "s3cr3t") {
			t.Errorf("leakscan exporter %q shows the secret: %q", c.args, stderr)
		}
	}
}

// TestExporterServes runs the command in this process: it says where it
// listens, serves /probe and /metrics, and when its context ends it stops
// gracefully, answering the probe in flight at once.
func TestExporterServes(t *testing.T) {
	entered := make(chan struct{})
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("debug") == "1" {
			io.WriteString(w, "goroutine profile: total 3\n3 @ 0x1 0x2\n#\t0x1\tmain.worker+0x1\t/app/main.go:10\n\n")
			return
		}
		close(entered)
		<-r.Context().Done() // the full dump never comes
	}))
	defer target.Close()

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	var errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"exporter", "--listen", "127.0.0.1:0"}, &streams{
			In: strings.NewReader(""), Out: pw, Err: &errOut, Getenv: func(string) string { return "" },
		})
		pw.Close()
	}()
	lines := bufio.NewReader(pr)
	first, err := lines.ReadString('\n')
	if err != nil {
		t.Fatalf("no first line: %v; stderr %q", err, errOut.String())
	}
	go io.Copy(io.Discard, lines)
	addr, ok := strings.CutPrefix(strings.TrimSpace(first), "listening on ")
	if !ok {
		t.Fatalf("first line %q, want listening on http://ADDR", first)
	}

	resp, err := http.Get(addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "leakscan_exporter_probes_total") {
		t.Errorf("/metrics lacks the exporter's metrics:\n%s", body)
	}

	// A probe in flight when the command is told to stop.
	answered := make(chan string, 1)
	go func() {
		resp, err := http.Get(addr + "/probe?target=" + url.QueryEscape(target.URL))
		if err != nil {
			answered <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		answered <- string(b)
	}()
	<-entered
	cancel()
	select {
	case body := <-answered:
		if !strings.Contains(body, "leakscan_probe_success 0") {
			t.Errorf("the probe in flight was answered %q, want leakscan_probe_success 0", body)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the probe in flight was not answered")
	}
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("exit %d after the context ended, want 0; stderr %q", code, errOut.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the exporter did not stop")
	}
	if _, err := http.Get(addr + "/metrics"); err == nil {
		t.Error("the exporter still serves after it stopped")
	}
}
