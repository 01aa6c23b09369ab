package diff

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/leakscan/leakscan/internal/parse"
)

var update = flag.Bool("update", false, "rewrite the want sections of testdata/*.txtar")

// TestCases runs testdata/*.txtar: each holds dumps named 1, 2, ... (in
// series order), an optional "options" file, and "want", the rendered
// result. Options, one per line: "ignore REGEXP", "include-benign",
// "interval DURATION", "max-growth N", "max-total-growth N", "max-rate R".
func TestCases(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test cases: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var filter Filter
			policy := DefaultPolicy
			var interval time.Duration
			var dumps []txtar.File
			wantIdx := -1
			for i, f := range ar.Files {
				switch f.Name {
				case "want":
					wantIdx = i
				case "options":
					for _, line := range strings.Split(strings.TrimSpace(string(f.Data)), "\n") {
						k, v, _ := strings.Cut(line, " ")
						switch k {
						case "ignore":
							filter.Ignore = append(filter.Ignore, regexp.MustCompile(v))
						case "include-benign":
							filter.IncludeBenign = true
						case "interval":
							interval, _ = time.ParseDuration(v)
						case "max-growth":
							policy.MaxGrowth, _ = strconv.Atoi(v)
						case "max-total-growth":
							policy.MaxTotalGrowth, _ = strconv.Atoi(v)
						case "max-rate":
							policy.MaxRate, _ = strconv.ParseFloat(v, 64)
						default:
							t.Fatalf("unknown option %q", line)
						}
					}
				default:
					dumps = append(dumps, f)
				}
			}
			s := NewSeries(filter)
			for i, f := range dumps {
				snap, err := parse.Read(context.Background(), bytes.NewReader(f.Data), f.Name, parse.Options{})
				if err != nil {
					t.Fatal(err)
				}
				if interval > 0 {
					snap.Time = time.Unix(0, 0).Add(time.Duration(i) * interval)
				}
				s.Add(snap)
			}
			r := s.Result()
			got := render(r, r.Check(policy))
			if *update {
				if wantIdx < 0 {
					ar.Files = append(ar.Files, txtar.File{Name: "want"})
					wantIdx = len(ar.Files) - 1
				}
				ar.Files[wantIdx].Data = []byte(got)
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if wantIdx < 0 {
				t.Fatal("no want section (run with -update)")
			}
			if d := cmp.Diff(string(ar.Files[wantIdx].Data), got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

// render prints a result compactly, one line per site in rank order.
func render(r *Result, breaches []Breach) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ids=%v timed=%v by-entry=%v\n", r.IDs, r.Timed, r.ByEntry)
	for _, m := range r.Snapshots {
		fmt.Fprintf(&b, "snapshot %s %s goroutines=%d ignored=%d\n", m.Source, m.Format, m.Goroutines, m.Ignored)
	}
	for _, s := range r.Sites {
		fmt.Fprintf(&b, "%s %s:%d %s counts=%v delta=%+d survived=%d", s.Kind, s.Func, s.Line, s.Status, s.Counts, s.Delta, s.Survived)
		if r.Timed {
			fmt.Fprintf(&b, " per-minute=%.2f", s.PerMinute)
		}
		if s.Benign != "" {
			fmt.Fprintf(&b, " benign=%q", s.Benign)
		}
		if s.Kind == parse.KeyHelper {
			fmt.Fprintf(&b, " via=%s", s.Creator.Func)
		}
		b.WriteString("\n")
		for _, w := range s.Waits {
			fmt.Fprintf(&b, "\twait %q %s:%d count=%d max-minutes=%d\n", w.State, w.Frame.Func, w.Frame.Line, w.Count, w.MaxMinutes)
		}
	}
	for _, br := range breaches {
		site := "total"
		if br.Site != nil {
			site = br.Site.Func
		}
		fmt.Fprintf(&b, "breach %s limit=%g value=%g %s\n", br.Rule, br.Limit, br.Value, site)
	}
	return b.String()
}
