package report

import (
	"bytes"
	"testing"

	"github.com/leakscan/leakscan/internal/diff"
)

// TestHTMLGolden renders every view of the demo's dumps as HTML and
// compares it with testdata/*.html.golden.
func TestHTMLGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    *diff.Result
		opts Options
	}{
		{"trend.html", demoSeries(t, false), Options{Format: HTML, Trend: true}},
		{"trend.restart.html", demoSeries(t, true), Options{Format: HTML, Trend: true}},
		{"diff.html", series(t, "before.txt", "after.txt"), Options{Format: HTML}},
		{"top.html", series(t, "after.txt"), Options{Format: HTML}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, tc.r, nil, tc.opts); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name+".golden", buf.Bytes())
		})
	}
}
