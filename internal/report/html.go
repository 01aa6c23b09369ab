package report

import (
	"bufio"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"

	"github.com/leakscan/leakscan/internal/diff"
	"github.com/leakscan/leakscan/internal/parse"
)

// This file renders the HTML report: one page with no request of its
// own (inline CSS, SVG and a little script, which a Content-Security-Policy
// pins by hash), from html/template files, one per view. The data is
// worked out here, in the structs below, so that the templates only place
// it; html/template escapes every name, label and path from a dump.
// Without its script the page shows everything; the script adds the
// filters and the search.

//go:embed html
var htmlFiles embed.FS

// htmlTemplates are the views: trend (watch, trend), diff and top, each a
// page of its own that shares the parts in page.tmpl.
var htmlTemplates = template.Must(template.New("").ParseFS(htmlFiles, "html/*.tmpl"))

// htmlPage is everything a view shows.
type htmlPage struct {
	// View names the template: "trend", "diff" or "top"; Kind says in
	// words what was analysed.
	View, Kind string
	Title      string
	// CSP allows the page its own style and script and nothing else.
	CSP    string
	Style  template.CSS
	Script template.JS
	// Lead is the verdict at the top; Said are the other sites said in a
	// sentence (leaks and growing sites).
	Lead htmlSentence
	Said []htmlSentence
	// Lines say what was read, restarts, notes and warnings.
	Lines    []string
	Breaches []string
	// Total is the chart of every goroutine over the snapshots; nil for
	// one snapshot.
	Total *htmlChart
	// Filters are the choices of the filter (none for top), the first
	// the narrowest; every one counts its sites.
	Filters []htmlFilter
	Sites   []htmlSite
	// Hidden is how many sites --top left out.
	Hidden int
}

type htmlSentence struct {
	Class, Word, Text string
	// Anchor is the id of the site's card.
	Anchor string
}

type htmlFilter struct {
	Value, Label string
	Count        int
	Checked      bool
}

// htmlSite is one site's card.
type htmlSite struct {
	ID string
	// Class is what the filters select on: "leak", "growing", "other" or
	// "benign"; Word is the verdict or status shown.
	Class, Word string
	// Func is the function of the go statement (or, with no creator,
	// the function the goroutines run); Where its file:line.
	Func, Where string
	// Via is how the site was keyed when not by "created by".
	Via string
	// Change is how its count moved ("+16 every 3s"), Reason why the
	// verdict is what it is.
	Change, Reason string
	Chart          *htmlChart
	// Facts are the numbers behind the verdict, in order.
	Facts []htmlFact
	// Entries are the functions the goroutines run, when several.
	Entries []htmlEntry
	Waits   []htmlWait
	// Labels are the pprof labels of the site's goroutines ("k=v"),
	// when the analysis has them.
	Labels []string
	// Stack is the stack most of the site's goroutines have, innermost
	// call first, in runs of calls in one directory; CreatedBy is its go
	// statement.
	Stack     []htmlDir
	CreatedBy *htmlFrame
	StackNote string
}

// htmlDir is a run of calls of a stack in files of one directory, which
// is said once: the calls of a package, of the runtime, of net/http.
type htmlDir struct {
	Dir string
	// Start is the number of the run's first call in the stack, from 1.
	Start int
	Calls []htmlFrame
}

type htmlFact struct{ Name, Value string }

type htmlEntry struct {
	Func, Where string
	Count       int
}

type htmlWait struct {
	State, Func, Where string
	Count              int
	For, Benign        string
}

// htmlFrame is a call of a stack: the function and the file:line of the
// call, without its directory (see htmlDir), or for CreatedBy with it.
type htmlFrame struct {
	Func, Where string
	Inlined     bool
}

func writeHTML(w io.Writer, r *diff.Result, breaches []diff.Breach, opts Options) error {
	page, err := htmlPageOf(r, breaches, opts)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := htmlTemplates.ExecuteTemplate(bw, page.View+".tmpl", page); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	return bw.Flush()
}

// htmlPageOf works out the page of r.
func htmlPageOf(r *diff.Result, breaches []diff.Breach, opts Options) (*htmlPage, error) {
	style, err := htmlFiles.ReadFile("html/report.css")
	if err != nil {
		return nil, err
	}
	script, err := htmlFiles.ReadFile("html/report.js")
	if err != nil {
		return nil, err
	}
	p := &htmlPage{
		Style:  template.CSS(style),
		Script: template.JS(script),
		CSP: fmt.Sprintf("default-src 'none'; style-src '%s'; script-src '%s'; img-src data:",
			cspHash(style), cspHash(script)),
	}
	trend := opts.Trend && len(r.Snapshots) > 0
	switch n := len(r.Snapshots); {
	case trend:
		p.View, p.Kind = "trend", fmt.Sprintf("a series of %d snapshots", n)
		if r.Start > 0 {
			p.Kind += fmt.Sprintf(", %d since the last restart", n-r.Start)
		}
	case n >= 2:
		p.View, p.Kind = "diff", "two snapshots compared"
	default:
		p.View, p.Kind = "top", "one snapshot"
	}
	sites := r.Sites
	if opts.Limit > 0 && len(sites) > opts.Limit {
		p.Hidden = len(sites) - opts.Limit
		sites = sites[:opts.Limit]
	}
	nm := namesOf(r)
	anchors := make(map[*diff.Site]string, len(sites))
	for i, s := range sites {
		anchors[s] = "site-" + strconv.Itoa(i+1)
	}
	switch p.View {
	case "trend":
		for i, s := range said(r) {
			sent := htmlSentence{Class: siteClass(s, true), Word: verdictWord(s), Text: clip(summaryOf(r, nm, s)), Anchor: anchors[s]}
			if i == 0 {
				p.Lead = sent
			} else {
				p.Said = append(p.Said, sent)
			}
		}
		if p.Lead.Text == "" {
			p.Lead = htmlSentence{Class: "other", Word: "OK", Text: "no site grows"}
		}
		p.Lines = clipAll(trendSummary(r, opts, false))
	case "diff":
		for i, s := range growing(r) {
			if i == maxSentences {
				break
			}
			sent := htmlSentence{Class: siteClass(s, false), Word: strings.ToUpper(string(s.Status)), Text: clip(headline(r, nm, s)), Anchor: anchors[s]}
			if i == 0 {
				p.Lead = sent
			} else {
				p.Said = append(p.Said, sent)
			}
		}
		if p.Lead.Text == "" {
			p.Lead = htmlSentence{Class: "other", Word: "OK", Text: "no site grew"}
		}
		p.Lines = clipAll(summary(r, Options{}, false))
	default:
		lines := clipAll(summary(r, Options{}, false))
		p.Lead = htmlSentence{Class: "other", Text: lines[0]}
		p.Lines = lines[1:]
	}
	p.Title = p.Lead.Text
	for _, b := range breaches {
		p.Breaches = append(p.Breaches, clip(BreachLine(r, b)))
	}
	p.Total = totalChart(r)

	counts := map[string]int{}
	for _, s := range sites {
		hs := htmlSiteOf(r, nm, s, p.View == "trend")
		hs.ID = anchors[s]
		counts[hs.Class]++
		p.Sites = append(p.Sites, hs)
	}
	switch p.View {
	case "trend":
		p.Filters = []htmlFilter{
			{Value: "leak", Label: "Leaks", Count: counts["leak"]},
			{Value: "growing", Label: "Growing", Count: counts["leak"] + counts["growing"]},
			{Value: "all", Label: "All", Count: len(sites), Checked: true},
		}
	case "diff":
		p.Filters = []htmlFilter{
			{Value: "leak", Label: "Accumulating", Count: counts["leak"]},
			{Value: "growing", Label: "Grew", Count: counts["leak"] + counts["growing"]},
			{Value: "all", Label: "All", Count: len(sites), Checked: true},
		}
	}
	return p, nil
}

// htmlNameWidth is the most columns a name or line from a dump takes in
// the page: a longer one is cut in the middle (see clipCell), so that a
// hostile 5 MB function name is not repeated whole in every place it is
// shown. JSON keeps every name whole.
const htmlNameWidth = 1000

func clip(s string) string { return clipCell(s, htmlNameWidth) }

// cspHash is a Content-Security-Policy source for exactly b.
func cspHash(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// siteClass is what the filters select a site by: a leak (for a diff,
// a site accumulating), a site that grows, a benign one, or another.
func siteClass(s *diff.Site, trend bool) string {
	switch {
	case s.AllBenign:
		return "benign"
	case trend && s.Judgement.Verdict == diff.VerdictLeak, !trend && s.Status == diff.StatusAccumulating:
		return "leak"
	case trend && s.Judgement.Verdict == diff.VerdictGrowing, !trend && s.Delta > 0:
		return "growing"
	}
	return "other"
}

func htmlSiteOf(r *diff.Result, nm names, s *diff.Site, trend bool) htmlSite {
	location := nm.loc
	hs := htmlSite{Class: siteClass(s, trend)}
	switch {
	case len(r.Snapshots) < 2:
		hs.Word = plural(s.Counts[0], "goroutine", "goroutines")
	case trend:
		hs.Word = verdictWord(s)
	default:
		hs.Word = strings.ToUpper(string(s.Status))
	}
	if s.AllBenign {
		hs.Word = "BENIGN"
	}
	switch s.Kind {
	case parse.KeyHelper:
		hs.Func, hs.Where = s.Func, location(s.Entry.File, s.Entry.Line)
		hs.Via = "via " + s.Creator.Func
	case parse.KeyEntry:
		hs.Func, hs.Where = s.Func, location(s.Entry.File, s.Entry.Line)
		hs.Via = "no creator"
		if s.Func == "" {
			hs.Func = "(no frames)"
		}
	default:
		hs.Func, hs.Where = s.Func, location(s.File, s.Line)
	}
	if s.Cut {
		hs.Via = strings.TrimPrefix(hs.Via+"; stack cut", "; ")
	}
	hs.Func, hs.Via = clip(hs.Func), clip(hs.Via)
	last := len(s.Counts) - 1
	first := s.Counted(r.Start)
	switch {
	case len(r.Snapshots) < 2:
	case trend:
		hs.Change, hs.Reason = clip(change(r, s)), clip(s.Judgement.Reason)
		hs.Chart = siteChart(r, s, true)
		hs.Facts = append(hs.Facts, htmlFact{"Goroutines", detailCounts(r, s)})
		if r.Timed {
			hs.Facts = append(hs.Facts, htmlFact{"Per minute", rate(s.PerMinute)})
		}
		switch {
		case !r.IDs:
			hs.Facts = append(hs.Facts, htmlFact{"Survivors", "unknown (the dumps have no goroutine ids)"})
		case s.Born > 0 && s.BornAlive == s.Born:
			hs.Facts = append(hs.Facts, htmlFact{"New since the first sample", fmt.Sprintf("%d, all still alive", s.Born)})
		case s.Born > 0:
			hs.Facts = append(hs.Facts, htmlFact{"New since the first sample", fmt.Sprintf("%d, %d still alive", s.Born, s.BornAlive)})
		}
		if r.IDs && first > 0 {
			hs.Facts = append(hs.Facts, htmlFact{"Of the first sample's", fmt.Sprintf("%d of %d still alive", s.Survived, first)})
		}
	default:
		hs.Change = fmt.Sprintf("%d → %d (%+d)", first, s.Counted(last), s.Delta)
		hs.Chart = siteChart(r, s, false)
		if r.Timed {
			hs.Facts = append(hs.Facts, htmlFact{"Per minute", rate(s.PerMinute)})
		}
		if r.IDs && first > 0 {
			hs.Facts = append(hs.Facts, htmlFact{"Still alive", fmt.Sprintf("%d of %d earlier goroutines", s.Survived, first)})
		}
	}
	if s.Leaked > 0 {
		hs.Facts = append(hs.Facts, htmlFact{"Proven leaked by the runtime", strconv.Itoa(s.Leaked)})
	}
	if n := s.BenignCounts[last]; s.Benign != "" && !s.AllBenign && n > 0 {
		name := "Benign, not counted"
		if len(r.Snapshots) < 2 {
			name = "Benign" // an inventory counts them all
		}
		hs.Facts = append(hs.Facts, htmlFact{name, fmt.Sprintf("%d: %s", n, s.Benign)})
	} else if s.AllBenign {
		hs.Facts = append(hs.Facts, htmlFact{"Benign", s.Benign})
	}
	if len(s.Entries) > 1 {
		for _, e := range s.Entries {
			hs.Entries = append(hs.Entries, htmlEntry{Func: clip(entryName(e.Frame.Func)), Where: clip(location(e.Frame.File, e.Frame.Line)), Count: e.Count})
		}
	}
	for _, w := range s.Waits {
		hw := htmlWait{State: clip(w.State), Func: clip(w.Frame.Func), Where: clip(location(w.Frame.File, w.Frame.Line)), Count: w.Count, Benign: w.Benign}
		if w.Frame.Func == "runtime.goexit" {
			hw.State, hw.Func, hw.Where = "not started", "", ""
		}
		switch {
		case w.MaxMinutes > 0 && w.Over10m > 0:
			hw.For = fmt.Sprintf("up to %s; %d over 10", plural(w.MaxMinutes, "minute", "minutes"), w.Over10m)
		case w.MaxMinutes > 0:
			hw.For = "up to " + plural(w.MaxMinutes, "minute", "minutes")
		}
		hs.Waits = append(hs.Waits, hw)
	}
	hs.Stack = stackDirs(s.Stack)
	hs.StackNote = "stack, " + plural(len(s.Stack), "frame", "frames")
	if c := s.Creator; c.Func != "" && len(hs.Stack) > 0 {
		hs.CreatedBy = &htmlFrame{Func: clip(c.Func), Where: clip(fullLocation(c.File, c.Line))}
	}
	return hs
}

// stackDirs cuts a stack into runs of calls in one directory.
func stackDirs(stack []parse.Frame) []htmlDir {
	var out []htmlDir
	for i, f := range stack {
		dir, file := splitPath(f.File)
		if dir = clip(dir); len(out) == 0 || out[len(out)-1].Dir != dir {
			out = append(out, htmlDir{Dir: dir, Start: i + 1})
		}
		where := file
		if f.Line > 0 {
			where += ":" + strconv.Itoa(f.Line)
		}
		d := &out[len(out)-1]
		d.Calls = append(d.Calls, htmlFrame{Func: clip(f.Func), Where: clip(where), Inlined: f.Inlined})
	}
	return out
}

// splitPath cuts a file's path after its last slash (or backslash, for
// a Windows build): "/app/internal/x.go" → "/app/internal/", "x.go".
func splitPath(file string) (dir, base string) {
	i := strings.LastIndexAny(file, `/\`)
	return file[:i+1], file[i+1:]
}

// detailCounts is "0 → 80 in 15s".
func detailCounts(r *diff.Result, s *diff.Site) string {
	first, last := s.Counted(r.Start), s.Counted(len(s.Counts)-1)
	out := fmt.Sprintf("%d → %d", first, last)
	if r.Timed {
		return out + " in " + shortDuration(r.Snapshots[len(r.Snapshots)-1].Time.Sub(r.Snapshots[r.Start].Time))
	}
	return out + fmt.Sprintf(" in %d samples", len(s.Counts)-r.Start)
}

func clipAll(lines []string) []string {
	for i, l := range lines {
		lines[i] = clip(l)
	}
	return lines
}

// fullLocation is "/app/file_monitor.go:97".
func fullLocation(file string, line int) string {
	if file == "" || line == 0 {
		return file
	}
	return file + ":" + strconv.Itoa(line)
}
