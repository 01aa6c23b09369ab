package exporter

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/leakscan/leakscan/internal/parse"
)

// TestProbeStorm probes 50 targets at once with MaxConcurrent 8: no more
// than 8 targets are ever fetched at once, the other probes wait without
// a goroutine of the exporter's own, every probe succeeds, and nothing is
// left running.
func TestProbeStorm(t *testing.T) {
	const targets, slots = 50, 8
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	a := park(t, 3)
	dump := takeDumps(t).debug2

	var (
		mu             sync.Mutex
		active, most   int
		first          = make(chan struct{}) // closed when slots targets are busy at once
		resume         = make(chan struct{}) // closed once the test has looked
		firstClosed    bool
		resumeOnce     sync.Once
		releaseTargets = func() { resumeOnce.Do(func() { close(resume) }) }
	)
	defer releaseTargets()
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		active++
		most = max(most, active)
		if active == slots && !firstClosed {
			firstClosed = true
			close(first)
		}
		mu.Unlock()
		select {
		case <-resume:
		case <-r.Context().Done():
		}
		time.Sleep(time.Millisecond) // so that later probes overlap too
		w.Write(dump)
		mu.Lock()
		active--
		mu.Unlock()
	})
	var servers []*httptest.Server
	for range targets {
		servers = append(servers, httptest.NewServer(handler))
	}
	baseline := runtime.NumGoroutine()

	e := New(Options{MaxConcurrent: slots, MaxQueue: targets, Sampling: SamplingFull})
	h := e.Handler()
	bodies := make([]string, targets)
	var wg sync.WaitGroup
	for i, srv := range servers {
		wg.Go(func() {
			req := httptest.NewRequest("GET", "/probe?target="+url.QueryEscape(srv.URL), nil)
			req.Header.Set(scrapeTimeoutHeader, "30")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			bodies[i] = rec.Body.String()
		})
	}

	select {
	case <-first:
	case <-time.After(20 * time.Second):
		releaseTargets()
		wg.Wait()
		t.Fatalf("never %d targets busy at once", slots)
	}
	// While slots probes fetch, count this process's goroutines by site
	// with leakscan's own parser.
	var b bytes.Buffer
	pprof.Lookup("goroutine").WriteTo(&b, 2)
	snap, err := parse.Read(context.Background(), &b, "storm", parse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fetching, waiting := 0, 0
	for _, st := range snap.Stacks {
		for _, f := range st.Frames {
			switch f.Func {
			case "net/http.(*persistConn).readLoop":
				fetching += st.Count
			case pkg + ".(*limiter).acquire":
				waiting += st.Count
			}
		}
	}
	releaseTargets()
	wg.Wait()

	if fetching != slots {
		t.Errorf("%d connections to targets while %d probes fetch, want %d", fetching, slots, slots)
	}
	if waiting > targets-slots {
		t.Errorf("%d probes waiting, want at most %d", waiting, targets-slots)
	}
	// Beyond the 50 callers (the HTTP server's goroutines, in a real
	// exporter), each of which may hold one more for a moment while
	// client_golang registers a collector, each fetching probe holds its
	// connection's two goroutines, and the target's server side two more.
	if extra, bound := snap.Goroutines-baseline, 2*targets+4*slots; extra > bound {
		t.Errorf("%d goroutines more than before the storm, want at most %d", extra, bound)
		for _, st := range snap.Stacks {
			t.Logf("%4d %s %v", st.Count, st.Site.Func, st.Entry.Func)
		}
	}
	if most != slots {
		t.Errorf("at most %d targets were fetched at once, want exactly %d", most, slots)
	}
	for i, body := range bodies {
		if !strings.Contains(body, "leakscan_probe_success 1") || !strings.Contains(body, a.entry) {
			t.Errorf("probe %d failed:\n%s", i, body)
			break
		}
	}
	for _, srv := range servers {
		srv.Close()
	}
}

// TestQueue checks a full queue and a deadline reached in the queue: both
// answer at once with leakscan_probe_success 0, counted by outcome.
func TestQueue(t *testing.T) {
	d := takeDumps(t)
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
		w.Write(d.debug2)
	}))
	defer slow.Close()
	e := New(Options{MaxConcurrent: 1, MaxQueue: 1, Sampling: SamplingFull})
	h := e.Handler()
	ask := func(timeout string) chan string {
		out := make(chan string, 1)
		go func() {
			req := httptest.NewRequest("GET", "/probe?target="+url.QueryEscape(slow.URL), nil)
			req.Header.Set(scrapeTimeoutHeader, timeout)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			out <- rec.Body.String()
		}()
		return out
	}
	running := ask("30")
	<-entered // it holds the only slot
	waiting := ask("30")
	for e.limit.waiting() == 0 {
		time.Sleep(time.Millisecond)
	}
	if body := <-ask("30"); !strings.Contains(body, "leakscan_probe_success 0") {
		t.Errorf("a probe past the queue did not fail at once:\n%s", body)
	}
	close(release)
	<-entered
	for _, c := range []chan string{running, waiting} {
		if body := <-c; !strings.Contains(body, "leakscan_probe_success 1") {
			t.Errorf("a probe that had a slot or waited for one failed:\n%s", body)
		}
	}

	// A deadline that passes in the queue.
	hold := make(chan struct{})
	blocker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		select {
		case <-hold:
		case <-r.Context().Done():
		}
	}))
	defer blocker.Close()
	held := make(chan struct{})
	go func() {
		defer close(held)
		req := httptest.NewRequest("GET", "/probe?target="+url.QueryEscape(blocker.URL), nil)
		h.ServeHTTP(httptest.NewRecorder(), req)
	}()
	defer func() { close(hold); <-held }()
	<-entered
	if body := <-ask("0.2"); !strings.Contains(body, "leakscan_probe_success 0") {
		t.Errorf("a probe whose deadline passed in the queue did not fail:\n%s", body)
	}
	own := get(t, h, "/metrics", nil, nil)
	for _, outcome := range []string{outcomeQueueFull, outcomeQueueTimeout} {
		if v, _ := own.value("leakscan_exporter_probes_total", map[string]string{"outcome": outcome}); v != 1 {
			t.Errorf("leakscan_exporter_probes_total{outcome=%q} = %v, want 1", outcome, v)
		}
	}
}
