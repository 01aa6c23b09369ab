package diff

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/leakscan/leakscan/internal/parse"
)

// The http dumps of the corpus are of dumpgen's HTTP service (package
// testdata/dumpgen/internal/httpsvc), fetched from its own /debug/pprof
// with this plan: 4 idle keep-alive connections, 3 that sent half their
// headers, 2 requests whose handler blocks, 2 idle pooled client
// connections, 3 responses whose bodies are never closed, and 2
// goroutines of each of 4 functions started through the service's own
// startGoRoutine helper. http.sigquit.system.txt is the same process
// dumped by SIGQUIT right after.
const (
	planKeepAlive = 4
	planHalf      = 3
	planBlocked   = 2
	planPooled    = 2
	planUnclosed  = 3
	planSpawned   = 2
)

func siteByCreator(r *Result, creator string, entry string) *Site {
	for _, s := range r.Sites {
		if s.Creator.Func == creator && (entry == "" || s.Entry.Func == entry) {
			return s
		}
	}
	return nil
}

// TestHTTPBenign checks, on every toolchain, which of net/http's
// goroutines are benign: idle keep-alive connections are; connections
// that are still reading a request's headers are not, nor are busy
// handlers; an idle pooled client connection is, a client connection
// waiting for its response body to be closed is not. Each go statement is
// one site, benign goroutines counted apart inside it.
func TestHTTPBenign(t *testing.T) {
	for _, dir := range corpusDirs(t) {
		v := filepath.Base(dir)
		r := corpusSeries(t, filepath.Join(dir, "http.debug2.txt"))
		// Server side: every connection of the plan, and the one that
		// fetched the dump, is a goroutine of (*Server).Serve's go
		// statement. Idle ones: keep-alive, pooled and unclosed-body
		// connections (the server sent those responses), and the dump's
		// own writer.
		serve := siteByCreator(r, "net/http.(*Server).Serve", "")
		if serve == nil {
			t.Fatalf("%s: no net/http.(*Server).Serve site", v)
		}
		wantAll := planKeepAlive + planHalf + planBlocked + planPooled + planUnclosed + 1
		wantCounted := planHalf + planBlocked
		if serve.Counts[0] != wantAll || serve.Counted(0) != wantCounted || serve.AllBenign {
			t.Errorf("%s: Serve site: %d goroutines, %d counted (all benign %v), want %d and %d; waits %+v",
				v, serve.Counts[0], serve.Counted(0), serve.AllBenign, wantAll, wantCounted, serve.Waits)
		}
		if !strings.Contains(serve.Benign, "http keep-alive") {
			t.Errorf("%s: Serve site benign %q, want http keep-alive among them", v, serve.Benign)
		}
		// Client side: the pooled connections, the blocked requests'
		// and the fetch's wait for the server; the unclosed ones wait
		// for their bodies.
		read := siteByCreator(r, "net/http.(*Transport).dialConn", "net/http.(*persistConn).readLoop")
		if read == nil {
			t.Fatalf("%s: no readLoop site", v)
		}
		if got, want := read.Counted(0), planUnclosed; got != want || read.Counts[0] != planPooled+planUnclosed+planBlocked+1 {
			t.Errorf("%s: readLoop site: %d goroutines, %d counted, want %d and %d; waits %+v",
				v, read.Counts[0], got, planPooled+planUnclosed+planBlocked+1, want, read.Waits)
		}
		// Writers look idle whether or not their body was closed: benign
		// only as many as idle readers.
		write := siteByCreator(r, "net/http.(*Transport).dialConn", "net/http.(*persistConn).writeLoop")
		if write == nil || write.Counted(0) != planUnclosed {
			t.Errorf("%s: writeLoop site %+v: want %d counted", v, write, planUnclosed)
		}
		// The helper: one site per function it ran.
		helpers := 0
		for _, s := range r.Sites {
			if s.Kind == parse.KeyHelper && strings.HasSuffix(s.Creator.Func, ".(*Service).startGoRoutine") {
				helpers++
				if s.Counts[0] != planSpawned || strings.Contains(s.Func, "startGoRoutine") {
					t.Errorf("%s: helper site %s has %d goroutines, want %d", v, s.Func, s.Counts[0], planSpawned)
				}
			}
		}
		if helpers != 4 {
			t.Errorf("%s: %d sites via startGoRoutine, want 4", v, helpers)
		}
		// The goroutines that served the request for the dump are benign.
		for _, s := range r.Sites {
			if s.Creator.Func == "net/http.(*connReader).startBackgroundRead" && !s.AllBenign {
				t.Errorf("%s: the request's read-ahead is not benign", v)
			}
		}
	}
}

// TestSameProcessAcrossLevels diffs the debug=2 dump of the http service
// with its SIGQUIT dump at GOTRACEBACK=system a moment later: the same
// goroutines, the same ids, so every site of the program is steady with
// every goroutine surviving, whatever the level shows of wrappers and
// runtime frames, and no gate trips.
func TestSameProcessAcrossLevels(t *testing.T) {
	for _, dir := range corpusDirs(t) {
		v := filepath.Base(dir)
		r := corpusSeries(t, filepath.Join(dir, "http.debug2.txt"), filepath.Join(dir, "http.sigquit.system.txt"))
		if !r.IDs || len(r.Notes) > 0 {
			t.Errorf("%s: ids %v, notes %q", v, r.IDs, r.Notes)
		}
		for _, s := range r.Sites {
			if s.AllBenign || !strings.Contains(s.Func+s.Creator.Func, "dumpgen") {
				continue
			}
			if s.Status != StatusSteady || s.Survived != s.Counted(0) {
				t.Errorf("%s: site %s (%s:%d): %s %v, %d survived", v, s.Func, filepath.Base(s.File), s.Line, s.Status, s.Counts, s.Survived)
			}
		}
		if b := r.Check(Policy{MaxGrowth: 0, MaxTotalGrowth: 0, MaxRate: -1}); len(b) > 0 {
			for _, br := range b {
				name := "total"
				if br.Site != nil {
					name = br.Site.Func
				}
				t.Errorf("%s: gate: %s %s %g", v, br.Rule, name, br.Value)
			}
		}
	}
}

// TestMixedFormatsGate diffs a debug=2 dump with the debug=1 and protobuf
// dumps of the same moment: keyed by entry function, nothing grows, and
// the main goroutine is one site.
func TestMixedFormatsGate(t *testing.T) {
	for _, dir := range corpusDirs(t) {
		for _, pair := range [][2]string{
			{"a.debug2.txt", "a.debug1.txt"},
			{"a.debug1.txt", "a.debug2.txt"},
			{"a.debug2.txt", "a.debug0.pb.gz"},
		} {
			r := corpusSeries(t, filepath.Join(dir, pair[0]), filepath.Join(dir, pair[1]))
			for _, br := range r.Check(Policy{MaxGrowth: 0, MaxTotalGrowth: 0, MaxRate: -1}) {
				name := "total"
				if br.Site != nil {
					name = br.Site.Func
				}
				t.Errorf("%s %v: gate: %s %s %g", filepath.Base(dir), pair, br.Rule, name, br.Value)
			}
		}
	}
}

// TestOutOfOrder adds protobuf snapshots, which record when they were
// taken, newest first.
func TestOutOfOrder(t *testing.T) {
	dir := filepath.Join(corpusDir, "go1.26.8")
	s := NewSeries(Filter{})
	if err := s.Add(readSnap(t, filepath.Join(dir, "b.debug0.pb.gz"))); err != nil {
		t.Fatal(err)
	}
	err := s.Add(readSnap(t, filepath.Join(dir, "a.debug0.pb.gz")))
	if !errors.Is(err, ErrOutOfOrder) || !strings.Contains(err.Error(), "a.debug0.pb.gz was taken at") {
		t.Errorf("Add(older) = %v, want ErrOutOfOrder naming the input", err)
	}
}

// TestRestartNoted diffs dumps of two processes: ids mean nothing across
// them, so survival is unknown and the result says why.
func TestRestartNoted(t *testing.T) {
	for _, dir := range corpusDirs(t) {
		r := corpusSeries(t, filepath.Join(dir, "a.debug2.txt"), filepath.Join(dir, "http.debug2.txt"))
		if r.IDs || !r.Snapshots[1].Restart || len(r.Notes) == 0 || !strings.Contains(r.Notes[0], "another process") {
			t.Errorf("%s: ids %v, restart %v, notes %q: want a restart said", filepath.Base(dir), r.IDs, r.Snapshots[1].Restart, r.Notes)
		}
	}
}

func corpusDirs(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(corpusDir, "go*"))
	if err != nil || len(dirs) < 12 {
		t.Fatalf("corpus has %d toolchains, want 12 (%v)", len(dirs), err)
	}
	return dirs
}

func readSnap(t *testing.T, name string) *parse.Snapshot {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	snap, err := parse.Read(context.Background(), f, name, parse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// TestLeakProfileAgainstGoroutineProfile diffs the goroutineleak
// profile's counted form, which counts only leaked goroutines, with the
// goroutine profile: not a comparison of like with like, and said.
func TestLeakProfileAgainstGoroutineProfile(t *testing.T) {
	dir := filepath.Join(corpusDir, "go1.26.8")
	r := corpusSeries(t, filepath.Join(dir, "a.debug1.txt"), filepath.Join(dir, "a.leak.debug1.txt"))
	if len(r.Notes) == 0 || !strings.Contains(r.Notes[0], "count different goroutines") {
		t.Errorf("notes %q, want the mismatch said", r.Notes)
	}
	r = corpusSeries(t, filepath.Join(dir, "a.debug2.txt"), filepath.Join(dir, "a.leak.debug2.txt"))
	for _, n := range r.Notes {
		if strings.Contains(n, "count different goroutines") {
			t.Errorf("goroutineleak debug=2 lists every goroutine, yet: %q", n)
		}
	}
}

// TestSpawnerFlag names a creator as a spawning helper: the goroutines
// of the service's own Start are then keyed by the function they run, its
// literal here (the call in it, to net/http.Get, is inlined: not a
// function handed over).
func TestSpawnerFlag(t *testing.T) {
	dir := filepath.Join(corpusDir, "go1.26.8")
	s := NewSeries(Filter{Spawners: []*regexp.Regexp{regexp.MustCompile(`httpsvc\.Start$`)}})
	if err := s.Add(readSnap(t, filepath.Join(dir, "http.debug2.txt"))); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, site := range s.Result().Sites {
		if strings.HasSuffix(site.Creator.Func, "httpsvc.Start") && site.Kind == parse.KeyHelper {
			found = found || strings.HasSuffix(site.Func, "httpsvc.Start.func3") && site.Counts[0] == planBlocked
		}
		if site.Kind == parse.KeyCreatedBy && strings.HasSuffix(site.Func, "httpsvc.Start") && site.Line == 81 {
			t.Errorf("site httpsvc.go:81 still keyed by its go statement")
		}
	}
	if !found {
		t.Error("no site httpsvc.Start.func3 via httpsvc.Start with the blocked requests' clients")
	}
}

// TestTestAlarmBenign: the goroutine of go test's -timeout alarm, which
// prints the dump, is created by time.goFunc (time.AfterFunc).
func TestTestAlarmBenign(t *testing.T) {
	for _, dir := range corpusDirs(t) {
		r := corpusSeries(t, filepath.Join(dir, "crash.gotest-timeout.single.txt"))
		for _, s := range r.Sites {
			if strings.HasPrefix(s.Entry.Func, "testing.(*M).startAlarm") && s.Benign != "testing" {
				t.Errorf("%s: the test alarm is benign %q, want testing", filepath.Base(dir), s.Benign)
			}
		}
	}
}
