package report

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/leakscan/leakscan/internal/diff"
	"github.com/leakscan/leakscan/internal/parse"
)

// TestCorpusGolden renders leakscan top's JSON for every dump of the real
// corpus (testdata/corpus: twelve Go toolchains, every format) and
// compares it with testdata/corpus/<toolchain>/<dump>.json; go test
// -update rewrites them after the corpus is regenerated.
func TestCorpusGolden(t *testing.T) {
	const corpus = "../../testdata/corpus"
	files, err := filepath.Glob(filepath.Join(corpus, "go*", "*"))
	if err != nil || len(files) == 0 {
		t.Fatal("no corpus")
	}
	seen := 0
	for _, name := range files {
		if strings.HasSuffix(name, ".json") {
			continue
		}
		rel, _ := filepath.Rel(corpus, name)
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		snap, err := parse.Read(context.Background(), bytes.NewReader(data), filepath.ToSlash(rel), parse.Options{})
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		s := diff.NewSeries(diff.Filter{})
		s.Add(snap)
		var buf bytes.Buffer
		if err := Write(&buf, s.Result(), nil, Options{Format: JSON}); err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "corpus", rel+".json")
		seen++
		if *update {
			os.MkdirAll(filepath.Dir(golden), 0o755)
			if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Errorf("%s: %v (run go test -update)", rel, err)
			continue
		}
		if d := cmp.Diff(string(want), buf.String()); d != "" {
			t.Errorf("%s: (-want +got)\n%s", rel, d)
		}
	}
	// A golden file whose dump is gone would go unnoticed otherwise.
	goldens, _ := filepath.Glob(filepath.Join("testdata", "corpus", "go*", "*.json"))
	if !*update && len(goldens) != seen {
		t.Errorf("%d golden files for %d dumps: remove stale ones and run go test -update", len(goldens), seen)
	}
}
