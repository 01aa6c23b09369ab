package report

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// The size of the HTML report the benchmarks render: 1,000 sites × 100
// samples (with -short, as make test's bench-smoke runs them, 50 × 10).
func benchSize() (sites, samples int) {
	if testing.Short() {
		return 50, 10
	}
	return 1000, 100
}

// maxHTMLBytes is the most the report of 1,000 sites × 100 samples may
// take: it must open in a browser as a file a person mails or attaches.
const maxHTMLBytes = 5 << 20

// BenchmarkHTML renders the HTML report of a large series (see
// benchSize; each site's stack has 20 frames) and reports its size,
// which must stay under maxHTMLBytes.
func BenchmarkHTML(b *testing.B) {
	sites, samples := benchSize()
	r := synthResult(sites, samples, 20, 0)
	var size int
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := Write(&buf, r, nil, Options{Format: HTML, Trend: true}); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size)/(1<<20), "MiB")
	if size > maxHTMLBytes {
		b.Errorf("the report of %d sites × %d samples is %d bytes, want at most %d", sites, samples, size, maxHTMLBytes)
	}
}

// BenchmarkHTMLBrowser loads the report of BenchmarkHTML in headless
// Chromium: each op is a navigation until the page is loaded, its
// script has run and its layout is done (it must stay under 2 s for the
// full size). Skipped without a browser, as TestHTMLInBrowser is.
func BenchmarkHTMLBrowser(b *testing.B) {
	br := startBrowser(b)
	sites, samples := benchSize()
	url := writePage(b, synthResult(sites, samples, 20, 0), Options{Format: HTML, Trend: true})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	page, err := br.NewPage(ctx, 1280, 900)
	if err != nil {
		b.Fatal(err)
	}
	var slowest time.Duration
	for b.Loop() {
		start := time.Now()
		if err := page.Navigate(ctx, url); err != nil {
			b.Fatal(err)
		}
		// Layout of the whole page, and a frame painted after it.
		var height float64
		if err := page.Eval(ctx, `new Promise(r => { const h = document.documentElement.scrollHeight; requestAnimationFrame(() => requestAnimationFrame(() => r(h))); })`, &height); err != nil {
			b.Fatal(err)
		}
		if height < 1000 {
			b.Fatalf("the page is %.0f pixels high", height)
		}
		slowest = max(slowest, time.Since(start))
	}
	var shown int
	if err := page.Eval(ctx, `document.querySelectorAll("article.site:not([hidden])").length`, &shown); err != nil {
		b.Fatal(err)
	}
	if shown != sites {
		b.Errorf("%d of %d sites shown", shown, sites)
	}
	if errs := page.Errors(); len(errs) > 0 {
		b.Errorf("the console said: %q", errs)
	}
	b.ReportMetric(slowest.Seconds(), "slowest-s")
}

// TestHTMLSize: the report of a large series stays under maxHTMLBytes
// per site, whatever the timing (the benchmarks check the full size).
func TestHTMLSize(t *testing.T) {
	const sites, samples = 100, 100
	var buf bytes.Buffer
	if err := Write(&buf, synthResult(sites, samples, 20, 0), nil, Options{Format: HTML, Trend: true}); err != nil {
		t.Fatal(err)
	}
	if per, limit := buf.Len()/sites, maxHTMLBytes/1000; per > limit {
		t.Errorf("%d bytes per site of %d samples, want at most %d", per, samples, limit)
	}
}
