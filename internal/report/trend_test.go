package report

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/leakscan/leakscan/internal/diff"
	"github.com/leakscan/leakscan/internal/parse"
)

// TestTrendGolden renders the demo series as watch and trend print it,
// in every text format, and compares with testdata/trend.*.golden.
func TestTrendGolden(t *testing.T) {
	r := demoSeries(t, false)
	restarted := demoSeries(t, true)
	gate := r.Check(diff.Policy{MaxGrowth: 50, MaxTotalGrowth: -1, MaxRate: -1, FailOnLeak: true})
	for _, tc := range []struct {
		name     string
		r        *diff.Result
		breaches []diff.Breach
		opts     Options
	}{
		{"trend.table", r, nil, Options{Format: Table, Trend: true}},
		{"trend.color.table", r, nil, Options{Format: Table, Trend: true, Color: true}},
		{"trend.width80.table", r, nil, Options{Format: Table, Trend: true, Width: 80}},
		{"trend.top3.table", r, nil, Options{Format: Table, Trend: true, Limit: 3}},
		{"trend.restart.table", restarted, nil, Options{Format: Table, Trend: true}},
		{"trend.md", r, gate, Options{Format: Markdown, Trend: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, tc.r, tc.breaches, tc.opts); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name+".golden", buf.Bytes())
		})
	}
}

func TestSparkline(t *testing.T) {
	for _, tc := range []struct {
		counts []int
		width  int
		want   string
	}{
		{[]int{0, 16, 16, 32, 48, 48, 64, 80}, 20, "▁▂▂▃▅▅▆█"},
		// A change of one in six is not drawn as a burst.
		{[]int{6, 7, 6, 7}, 20, "▄█▄█"},
		// A slow rise of a big pool shows.
		{[]int{100, 104, 108, 112, 116}, 20, "▄▅▆▇█"},
		{[]int{8, 8, 8}, 20, "▄▄▄"},
		{[]int{0, 0}, 20, "▁▁"},
		{[]int{0, 0, 20, 5, 0}, 20, "▁▁█▂▁"},
		// Longer than the width: the largest of each run, so that a
		// one-sample burst still shows.
		{[]int{1, 1, 1, 1, 9, 1, 1, 1}, 4, "▁▁█▁"},
		{nil, 20, ""},
	} {
		if got := Sparkline(tc.counts, tc.width); got != tc.want {
			t.Errorf("Sparkline(%v, %d) = %q, want %q", tc.counts, tc.width, got, tc.want)
		}
		if n := utf8.RuneCountInString(Sparkline(tc.counts, tc.width)); n > tc.width {
			t.Errorf("Sparkline(%v, %d) is %d characters", tc.counts, tc.width, n)
		}
	}
}

// TestTrendTableHasSparklines: each row of the series' table draws its
// site's counts.
func TestTrendTableHasSparklines(t *testing.T) {
	r := demoSeries(t, false)
	var buf bytes.Buffer
	if err := Write(&buf, r, nil, Options{Format: Table, Trend: true}); err != nil {
		t.Fatal(err)
	}
	want := Sparkline(countedFrom(r.Start, r.Sites[0]), sparkWidth)
	if !strings.Contains(buf.String(), "TREND") || !strings.Contains(buf.String(), want) {
		t.Errorf("the table has no TREND column with %q:\n%s", want, buf.String())
	}
}

// TestTableFitsWidth: at any width the tables' lines fit, long names
// shortened in the middle; the site is never dropped.
func TestTableFitsWidth(t *testing.T) {
	trend := demoSeries(t, false)
	long := longSeries(t, 40, 300)
	change := series(t, "before.txt", "after.txt")
	top := series(t, "after.txt")
	for _, tc := range []struct {
		name string
		r    *diff.Result
		opts Options
	}{
		{"trend", trend, Options{Trend: true}},
		{"trend long names", long, Options{Trend: true}},
		{"trend color", trend, Options{Trend: true, Color: true}},
		{"diff", change, Options{}},
		{"top", top, Options{}},
	} {
		for _, width := range []int{72, 80, 100, 132, 200} {
			opts := tc.opts
			opts.Format, opts.Width = Table, width
			var buf bytes.Buffer
			if err := Write(&buf, tc.r, nil, opts); err != nil {
				t.Fatal(err)
			}
			inTable := false
			sc := bufio.NewScanner(&buf)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				line := sc.Text()
				header := strings.HasPrefix(line, "VERDICT") || strings.HasPrefix(line, "BEFORE") || strings.HasPrefix(line, "GOROUTINES")
				if header {
					inTable = true
					if !strings.Contains(line, "SITE") && !strings.Contains(line, "CREATED BY") {
						t.Errorf("%s at %d: the table lost its site column: %q", tc.name, width, line)
					}
				}
				if line == "" || strings.HasSuffix(line, "not shown (--all, --top)") || strings.HasSuffix(line, "not shown (--top)") {
					inTable = inTable && line != ""
					continue
				}
				if w := displayWidth(line); inTable && w > width {
					t.Errorf("%s at %d: a line of %d columns: %q", tc.name, width, w, line)
				}
			}
			if !inTable {
				t.Errorf("%s at %d: no table in\n%s", tc.name, width, buf.String())
			}
		}
	}
}

// TestFitShortensWidestFirst: fit cuts the widest column to a level and
// leaves the narrow ones whole.
func TestFitShortensWidestFirst(t *testing.T) {
	var tb table
	tb.col("N", true, false)
	tb.col("SITE", false, true)
	tb.col("NOTE", false, true)
	tb.rows = [][]string{{"1", "pkg.averyveryveryveryverylongfunctionname site.go:12", "short note"}}
	got := fit(tb, 40)
	if got.rows[0][2] != "short note" {
		t.Errorf("the short column was cut: %q", got.rows[0][2])
	}
	site := got.rows[0][1]
	if !strings.Contains(site, "…") || !strings.HasSuffix(site, "site.go:12") || !strings.HasPrefix(site, "pkg.") {
		t.Errorf("site = %q, want it shortened in the middle, keeping its start and file:line", site)
	}
	if w := 1 + columnGap + displayWidth(site) + columnGap + len("short note"); w > 40 {
		t.Errorf("the fitted row is %d columns", w)
	}
	// Narrower than every column at its least: the last shrinkable
	// column goes.
	got = fit(tb, 24)
	if len(got.header) != 2 || got.header[1] != "SITE" {
		t.Errorf("at 24 columns the header is %q, want N and SITE", got.header)
	}
	if w := displayWidth(got.rows[0][0]) + columnGap + displayWidth(got.rows[0][1]); w > 24 {
		t.Errorf("at 24 columns the row is %d wide: %q", w, got.rows[0])
	}
}

func TestDisplayWidth(t *testing.T) {
	for s, want := range map[string]int{
		"abc":                        3,
		red + bold + "leak" + normal: 4,
		"▁▂▃":                        3,
		"世界":                         4,
	} {
		if got := displayWidth(s); got != want {
			t.Errorf("displayWidth(%q) = %d, want %d", s, got, want)
		}
	}
}

// longSeries is a series of sites, each leaking one goroutine a sample,
// created by functions with names long bytes long, some holding HTML and
// Markdown.
func longSeries(t testing.TB, sites, long int) *diff.Result {
	t.Helper()
	s := diff.NewSeries(diff.Filter{SplitRestarts: true})
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	id := 0
	var alive [][]int
	for range sites {
		alive = append(alive, nil)
	}
	for sample := range 8 {
		var b bytes.Buffer
		for i := range sites {
			id++
			alive[i] = append(alive[i], id)
			name := fmt.Sprintf("example.com/very/long/import/path/pkg%d.spawn%s_%d", i, strings.Repeat("Long", long/4), i)
			for _, g := range alive[i] {
				fmt.Fprintf(&b, "goroutine %d [chan send, 3 minutes]:\nexample.com/pkg%d.(*T).run()\n\t/src/app/w%d.go:12 +0x1d\n"+
					"created by %s in goroutine 1\n\t/src/app/s%d.go:7 +0x25\n\n", g, i, i, name, i)
			}
		}
		snap, err := parse.Read(t.Context(), &b, fmt.Sprintf("s%d.txt", sample), parse.Options{})
		if err != nil {
			t.Fatal(err)
		}
		snap.Time = t0.Add(time.Duration(sample) * 10 * time.Second)
		if err := s.Add(snap); err != nil {
			t.Fatal(err)
		}
	}
	return s.Result()
}

// TestTrendMarkdownFitsAComment: whatever the input, a series' Markdown
// stays under GitHub's comment limit and says what it left out.
func TestTrendMarkdownFitsAComment(t *testing.T) {
	for _, tc := range []struct {
		name                          string
		sites, samples, frames, names int
		leftOut                       bool
	}{
		{"10,000 sites", 10000, 20, 20, 0, true},
		{"long names and deep stacks", 1000, 40, 200, 3000, true},
		{"a few huge names", 5, 10, 8, 200 << 10, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := synthResult(tc.sites, tc.samples, tc.frames, tc.names)
			r.Notes = []string{strings.Repeat("a long note ", 5000)}
			var buf bytes.Buffer
			if err := Write(&buf, r, nil, Options{Format: Markdown, Trend: true}); err != nil {
				t.Fatal(err)
			}
			md := buf.String()
			if n := utf8.RuneCountInString(md); buf.Len() > commentBudget || n > MaxComment {
				t.Errorf("%d bytes, %d characters; want at most %d bytes", buf.Len(), n, commentBudget)
			}
			if strings.Contains(md, "Left out to fit a GitHub comment") != tc.leftOut {
				t.Errorf("it says it left something out: %v, want %v:\n%s", !tc.leftOut, tc.leftOut, md[len(md)-min(len(md), 500):])
			}
			if !strings.Contains(md, "| leak ") || !strings.Contains(md, "<details><summary>LEAK") {
				t.Error("no leak in the table, or no leak's stack")
			}
			if strings.Count(md, "```")%2 != 0 || strings.Count(md, "<details>") != strings.Count(md, "</details>") {
				t.Error("a block cut in the middle")
			}
		})
	}
	// A small series leaves nothing out, and says nothing of it.
	var buf bytes.Buffer
	if err := Write(&buf, demoSeries(t, false), nil, Options{Format: Markdown, Trend: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "Left out") {
		t.Errorf("the demo's Markdown says it left something out:\n%s", buf.String())
	}
}
