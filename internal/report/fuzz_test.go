package report

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/leakscan/leakscan/internal/diff"
	"github.com/leakscan/leakscan/internal/parse"
)

// FuzzWrite renders the analysis of two arbitrary inputs, read as dumps,
// in every format: JSON must stay valid, no line of a table may grow
// past what its clipped cells allow, the HTML page has no script but its
// own and a series' Markdown fits a comment, whatever names the dumps
// hold.
func FuzzWrite(f *testing.F) {
	for _, name := range []string{"before.txt", "after.txt"} {
		if data, err := os.ReadFile(filepath.Join("../../testdata/demo", name)); err == nil {
			f.Add(data[:min(len(data), 16<<10)], data[:min(len(data), 8<<10)])
		}
	}
	f.Add([]byte("goroutine 1 [running]:\nmain.<script>alert(1)</script>()\n\t/a|b`c*d_.go:1 +0x1\n"),
		[]byte("goroutine 1 [running]:\nmain.</svg>\"'()\n\t/x.go:2 +0x1\n"))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		s := diff.NewSeries(diff.Filter{})
		for i, data := range [][]byte{a, b} {
			snap, err := parse.Read(context.Background(), bytes.NewReader(data), "in", parse.Options{})
			if err != nil {
				return
			}
			snap.Time = time.Unix(int64(60*i), 0)
			s.Add(snap)
		}
		r := s.Result()
		breaches := r.Check(diff.Policy{MaxGrowth: 0, MaxTotalGrowth: 0, MaxRate: 0, FailOnLeak: true})
		for _, trend := range []bool{false, true} {
			for _, format := range []Format{Table, JSON, Markdown, HTML} {
				var buf bytes.Buffer
				if err := Write(&buf, r, breaches, Options{Format: format, Trend: trend}); err != nil {
					t.Fatalf("%s: %v", format, err)
				}
				if format == JSON && !json.Valid(buf.Bytes()) {
					t.Fatalf("invalid JSON:\n%s", buf.Bytes())
				}
				// The page's one script is its own, whatever the names.
				if format == HTML && bytes.Count(buf.Bytes(), []byte("<script")) != 1 {
					t.Fatalf("%d scripts in the page", bytes.Count(buf.Bytes(), []byte("<script")))
				}
				if format == Markdown && trend && len(buf.Bytes()) > MaxComment {
					t.Fatalf("%d bytes of Markdown, more than a GitHub comment", buf.Len())
				}
				if format == Table {
					for _, line := range bytes.Split(buf.Bytes(), []byte("\n")) {
						if len(line) > maxLine {
							t.Fatalf("a table line of %d bytes", len(line))
						}
					}
				}
			}
		}
	})
}

// maxLine bounds a table's lines: its columns, each clipped to
// MaxCellWidth, and the sentences above it, which name one site each.
const maxLine = 16 * (MaxCellWidth + 8) * 4
