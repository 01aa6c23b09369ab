package diff

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/leakscan/leakscan/internal/parse"
)

// FuzzSeries feeds two arbitrary inputs, read as dumps, to a series, in
// both orders: whatever they hold, the analysis must not panic, each
// snapshot's sites must add up to its goroutines, and survival numbers
// must be consistent.
func FuzzSeries(f *testing.F) {
	for _, pair := range [][2]string{
		{"a.debug2.txt", "b.debug2.txt"},
		{"a.debug2.txt", "b.debug1.txt"},
		{"http.debug2.txt", "http.sigquit.system.txt"},
		{"a.debug1.txt", "a.debug2.txt"},
	} {
		a, err1 := os.ReadFile(filepath.Join(corpusDir, "go1.26.8", pair[0]))
		b, err2 := os.ReadFile(filepath.Join(corpusDir, "go1.19.13", pair[1]))
		if err1 == nil && err2 == nil {
			f.Add(a[:min(len(a), 16<<10)], b[:min(len(b), 16<<10)], true)
		}
	}
	f.Fuzz(func(t *testing.T, a, b []byte, benign bool) {
		var snaps []*parse.Snapshot
		for i, data := range [][]byte{a, b} {
			snap, err := parse.Read(context.Background(), bytes.NewReader(data), string(rune('a'+i)), parse.Options{})
			if err != nil {
				return
			}
			snaps = append(snaps, snap)
		}
		for _, order := range [][2]int{{0, 1}, {1, 0}} {
			s := NewSeries(Filter{IncludeBenign: benign})
			for _, i := range order {
				s.Add(snaps[i])
			}
			r := s.Result()
			r.Check(Policy{MaxGrowth: 0, MaxTotalGrowth: 0, MaxRate: 0, FailOnLeak: true})
			for i, m := range r.Snapshots {
				n := 0
				for _, site := range r.Sites {
					n += site.Counts[i]
					if site.BenignCounts[i] > site.Counts[i] || site.BenignCounts[i] < 0 {
						t.Fatalf("site %v: %d benign of %d", site.Site, site.BenignCounts[i], site.Counts[i])
					}
				}
				if n != m.Goroutines-m.Ignored {
					t.Fatalf("snapshot %d: sites count %d goroutines, the snapshot %d", i, n, m.Goroutines-m.Ignored)
				}
			}
			for _, site := range r.Sites {
				if r.IDs && (site.Survived < 0 || site.Survived > site.Counted(r.Start) || site.BornAlive > site.Born || site.BornAlive < 0) {
					t.Fatalf("site %v: survived %d of %d, born %d, alive %d", site.Site, site.Survived, site.Counted(r.Start), site.Born, site.BornAlive)
				}
			}
		}
	})
}
