package report

import (
	"bytes"
	"fmt"
	"html/template"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leakscan/leakscan/internal/diff"
	"github.com/leakscan/leakscan/internal/parse"
)

// The names of hostileSeries: what a dump could hold that a report must
// show as text.
const (
	hostileFunc  = `main.</svg><script>alert("f")</script><b>bold</b>*em*_u_|p|&amp;`
	hostileFile  = `/app/[l](javascript:x)"><img src=x onerror=alert(1)>.go`
	hostileState = `chan receive </style><script>alert("s")</script>`
	hostileLabel = `</details><script>alert("l")</script>`
)

// hostileSeries is a series of debug=2 dumps whose function names, file
// names and wait states hold HTML, SVG and Markdown, the site leaking
// one goroutine a sample.
func hostileSeries(t testing.TB) *diff.Result {
	t.Helper()
	s := diff.NewSeries(diff.Filter{SplitRestarts: true})
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for sample := range 8 {
		var b bytes.Buffer
		fmt.Fprintf(&b, "goroutine 1 [select]:\nmain.main()\n\t/app/main.go:10 +0x1d\n\n")
		for g := range sample + 1 {
			fmt.Fprintf(&b, "goroutine %d [%s, 2 minutes labels:{\"k\":%q}]:\n%s.worker()\n\t%s:12 +0x1d\n"+
				"created by %s in goroutine 1\n\t%s:7 +0x25\n\n", 10+g, hostileState, hostileLabel, hostileFunc, hostileFile, hostileFunc, hostileFile)
		}
		snap, err := parse.Read(t.Context(), &b, fmt.Sprintf(`<script>s%d</script>.txt`, sample), parse.Options{})
		if err != nil {
			t.Fatal(err)
		}
		snap.Time = t0.Add(time.Duration(sample) * 10 * time.Second)
		if err := s.Add(snap); err != nil {
			t.Fatal(err)
		}
	}
	r := s.Result()
	for _, site := range r.Sites {
		if strings.Contains(site.Func, "<script>") {
			return r
		}
	}
	t.Fatalf("the hostile names did not reach the sites: %+v", r.Sites[0].Site)
	return nil
}

// TestHTMLEscapesDumps: names, paths and states from a dump are text in
// the page: no element of theirs, and the page's one script and style
// are its own.
func TestHTMLEscapesDumps(t *testing.T) {
	r := hostileSeries(t)
	var buf bytes.Buffer
	if err := Write(&buf, r, nil, Options{Format: HTML, Trend: true}); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	stacks := 0
	for _, s := range r.Sites {
		if len(s.Stack) > 0 {
			stacks++
		}
	}
	for tag, want := range map[string]int{"<script": 1, "</script>": 1, "<style": 1, "</style>": 1, "<img": 0, "<b>": 0, "</details>": stacks} {
		if n := strings.Count(page, tag); n != want {
			t.Errorf("%q appears %d times in the page, want %d", tag, n, want)
		}
	}
	if n, charts := strings.Count(page, "</svg>"), strings.Count(page, "<svg "); n != charts {
		t.Errorf("%d </svg> for %d charts", n, charts)
	}
	for _, s := range []string{hostileFunc, hostileFile, hostileState} {
		if esc := template.HTMLEscapeString(s); !strings.Contains(page, esc) {
			t.Errorf("the page does not show %q as text (%q)", s, esc)
		}
	}
}

// TestHTMLEscapesLabels: a label holding HTML is text in its card.
// (The analysis does not carry labels per site yet: the card is given
// one directly.)
func TestHTMLEscapesLabels(t *testing.T) {
	r := hostileSeries(t)
	page, err := htmlPageOf(r, nil, Options{Format: HTML, Trend: true})
	if err != nil {
		t.Fatal(err)
	}
	page.Sites[0].Labels = []string{"k=" + hostileLabel}
	var buf bytes.Buffer
	if err := htmlTemplates.ExecuteTemplate(&buf, "trend.tmpl", page); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	stacks := 0
	for _, s := range page.Sites {
		if len(s.Stack) > 0 {
			stacks++
		}
	}
	if n, m := strings.Count(out, "<script"), strings.Count(out, "</details>"); n != 1 || m != stacks {
		t.Errorf("a label's HTML became elements of the page: %d scripts, %d </details> for %d stacks", n, m, stacks)
	}
	if !strings.Contains(out, template.HTMLEscapeString(hostileLabel)) {
		t.Errorf("the label is not shown as text")
	}
}

// TestMarkdownEscapesDumps: in the Markdown of a series, a dump's names
// start no HTML, emphasis, link, code or table cell.
func TestMarkdownEscapesDumps(t *testing.T) {
	r := hostileSeries(t)
	var buf bytes.Buffer
	if err := Write(&buf, r, r.Check(diff.Policy{MaxGrowth: 1, MaxTotalGrowth: -1, MaxRate: -1}), Options{Format: Markdown, Trend: true}); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	own := strings.NewReplacer("**LEAK**", "", "- :x: ", "", "<details>", "", "</details>", "", "<summary>", "", "</summary>", "")
	inFence := false
	for n, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
			continue
		}
		if inFence {
			continue
		}
		rest := own.Replace(line)
		if strings.HasPrefix(line, "<details>") {
			// An HTML block: GitHub reads no Markdown in it, and its
			// text must be HTML-escaped.
			if strings.ContainsAny(rest, "<>") {
				t.Errorf("line %d: HTML in the summary of a stack: %q", n+1, line)
			}
			continue
		}
		rest = dropCodeSpans(t, rest)
		if strings.HasPrefix(line, "|") {
			if cells := len(splitCells(rest)); cells != 12 {
				t.Errorf("line %d: a table row of %d cells, want 10: %q", n+1, cells-2, line)
			}
			rest = strings.Join(splitCells(rest), "")
		}
		for i := 0; i < len(rest); i++ {
			if strings.IndexByte("<>*_[]|`&", rest[i]) >= 0 && (i == 0 || rest[i-1] != '\\') {
				t.Errorf("line %d: unescaped %q in %q", n+1, rest[i], line)
				break
			}
		}
	}
	if inFence {
		t.Error("a code block is not closed")
	}
	if !strings.Contains(md, "<summary>LEAK ") || !strings.Contains(md, "from main.&lt;/svg&gt;&lt;script&gt;") {
		t.Errorf("no HTML-escaped summary for the leak's stack:\n%s", md)
	}
}

// dropCodeSpans removes the code spans of a line, failing when one is
// not closed or holds its own fence.
func dropCodeSpans(t *testing.T, line string) string {
	t.Helper()
	var out strings.Builder
	for {
		i := strings.IndexByte(line, '`')
		if i < 0 || i > 0 && line[i-1] == '\\' {
			out.WriteString(line)
			return out.String()
		}
		n := i
		for n < len(line) && line[n] == '`' {
			n++
		}
		fence := line[i:n]
		end := strings.Index(line[n:], fence)
		if end < 0 {
			t.Errorf("an unclosed code span in %q", line)
			return out.String()
		}
		out.WriteString(line[:i])
		line = line[n+end+len(fence):]
	}
}

// splitCells splits a table row at its unescaped pipes.
func splitCells(row string) []string {
	var cells []string
	start := 0
	for i := 0; i < len(row); i++ {
		if row[i] == '|' && (i == 0 || row[i-1] != '\\') {
			cells = append(cells, row[start:i])
			start = i + 1
		}
	}
	return append(cells, row[start:])
}

// TestHTMLHugeName: a function name of megabytes is shown cut in the
// middle, so that the page stays about the size of the dump, not a
// multiple of it.
func TestHTMLHugeName(t *testing.T) {
	r := longSeries(t, 3, 2<<20)
	var buf bytes.Buffer
	if err := Write(&buf, r, nil, Options{Format: HTML, Trend: true}); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > 1<<20 {
		t.Errorf("the page of 3 sites with 2 MB names is %d bytes", buf.Len())
	}
	if !regexp.MustCompile(`spawn(Long)+[Lnog]*…[Lnog]*(Long)+_`).Match(buf.Bytes()) {
		t.Error("the long names are not shown cut in the middle")
	}
}
