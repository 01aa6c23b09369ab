package parse

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The corpus is real runtime output of twelve Go toolchains, written by
// testdata/dumpgen (see testdata/corpus/README.md).
const corpusDir = "../../testdata/corpus"

func corpusFiles(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(corpusDir, "go*", pattern))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files match %s: %v", pattern, err)
	}
	return files
}

func readFile(t *testing.T, name string, opts Options) *Snapshot {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	snap, err := Read(context.Background(), f, name, opts)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return snap
}

var (
	naiveHeader = regexp.MustCompile(`^goroutine (\d+) .*[\]}]:$`)
	naiveOffset = regexp.MustCompile(` \+0x[0-9a-f]+( fp=.*)?$`)
)

// naiveCount counts goroutines and "created by" sites of traceback text
// the simplest way there is: an independent oracle for the parser.
func naiveCount(t *testing.T, name string) (goroutines int, sites map[Frame]int) {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	sites = map[Frame]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	inAncestor := false
	var creator string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			inAncestor = false
		case strings.HasPrefix(line, "[originating from goroutine "):
			inAncestor = true
		case naiveHeader.MatchString(line):
			if m := naiveHeader.FindStringSubmatch(line); m[1] != "0" {
				goroutines++
			}
		case strings.HasPrefix(line, "created by ") && !inAncestor:
			creator, _, _ = strings.Cut(strings.TrimPrefix(line, "created by "), " in goroutine ")
		case creator != "":
			loc := naiveOffset.ReplaceAllString(strings.TrimSpace(line), "")
			i := strings.LastIndexByte(loc, ':')
			n, _ := strconv.Atoi(loc[i+1:])
			sites[Frame{Func: creator, File: loc[:i], Line: n}]++
			creator = ""
		}
	}
	return goroutines, sites
}

// TestCorpusText reads every traceback text of the corpus: no warnings,
// every goroutine counted once, and per creation site the count of its
// "created by" lines.
func TestCorpusText(t *testing.T) {
	for _, name := range corpusFiles(t, "*.txt") {
		if strings.Contains(name, ".debug1.") {
			continue
		}
		rel, _ := filepath.Rel(corpusDir, name)
		snap := readFile(t, name, Options{})
		if len(snap.Warnings) > 0 || snap.Truncated {
			t.Errorf("%s: truncated=%v warnings %q", rel, snap.Truncated, snap.Warnings)
		}
		wantN, wantSites := naiveCount(t, name)
		if snap.Goroutines != wantN {
			t.Errorf("%s: %d goroutines, want %d", rel, snap.Goroutines, wantN)
		}
		got := map[Frame]int{}
		for _, s := range snap.Stacks {
			if s.Creator.Func != "" {
				c := s.Creator
				c.Inlined = false
				got[c] += s.Count
			}
		}
		for f, n := range wantSites {
			if got[f] != n {
				t.Errorf("%s: created by %s %s:%d: %d goroutines, want %d", rel, f.Func, f.File, f.Line, got[f], n)
			}
		}
		if len(got) != len(wantSites) {
			t.Errorf("%s: %d creation sites, want %d", rel, len(got), len(wantSites))
		}
		isCrash := strings.HasPrefix(filepath.Base(name), "crash.") || strings.Contains(name, ".sigquit.")
		if isCrash != (snap.Format == FormatCrash) || isCrash && snap.Cause == "" {
			t.Errorf("%s: format %s, cause %q", rel, snap.Format, snap.Cause)
		}
	}
}

// truth is what dumpgen recorded about the goroutines it started.
type truth struct {
	Note  string `json:"note"`
	Sites []struct {
		File  string `json:"file"`
		Line  int    `json:"line"`
		Func  string `json:"func"`
		Via   string `json:"via"`
		Alive int    `json:"alive"`
	} `json:"sites"`
}

// TestCorpusTruth checks every dump that prints all goroutines against
// what the generating program knows it started: per site, the goroutines
// at that go statement, or for wg.Go and time.AfterFunc, the goroutines
// keyed by the code above the helper.
func TestCorpusTruth(t *testing.T) {
	partial := regexp.MustCompile(`crash\.(panic|repanic|segv)\.single|synctest-deadlock`)
	for _, tf := range corpusFiles(t, "*.truth.json") {
		name := strings.TrimSuffix(tf, ".truth.json") + ".txt"
		rel, _ := filepath.Rel(corpusDir, name)
		if partial.MatchString(name) {
			continue // only the crashing goroutine is printed
		}
		data, err := os.ReadFile(tf)
		if err != nil {
			t.Fatal(err)
		}
		var tr truth
		if err := json.Unmarshal(data, &tr); err != nil {
			t.Fatalf("%s: %v", tf, err)
		}
		snap := readFile(t, name, Options{})
		for _, s := range tr.Sites {
			n := 0
			for _, st := range snap.Stacks {
				switch {
				case s.Via == "" && st.Site == (Site{Kind: KeyCreatedBy, Func: s.Func, File: s.File, Line: s.Line}):
					n += st.Count
				case s.Via != "" && st.Site.Kind == KeyHelper && st.Creator.Func == s.Via &&
					strings.HasPrefix(st.Site.Func, s.Func+"."):
					n += st.Count
				}
			}
			if n != s.Alive {
				t.Errorf("%s: site %s:%d (%s via %q): %d goroutines, want %d", rel, filepath.Base(s.File), s.Line, s.Func, s.Via, n, s.Alive)
			}
		}
	}
}

// TestCorpusFormatsAgree reads each snapshot in its three formats: grouped
// by entry function (the only key debug=1 and protobuf have), the counts
// must agree, and the goroutineleak profile's counted formats must count
// the goroutines its debug=2 marks leaked.
func TestCorpusFormatsAgree(t *testing.T) {
	for _, d2 := range corpusFiles(t, "*.debug2.txt") {
		base := strings.TrimSuffix(d2, ".debug2.txt")
		d1, d0 := base+".debug1.txt", base+".debug0.pb.gz"
		if _, err := os.Stat(d1); err != nil || filepath.Base(base) == "http" {
			// ancestors, labels, synctest... have debug=2 only; the http
			// formats are three requests, each with goroutines of its
			// own.
			continue
		}
		rel, _ := filepath.Rel(corpusDir, base)
		want := byEntry(readFile(t, d2, Options{}))
		for _, other := range []string{d1, d0} {
			snap := readFile(t, other, Options{})
			if strings.Contains(base, ".leak") {
				leaked := 0
				for _, s := range readFile(t, d2, Options{}).Stacks {
					leaked += s.Leaked
				}
				if snap.Goroutines != leaked || snap.Profile != "goroutineleak" || leaked == 0 {
					t.Errorf("%s: goroutineleak %s counts %d (profile %q), debug=2 marks %d leaked",
						rel, filepath.Ext(other), snap.Goroutines, snap.Profile, leaked)
				}
				continue
			}
			got := byEntry(snap)
			for fn, n := range want {
				if got[fn] != n {
					t.Errorf("%s: %s: %d goroutines run %s, debug=2 says %d", rel, filepath.Base(other), got[fn], fn, n)
				}
			}
			if other == d0 && snap.Time.IsZero() {
				t.Errorf("%s: protobuf without time", rel)
			}
		}
	}
}

// byEntry counts goroutines by entry function, leaving out the goroutine
// that wrote the dump (its stack differs between formats by design) and
// stacks deep enough to lose their bottom in a counted profile (32 frames
// up to Go 1.22).
func byEntry(snap *Snapshot) map[string]int {
	m := map[string]int{}
	for _, s := range snap.Stacks {
		writer := false
		for _, f := range s.Frames {
			writer = writer || strings.HasPrefix(f.Func, "runtime/pprof.")
		}
		if writer || s.Cut || len(s.Frames) >= 30 {
			continue
		}
		m[s.Entry.Func] += s.Count
	}
	return m
}
