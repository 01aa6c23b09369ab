package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakscan/leakscan/internal/diff"
	"github.com/leakscan/leakscan/internal/parse"
	"github.com/leakscan/leakscan/internal/watch"
)

// The tests of this file run leakscan watch on real services: the
// bundled demo (examples/leakyservice), built and started for the test,
// and this test process's own pprof handler.

// buildDemo builds the demo service into dir.
func buildDemo(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the demo service for seconds; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "leakyservice")
	cmd := exec.Command("go", "build", "-o", bin, "../../examples/leakyservice")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build the demo: %v\n%s", err, out)
	}
	return bin
}

// demo is a running demo service.
type demo struct {
	cmd  *exec.Cmd
	addr string
	done chan error
}

// startDemo starts the demo service at addr ("127.0.0.1:0" for a free
// port) with its periods scaled by scale, and waits until it serves.
func startDemo(t *testing.T, bin, addr string, scale float64) *demo {
	t.Helper()
	addrFile := filepath.Join(t.TempDir(), "addr")
	cmd := exec.Command(bin, "-addr", addr, "-addr-file", addrFile, "-scale", fmt.Sprint(scale))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &demo{cmd: cmd, done: make(chan error, 1)}
	go func() { d.done <- cmd.Wait() }()
	t.Cleanup(d.stop)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(addrFile); err == nil && len(b) > 0 {
			d.addr = strings.TrimSpace(string(b))
			return d
		}
	}
	t.Fatal("the demo service did not start")
	return nil
}

// stop ends the service by its PID and waits for it.
func (d *demo) stop() {
	if d.cmd.ProcessState != nil {
		return
	}
	d.cmd.Process.Signal(os.Interrupt)
	select {
	case <-d.done:
	case <-time.After(5 * time.Second):
		d.cmd.Process.Kill()
		<-d.done
	}
}

// watchReport is the part of leakscan's JSON that these tests read.
type watchReport struct {
	Start     int `json:"start"`
	Snapshots []struct {
		Source  string `json:"source"`
		Format  string `json:"format"`
		Time    string `json:"time"`
		Restart bool   `json:"restart"`
	} `json:"snapshots"`
	Notes []string `json:"notes"`
	Sites []struct {
		Creator          string   `json:"creator"`
		File             string   `json:"file"`
		Line             int      `json:"line"`
		Entry            string   `json:"entry"`
		Verdict          string   `json:"verdict"`
		Leak             bool     `json:"leak"`
		Step             *int     `json:"step"`
		StepEverySeconds *float64 `json:"step_every_seconds"`
		Summary          string   `json:"summary"`
		Counts           []int    `json:"counts"`
	} `json:"sites"`
}

func decodeReport(t *testing.T, stdout string) *watchReport {
	t.Helper()
	var r watchReport
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("leakscan -o json: %v\n%s", err, stdout)
	}
	return &r
}

// verdicts maps each site of the demo, by its go statement's function and
// file, to its verdict.
func (r *watchReport) verdicts() map[string]string {
	m := map[string]string{}
	for _, s := range r.Sites {
		m[s.Creator+" "+filepath.Base(s.File)] = s.Verdict
	}
	return m
}

// The demo's designed sites (examples/leakyservice/README.md): its leaks
// and its decoys, by creator and file.
var (
	demoLeaks = []string{
		"main.(*FileMonitor).pollAllFiles file_monitor.go",
		"main.(*searcher).handleSearch search.go",
		"net/http.(*Transport).dialConn transport.go",
	}
	demoDecoys = []string{
		"main.startRenderPool pool.go",
		"main.(*tenantCache).lookup cache.go",
		"main.(*quoter).fanOut quote.go",
		"main.(*compactor).runBatch burst.go",
		"main.(*loadGen).run load.go",
		"net/http.(*Server).Serve server.go",
	}
)

// TestWatchDemo watches the demo service at a tenth of its periods (a
// leak of 16 goroutines every 3 s) for 15 s: pollAllFiles ranks first as
// "+16 every 3s", every leak of the demo is a leak and none of its decoys
// is; trend on the samples watch saved gives the same verdicts.
//
// With --sampling light the verdicts hold, from counted profiles between a
// few full dumps.
func TestWatchDemo(t *testing.T) {
	bin := buildDemo(t)
	t.Run("full", func(t *testing.T) { watchDemo(t, bin, "full") })
	t.Run("light", func(t *testing.T) { watchDemo(t, bin, "light") })
}

func watchDemo(t *testing.T, bin, sampling string) {
	checkNoLeaks(t)
	d := startDemo(t, bin, "127.0.0.1:0", 0.1)
	saved := filepath.Join(t.TempDir(), "samples")
	code, stdout, stderr := runLeakscan(t, "watch", d.addr, "--interval", "500ms", "--duration", "15s", "--save", saved, "-o", "json", "--sampling", sampling)
	if code != exitOK {
		t.Fatalf("leakscan watch: exit %d\n%s", code, stderr)
	}
	// A sample slower than the interval skips slots: the last one may
	// not be 31.
	if !regexp.MustCompile(`leakscan: sampling http://` + regexp.QuoteMeta(d.addr) + `/debug/pprof/goroutine\?debug=2   [0-9]+/31   total `).MatchString(stderr) {
		t.Errorf("no progress line on stderr:\n%s", stderr)
	}
	r := decodeReport(t, stdout)
	full := 0
	for _, s := range r.Snapshots {
		if s.Format == "debug=2" {
			full++
		}
	}
	if sampling == "light" && (full < 2 || full > len(r.Snapshots)/2 || r.Snapshots[0].Format != "debug=2" || r.Snapshots[len(r.Snapshots)-1].Format != "debug=2") {
		t.Errorf("light sampling: %d of %d samples full, want the first, the last and few others", full, len(r.Snapshots))
	}
	checkDemoVerdicts(t, "watch", r)
	first := r.Sites[0]
	if first.Creator != "main.(*FileMonitor).pollAllFiles" || first.Step == nil || *first.Step != 16 ||
		first.StepEverySeconds == nil || *first.StepEverySeconds != 3 ||
		!strings.HasPrefix(first.Summary, "+16 every 3s from main.(*FileMonitor).pollAllFiles (file_monitor.go:") {
		t.Errorf("first site %+v, want pollAllFiles, +16 every 3s", first)
	}

	files, err := filepath.Glob(filepath.Join(saved, "goroutine-*"))
	if err != nil || len(files) != len(r.Snapshots) {
		t.Fatalf("%d samples saved, %d taken (%v)", len(files), len(r.Snapshots), err)
	}
	code, stdout, stderr = runLeakscan(t, "trend", saved, "-o", "json")
	if code != exitOK {
		t.Fatalf("leakscan trend: exit %d\n%s", code, stderr)
	}
	tr := decodeReport(t, stdout)
	checkDemoVerdicts(t, "trend", tr)
	want, got := r.verdicts(), tr.verdicts()
	for site, v := range want {
		if got[site] != v {
			t.Errorf("site %s: watch says %s, trend of its samples %s", site, v, got[site])
		}
	}

	// The table names the leak in the first line.
	code, stdout, _ = runLeakscan(t, "trend", saved)
	if first := strings.SplitN(stdout, "\n", 2)[0]; code != exitOK || !strings.HasPrefix(first, "LEAK     +16 every 3s from main.(*FileMonitor).pollAllFiles (file_monitor.go:") {
		t.Errorf("trend table starts %q, want the pollAllFiles leak", first)
	}
}

func checkDemoVerdicts(t *testing.T, cmd string, r *watchReport) {
	t.Helper()
	verdicts := map[string][]string{}
	for _, s := range r.Sites {
		k := s.Creator + " " + filepath.Base(s.File)
		verdicts[k] = append(verdicts[k], s.Verdict)
	}
	for _, site := range demoLeaks {
		if len(verdicts[site]) == 0 {
			t.Errorf("%s: no site %s", cmd, site)
		}
		for _, v := range verdicts[site] {
			if v != "leak" {
				t.Errorf("%s: leak %s: verdict %s", cmd, site, v)
			}
		}
	}
	for _, site := range demoDecoys {
		for _, v := range verdicts[site] {
			if v == "leak" {
				t.Errorf("%s: decoy %s: verdict leak", cmd, site)
			}
		}
	}
}

// TestWatchRestart restarts the demo service on its port in the middle of
// a watch, as its container does: the samples that fail while it is down
// are said, the restart is found, and only the samples since are
// analysed.
func TestWatchRestart(t *testing.T) {
	checkNoLeaks(t)
	bin := buildDemo(t)
	d := startDemo(t, bin, "127.0.0.1:0", 0.1)
	addr := d.addr
	restarted := make(chan *demo, 1)
	go func() {
		time.Sleep(4 * time.Second)
		d.stop()
		time.Sleep(time.Second)
		restarted <- startDemo(t, bin, addr, 0.1)
	}()
	code, stdout, stderr := runLeakscan(t, "watch", addr, "--interval", "250ms", "--duration", "12s", "-o", "json")
	<-restarted
	if code != exitOK {
		t.Fatalf("leakscan watch: exit %d\n%s", code, stderr)
	}
	r := decodeReport(t, stdout)
	if r.Start == 0 || !r.Snapshots[r.Start].Restart {
		t.Fatalf("start %d: the restart is not found\n%s", r.Start, stderr)
	}
	for i, s := range r.Snapshots {
		if s.Restart != (i == r.Start) {
			t.Errorf("snapshot %d marked restart %v", i, s.Restart)
		}
	}
	if !strings.Contains(stderr, "the target restarted") || !strings.Contains(stderr, "failed: ") {
		t.Errorf("stderr does not say the restart and the failed samples:\n%s", stderr)
	}
	failed := false
	for _, n := range r.Notes {
		failed = failed || strings.Contains(n, "samples failed")
	}
	if !failed {
		t.Errorf("notes %q: want the failed samples said", r.Notes)
	}
	// The new process's own leak, from its start.
	for _, s := range r.Sites {
		if s.Creator == "main.(*FileMonitor).pollAllFiles" {
			if s.Counts[r.Start-1] != 0 && s.Counts[r.Start] > s.Counts[r.Start-1] {
				t.Errorf("pollAllFiles counts %v across the restart at %d: want the new process's from its start", s.Counts, r.Start)
			}
			return
		}
	}
	t.Error("no pollAllFiles site after the restart")
}

// TestWatchItself watches this test process, whose only goroutines are
// the test's and leakscan's own: leakscan's goroutines stay flat over many
// samples (no site leaks or grows), and none is left once it returns,
// also when it is interrupted.
func TestWatchItself(t *testing.T) {
	checkNoLeaks(t)
	var served atomic.Int64
	srv := pprofServer(t)
	code, stdout, stderr := runLeakscan(t, "watch", srv.URL, "--interval", "20ms", "--samples", "40", "-o", "json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	r := decodeReport(t, stdout)
	if len(r.Snapshots) != 40 {
		t.Fatalf("%d samples, want 40", len(r.Snapshots))
	}
	for _, s := range r.Sites {
		if s.Verdict == "leak" || s.Verdict == "growing" {
			t.Errorf("site %s %s: %s, counts %v", s.Creator, s.Entry, s.Verdict, s.Counts)
		}
	}

	// Interrupted: the report of what was gathered, exit 130.
	ctx, cancel := context.WithCancelCause(context.Background())
	srv2 := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if served.Add(1) == 5 {
			cancel(errInterrupted)
		}
		srv.Config.Handler.ServeHTTP(w, r)
	}))
	var out, errOut strings.Builder
	code = run(ctx, []string{"watch", srv2.URL + "/debug/pprof/goroutine", "--interval", "10ms"}, &streams{
		In: strings.NewReader(""), Out: &out, Err: &errOut, Getenv: func(string) string { return "" },
	})
	if code != exitInterrupted || !strings.Contains(out.String(), "samples of ") {
		t.Errorf("interrupted watch: exit %d, report:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
}

// TestWatchFailures serves a target that fails every other sample, then
// one that fails them all.
func TestWatchFailures(t *testing.T) {
	checkNoLeaks(t)
	ok := pprofServer(t)
	var n atomic.Int64
	flaky := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%2 == 0 {
			http.Error(w, "busy", http.StatusInternalServerError)
			return
		}
		ok.Config.Handler.ServeHTTP(w, r)
	}))
	code, stdout, stderr := runLeakscan(t, "watch", flaky.URL+"/debug/pprof/goroutine", "--interval", "10ms", "--samples", "6")
	if code != exitOK || strings.Count(stderr, "failed: ") != 3 || !strings.Contains(stdout, "note: 3 of 6 samples failed; the last: ") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	down := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusNotFound)
	}))
	code, stdout, stderr = runLeakscan(t, "watch", down.URL+"/debug/pprof/goroutine", "--interval", "10ms", "--samples", "3")
	if code != exitInput || stdout != "" || !strings.Contains(stderr, "leakscan: no sample could be taken: 3 failed, the last: ") {
		t.Errorf("all failed: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}

// TestSaver keeps samples under names that say their time, never over
// one another, and drops what the watch did not use.
func TestSaver(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "dir")
	sv, err := newSaver(dir)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 11, 7, 22, 59, 5, 123456789, time.UTC)
	add := func(text string, format parse.Format) *parse.Snapshot {
		tmp, err := sv.create()
		if err != nil {
			t.Fatal(err)
		}
		tmp.WriteString(text)
		snap := &parse.Snapshot{Time: at, Format: format}
		sv.pending[snap] = tmp
		return snap
	}
	for _, snap := range []*parse.Snapshot{add("one", parse.FormatDebug2), add("two", parse.FormatDebug2), add("three", parse.FormatDebug1)} {
		if err := sv.keep(snap); err != nil {
			t.Fatal(err)
		}
	}
	sv.drop(add("dropped", parse.FormatDebug1))
	add("interrupted", parse.FormatDebug2)
	sv.close()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		got = append(got, e.Name()+"="+string(data))
	}
	want := "[goroutine-20251107T225905.123Z-1.txt=two goroutine-20251107T225905.123Z.debug1.txt=three goroutine-20251107T225905.123Z.txt=one]"
	if fmt.Sprint(got) != want {
		t.Errorf("saved %v, want %s", got, want)
	}
	for _, e := range entries {
		if !savedTime(e.Name()).Equal(at.Truncate(time.Millisecond)) {
			t.Errorf("trend reads no time from %s", e.Name())
		}
	}
}

// TestProgressOnATerminal redraws one line in place, and gives a failure
// a line of its own.
func TestProgressOnATerminal(t *testing.T) {
	var errOut strings.Builder
	p := &progress{s: &streams{Err: &errOut}, url: "http://h/x", terminal: true}
	r := decodeResultOfDumps(t)
	p.observe(watch.Event{N: 1, Planned: 3, Result: r})
	p.observe(watch.Event{N: 2, Planned: 3, Err: errors.New("connection refused")})
	p.observe(watch.Event{N: 3, Planned: 3, Result: r})
	p.done()
	want := "\r\x1b[Ksampling http://h/x   1/3   total 12 (+0)" +
		"\r\x1b[Kleakscan: sample 2/3 failed: connection refused\n" +
		"\r\x1b[Ksampling http://h/x   3/3   total 12 (+0)\n"
	if got := errOut.String(); !strings.HasPrefix(got, want[:20]) || strings.Count(got, "\r\x1b[K") != 3 || !strings.HasSuffix(got, "(+0)\n") ||
		!strings.Contains(got, "\r\x1b[Kleakscan: sample 2/3 failed: connection refused\n") {
		t.Errorf("progress on a terminal:\n%q\nwant like\n%q", got, want)
	}
}

// decodeResultOfDumps is the result of the before.txt dump of the
// scripts, as a one-sample watch.
func decodeResultOfDumps(t *testing.T) *diff.Result {
	t.Helper()
	dir := t.TempDir()
	if err := writeDumps(dir); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "before.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	snap, err := parse.Read(context.Background(), f, "before.txt", parse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := diff.NewSeries(diff.Filter{})
	s.Add(snap)
	return s.Result()
}

// TestTrendAll: the table's "not shown (--all, --limit)" names flags trend
// has, and with it every site is shown.
func TestTrendAll(t *testing.T) {
	series := "../../testdata/demo/series"
	code, stdout, _ := runLeakscan(t, "trend", series)
	if code != exitOK || !strings.Contains(stdout, " not shown (--all, --limit)") {
		t.Fatalf("exit %d, table without sites hidden:\n%s", code, stdout)
	}
	code, all, stderr := runLeakscan(t, "trend", series, "--all")
	if code != exitOK || strings.Contains(all, "not shown") || strings.Count(all, "\n") <= strings.Count(stdout, "\n") {
		t.Errorf("trend --all: exit %d, %s\n%s", code, stderr, all)
	}
}
