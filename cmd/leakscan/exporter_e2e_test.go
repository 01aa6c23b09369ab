//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// The demo service's sites (examples/leakyservice/README.md), as the
// exporter labels them.
const e2eLeak = "main.(*FileMonitor).pollAllFiles"

var (
	// e2eLeaks are the sites that leak by design: the alert may fire for
	// any of them, and for no other site.
	e2eLeaks = []string{e2eLeak, "main.(*searcher).handleSearch", "net/http.(*Transport).dialConn"}
	// e2eDecoys look like growth and are not: a cache that fills up to its
	// cap, a pool started full, goroutines that come and go, a burst that
	// drains, and the load's users, started at once.
	e2eDecoys = []string{"main.(*tenantCache).lookup", "main.startRenderPool", "main.(*quoter).fanOut",
		"main.(*compactor).runBatch", "main.(*loadGen).run"}
)

// e2eScale runs the demo ten times faster than life: a leak of 16 every
// 3 s instead of 30 s.
const e2eScale = 0.1

// TestExporterPrometheus runs the whole fleet setup: the demo service,
// leakscan exporter probing it, and a real Prometheus server (Debian's
// prometheus package) scraping the exporter with deploy/prometheus's
// scrape config and rules. Through Prometheus's HTTP API it checks that
// the leaking site's series grows at the demo's rate, and that
// GoroutineLeak goes pending for it and for none of the decoys.
func TestExporterPrometheus(t *testing.T) {
	promBin, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("prometheus is not installed; .ci/run installs Debian's prometheus package")
		}
		t.Skip("prometheus is not installed (apt-get install prometheus): skipping the end-to-end test of the exporter")
	}
	bin := buildLeakscan(t)
	dir := t.TempDir()
	svcBin := filepath.Join(dir, "leakyservice")
	if out, err := exec.Command("go", "build", "-o", svcBin, "../../examples/leakyservice").CombinedOutput(); err != nil {
		t.Fatalf("go build examples/leakyservice: %v\n%s", err, out)
	}

	svc := startListening(t, svcBin, "-addr", "127.0.0.1:0", "-scale", fmt.Sprint(e2eScale))
	exporter := startListening(t, bin, "exporter", "--listen", "127.0.0.1:0")
	promAddr := freeAddr(t)
	config := filepath.Join(dir, "prometheus.yml")
	writePrometheusConfig(t, config, svc.addr, exporter.addr)
	prom := exec.Command(promBin, "--config.file="+config, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+promAddr, "--log.level=warn")
	var promLog syncBuffer
	prom.Stdout, prom.Stderr = &promLog, &promLog
	if err := prom.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stopProm := func() {
		if !stopped {
			stopped = true
			prom.Process.Signal(syscall.SIGTERM)
			waitOrKill(prom, 10*time.Second)
		}
	}
	defer stopProm()
	api := &promAPI{t: t, base: "http://" + promAddr}
	defer func() {
		if t.Failed() {
			t.Logf("prometheus:\n%s\nexporter:\n%s\ndemo:\n%s", promLog.String(), exporter.stderr.String(), svc.stderr.String())
		}
	}()

	// The rules find a leak's third step, 60 to 90 s after its first,
	// whatever the demo's scale: wait for that, watching every alert.
	start := time.Now()
	deadline := start.Add(3 * time.Minute)
	var pending bool
	for !pending && time.Now().Before(deadline) {
		time.Sleep(2 * time.Second)
		for _, a := range api.alerts() {
			creator := a.Labels["creator"]
			switch {
			case a.Labels["alertname"] != "GoroutineLeak":
			case slices.Contains(e2eDecoys, creator):
				t.Fatalf("GoroutineLeak went %s for the decoy %s (%s)", a.State, creator, a.Annotations["summary"])
			case !slices.Contains(e2eLeaks, creator):
				t.Fatalf("GoroutineLeak went %s for %s, which the demo does not leak from (%s)", a.State, creator, a.Annotations["summary"])
			case creator == e2eLeak && (a.State == "pending" || a.State == "firing"):
				pending = true
				t.Logf("GoroutineLeak %s %s after %s: %s", a.State, a.Labels["instance"], time.Since(start).Round(time.Second), a.Annotations["summary"])
				if a.Labels["instance"] != svc.addr || a.Labels["line"] == "" || !strings.HasSuffix(a.Labels["file"], "file_monitor.go") {
					t.Errorf("GoroutineLeak's labels = %v, want the target %s and the site's file and line", a.Labels, svc.addr)
				}
				if want := "/min from " + e2eLeak + " (file_monitor.go:"; !strings.Contains(a.Annotations["summary"], want) {
					t.Errorf("summary %q, want it to say %q", a.Annotations["summary"], want)
				}
			}
		}
	}
	if !pending {
		t.Fatalf("GoroutineLeak never went pending for %s", e2eLeak)
	}

	// No site but the leaks, decoys included, was ever found growing, at
	// any evaluation.
	others := `creator!~"` + promRegexp(e2eLeaks) + `"`
	for _, q := range []string{
		"count_over_time(site:leakscan_site_goroutines:leaking{" + others + "}[10m])",
		`count_over_time(ALERTS{alertname="GoroutineLeak", ` + others + `}[10m])`,
	} {
		if got := api.query(q); len(got) > 0 {
			t.Errorf("%s = %v, want nothing", q, got)
		}
	}
	// Every decoy was scraped, so that was a test of something. The
	// burst and the churn come and go: seen at some time, not now.
	for _, creator := range e2eDecoys {
		q := `count(count_over_time(leakscan_site_goroutines{creator="` + creator + `"}[10m]))`
		if got := api.query(q); len(got) != 1 {
			t.Errorf("the decoy %s was never scraped: %s = %v", creator, q, got)
		}
	}

	// The leak's growth: 16 every 30 s at scale 1.
	want := 16 / (30 * e2eScale) * 60
	q := `60 * site:leakscan_site_goroutines:deriv5m{creator="` + e2eLeak + `"}`
	got := api.query(q)
	t.Logf("%s = %v (want %.0f)", q, got, want)
	if len(got) != 1 || math.Abs(got[0]-want) > want*0.15 {
		t.Errorf("%s = %v, want %.0f ± 15%% (16 every %gs)", q, got, want, 30*e2eScale)
	}
	if got := api.query(`min(leakscan_probe_success{instance="` + svc.addr + `"})`); len(got) != 1 || got[0] != 1 {
		t.Errorf("leakscan_probe_success = %v, want 1", got)
	}
	if got := api.query(`leakscan_exporter_probes_total{outcome="success"}`); len(got) != 1 || got[0] < 30 {
		t.Errorf("the exporter's own metrics: %v successful probes, want many", got)
	}

	// Ctrl-C stops the exporter gracefully, with leakscan's exit status.
	stopProm()
	exporter.cmd.Process.Signal(syscall.SIGINT)
	if code := waitOrKill(exporter.cmd, 5*time.Second); code != exitInterrupted {
		t.Errorf("leakscan exporter after SIGINT: exit %d, want %d\n%s", code, exitInterrupted, exporter.stderr.String())
	}
	if !strings.HasSuffix(exporter.stderr.String(), "leakscan: interrupted\n") {
		t.Errorf("leakscan exporter after SIGINT: stderr %q, want it to end with leakscan: interrupted", exporter.stderr.String())
	}
}

// listening is a process that said "listening on http://ADDR" first.
type listening struct {
	cmd    *exec.Cmd
	addr   string
	stderr *syncBuffer
}

// startListening starts bin and waits for the first line of its stdout,
// "listening on http://ADDR". The process is interrupted when the test
// ends.
func startListening(t *testing.T, bin string, args ...string) *listening {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	l := &listening{cmd: cmd, stderr: &syncBuffer{}}
	cmd.Stderr = l.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGINT)
		waitOrKill(cmd, 5*time.Second)
	})
	lines := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		lines <- line
		io.Copy(io.Discard, r)
	}()
	select {
	case line := <-lines:
		addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on http://")
		if !ok {
			t.Fatalf("%s: first line %q, want listening on http://ADDR\n%s", filepath.Base(bin), line, l.stderr.String())
		}
		l.addr = addr
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: no listening line after 30s\n%s", filepath.Base(bin), l.stderr.String())
	}
	return l
}

// waitOrKill waits for cmd to exit, killing it after d, and returns its
// exit status.
func waitOrKill(cmd *exec.Cmd, d time.Duration) int {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return exitCode(err)
	case <-time.After(d):
		cmd.Process.Kill()
		return exitCode(<-done)
	}
}

// freeAddr is a loopback address with a port nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// writePrometheusConfig writes deploy/prometheus/prometheus.yml with the
// demo as the only target, the exporter where it listens, 1 s scrapes,
// and the project's rules: the relabelling is the example's own.
func writePrometheusConfig(t *testing.T, path, target, exporter string) {
	t.Helper()
	data, err := os.ReadFile("../../deploy/prometheus/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	rules, err := filepath.Abs("../../deploy/prometheus/rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg["global"] = map[string]any{"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"}
	cfg["rule_files"] = []any{rules}
	jobs := 0
	for _, j := range cfg["scrape_configs"].([]any) {
		job := j.(map[string]any)
		delete(job, "scrape_interval")
		delete(job, "scrape_timeout")
		switch job["job_name"] {
		case "leakscan":
			jobs++
			job["static_configs"] = []any{map[string]any{"targets": []any{target}}}
			for _, r := range job["relabel_configs"].([]any) {
				if rc := r.(map[string]any); rc["target_label"] == "__address__" {
					rc["replacement"] = exporter
				}
			}
		case "leakscan-exporter":
			jobs++
			job["static_configs"] = []any{map[string]any{"targets": []any{exporter}}}
		}
	}
	if jobs != 2 {
		t.Fatalf("deploy/prometheus/prometheus.yml: want jobs leakscan and leakscan-exporter, found %d of them", jobs)
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// promAPI asks a Prometheus server's HTTP API.
type promAPI struct {
	t    *testing.T
	base string
}

type promAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"`
}

// get decodes the data of an API answer into out; while the server
// starts, it answers nothing, which is no alert and no sample.
func (p *promAPI) get(path string, out any) bool {
	resp, err := http.Get(p.base + path)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var body struct {
		Status string          `json:"status"`
		Data   json.RawMessage `json:"data"`
		Error  string          `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode == http.StatusServiceUnavailable {
		return false
	}
	if body.Status != "success" {
		p.t.Fatalf("GET %s: %s", path, body.Error)
	}
	if err := json.Unmarshal(body.Data, out); err != nil {
		p.t.Fatalf("GET %s: %v", path, err)
	}
	return true
}

func (p *promAPI) alerts() []promAlert {
	var data struct {
		Alerts []promAlert `json:"alerts"`
	}
	p.get("/api/v1/alerts", &data)
	return data.Alerts
}

// query returns the values of an instant query's samples.
func (p *promAPI) query(q string) []float64 {
	var data struct {
		Result []struct {
			Value [2]any `json:"value"`
		} `json:"result"`
	}
	if !p.get("/api/v1/query?query="+url.QueryEscape(q), &data) {
		p.t.Fatalf("query %s: prometheus does not answer", q)
	}
	var out []float64
	for _, r := range data.Result {
		s, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			p.t.Fatalf("query %s: value %v", q, r.Value[1])
		}
		out = append(out, v)
	}
	return out
}

// promRegexp matches any of names, written as the inside of a PromQL
// string: the regexp's backslashes doubled.
func promRegexp(names []string) string {
	var quoted []string
	for _, n := range names {
		quoted = append(quoted, regexp.QuoteMeta(n))
	}
	return strings.ReplaceAll(strings.Join(quoted, "|"), `\`, `\\`)
}
