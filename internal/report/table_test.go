package report

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter/pkg/twwidth"

	"github.com/leakscan/leakscan/internal/diff"
	"github.com/leakscan/leakscan/internal/parse"
)

// longNameDump is a debug=2 dump of sites creation sites, one goroutine
// each, the middle one created by a function whose name is long bytes
// longer than the others.
func longNameDump(sites, long int) []byte {
	var b bytes.Buffer
	for i := range sites {
		creator := fmt.Sprintf("example.com/app/pkg%d.spawn", i)
		if i == sites/2 {
			creator = "example.com/app/pkglong.spawn" + strings.Repeat("X", long) + "End"
		}
		fmt.Fprintf(&b, "goroutine %d [chan receive]:\nexample.com/app/pkg%d.worker()\n\t/app/w%d.go:12 +0x1d\n"+
			"created by %s in goroutine 1\n\t/app/s%d.go:7 +0x25\n\n", i+1, i, i, creator, i)
	}
	return b.Bytes()
}

func longNameResult(t testing.TB, sites, long int) *diff.Result {
	t.Helper()
	snap, err := parse.Read(context.Background(), bytes.NewReader(longNameDump(sites, long)), "long.txt", parse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := diff.NewSeries(diff.Filter{})
	s.Add(snap)
	return s.Result()
}

// TestTableLongName: one very long function name neither pads every row
// to its length nor fails the table, and is shown by its start and end.
func TestTableLongName(t *testing.T) {
	for _, tt := range []struct {
		name        string
		sites, long int
	}{
		// Before cells were clipped: 40 MB of table.
		{"20 KB among 2000 sites", 2000, 20 << 10},
		// Before: "bufio.Scanner: token too long".
		{"5 MB", 3, 5 << 20},
	} {
		for _, f := range []Format{Table, Markdown} {
			t.Run(tt.name+"/"+string(f), func(t *testing.T) {
				r := longNameResult(t, tt.sites, tt.long)
				var buf bytes.Buffer
				if err := Write(&buf, r, nil, Options{Format: f}); err != nil {
					t.Fatalf("Write: %v", err)
				}
				// Every row but the summary line holds a handful of
				// cells, none wider than MaxCellWidth.
				const maxLine = 8 * (MaxCellWidth + 4)
				if limit := (tt.sites + 10) * maxLine; buf.Len() > limit {
					t.Errorf("%d bytes of output for %d sites, want at most %d", buf.Len(), tt.sites, limit)
				}
				sc := bufio.NewScanner(&buf)
				sawLong := false
				for n := 1; sc.Scan(); n++ {
					line := sc.Text()
					if w := utf8.RuneCountInString(line); w > maxLine {
						t.Fatalf("line %d is %d characters wide, want at most %d", n, w, maxLine)
					}
					if strings.Contains(line, "pkglong.spawnXXX") {
						sawLong = true
						if !strings.Contains(line, "XXX…XXX") || !strings.Contains(line, "XXXEnd s") {
							t.Errorf("line %d does not keep the start and end of the long name: %q", n, line)
						}
					}
				}
				if err := sc.Err(); err != nil {
					t.Fatal(err)
				}
				if !sawLong {
					t.Error("the long name is not in the table")
				}
			})
		}
	}
}

func TestClipCell(t *testing.T) {
	const max = 12
	for _, tt := range []struct {
		in, want string
	}{
		{"short", "short"},
		{"exactly12chr", "exactly12chr"},
		{"pkg.averyveryverylongname a.go:1", "pkg…e a.go:1"},
		// Wide runes count two columns each.
		{"世界世界世界世界世界世界", "世…世界世界"},
		// "\|" is one escaped pipe in Markdown: the cut keeps it whole.
		{`aaaaaaaaaaaaaaaaaaaa\|bbbbbb`, `aaa…\|bbbbbb`},
	} {
		got := clipCell(tt.in, max)
		if got != tt.want {
			t.Errorf("clipCell(%q, %d) = %q, want %q", tt.in, max, got, tt.want)
		}
		if w := twwidth.Width(got); w > max+1 {
			t.Errorf("clipCell(%q, %d) = %q is %d columns wide", tt.in, max, got, w)
		}
	}
}

// TestLineTrimmer: the table reaches w with each line's trailing padding
// (and, for the plain table, its leading space) removed, whatever pieces
// tablewriter writes it in.
func TestLineTrimmer(t *testing.T) {
	var out bytes.Buffer
	l := &lineTrimmer{w: &out, leadingSpace: true}
	for _, p := range []string{" A  B", "   \n C", "  D \n", " last  "} {
		if _, err := l.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.flush(); err != nil {
		t.Fatal(err)
	}
	if want := "A  B\nC  D\nlast\n"; out.String() != want {
		t.Errorf("lineTrimmer wrote %q, want %q", out.String(), want)
	}
}

// BenchmarkTableLongName renders the table of 5,000 sites, one with a
// 100 KB name: before cells were clipped this was 500 MB of output and
// 2.1 GiB of memory; see B/op.
func BenchmarkTableLongName(b *testing.B) {
	r := longNameResult(b, 5000, 100<<10)
	var n int64
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := Write(&buf, r, nil, Options{Format: Table}); err != nil {
			b.Fatal(err)
		}
		n = int64(buf.Len())
	}
	b.ReportMetric(float64(n), "output-bytes")
}
