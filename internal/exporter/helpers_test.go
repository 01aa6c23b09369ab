package exporter

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine they started is
// still running at the end: the exporter must not leak what it looks for.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const pkg = "github.com/leakscan/leakscan/internal/exporter"

// site is where park started its goroutines, as the exporter's labels
// should name it.
type site struct {
	creator, file, line, entry string
}

func (s site) labels() map[string]string {
	return map[string]string{"creator": s.creator, "file": s.file, "line": s.line, "entry": s.entry}
}

// park starts n goroutines blocked in parked until the test ends, all
// from one go statement, and returns that statement's site: three lines
// below the runtime.Caller.
func park(t *testing.T, n int) site {
	t.Helper()
	stop := make(chan struct{})
	var wg, started sync.WaitGroup
	started.Add(n)
	_, file, line, _ := runtime.Caller(0)
	for range n {
		wg.Add(1)
		go parked(stop, &wg, &started)
	}
	started.Wait()
	t.Cleanup(func() { close(stop); wg.Wait() })
	return site{creator: pkg + ".park", file: file, line: fmt.Sprint(line + 3), entry: pkg + ".parked"}
}

// parked tells it started, then blocks: a goroutine that has not run yet
// would be in the dump as "not started", which is benign.
func parked(stop chan struct{}, wg, started *sync.WaitGroup) {
	defer wg.Done()
	started.Done()
	<-stop
}

// parkElsewhere is park at another go statement, with its own entry.
func parkElsewhere(t *testing.T, n int) site {
	t.Helper()
	stop := make(chan struct{})
	var wg, started sync.WaitGroup
	started.Add(n)
	_, file, line, _ := runtime.Caller(0)
	for range n {
		wg.Add(1)
		go parkedElsewhere(stop, &wg, &started)
	}
	started.Wait()
	t.Cleanup(func() { close(stop); wg.Wait() })
	return site{creator: pkg + ".parkElsewhere", file: file, line: fmt.Sprint(line + 3), entry: pkg + ".parkedElsewhere"}
}

func parkedElsewhere(stop chan struct{}, wg, started *sync.WaitGroup) {
	defer wg.Done()
	started.Done()
	<-stop
}

// parkViaGroup starts n goroutines through sync.WaitGroup.Go, a spawning
// helper: their site is the function they run, via the helper.
func parkViaGroup(t *testing.T, n int) site {
	t.Helper()
	stop := make(chan struct{})
	var wg, started sync.WaitGroup
	started.Add(n)
	for range n {
		wg.Go(func() { started.Done(); <-stop })
	}
	started.Wait()
	t.Cleanup(func() { close(stop); wg.Wait() })
	_, file, _, _ := runtime.Caller(0)
	return site{creator: "sync.(*WaitGroup).Go", file: file, line: "", entry: pkg + ".parkViaGroup.func1"}
}

// dumps are a test process's own goroutine profiles, taken once, so that
// every probe of a test sees the same goroutines.
type dumps struct {
	debug1, debug2 []byte
}

func takeDumps(t *testing.T) dumps {
	t.Helper()
	var d dumps
	for _, level := range []int{1, 2} {
		var b bytes.Buffer
		if err := pprof.Lookup("goroutine").WriteTo(&b, level); err != nil {
			t.Fatal(err)
		}
		if level == 1 {
			d.debug1 = b.Bytes()
		} else {
			d.debug2 = b.Bytes()
		}
	}
	return d
}

// target is a test server standing for a service: it serves profiles
// under /debug/pprof/ and records the requests it gets.
type target struct {
	*httptest.Server
	mu       sync.Mutex
	requests []string // path?query of each request
	headers  []http.Header
}

// newTarget serves profiles, keyed by "goroutine?debug=2" and the like:
// a profile it does not have is a 404.
func newTarget(t *testing.T, profiles map[string][]byte) *target {
	t.Helper()
	tg := &target{}
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.mu.Lock()
		tg.requests = append(tg.requests, r.URL.RequestURI())
		tg.headers = append(tg.headers, r.Header.Clone())
		tg.mu.Unlock()
		name := strings.TrimPrefix(r.URL.Path, "/debug/pprof/")
		if debug := r.URL.Query().Get("debug"); debug != "" {
			name += "?debug=" + debug
		}
		body, ok := profiles[name]
		if !ok {
			http.Error(w, "Unknown profile", http.StatusNotFound)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(tg.Close)
	return tg
}

// host is the target's host:port.
func (tg *target) host() string { return strings.TrimPrefix(tg.URL, "http://") }

func (tg *target) reset() {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	tg.requests, tg.headers = nil, nil
}

func (tg *target) seen() []string {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return slices.Clone(tg.requests)
}

// answer is an exporter's answer to one request.
type answer struct {
	code int
	body string
	fams map[string]*dto.MetricFamily
}

// get asks h for path?query with header, and parses a 200 answer.
func get(t *testing.T, h http.Handler, path string, query url.Values, header http.Header) answer {
	t.Helper()
	req := httptest.NewRequest("GET", path+"?"+query.Encode(), nil)
	for k, vs := range header {
		req.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	a := answer{code: rec.Code, body: rec.Body.String()}
	if a.code == http.StatusOK && path != "/" {
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(strings.NewReader(a.body))
		if err != nil {
			t.Fatalf("GET %s: answer is not the exposition format: %v\n%s", path, err, a.body)
		}
		a.fams = fams
	}
	return a
}

// probe asks e to probe target, with the extra query parameters kv.
func probe(t *testing.T, e *Exporter, target string, kv ...string) answer {
	t.Helper()
	q := url.Values{"target": {target}}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return get(t, e.Handler(), "/probe", q, nil)
}

// series are the samples of one metric: label sets written k=v,k=v in
// label order, and their values.
func (a answer) series(name string) map[string]float64 {
	out := make(map[string]float64)
	fam := a.fams[name]
	if fam == nil {
		return out
	}
	for _, m := range fam.Metric {
		var ls []string
		for _, l := range m.Label {
			ls = append(ls, l.GetName()+"="+l.GetValue())
		}
		sort.Strings(ls)
		v := m.GetGauge().GetValue()
		if m.Counter != nil {
			v = m.GetCounter().GetValue()
		}
		out[strings.Join(ls, ",")] = v
	}
	return out
}

// value is the sample of name whose labels are exactly labels.
func (a answer) value(name string, labels map[string]string) (float64, bool) {
	var ls []string
	for k, v := range labels {
		ls = append(ls, k+"="+v)
	}
	sort.Strings(ls)
	v, ok := a.series(name)[strings.Join(ls, ",")]
	return v, ok
}

// sum adds up the samples of name.
func (a answer) sum(name string) float64 {
	total := 0.0
	for _, v := range a.series(name) {
		total += v
	}
	return total
}

func with(labels map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(labels)+len(kv)/2)
	for k, v := range labels {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}
