package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain fails the tests if any goroutine they started is still
// running at the end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// build builds the service into a temporary directory, with the race
// detector when the tests have it (the packages it needs are then built
// already), and returns the binary's path. The test runs the real
// program: its dumps hold the service's goroutines only, named as in any
// build of it (a test binary would name package main by its import path).
func build(t *testing.T) string {
	t.Helper()
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the service: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "leakyservice")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	out, err := exec.Command(gotool, append(args, ".")...).CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return bin
}

// TestService runs the built service, once for its story and once for
// -restart-after, side by side.
func TestService(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the test stops the service with os.Interrupt, which Windows cannot send")
	}
	bin := build(t)
	t.Run("story", func(t *testing.T) {
		t.Parallel()
		testStory(t, bin)
	})
	t.Run("restart-after", func(t *testing.T) {
		t.Parallel()
		testRestartAfter(t, bin)
	})
}

// child is the service running as a process.
type child struct {
	cmd    *exec.Cmd
	stdout *lineBuffer
	stderr *lineBuffer
	exited chan struct{} // closed when the process has ended; then err is set
	err    error
}

func startChild(t *testing.T, bin string, args ...string) *child {
	t.Helper()
	c := &child{
		cmd:    exec.Command(bin, args...),
		stdout: newLineBuffer(),
		stderr: newLineBuffer(),
		exited: make(chan struct{}),
	}
	c.cmd.Stdout, c.cmd.Stderr = c.stdout, c.stderr
	if os.Getenv("GORACE") == "" {
		// A race-enabled program sleeps a second at exit by default.
		c.cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=50")
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		c.err = c.cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-c.exited:
		default:
			c.cmd.Process.Kill()
			<-c.exited
		}
		if t.Failed() {
			t.Logf("service %v stderr:\n%s", args, c.stderr)
		}
	})
	return c
}

// listening waits for the service's first line and returns its URL.
func (c *child) listening(t *testing.T) string {
	t.Helper()
	select {
	case <-c.stdout.firstLine:
	case <-c.exited:
		t.Fatalf("service exited before listening: %v", c.err)
	case <-time.After(10 * time.Second):
		t.Fatal("service did not say where it listens within 10s")
	}
	line, _, _ := strings.Cut(c.stdout.String(), "\n")
	m := regexp.MustCompile(`^listening on (http://127\.0\.0\.1:[0-9]+)$`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("first line %q, want \"listening on http://127.0.0.1:PORT\"", line)
	}
	return m[1]
}

// wait waits for the process to end and returns its exit status.
func (c *child) wait(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case <-c.exited:
	case <-time.After(within):
		t.Fatalf("service still running %v later", within)
	}
	var exit *exec.ExitError
	if errors.As(c.err, &exit) {
		return exit.ExitCode()
	}
	if c.err != nil {
		t.Fatal(c.err)
	}
	return 0
}

// lineBuffer collects a process's output and says when a line is in.
type lineBuffer struct {
	mu        sync.Mutex
	buf       bytes.Buffer
	firstLine chan struct{}
	once      sync.Once
}

func newLineBuffer() *lineBuffer { return &lineBuffer{firstLine: make(chan struct{})} }

func (b *lineBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if bytes.IndexByte(b.buf.Bytes(), '\n') >= 0 {
		b.once.Do(func() { close(b.firstLine) })
	}
	return len(p), nil
}

func (b *lineBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// The seed's story, which the service must tell at any scale.
const (
	seedStep   = 16
	seedPeriod = 30 * time.Second
)

// Sites of the service, by the function holding the go statement.
const (
	leakSite     = "main.(*FileMonitor).pollAllFiles"
	poolSite     = "main.startRenderPool"
	cacheSite    = "main.(*tenantCache).lookup"
	churnSite    = "main.(*quoter).fanOut"
	burstSite    = "main.(*compactor).runBatch"
	searchSite   = "main.(*searcher).handleSearch"
	dialConnSite = "net/http.(*Transport).dialConn"
)

// sample is one dump of the service.
type sample struct {
	at time.Duration // since the service said it listens, when the dump was asked for
	gs []goroutine
}

// sites returns the ids of the goroutines whose go statement is in fn,
// by site, and of those whose entry is entry if entry is not "".
func (s sample) sites(fn, entry string) map[string]map[int]bool {
	out := map[string]map[int]bool{}
	for _, g := range s.gs {
		name, _, _ := strings.Cut(g.site, " ")
		if name != fn || entry != "" && g.entry != entry {
			continue
		}
		if out[g.site] == nil {
			out[g.site] = map[int]bool{}
		}
		out[g.site][g.id] = true
	}
	return out
}

// ids returns the ids of the goroutines started in fn (one site, or the
// test fails), whose entry is entry and whose state is state, where not "".
func (s sample) ids(t *testing.T, fn, entry, state string) map[int]bool {
	t.Helper()
	sites := s.sites(fn, entry)
	if len(sites) > 1 {
		t.Fatalf("%v: %d sites in %s, want one: %v", s.at, len(sites), fn, sites)
	}
	ids := map[int]bool{}
	for _, set := range sites {
		for _, g := range s.gs {
			if set[g.id] && (state == "" || g.state == state) {
				ids[g.id] = true
			}
		}
	}
	return ids
}

// testStory runs the service at scale 0.1 (a leak period of 3 s) for three
// and a half periods and checks, from its own dumps, every behaviour it was
// designed with.
func testStory(t *testing.T, bin string) {
	const scale = 0.1
	period := time.Duration(float64(seedPeriod) * scale)
	addrFile := filepath.Join(t.TempDir(), "addr")
	const healthMax = 90 // between the goroutines of the first dump and those of the last
	svc := startChild(t, bin, "-addr", "127.0.0.1:0", "-scale", fmt.Sprint(scale),
		"-addr-file", addrFile, "-health-max-goroutines", fmt.Sprint(healthMax))
	base := svc.listening(t)
	start := time.Now()
	if b, err := os.ReadFile(addrFile); err != nil || "http://"+strings.TrimSpace(string(b)) != base {
		t.Errorf("-addr-file holds %q (%v), want the address of %s", b, err, base)
	}

	client := &http.Client{Transport: &http.Transport{}, Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()

	// Three dumps a period, each a sixth of a period away from the
	// leak's steps (at whole periods), over three and a half periods;
	// the middle one of each period is the one the step is checked on.
	const perPeriod, nSamples = 3, 11
	var samples []sample
	var health []healthCheck
	for j := range nSamples {
		at := time.Duration(float64(period) * (float64(j) + 0.5) / perPeriod)
		time.Sleep(time.Until(start.Add(at)))
		samples = append(samples, sample{at: time.Since(start), gs: dump(t, client, base)})
		if j == 0 || j == nSamples-1 {
			health = append(health, checkHealth(t, client, base))
		}
	}
	logCounts(t, samples)

	t.Run("leak", func(t *testing.T) {
		var mid []sample
		for j, s := range samples {
			if j%perPeriod == 1 {
				mid = append(mid, s)
			}
		}
		for i := 1; i < len(mid); i++ {
			a, b := mid[i-1], mid[i]
			checkAway(t, a.at, period)
			checkAway(t, b.at, period)
			before, after := a.ids(t, leakSite, "", ""), b.ids(t, leakSite, "", "")
			if len(after)-len(before) != seedStep {
				t.Errorf("%s: %d at %v, %d at %v: want +%d a period", leakSite, len(before), a.at, len(after), b.at, seedStep)
			}
			if gone := missing(before, after); len(gone) > 0 {
				t.Errorf("%s: goroutines %v of %v gone at %v; a leak's stay", leakSite, keys(gone), a.at, b.at)
			}
		}
		last := samples[len(samples)-1]
		for site := range last.sites(leakSite, "") {
			if !strings.HasPrefix(site, leakSite+" file_monitor.go:") {
				t.Errorf("site %s, want its go statement in file_monitor.go", site)
			}
		}
		blocked := last.ids(t, leakSite, "main.(*FileMonitor).sendCheckpoint", "chan send")
		if all := last.ids(t, leakSite, "", ""); len(blocked) != len(all) || len(all) == 0 {
			t.Errorf("%s: %d of %d goroutines blocked in chan send in sendCheckpoint, want all", leakSite, len(blocked), len(all))
		}
	})

	t.Run("pool started full", func(t *testing.T) {
		first := samples[0].ids(t, poolSite, "", "")
		if len(first) != renderWorkers {
			t.Errorf("%s: %d goroutines at %v, want %d", poolSite, len(first), samples[0].at, renderWorkers)
		}
		for _, s := range samples[1:] {
			if ids := s.ids(t, poolSite, "", ""); !same(ids, first) {
				t.Errorf("%s: ids %v at %v, want the first dump's %v", poolSite, keys(ids), s.at, keys(first))
			}
		}
	})

	t.Run("cache fills to its cap", func(t *testing.T) {
		var full map[int]bool
		for _, s := range samples {
			ids := s.ids(t, cacheSite, "", "")
			switch {
			case len(ids) > maxTenants:
				t.Errorf("%s: %d goroutines at %v, above the cap %d", cacheSite, len(ids), s.at, maxTenants)
			case full != nil && !same(ids, full):
				t.Errorf("%s: ids %v at %v, want those it was full with, %v", cacheSite, keys(ids), s.at, keys(full))
			case full == nil && len(ids) == maxTenants:
				full = ids
			}
		}
		first := samples[0].ids(t, cacheSite, "", "")
		if len(first) >= maxTenants || full == nil {
			t.Errorf("%s: %d goroutines at %v, full: %v; want it filling at first, then full", cacheSite, len(first), samples[0].at, full != nil)
		}
	})

	t.Run("churn", func(t *testing.T) {
		seen := 0
		for i, s := range samples {
			ids := s.ids(t, churnSite, "", "")
			if len(ids) > 0 {
				seen++
			}
			if len(ids) > loadUsers*pricingBackends {
				t.Errorf("%s: %d goroutines at %v, more than its users can have", churnSite, len(ids), s.at)
			}
			if i > 0 {
				if stayed := both(ids, samples[i-1].ids(t, churnSite, "", "")); len(stayed) > 0 {
					t.Errorf("%s: goroutines %v in the dumps at %v and %v; handlers come and go", churnSite, keys(stayed), samples[i-1].at, s.at)
				}
			}
		}
		if seen < len(samples)/2 {
			t.Errorf("%s: goroutines in %d of %d dumps, want most", churnSite, seen, len(samples))
		}
	})

	t.Run("burst drains", func(t *testing.T) {
		counts := make([]int, len(samples))
		peak := 0
		for i, s := range samples {
			counts[i] = len(s.ids(t, burstSite, "", ""))
			peak = max(peak, counts[i])
		}
		if counts[0] != 0 || peak < compactionChunks/2 || counts[len(counts)-1] != 0 {
			t.Errorf("%s: counts %v, want 0, a rise to at least %d, and 0 again", burstSite, counts, compactionChunks/2)
		}
	})

	t.Run("slow leak in churn", func(t *testing.T) {
		first := samples[0].ids(t, searchSite, "", "chan send")
		last := samples[len(samples)-1].ids(t, searchSite, "", "chan send")
		if len(last)-len(first) < 2 {
			t.Errorf("%s: %d blocked in chan send at %v, %d at %v; want growth", searchSite, len(first), samples[0].at, len(last), samples[len(samples)-1].at)
		}
		shortLived := 0
		for i := 1; i < len(samples); i++ {
			a, b := samples[i-1], samples[i]
			if gone := missing(a.ids(t, searchSite, "", "chan send"), b.ids(t, searchSite, "", "")); len(gone) > 0 {
				t.Errorf("%s: blocked goroutines %v at %v gone at %v", searchSite, keys(gone), a.at, b.at)
			}
			shortLived += len(missing(a.ids(t, searchSite, "", ""), b.ids(t, searchSite, "", "")))
		}
		if shortLived == 0 {
			t.Errorf("%s: no goroutine came and went between two dumps; the leak should hide among short-lived ones", searchSite)
		}
	})

	t.Run("net/http readLoop and writeLoop", func(t *testing.T) {
		for _, entry := range []string{"net/http.(*persistConn).readLoop", "net/http.(*persistConn).writeLoop"} {
			first, last := samples[0].ids(t, dialConnSite, entry, ""), samples[len(samples)-1].ids(t, dialConnSite, entry, "")
			// A report every 10 s unscaled, a dump's interval: about
			// nSamples-1 new connections; ask for half of them.
			if want := (nSamples - 1) / 2; len(last)-len(first) < want {
				t.Errorf("%s (%s): %d at %v, %d at %v; want at least +%d", dialConnSite, entry, len(first), samples[0].at, len(last), samples[len(samples)-1].at, want)
			}
			for _, s := range samples[1:] {
				if gone := missing(missing(s.ids(t, dialConnSite, entry, ""), first), last); len(gone) > 0 {
					t.Errorf("%s (%s): goroutines %v new at %v gone at the end", dialConnSite, entry, keys(gone), s.at)
				}
			}
		}
	})

	t.Run("health check fails", func(t *testing.T) {
		for _, h := range health {
			if unhealthy := h.goroutines > healthMax; (h.status == http.StatusServiceUnavailable) != unhealthy {
				t.Errorf("/healthz: %d with %d goroutines, limit %d", h.status, h.goroutines, healthMax)
			}
		}
		if health[0].status != http.StatusOK || health[len(health)-1].status != http.StatusServiceUnavailable {
			t.Errorf("/healthz: %v, want 200 at first and 503 at the end", health)
		}
	})

	svc.cmd.Process.Signal(os.Interrupt)
	if code := svc.wait(t, 10*time.Second); code != exitOK {
		t.Errorf("after SIGINT: exit status %d, want %d", code, exitOK)
	}
	if out := svc.stdout.String(); out != "listening on "+base+"\n" {
		t.Errorf("stdout %q, want only the first line", out)
	}
	if _, err := os.Stat(addrFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("-addr-file after exit: %v, want it removed", err)
	}
}

// logCounts logs the goroutines of each designed site in each dump, for
// whoever reads a failure (or -v).
func logCounts(t *testing.T, samples []sample) {
	var b strings.Builder
	for _, site := range []struct{ fn, entry string }{
		{leakSite, ""}, {poolSite, ""}, {cacheSite, ""}, {churnSite, ""}, {burstSite, ""}, {searchSite, ""},
		{dialConnSite, "net/http.(*persistConn).readLoop"}, {dialConnSite, "net/http.(*persistConn).writeLoop"},
	} {
		fmt.Fprintf(&b, "\n%-36s", strings.TrimPrefix(site.fn+" "+strings.TrimPrefix(site.entry, "net/http.(*persistConn)"), "main."))
		for _, s := range samples {
			fmt.Fprintf(&b, " %3d", len(s.ids(t, site.fn, site.entry, "")))
		}
	}
	fmt.Fprintf(&b, "\n%-36s", "total")
	for _, s := range samples {
		fmt.Fprintf(&b, " %3d", len(s.gs))
	}
	t.Logf("goroutines per site in the dumps at %v … %v:%s", samples[0].at.Round(time.Millisecond), samples[len(samples)-1].at.Round(time.Millisecond), b.String())
}

// checkAway fails the test when a dump was taken too near a leak step
// (whole periods) for its count to be exact: the machine is too busy.
func checkAway(t *testing.T, at, period time.Duration) {
	t.Helper()
	if off := at % period; off < period/6 || off > period*5/6 {
		t.Fatalf("a dump at %v is too near a step (every %v): the machine is too busy for this test", at, period)
	}
}

func dump(t *testing.T, client *http.Client, base string) []goroutine {
	t.Helper()
	resp, err := client.Get(base + "/debug/pprof/goroutine?debug=2")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("dump: %s", resp.Status)
	}
	gs, err := parseDump(resp.Body)
	if err != nil {
		t.Fatalf("dump: %v", err)
	}
	return gs
}

type healthCheck struct{ status, goroutines int }

func checkHealth(t *testing.T, client *http.Client, base string) healthCheck {
	t.Helper()
	resp, err := client.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`^(ok|unhealthy): ([0-9]+) goroutines \(limit [0-9]+\)\n$`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("/healthz body %q, want \"ok: N goroutines (limit L)\" or unhealthy", body)
	}
	h := healthCheck{status: resp.StatusCode}
	fmt.Sscan(string(m[2]), &h.goroutines)
	return h
}

// missing returns the ids in a and not in b.
func missing(a, b map[int]bool) map[int]bool {
	out := map[int]bool{}
	for id := range a {
		if !b[id] {
			out[id] = true
		}
	}
	return out
}

// both returns the ids in a and in b.
func both(a, b map[int]bool) map[int]bool { return missing(a, missing(a, b)) }

func same(a, b map[int]bool) bool { return len(a) == len(b) && len(missing(a, b)) == 0 }

func keys(m map[int]bool) []int {
	var ids []int
	for id := range m {
		ids = append(ids, id)
	}
	return ids
}

// testRestartAfter checks that -restart-after ends the service with its
// own exit status, as the seed's container restarts.
func testRestartAfter(t *testing.T, bin string) {
	svc := startChild(t, bin, "-addr", "127.0.0.1:0", "-scale", "0.1", "-restart-after", "300ms")
	svc.listening(t)
	start := time.Now()
	if code := svc.wait(t, 10*time.Second); code != exitRestart {
		t.Errorf("exit status %d, want %d", code, exitRestart)
	}
	if took := time.Since(start); took < 250*time.Millisecond {
		t.Errorf("exited %v after listening, want about 300ms", took)
	}
	if errs := svc.stderr.String(); !strings.Contains(errs, "-restart-after 300ms elapsed") {
		t.Errorf("stderr %q, want it to say why it exits", errs)
	}
}

// TestBadFlags checks that each bad command line is refused with exit
// status 2 and one line naming the flag, before anything starts.
func TestBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-addr", "0.0.0.0:8401"}, `-addr "0.0.0.0:8401": not a loopback address (want 127.0.0.1, ::1 or localhost)`},
		{[]string{"-addr", ":8401"}, `-addr ":8401": not a loopback address (want 127.0.0.1, ::1 or localhost)`},
		{[]string{"-addr", "127.0.0.1"}, `-addr "127.0.0.1": address 127.0.0.1: missing port in address`},
		{[]string{"-scale", "0"}, "-scale 0: want a factor from 0.01 to 10"},
		{[]string{"-scale", "50"}, "-scale 50: want a factor from 0.01 to 10"},
		{[]string{"-restart-after", "-1s"}, "-restart-after -1s: want a duration of zero or more"},
		{[]string{"-health-max-goroutines", "0"}, "-health-max-goroutines 0: want 1 or more"},
		{[]string{"serve"}, `unexpected argument "serve"`},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tc.args, &stdout, &stderr)
		if want := "leakyservice: " + tc.want + "\n"; code != exitUsage || stderr.String() != want || stdout.Len() > 0 {
			t.Errorf("run(%q) = %d, stderr %q, stdout %q; want %d, %q, nothing", tc.args, code, stderr.String(), stdout.String(), exitUsage, want)
		}
	}
}
