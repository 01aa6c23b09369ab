package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// idleServerMain is the "idleserver" command of the test binary (see
// TestMain): a Go service that does nothing but serve net/http/pprof on
// 127.0.0.1, as an idle service in production does between requests. It
// prints its URL and runs until its stdin is closed.
func idleServerMain() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	srv := &http.Server{Handler: http.DefaultServeMux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	fmt.Printf("http://%s\n", ln.Addr())
	io.Copy(io.Discard, os.Stdin)
	srv.Close()
}

// startIdleServer runs idleServerMain in a process of its own, so that
// leakscan's fetches are not among the goroutines it counts, and returns
// its URL.
func startIdleServer(t *testing.T) string {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Args[0] = "idleserver"
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("idle server: %v", err)
		}
	})
	url, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("idle server: %v", err)
	}
	return strings.TrimSpace(url)
}

// TestIdleServiceGate runs the README's gate, at its strictest, on pairs
// of back-to-back dumps of an idle service with idle keep-alive clients:
// the goroutines of the very requests that fetch the dumps, and the
// clients' idle connections, must never trip it.
func TestIdleServiceGate(t *testing.T) {
	checkNoLeaks(t)
	url := startIdleServer(t)
	// Clients that keep idle connections to the service, as a load
	// balancer's health checks do.
	tr := &http.Transport{MaxIdleConnsPerHost: 4}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	for range 3 {
		resp, err := client.Get(url + "/debug/pprof/")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	for i := range 20 {
		code, stdout, stderr := runLeakscan(t, "diff", url, url, "--max-growth", "0", "--max-total-growth", "0")
		if code != exitOK {
			t.Fatalf("pair %d: exit %d\n%s%s", i, code, stdout, stderr)
		}
	}
}

// TestDiffLiveInterval diffs two live samples of one target with
// --interval: the second is taken that long after the first, and the
// report says the time they were really apart.
func TestDiffLiveInterval(t *testing.T) {
	checkNoLeaks(t)
	url := startIdleServer(t)
	start := time.Now()
	code, stdout, stderr := runLeakscan(t, "diff", url, url, "--interval", "1s")
	if took := time.Since(start); code != exitOK || took < time.Second {
		t.Fatalf("exit %d after %s, want 0 after 1s or more\n%s%s", code, took, stdout, stderr)
	}
	if !strings.Contains(stderr, "waiting 1s before the second sample (--interval)") {
		t.Errorf("stderr %q: want the wait said", stderr)
	}
	if !regexp.MustCompile(` in 1(\.[0-9])?s`).MatchString(strings.SplitN(stdout, "\n", 2)[0]) {
		t.Errorf("summary %q: want the real time between the samples, about 1s", strings.SplitN(stdout, "\n", 2)[0])
	}
}
