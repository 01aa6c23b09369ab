package exporter

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestProbeSites checks the series of a real dump of this process: its
// sites by go statement, a spawning helper's site, and the totals.
func TestProbeSites(t *testing.T) {
	a, b, g := park(t, 5), parkElsewhere(t, 3), parkViaGroup(t, 2)
	d := takeDumps(t)
	tg := newTarget(t, map[string][]byte{"goroutine?debug=1": d.debug1, "goroutine?debug=2": d.debug2})
	ans := probe(t, New(Options{}), tg.host())
	if ans.code != http.StatusOK {
		t.Fatalf("probe: %d %s", ans.code, ans.body)
	}
	if v, _ := ans.value("leakscan_probe_success", nil); v != 1 {
		t.Errorf("leakscan_probe_success = %v, want 1\n%s", v, ans.body)
	}
	if v, ok := ans.value("leakscan_probe_duration_seconds", nil); !ok || v <= 0 {
		t.Errorf("leakscan_probe_duration_seconds = %v, %v; want > 0", v, ok)
	}
	for _, c := range []struct {
		site site
		want float64
	}{{a, 5}, {b, 3}, {g, 2}} {
		if v, ok := ans.value("leakscan_site_goroutines", c.site.labels()); !ok || v != c.want {
			t.Errorf("leakscan_site_goroutines%v = %v (present %v), want %v\n%s", c.site.labels(), v, ok, c.want, ans.body)
		}
	}
	if v, _ := ans.value("leakscan_probe_dump_info", map[string]string{"format": "debug=2", "profile": "goroutine"}); v != 1 {
		t.Errorf("leakscan_probe_dump_info{format=debug=2,profile=goroutine} = %v, want 1\n%s", v, ans.body)
	}
	// Every goroutine is in a site series or counted as benign, once.
	total, _ := ans.value("leakscan_goroutines", nil)
	if got := ans.sum("leakscan_site_goroutines") + ans.sum("leakscan_benign_goroutines"); got != total || total < 10 {
		t.Errorf("site series (%v) and benign (%v) add up to %v, want leakscan_goroutines = %v",
			ans.sum("leakscan_site_goroutines"), ans.sum("leakscan_benign_goroutines"), got, total)
	}
	// The goroutine that wrote the dump is benign, and kept out of sites.
	if v, _ := ans.value("leakscan_benign_goroutines", map[string]string{"reason": "writes the dump"}); v != 1 {
		t.Errorf(`leakscan_benign_goroutines{reason="writes the dump"} = %v, want 1`, v)
	}
	if n := len(ans.series("leakscan_site_goroutines")); float64(n) != mustValue(t, ans, "leakscan_sites") {
		t.Errorf("%d site series, leakscan_sites = %v", n, mustValue(t, ans, "leakscan_sites"))
	}
	for _, name := range []string{"leakscan_site_waiting_goroutines", "leakscan_site_leaked_goroutines"} {
		if s := ans.series(name); len(s) > 0 {
			t.Errorf("%s present without waits or leaks: %v", name, s)
		}
	}
	if got, want := tg.seen(), []string{"/debug/pprof/goroutine?debug=1", "/debug/pprof/goroutine?debug=2"}; !slices.Equal(got, want) {
		t.Errorf("a small target was asked for %q, want %q", got, want)
	}
}

func mustValue(t *testing.T, a answer, name string) float64 {
	t.Helper()
	v, ok := a.value(name, nil)
	if !ok {
		t.Fatalf("no %s in\n%s", name, a.body)
	}
	return v
}

// TestProbeLight checks a target too large to dump in full: the counted
// profile only, sites by entry function, no wait series.
func TestProbeLight(t *testing.T) {
	a := park(t, 4)
	d := takeDumps(t)
	tg := newTarget(t, map[string][]byte{"goroutine?debug=1": d.debug1, "goroutine?debug=2": d.debug2})
	ans := probe(t, New(Options{FullMaxGoroutines: 3}), tg.host())
	if v, _ := ans.value("leakscan_probe_success", nil); v != 1 {
		t.Fatalf("probe failed:\n%s", ans.body)
	}
	entry := map[string]string{"creator": "", "file": a.file, "line": "", "entry": a.entry}
	if v, ok := ans.value("leakscan_site_goroutines", entry); !ok || v != 4 {
		t.Errorf("leakscan_site_goroutines%v = %v, %v; want 4\n%s", entry, v, ok, ans.body)
	}
	if v, _ := ans.value("leakscan_probe_dump_info", map[string]string{"format": "debug=1", "profile": "goroutine"}); v != 1 {
		t.Errorf("leakscan_probe_dump_info{format=debug=1} = %v, want 1\n%s", v, ans.body)
	}
	if got, want := tg.seen(), []string{"/debug/pprof/goroutine?debug=1"}; !slices.Equal(got, want) {
		t.Errorf("a large target was asked for %q, want only %q", got, want)
	}
}

// TestProbeWaiting checks the series of goroutines waiting at least 1
// and 10 minutes, from the wait minutes of a real dump's headers.
func TestProbeWaiting(t *testing.T) {
	a := park(t, 5)
	d := takeDumps(t)
	// Of the five, two have waited 12 minutes and three 3 minutes.
	n := 0
	debug2 := editGoroutines(d.debug2, a.entry, func(header string) string {
		n++
		minutes := "3"
		if n <= 2 {
			minutes = "12"
		}
		return strings.Replace(header, "]:", ", "+minutes+" minutes]:", 1)
	})
	if n != 5 {
		t.Fatalf("edited %d goroutines, want 5", n)
	}
	tg := newTarget(t, map[string][]byte{"goroutine?debug=2": debug2})
	ans := probe(t, New(Options{Sampling: SamplingFull}), tg.host())
	for minWait, want := range map[string]float64{"1m": 5, "10m": 2} {
		if v, _ := ans.value("leakscan_site_waiting_goroutines", with(a.labels(), "min_wait", minWait)); v != want {
			t.Errorf("leakscan_site_waiting_goroutines{min_wait=%q} = %v, want %v\n%s", minWait, v, want, ans.body)
		}
	}
	if v, _ := ans.value("leakscan_site_goroutines", a.labels()); v != 5 {
		t.Errorf("leakscan_site_goroutines = %v, want 5", v)
	}
}

// editGoroutines rewrites the header line of every goroutine of a
// debug=2 dump whose stack runs fn.
func editGoroutines(dump []byte, fn string, edit func(header string) string) []byte {
	blocks := strings.Split(string(dump), "\n\n")
	for i, b := range blocks {
		header, rest, _ := strings.Cut(b, "\n")
		if strings.Contains(rest, fn+"(") {
			blocks[i] = edit(header) + "\n" + rest
		}
	}
	return []byte(strings.Join(blocks, "\n\n"))
}

// TestProbeLeakProfile checks profile=goroutineleak, in full (the
// runtime's "(leaked)" marks in a debug=2 dump) and light (the counted
// leak profile beside the counted goroutine profile).
func TestProbeLeakProfile(t *testing.T) {
	a := park(t, 3)
	d := takeDumps(t)
	leak2 := editGoroutines(d.debug2, a.entry, func(header string) string {
		return strings.Replace(header, "]:", " (leaked)]:", 1)
	})
	leak1 := countedLeaks(t, d.debug1, a.entry)
	tg := newTarget(t, map[string][]byte{
		"goroutine?debug=1": d.debug1, "goroutine?debug=2": d.debug2,
		"goroutineleak?debug=1": leak1, "goroutineleak?debug=2": leak2,
	})

	full := probe(t, New(Options{}), tg.host(), "profile", "goroutineleak")
	if v, _ := full.value("leakscan_site_leaked_goroutines", a.labels()); v != 3 {
		t.Errorf("full: leakscan_site_leaked_goroutines = %v, want 3\n%s", v, full.body)
	}
	if v, _ := full.value("leakscan_site_goroutines", a.labels()); v != 3 {
		t.Errorf("full: leakscan_site_goroutines = %v, want 3", v)
	}
	if got, want := tg.seen(), []string{"/debug/pprof/goroutine?debug=1", "/debug/pprof/goroutineleak?debug=2"}; !slices.Equal(got, want) {
		t.Errorf("full: asked for %q, want %q", got, want)
	}

	tg.reset()
	light := probe(t, New(Options{Sampling: SamplingLight}), tg.host(), "profile", "goroutineleak")
	entry := map[string]string{"creator": "", "file": a.file, "line": "", "entry": a.entry}
	if v, _ := light.value("leakscan_site_leaked_goroutines", entry); v != 3 {
		t.Errorf("light: leakscan_site_leaked_goroutines%v = %v, want 3\n%s", entry, v, light.body)
	}
	if v, _ := light.value("leakscan_site_goroutines", entry); v != 3 {
		t.Errorf("light: leakscan_site_goroutines = %v, want 3 (from the goroutine profile)", v)
	}
	if got, want := tg.seen(), []string{"/debug/pprof/goroutine?debug=1", "/debug/pprof/goroutineleak?debug=1"}; !slices.Equal(got, want) {
		t.Errorf("light: asked for %q, want %q", got, want)
	}
}

// countedLeaks is the goroutineleak profile at debug=1 of a process
// whose leaked goroutines are those running fn: the records of the
// goroutine profile that run fn, under the leak profile's header.
func countedLeaks(t *testing.T, debug1 []byte, fn string) []byte {
	t.Helper()
	records := strings.Split(string(debug1), "\n\n")
	// The first record follows the header line of the profile.
	_, records[0], _ = strings.Cut(records[0], "\n")
	var kept []string
	total := 0
	for _, r := range records {
		if strings.Contains(r, fn+"+") {
			kept = append(kept, r)
			var n int
			if _, err := fmt.Sscan(r, &n); err == nil {
				total += n
			}
		}
	}
	if len(kept) == 0 {
		t.Fatalf("no record of %s in the debug=1 profile", fn)
	}
	return []byte("goroutineleak profile: total " + strconv.Itoa(total) + "\n" + strings.Join(kept, "\n\n") + "\n")
}

// TestProbeMaxSites checks the cap on a target's site series: the
// biggest sites keep their own, the rest are summed into one.
func TestProbeMaxSites(t *testing.T) {
	a, b := park(t, 7), parkElsewhere(t, 6)
	parkViaGroup(t, 2)
	d := takeDumps(t)
	tg := newTarget(t, map[string][]byte{"goroutine?debug=2": d.debug2})
	all := probe(t, New(Options{Sampling: SamplingFull}), tg.host())
	capped := probe(t, New(Options{Sampling: SamplingFull, MaxSites: 2}), tg.host())

	got := capped.series("leakscan_site_goroutines")
	if len(got) != 3 {
		t.Fatalf("with --max-sites 2: %d series, want 3:\n%v", len(got), got)
	}
	for _, s := range []site{a, b} {
		want, _ := all.value("leakscan_site_goroutines", s.labels())
		if v, _ := capped.value("leakscan_site_goroutines", s.labels()); v != want || v == 0 {
			t.Errorf("capped %s = %v, want %v", s.creator, v, want)
		}
	}
	other := map[string]string{"creator": otherCreator, "file": "", "line": "", "entry": ""}
	rest := all.sum("leakscan_site_goroutines") - 13
	if v, _ := capped.value("leakscan_site_goroutines", other); v != rest || rest < 2 {
		t.Errorf("(other) = %v, want the %v goroutines of the other sites", v, rest)
	}
	if s1, s2 := mustValue(t, all, "leakscan_sites"), mustValue(t, capped, "leakscan_sites"); s1 != s2 || s1 < 3 {
		t.Errorf("leakscan_sites = %v capped, %v not: want the same count of every site", s2, s1)
	}
}

// TestProbeFailures checks that a failed probe answers 200 with
// leakscan_probe_success 0 and its duration, and nothing else, and that
// /metrics counts it by outcome.
func TestProbeFailures(t *testing.T) {
	closed := closedPort(t)
	html := newTarget(t, map[string][]byte{"goroutine?debug=1": []byte("<!doctype html><html>login</html>")})
	missing := newTarget(t, nil)
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer slow.Close()
	defer close(release)

	var logs bytes.Buffer
	e := New(Options{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	for _, c := range []struct {
		name, target string
		header       http.Header
		outcome      string
	}{
		{"refused", closed, nil, outcomeError},
		{"html", html.host(), nil, outcomeError},
		{"404", missing.host(), nil, outcomeError},
		{"slow", strings.TrimPrefix(slow.URL, "http://"), http.Header{scrapeTimeoutHeader: {"0.6"}}, outcomeTimeout},
	} {
		ans := get(t, e.Handler(), "/probe", url.Values{"target": {c.target}}, c.header)
		if ans.code != http.StatusOK {
			t.Errorf("%s: status %d, want 200: %s", c.name, ans.code, ans.body)
			continue
		}
		if v, ok := ans.value("leakscan_probe_success", nil); !ok || v != 0 {
			t.Errorf("%s: leakscan_probe_success = %v, %v; want 0", c.name, v, ok)
		}
		if _, ok := ans.value("leakscan_probe_duration_seconds", nil); !ok {
			t.Errorf("%s: no leakscan_probe_duration_seconds", c.name)
		}
		if len(ans.fams) != 2 {
			t.Errorf("%s: %d metric families, want only success and duration:\n%s", c.name, len(ans.fams), ans.body)
		}
		own := get(t, e.Handler(), "/metrics", nil, nil)
		if v, _ := own.value("leakscan_exporter_probes_total", map[string]string{"outcome": c.outcome}); v < 1 {
			t.Errorf("%s: leakscan_exporter_probes_total{outcome=%q} = %v, want it counted", c.name, c.outcome, v)
		}
	}
	for _, want := range []string{"connection refused", "not a goroutine dump", "404 Not Found", "outcome=timeout"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

// closedPort is a host:port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestProbeBadRequest checks the requests no probe can come of: they are
// the configuration's mistakes, answered 400 so that Prometheus shows
// them.
func TestProbeBadRequest(t *testing.T) {
	e := New(Options{})
	for _, c := range []struct {
		query  url.Values
		header http.Header
		want   string
	}{
		{url.Values{}, nil, "target parameter is missing"},
		{url.Values{"target": {"/etc/passwd"}}, nil, "not a live endpoint"},
		{url.Values{"target": {"goroutines.txt"}}, nil, "not a live endpoint"},
		{url.Values{"target": {"alice:pa55word@db:6060"}}, nil, "credentials belong in the exporter's --config"},
		{url.Values{"target": {"::1:6060"}}, nil, "needs brackets"},
		{url.Values{"target": {"db:6060"}, "profile": {"heap"}}, nil, `profile "heap"`},
		{url.Values{"target": {"http://db:6060/custom/dump"}, "profile": {"goroutine"}}, nil, "names a path of its own"},
		{url.Values{"target": {"db:6060"}}, http.Header{scrapeTimeoutHeader: {"soon"}}, scrapeTimeoutHeader},
	} {
		ans := get(t, e.Handler(), "/probe", c.query, c.header)
		if ans.code != http.StatusBadRequest || !strings.Contains(ans.body, c.want) {
			t.Errorf("%v: %d %q, want 400 saying %q", c.query, ans.code, ans.body, c.want)
		}
		if strings.Contains(ans.body, "pa55word") {
			t.Errorf("%v: the answer shows the password: %q", c.query, ans.body)
		}
	}
}

// TestProbeHeadersFromConfig checks that headers go to the targets the
// config names, never to another, and never show: not in an answer, not
// in /metrics, not in a log line.
func TestProbeHeadersFromConfig(t *testing.T) {
	const secret = "Bearer s3cr3t-t0ken"
	d := takeDumps(t)
	guarded := newTarget(t, map[string][]byte{"goroutine?debug=1": d.debug1, "goroutine?debug=2": d.debug2})
	other := newTarget(t, map[string][]byte{"goroutine?debug=1": d.debug1, "goroutine?debug=2": d.debug2})
	// The guarded target wants the header; answers without it are 401.
	inner := guarded.Config.Handler
	guarded.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != secret {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		inner.ServeHTTP(w, r)
	})
	cfg, err := ReadConfig(strings.NewReader(`targets:
  - match: "`+guarded.host()+`"
    headers: ["Authorization: `+secret+`"]
`), "exporter.yml")
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	withCfg := New(Options{Config: cfg, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	without := New(Options{Log: slog.New(slog.NewTextHandler(&logs, nil))})

	var answers []answer
	ok := probe(t, withCfg, guarded.host())
	if v, _ := ok.value("leakscan_probe_success", nil); v != 1 {
		t.Errorf("with the config: the guarded target failed:\n%s\n%s", ok.body, logs.String())
	}
	denied := probe(t, without, guarded.host())
	if v, _ := denied.value("leakscan_probe_success", nil); v != 0 {
		t.Errorf("without the config: the guarded target answered")
	}
	// A header in the URL is no header.
	fromURL := probe(t, without, guarded.host(), "header", "Authorization: "+secret)
	if v, _ := fromURL.value("leakscan_probe_success", nil); v != 0 {
		t.Errorf("a header parameter in the URL was sent")
	}
	probe(t, withCfg, other.host())
	for _, h := range other.headers {
		if h.Get("Authorization") != "" {
			t.Errorf("the header went to a target the config does not name")
		}
	}
	answers = append(answers, ok, denied, fromURL, get(t, withCfg.Handler(), "/metrics", nil, nil))
	for _, a := range answers {
		if strings.Contains(a.body, "s3cr3t") {
			t.Errorf("an answer shows the secret:\n%s", a.body)
		}
	}
	if !strings.Contains(logs.String(), "401") || strings.Contains(logs.String(), "s3cr3t") {
		t.Errorf("the log should say 401 and never show the secret:\n%s", logs.String())
	}
}

// TestTimeout checks the probe's deadline from Prometheus's header.
func TestTimeout(t *testing.T) {
	e := New(Options{Timeout: 7 * time.Second})
	for _, c := range []struct {
		header string
		want   time.Duration
	}{
		{"", 7 * time.Second},
		{"10", 9500 * time.Millisecond},
		{"0.6", 300 * time.Millisecond}, // the offset would leave 0.1 s: half of it is kept
		{"1e300", 86400*time.Second - 500*time.Millisecond},
	} {
		h := http.Header{}
		if c.header != "" {
			h.Set(scrapeTimeoutHeader, c.header)
		}
		got, err := e.timeout(h)
		if err != nil || got != c.want {
			t.Errorf("timeout(%q) = %v, %v; want %v", c.header, got, err, c.want)
		}
	}
	for _, bad := range []string{"0", "-1", "NaN", "Inf", "10s"} {
		if _, err := e.timeout(http.Header{scrapeTimeoutHeader: {bad}}); err == nil {
			t.Errorf("timeout(%q): no error", bad)
		}
	}
}

// TestPlanURLs checks what each target form and sampling fetches.
func TestPlanURLs(t *testing.T) {
	d := takeDumps(t)
	profiles := map[string][]byte{"goroutine?debug=1": d.debug1, "goroutine?debug=2": d.debug2,
		"goroutineleak?debug=2": d.debug2}
	for _, c := range []struct {
		target   string // with HOST for the test server
		sampling Sampling
		profile  string
		want     []string
	}{
		{"HOST", SamplingFull, "", []string{"/debug/pprof/goroutine?debug=2"}},
		{"HOST", SamplingLight, "", []string{"/debug/pprof/goroutine?debug=1"}},
		{"http://HOST/debug/pprof/", SamplingAuto, "", []string{"/debug/pprof/goroutine?debug=1", "/debug/pprof/goroutine?debug=2"}},
		{"http://HOST/debug/pprof/goroutine?debug=1", SamplingFull, "", []string{"/debug/pprof/goroutine?debug=1"}},
		{"HOST/debug/pprof/goroutineleak", SamplingFull, "", []string{"/debug/pprof/goroutineleak?debug=2"}},
		{"HOST", SamplingFull, "goroutineleak", []string{"/debug/pprof/goroutineleak?debug=2"}},
		{"HOST/debug/pprof/goroutine?debug=2", SamplingLight, "goroutineleak", []string{"/debug/pprof/goroutineleak?debug=2"}},
		{"http://HOST/debug/pprof/goroutine?debug=2&x=1", SamplingLight, "", []string{"/debug/pprof/goroutine?debug=2&x=1"}},
	} {
		tg := newTarget(t, profiles)
		target := strings.ReplaceAll(c.target, "HOST", tg.host())
		ans := probe(t, New(Options{Sampling: c.sampling}), target, "profile", c.profile)
		if v, _ := ans.value("leakscan_probe_success", nil); v != 1 {
			t.Errorf("%s (%s, profile %q): probe failed: %s", c.target, c.sampling, c.profile, ans.body)
		}
		if got := tg.seen(); !slices.Equal(got, c.want) {
			t.Errorf("%s (%s, profile %q): fetched %q, want %q", c.target, c.sampling, c.profile, got, c.want)
		}
	}
}

// TestSamplingFromConfig checks that a config entry's sampling wins over
// the exporter's.
func TestSamplingFromConfig(t *testing.T) {
	d := takeDumps(t)
	tg := newTarget(t, map[string][]byte{"goroutine?debug=1": d.debug1, "goroutine?debug=2": d.debug2})
	cfg := &Config{Targets: []Target{{Match: "127.0.0.1:*", Sampling: SamplingLight}}}
	probe(t, New(Options{Sampling: SamplingFull, Config: cfg}), tg.host())
	if got, want := tg.seen(), []string{"/debug/pprof/goroutine?debug=1"}; !slices.Equal(got, want) {
		t.Errorf("fetched %q, want %q", got, want)
	}
}

// TestOwnMetrics checks /metrics: the Go runtime's, the process's, and
// probes by outcome, every outcome present from the start.
func TestOwnMetrics(t *testing.T) {
	e := New(Options{})
	ans := get(t, e.Handler(), "/metrics", nil, nil)
	for _, name := range []string{"go_goroutines", "go_memstats_heap_inuse_bytes", "leakscan_exporter_probes_running",
		"leakscan_exporter_probes_waiting", "leakscan_exporter_probe_duration_seconds"} {
		if ans.fams[name] == nil {
			t.Errorf("/metrics has no %s", name)
		}
	}
	if got := len(ans.series("leakscan_exporter_probes_total")); got != len(outcomes) {
		t.Errorf("/metrics has %d outcomes, want %d", got, len(outcomes))
	}
	if idx := get(t, e.Handler(), "/", nil, nil); idx.code != 200 || !strings.Contains(idx.body, "/probe?target=") {
		t.Errorf("/ = %d %q", idx.code, idx.body)
	}
}

// TestLabelValue checks that label values are valid UTF-8 and bounded.
func TestLabelValue(t *testing.T) {
	long := strings.Repeat("é", maxLabelBytes)
	for _, c := range []struct{ in, want string }{
		{"main.run", "main.run"},
		{"main.\xffbad", "main.\uFFFDbad"},
	} {
		if got := labelValue(c.in); got != c.want {
			t.Errorf("labelValue(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	got := labelValue(long)
	if len(got) > maxLabelBytes || !strings.HasSuffix(got, "…") || !regexp.MustCompile(`^(é)+…$`).MatchString(got) {
		t.Errorf("labelValue(%d bytes) = %d bytes, cut badly", len(long), len(got))
	}
}
