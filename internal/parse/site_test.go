package parse

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

// entries maps each created-by site of a dump to the entry functions of
// its stacks (stacks that may lack their bottom left out).
func entries(t *testing.T, name string) map[Site]map[string]bool {
	t.Helper()
	out := map[Site]map[string]bool{}
	for _, s := range readFile(t, name, Options{}).Stacks {
		if s.Site.Kind != KeyCreatedBy || s.Cut {
			continue
		}
		if out[s.Site] == nil {
			out[s.Site] = map[string]bool{}
		}
		out[s.Site][s.Entry.Func] = true
	}
	return out
}

// TestEntrySameAtEveryLevel compares the entry function of every site of
// one program dumped at GOTRACEBACK=single and all (no wrappers shown),
// and at system (Go 1.17 to 1.21 show the closures they compile around go
// statements with arguments; 1.22+ show gowrapN): the entry must not
// depend on the level. The http pair is one process.
func TestEntrySameAtEveryLevel(t *testing.T) {
	for _, dir := range corpusDirs(t) {
		for _, pair := range [][2]string{
			{"a.debug2.txt", "crash.panic.system.txt"},
			{"a.debug2.txt", "crash.panic.all.txt"},
			{"http.debug2.txt", "http.sigquit.system.txt"},
		} {
			low, high := entries(t, filepath.Join(dir, pair[0])), entries(t, filepath.Join(dir, pair[1]))
			compared := 0
			for site, want := range low {
				got, ok := high[site]
				if !ok {
					continue
				}
				compared++
				for fn := range got {
					if !want[fn] {
						t.Errorf("%s %s: site %s (%s:%d): entry %s, want one of %v",
							filepath.Base(dir), pair[1], site.Func, filepath.Base(site.File), site.Line, fn, keys(want))
					}
				}
			}
			if compared < 5 {
				t.Errorf("%s %v: only %d sites in common", filepath.Base(dir), pair, compared)
			}
		}
	}
}

// TestGoWrapperSkipped pins the case that motivated goWrapper, on Go 1.19
// at GOTRACEBACK=system: "go waitClosed(m.quit, s)" runs
// workers.StartMulti.func4, which calls waitClosed.
func TestGoWrapperSkipped(t *testing.T) {
	name := filepath.Join(corpusDir, "go1.19.13", "crash.panic.system.txt")
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("workers.StartMulti.func4()\n")) {
		t.Fatalf("%s no longer shows the wrapper StartMulti.func4", name)
	}
	for site, fns := range entries(t, name) {
		if filepath.Base(site.File) == "workers.go" && site.Line == 62 {
			if !fns["example.com/dumpgen/internal/workers.waitClosed"] || len(fns) != 1 {
				t.Errorf("entry of workers.go:62 = %v, want workers.waitClosed", keys(fns))
			}
			return
		}
	}
	t.Errorf("%s: no site workers.go:62", name)
}

// TestMainGoroutineKeyedOnce checks that goroutine 1 is the entry site
// main.main in every format, whether or not runtime.main is printed below
// it (debug=1, protobuf and crash output print it; debug=2 does not).
func TestMainGoroutineKeyedOnce(t *testing.T) {
	for _, dir := range corpusDirs(t) {
		for _, name := range []string{"a.debug2.txt", "a.debug1.txt", "a.debug0.pb.gz", "crash.panic.all.txt", "crash.panic.system.txt", "http.debug1.txt"} {
			snap := readFile(t, filepath.Join(dir, name), Options{})
			found := false
			for _, s := range snap.Stacks {
				if s.Site.Kind != KeyEntry {
					continue
				}
				if s.Site.Func == "runtime.main" {
					t.Errorf("%s %s: a site keyed by runtime.main", filepath.Base(dir), name)
				}
				found = found || s.Site.Func == "main.main"
			}
			if !found {
				t.Errorf("%s %s: no site main.main", filepath.Base(dir), name)
			}
		}
	}
}

// TestNotStartedCounted reads the counted profiles the http service
// served to the request that fetched them: net/http starts goroutines for
// that request, and one that has not run yet has nothing but
// runtime.goexit on its stack ("1 @ 0x491681" with no frame line; a
// sample with one goexit location). Every goroutine is counted, and such
// a record is keyed as not started, never taken for a cut.
func TestNotStartedCounted(t *testing.T) {
	seen := 0
	for _, dir := range corpusDirs(t) {
		name := filepath.Join(dir, "http.debug1.txt")
		total, bare := countedTotals(t, name)
		snap := readFile(t, name, Options{})
		if snap.Goroutines != total || snap.Truncated {
			t.Errorf("%s: %d goroutines (truncated %v), the header says %d", name, snap.Goroutines, snap.Truncated, total)
		}
		if got := notStarted(snap); got != bare {
			t.Errorf("%s: %d goroutines keyed not started, the text has %d goexit-only records", name, got, bare)
		}
		seen += bare

		name = filepath.Join(dir, "http.debug0.pb.gz")
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		p, err := profile.Parse(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		total, bare = 0, 0
		for _, s := range p.Sample {
			total += int(s.Value[0])
			if len(s.Location) == 1 && len(s.Location[0].Line) == 1 && s.Location[0].Line[0].Function.Name == "runtime.goexit" {
				bare += int(s.Value[0])
			}
		}
		snap = readFile(t, name, Options{})
		if snap.Goroutines != total {
			t.Errorf("%s: %d goroutines, the samples count %d", name, snap.Goroutines, total)
		}
		if got := notStarted(snap); got != bare {
			t.Errorf("%s: %d goroutines keyed not started, the samples have %d goexit-only", name, got, bare)
		}
		seen += bare
	}
	if seen == 0 {
		t.Error("no counted profile of the corpus has a goroutine that has not started: the test tests nothing")
	}
}

// countedTotals reads a debug=1 dump's header total and counts the
// records that have one PC and no frame line, the simplest way.
func countedTotals(t *testing.T, name string) (total, bare int) {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	var pending int
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "goroutine profile: total "):
			total, _ = strconv.Atoi(strings.TrimPrefix(line, "goroutine profile: total "))
		case strings.Contains(line, " @ "):
			n, at, _ := strings.Cut(line, " @ ")
			pending = 0
			if len(strings.Fields(at)) == 1 {
				pending, _ = strconv.Atoi(n)
			}
		case strings.HasPrefix(line, "#"):
			pending = 0
		case line == "":
			bare += pending
			pending = 0
		}
	}
	return total, bare + pending
}

func notStarted(snap *Snapshot) int {
	n := 0
	for _, s := range snap.Stacks {
		if s.Entry.Func == "runtime.goexit" {
			n += s.Count
		}
	}
	return n
}

func corpusDirs(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(corpusDir, "go*"))
	if err != nil || len(dirs) < 12 {
		t.Fatalf("corpus has %d toolchains, want 12 (%v)", len(dirs), err)
	}
	return dirs
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestClosureOf(t *testing.T) {
	for _, tt := range []struct {
		fn, parent string
		want       bool
	}{
		{"net/http.(*Server).Serve.func3", "net/http.(*Server).Serve", true},
		{"main.main.func12", "main.main", true},
		{"main.main.func1.1", "main.main", false},
		{"main.main.func", "main.main", false},
		{"main.main.funcx", "main.main", false},
		{"main.mainer.func1", "main.main", false},
		{"main.main.gowrap1", "main.main", false},
	} {
		if got := closureOf(tt.fn, tt.parent); got != tt.want {
			t.Errorf("closureOf(%q, %q) = %v, want %v", tt.fn, tt.parent, got, tt.want)
		}
	}
}

// TestWaitSkipsAutogenerated: a method-value or interface wrapper at
// <autogenerated>:1 is never where a goroutine waits.
func TestWaitSkipsAutogenerated(t *testing.T) {
	frames := []Frame{
		{Func: "internal/poll.(*FD).Read", File: "/go/src/internal/poll/fd_unix.go", Line: 165},
		{Func: "example.com/app.(*conn).Read-fm", File: "<autogenerated>", Line: 1},
		{Func: "io.Copy", File: "/go/src/io/io.go", Line: 388},
		{Func: "example.com/app.pump", File: "/app/pump.go", Line: 12},
	}
	if got := frames[waitIndex(frames)]; got.Func != "example.com/app.pump" {
		t.Errorf("wait frame %s, want example.com/app.pump", got.Func)
	}
}

// TestWaitMinutesCounted counts, in a dump taken after more than a
// minute, the goroutines that have waited at least a minute, against the
// headers that say so.
func TestWaitMinutesCounted(t *testing.T) {
	name := filepath.Join(corpusDir, "go1.27.4", "minutes.debug2.txt")
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "goroutine ") && strings.Contains(line, " minutes") {
			want++
		}
	}
	got := 0
	for _, s := range readFile(t, name, Options{}).Stacks {
		for _, sc := range s.States {
			got += sc.Over1m
			if sc.Over10m != 0 {
				t.Errorf("%d goroutines waited 10 minutes in a dump a minute old", sc.Over10m)
			}
		}
	}
	if got != want || want == 0 {
		t.Errorf("%d goroutines waited a minute, the headers say %d", got, want)
	}
}

// TestCrashWithoutBlankLines reads SIGQUIT output whose blank lines were
// lost (pasted into a chat or an issue), registers after the last
// goroutine and all: the same goroutines as with its blank lines, and no
// register taken for a line of the last one.
func TestCrashWithoutBlankLines(t *testing.T) {
	for _, dir := range corpusDirs(t) {
		for _, name := range []string{"crash.sigquit.single.txt", "http.sigquit.system.txt"} {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			want := readFile(t, filepath.Join(dir, name), Options{})
			var b strings.Builder
			for _, line := range strings.Split(string(data), "\n") {
				if strings.TrimSpace(line) != "" {
					b.WriteString(line + "\n")
				}
			}
			got, err := Read(context.Background(), strings.NewReader(b.String()), name, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got.Goroutines != want.Goroutines || got.Truncated {
				t.Errorf("%s %s without blank lines: %d goroutines (truncated %v), with them %d; warnings %q",
					filepath.Base(dir), name, got.Goroutines, got.Truncated, want.Goroutines, got.Warnings)
			}
			for _, w := range got.Warnings {
				if strings.Contains(w, "0x") {
					t.Errorf("%s %s: %s", filepath.Base(dir), name, w)
				}
			}
		}
	}
}

func TestIsRegister(t *testing.T) {
	for line, want := range map[string]bool{
		"rax    0xca": true, "rflags 0x286": true, "r15    0x7f65723f67d0": true, "lr     0x4a1c2c": true,
		"fault  0x0": true, "rax 0x": false, "main.main()": false, "created by main.f": false, "0x1234": false,
		"rax    0xzz": false, "exit status 2": false,
	} {
		if got := isRegister([]byte(line)); got != want {
			t.Errorf("isRegister(%q) = %v, want %v", line, got, want)
		}
	}
}
