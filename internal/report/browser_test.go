package report

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakscan/leakscan/internal/diff"
	"github.com/leakscan/leakscan/internal/report/browser"
)

var screenshot = flag.String("screenshot", "", "write a screenshot of the demo's report, made by the browser, to this PNG file")

// startBrowser starts the headless Chromium the tests look at the report
// with. Without one the test is skipped, saying so, except in CI
// (CI=true), where .ci/run installs it, and when a -screenshot is asked
// for: there its absence is a failure.
func startBrowser(t testing.TB) *browser.Browser {
	t.Helper()
	path := browser.Find()
	if path == "" {
		if os.Getenv("CI") == "true" || *screenshot != "" {
			t.Fatal("no headless browser (Debian's chromium package) in CI")
		}
		t.Skip("skipped: no headless browser found (apt-get install chromium, or set LEAKSCAN_BROWSER)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := browser.Launch(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	})
	return b
}

// writePage writes r's HTML report into a new temporary directory and
// returns its file URL.
func writePage(t testing.TB, r *diff.Result, opts Options) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, r, nil, opts); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return "file://" + filepath.ToSlash(file)
}

// TestHTMLInBrowser opens the demo series' report in a real browser: it
// renders without a console error (nor one the page's
// Content-Security-Policy would raise), its charts are there and have a
// size, the filter hides the sites that do not leak, the search finds a
// function, and without JavaScript every site is shown.
func TestHTMLInBrowser(t *testing.T) {
	b := startBrowser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := demoSeries(t, false)
	url := writePage(t, r, Options{Format: HTML, Trend: true})
	page, err := b.NewPage(ctx, 1280, 900)
	if err != nil {
		t.Fatal(err)
	}
	if err := page.Navigate(ctx, url); err != nil {
		t.Fatal(err)
	}
	eval := func(expr string, out any) {
		t.Helper()
		if err := page.Eval(ctx, expr, out); err != nil {
			t.Fatal(err)
		}
	}

	var charts []struct{ W, H float64 }
	eval(`Array.from(document.querySelectorAll("svg.chart"), s => { const r = s.getBoundingClientRect(); return {W: r.width, H: r.height}; })`, &charts)
	if want := len(r.Sites) + 1; len(charts) != want {
		t.Errorf("%d charts, want %d: the total and one per site", len(charts), want)
	}
	for i, c := range charts {
		if c.W < 100 || c.H < 20 {
			t.Errorf("chart %d is %.0f×%.0f pixels", i, c.W, c.H)
		}
	}
	var lines int
	eval(`document.querySelectorAll("svg.chart polyline.count").length`, &lines)
	if lines != len(charts) {
		t.Errorf("%d charts have a line of counts, want %d", lines, len(charts))
	}

	type shown struct {
		Classes []string
		Funcs   []string
		Status  string
	}
	visible := func() shown {
		var s shown
		eval(`({
			Classes: Array.from(document.querySelectorAll("article.site"), a => a.hidden ? null : a.dataset.class).filter(c => c !== null),
			Funcs: Array.from(document.querySelectorAll("article.site"), a => a.hidden ? null : a.querySelector("h3 .fn").textContent).filter(c => c !== null),
			Status: document.getElementById("shown").textContent,
		})`, &s)
		return s
	}
	if s := visible(); len(s.Classes) != len(r.Sites) {
		t.Errorf("at first %d of %d sites are shown", len(s.Classes), len(r.Sites))
	}
	leaks := 0
	for _, s := range r.Sites {
		if s.Judgement.Verdict == diff.VerdictLeak && !s.AllBenign {
			leaks++
		}
	}
	eval(`document.querySelector("input[name=filter][value=leak]").click()`, nil)
	s := visible()
	if len(s.Classes) != leaks || leaks == 0 {
		t.Errorf("the leaks filter shows %d sites, want the %d leaks", len(s.Classes), leaks)
	}
	for _, c := range s.Classes {
		if c != "leak" {
			t.Errorf("the leaks filter shows a %s site", c)
		}
	}
	if want := "3 of 19 sites shown"; s.Status != want && leaks == 3 {
		t.Errorf("the filter says %q, want %q", s.Status, want)
	}

	eval(`document.querySelector("input[name=filter][value=all]").click()`, nil)
	eval(`(() => { const q = document.querySelector("input[name=q]"); q.value = "handleSearch"; q.dispatchEvent(new Event("input", {bubbles: true})); })()`, nil)
	s = visible()
	if len(s.Funcs) != 1 || !strings.HasSuffix(s.Funcs[0], "handleSearch") {
		t.Errorf("searching handleSearch shows %q", s.Funcs)
	}
	// A function of a stack only: the card is shown, its stack opened.
	eval(`(() => { const q = document.querySelector("input[name=q]"); q.value = "sendcheckpoint"; q.dispatchEvent(new Event("input", {bubbles: true})); })()`, nil)
	s = visible()
	var open bool
	eval(`Array.from(document.querySelectorAll("article.site")).filter(a => !a.hidden).every(a => a.querySelector("details.stack").open)`, &open)
	if len(s.Funcs) != 1 || !strings.HasSuffix(s.Funcs[0], "pollAllFiles") || !open {
		t.Errorf("searching sendcheckpoint shows %q, stacks open: %v; want pollAllFiles's card, its stack open", s.Funcs, open)
	}

	if *screenshot != "" {
		eval(`(() => { const q = document.querySelector("input[name=q]"); q.value = ""; q.dispatchEvent(new Event("input", {bubbles: true})); })()`, nil)
		png, err := page.Screenshot(ctx, 1280, 1500)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(*screenshot, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", *screenshot, len(png))
	}
	if errs := page.Errors(); len(errs) > 0 {
		t.Errorf("the console said:\n%s", strings.Join(errs, "\n"))
	}

	// Without its script the page shows every site, and no form that
	// would do nothing.
	plain, err := b.NewPage(ctx, 1280, 900)
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.DisableScript(ctx); err != nil {
		t.Fatal(err)
	}
	if err := plain.Navigate(ctx, url); err != nil {
		t.Fatal(err)
	}
	var noScript struct {
		Shown, Charts int
		Form          bool
	}
	if err := plain.Eval(ctx, `({
		Shown: Array.from(document.querySelectorAll("article.site")).filter(a => a.getBoundingClientRect().height > 0).length,
		Charts: Array.from(document.querySelectorAll("svg.chart")).filter(s => s.getBoundingClientRect().width > 0).length,
		Form: document.getElementById("filters").getBoundingClientRect().height > 0,
	})`, &noScript); err != nil {
		t.Fatal(err)
	}
	if noScript.Shown != len(r.Sites) || noScript.Charts != len(r.Sites)+1 || noScript.Form {
		t.Errorf("without JavaScript: %d of %d sites and %d charts shown, form shown: %v", noScript.Shown, len(r.Sites), noScript.Charts, noScript.Form)
	}
}

// TestBrowserSeesErrors: the check for console errors is not blind: a
// page whose script throws, and one whose script the
// Content-Security-Policy refuses, are both reported.
func TestBrowserSeesErrors(t *testing.T) {
	b := startBrowser(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	for name, html := range map[string]string{
		"throws":  `<!doctype html><title>t</title><script>null.f()</script>`,
		"refused": `<!doctype html><meta http-equiv="Content-Security-Policy" content="script-src 'none'"><title>t</title><script>1</script>`,
	} {
		file := filepath.Join(dir, name+".html")
		if err := os.WriteFile(file, []byte(html), 0o644); err != nil {
			t.Fatal(err)
		}
		page, err := b.NewPage(ctx, 800, 600)
		if err != nil {
			t.Fatal(err)
		}
		if err := page.Navigate(ctx, "file://"+filepath.ToSlash(file)); err != nil {
			t.Fatal(err)
		}
		// Some messages arrive just after the load event.
		page.Eval(ctx, `new Promise(r => setTimeout(r, 100))`, nil)
		if len(page.Errors()) == 0 {
			t.Errorf("%s: no console error seen", name)
		}
	}
}
