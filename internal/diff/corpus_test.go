package diff

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakscan/leakscan/internal/parse"
)

// The corpus holds two snapshots, a and b, of one process per Go
// toolchain: some sites grow, some shrink, one exits, one appears, and
// goroutines alive in both keep their ids (testdata/corpus/README.md).
const corpusDir = "../../testdata/corpus"

func corpusSeries(t *testing.T, files ...string) *Result {
	t.Helper()
	s := NewSeries(Filter{})
	for _, name := range files {
		if err := s.Add(readSnap(t, name)); err != nil {
			t.Fatal(err)
		}
	}
	return s.Result()
}

type truthSites struct {
	Sites []struct {
		File  string `json:"file"`
		Line  int    `json:"line"`
		Func  string `json:"func"`
		Via   string `json:"via"`
		Alive int    `json:"alive"`
	} `json:"sites"`
}

func readTruth(t *testing.T, name string) map[parse.Site]int {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var tr truthSites
	if err := json.Unmarshal(data, &tr); err != nil {
		t.Fatal(err)
	}
	m := map[parse.Site]int{}
	for _, s := range tr.Sites {
		if s.Via == "" {
			m[parse.Site{Kind: parse.KeyCreatedBy, Func: s.Func, File: s.File, Line: s.Line}] = s.Alive
		}
	}
	return m
}

// TestCorpusPairs checks deltas and survivors of a → b against what
// dumpgen knows: per site, the change of its live goroutines, and as
// survivors the goroutines it kept (its plan only ever adds goroutines
// to a site or ends some, so min(a, b) stayed).
func TestCorpusPairs(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(corpusDir, "go*"))
	if len(dirs) < 12 {
		t.Fatalf("corpus has %d toolchains, want 12", len(dirs))
	}
	for _, dir := range dirs {
		v := filepath.Base(dir)
		a, b := readTruth(t, filepath.Join(dir, "a.debug2.truth.json")), readTruth(t, filepath.Join(dir, "b.debug2.truth.json"))
		r := corpusSeries(t, filepath.Join(dir, "a.debug2.txt"), filepath.Join(dir, "b.debug2.txt"))
		if !r.IDs || r.ByEntry {
			t.Errorf("%s: IDs=%v ByEntry=%v, want ids and no entry matching", v, r.IDs, r.ByEntry)
		}
		got := map[parse.Site]*Site{}
		for _, s := range r.Sites {
			got[s.Site] = s
		}
		for site := range merge(a, b) {
			s := got[site]
			wantDelta, wantSurvived := b[site]-a[site], min(a[site], b[site])
			if s == nil {
				if a[site]+b[site] > 0 {
					t.Errorf("%s: site %s:%d missing", v, filepath.Base(site.File), site.Line)
				}
				continue
			}
			if s.Delta != wantDelta || s.Survived != wantSurvived {
				t.Errorf("%s: site %s:%d: delta %d survived %d, want %d and %d",
					v, filepath.Base(site.File), site.Line, s.Delta, s.Survived, wantDelta, wantSurvived)
			}
			if want := statusOf(a[site], b[site]); s.Status != want {
				t.Errorf("%s: site %s:%d: status %q, want %q", v, filepath.Base(site.File), site.Line, s.Status, want)
			}
		}
	}
}

func merge(a, b map[parse.Site]int) map[parse.Site]bool {
	m := map[parse.Site]bool{}
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}

// statusOf is the status a site of dumpgen's plan must have.
func statusOf(a, b int) Status {
	switch {
	case a == 0:
		return StatusNew
	case b == 0:
		return StatusGone
	case b > a:
		return StatusAccumulating
	case b < a:
		return StatusShrank
	}
	return StatusSteady
}

// TestCorpusGateEveryFormat gates a → b of each toolchain in every format
// and mixed: the leaking LeakyReceiver (10 → 15) must trip --max-growth 0,
// keyed by creation site or by entry function.
func TestCorpusGateEveryFormat(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(corpusDir, "go*"))
	for _, dir := range dirs {
		for _, pair := range [][2]string{
			{"a.debug2.txt", "b.debug2.txt"},
			{"a.debug1.txt", "b.debug1.txt"},
			{"a.debug0.pb.gz", "b.debug0.pb.gz"},
			{"a.debug2.txt", "b.debug0.pb.gz"},
			{"a.debug1.txt", "b.debug2.txt"},
		} {
			r := corpusSeries(t, filepath.Join(dir, pair[0]), filepath.Join(dir, pair[1]))
			found := false
			for _, br := range r.Check(Policy{MaxGrowth: 0, MaxTotalGrowth: -1, MaxRate: -1}) {
				if br.Site != nil && strings.Contains(br.Site.Entry.Func+br.Site.Func, "LeakyReceiver") {
					found = found || br.Value == 5
				}
				if br.Site != nil && br.Site.Benign != "" {
					t.Errorf("%s %v: benign site %s in breaches", filepath.Base(dir), pair, br.Site.Func)
				}
			}
			if !found {
				t.Errorf("%s %v: the gate does not name LeakyReceiver growing by 5", filepath.Base(dir), pair)
			}
		}
	}
}
