package report

import (
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/leakscan/leakscan/internal/diff"
	"github.com/leakscan/leakscan/internal/parse"
)

// Format is an output format.
type Format string

// The output formats.
const (
	Table    Format = "table"
	JSON     Format = "json"
	Markdown Format = "markdown"
	// HTML is a page of its own, with charts (see html.go); the command
	// writes it to the file --html names.
	HTML Format = "html"
)

// ErrHTMLToFile is ParseFormat's error for "html": the HTML report is a
// page of its own, written where --html says, never to stdout.
var ErrHTMLToFile = errors.New("output format html goes to a file: give --html FILE")

// ParseFormat checks a --output value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case Table, JSON, Markdown:
		return f, nil
	case HTML:
		return "", ErrHTMLToFile
	case "md":
		return Markdown, nil
	case "text":
		return Table, nil
	}
	return "", fmt.Errorf("unknown output format %q (want table, json or markdown)", s)
}

// Options tunes Write.
type Options struct {
	Format Format
	// Color marks growth in the table with ANSI colours; the caller sets
	// it only for a terminal without NO_COLOR.
	Color bool
	// Limit is the most rows a table or Markdown shows; 0 shows all.
	// JSON always has every site.
	Limit int
	// All shows unchanged and benign sites in a diff's table too.
	All bool
	// Notes are the caller's lines for the summary (a watch's failed
	// samples), said with the result's own notes.
	Notes []string
	// Trend renders a series of many snapshots (watch, trend): verdicts
	// rather than a diff's statuses.
	Trend bool
	// Width is the most terminal columns a table's lines take: longer
	// names are shortened in the middle, never wrapped (see fit). 0 is
	// no limit. Markdown, JSON and HTML ignore it.
	Width int
	// OmitWarnings leaves the snapshots' warnings out of the lines above
	// a table: the caller says them on stderr. JSON always has them.
	OmitWarnings bool
}

// Write renders r, with the gate's breaches (nil when no gate was set),
// to w.
func Write(w io.Writer, r *diff.Result, breaches []diff.Breach, opts Options) error {
	trend := opts.Trend && len(r.Snapshots) > 0
	switch opts.Format {
	case JSON:
		return writeJSON(w, r, breaches, opts)
	case Markdown:
		if trend {
			return writeTrendMarkdown(w, r, breaches, opts)
		}
		return writeMarkdown(w, r, breaches, opts)
	case HTML:
		return writeHTML(w, r, breaches, opts)
	case Table, "":
		if trend {
			return writeTrendTable(w, r, opts)
		}
		return writeTable(w, r, opts)
	}
	return fmt.Errorf("unknown output format %q", opts.Format)
}

// shortFunc drops the import path before the package name:
// "github.com/acme/x/pipeline.(*Stage).run" → "pipeline.(*Stage).run".
func shortFunc(fn string) string {
	fn = funcName(fn)
	if i := strings.LastIndexByte(fn, '/'); i >= 0 && !strings.Contains(fn[:i], "[") {
		return fn[i+1:]
	}
	return fn
}

// funcName is a function's name as a reader writes it: the runtime
// escapes a dot in an import path's last element ("gopkg.in/yaml%2ev3"),
// which the package's import path spells "gopkg.in/yaml.v3".
func funcName(fn string) string {
	return strings.ReplaceAll(fn, "%2e", ".")
}

// names gives each file of a result its shortest unambiguous name: the
// base name ("manager.go"), or with as many directories as tell it from
// the other files of the same base name ("discovery/manager.go" and
// "notifier/manager.go"), as a real program has several.
type names struct {
	short map[string]string // full path → name, for ambiguous base names only
}

// namesOf looks at every file a report of r may name.
func namesOf(r *diff.Result) names {
	byBase := make(map[string]map[string]bool)
	add := func(file string) {
		if file == "" {
			return
		}
		b := path.Base(file)
		if byBase[b] == nil {
			byBase[b] = make(map[string]bool)
		}
		byBase[b][file] = true
	}
	for _, s := range r.Sites {
		add(s.File)
		add(s.Entry.File)
		add(s.Creator.File)
		for _, w := range s.Waits {
			add(w.Frame.File)
		}
		for _, e := range s.Entries {
			add(e.Frame.File)
		}
	}
	nm := names{short: make(map[string]string)}
	for _, files := range byBase {
		if len(files) < 2 {
			continue
		}
		for f := range files {
			nm.short[f] = uniqueSuffix(f, files)
		}
	}
	return nm
}

// uniqueSuffix is the fewest last elements of file that no other of
// files ends in.
func uniqueSuffix(file string, files map[string]bool) string {
	parts := strings.Split(file, "/")
	for n := 2; n <= len(parts); n++ {
		suffix := strings.Join(parts[len(parts)-n:], "/")
		unique := true
		for o := range files {
			if o != file && (o == suffix || strings.HasSuffix(o, "/"+suffix)) {
				unique = false
				break
			}
		}
		if unique {
			return suffix
		}
	}
	return file
}

// file is the name of a file in a report.
func (nm names) file(file string) string {
	if s, ok := nm.short[file]; ok {
		return s
	}
	return path.Base(file)
}

// loc is "file.go:441", or "" when unknown.
func (nm names) loc(file string, line int) string {
	if file == "" {
		return ""
	}
	if line == 0 {
		return nm.file(file)
	}
	return fmt.Sprintf("%s:%d", nm.file(file), line)
}

// siteName names where the goroutines of s were started, in the form
// "main.(*FileMonitor).pollAllFiles (file_monitor.go:441)".
func siteName(nm names, s *diff.Site, short bool) string {
	fn := func(f string) string {
		if short {
			return shortFunc(f)
		}
		return funcName(f)
	}
	location := nm.loc
	switch s.Kind {
	case parse.KeyHelper:
		return fmt.Sprintf("%s via %s (%s)", fn(s.Func), fn(s.Creator.Func), location(s.Entry.File, s.Entry.Line))
	case parse.KeyEntry:
		if s.Func == "" {
			return "(no frames)"
		}
		if s.Func == "runtime.goexit" {
			return "goroutines not started yet (no creator)"
		}
		return fmt.Sprintf("%s (%s, no creator)", fn(s.Func), location(s.Entry.File, s.Entry.Line))
	}
	return fmt.Sprintf("%s (%s)", fn(s.Func), location(s.File, s.Line))
}

// waitName is "chan send at file_monitor.go:449", naming the function
// too when it is not the one the goroutines run.
func waitName(nm names, w diff.Wait, entry string) string {
	if w.Frame.Func == "" {
		return w.State
	}
	if w.Frame.Func == "runtime.goexit" {
		return "not started"
	}
	s := w.State
	if s == "" {
		s = "in " + shortFunc(w.Frame.Func)
	} else if w.Frame.Func != entry {
		s += " in " + shortFunc(w.Frame.Func)
	}
	return s + " at " + nm.loc(w.Frame.File, w.Frame.Line)
}

// headline says what a growing site did, plainly:
// "+16 in 30s from main.(*FileMonitor).pollAllFiles (file_monitor.go:441)".
func headline(r *diff.Result, nm names, s *diff.Site) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%+d", s.Delta)
	n := len(r.Snapshots) - r.Start
	if r.Timed && n >= 2 {
		span := r.Snapshots[len(r.Snapshots)-1].Time.Sub(r.Snapshots[r.Start].Time)
		if n == 2 {
			fmt.Fprintf(&b, " in %s", shortDuration(span))
		} else {
			step := span / time.Duration(n-1)
			fmt.Fprintf(&b, " (%+.1f every %s)", s.PerMinute*step.Minutes(), shortDuration(step))
		}
	}
	fmt.Fprintf(&b, " from %s", siteName(nm, s, false))
	if first := s.Counted(r.Start); s.Survived >= 0 && first > 0 {
		fmt.Fprintf(&b, "; %d of %d earlier goroutines still alive", s.Survived, first)
	}
	return b.String()
}

// shortDuration prints 30s, 5m, 1h30m, 2m30s, 1.5s.
func shortDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return strconv.FormatFloat(d.Round(time.Millisecond).Seconds(), 'f', -1, 64) + "s"
	case d < 10*time.Second:
		return strconv.FormatFloat(d.Round(100*time.Millisecond).Seconds(), 'f', -1, 64) + "s"
	case d < time.Minute:
		return strconv.FormatFloat(d.Round(time.Second).Seconds(), 'f', -1, 64) + "s"
	}
	d = d.Round(time.Second)
	h, m, sec := int(d/time.Hour), int(d/time.Minute)%60, int(d/time.Second)%60
	var b strings.Builder
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m > 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	if sec > 0 {
		fmt.Fprintf(&b, "%ds", sec)
	}
	return b.String()
}

// growing returns the sites that grew, benign ones left out, in rank order.
func growing(r *diff.Result) []*diff.Site {
	var out []*diff.Site
	for _, s := range r.Sites {
		if s.Delta > 0 && !s.AllBenign {
			out = append(out, s)
		}
	}
	return out
}

// shown returns the sites a table shows: all for an inventory; for a
// change, those that changed (or all with opts.All), benign ones only
// with opts.All.
func shown(r *diff.Result, opts Options) (rows []*diff.Site, hidden int) {
	for _, s := range r.Sites {
		show := len(r.Snapshots) < 2 || opts.All ||
			(!s.AllBenign && (s.Delta != 0 || s.Status == diff.StatusChurn))
		if !show {
			hidden++
			continue
		}
		rows = append(rows, s)
	}
	if opts.Limit > 0 && len(rows) > opts.Limit {
		hidden += len(rows) - opts.Limit
		rows = rows[:opts.Limit]
	}
	return rows, hidden
}

// BreachLine is the gate's message for one breach of r's gate, as the
// command prints it on stderr.
func BreachLine(r *diff.Result, b diff.Breach) string {
	if b.Site == nil {
		return fmt.Sprintf("all sites together grew by %d (limit %d)", int(b.Value), int(b.Limit))
	}
	nm := namesOf(r)
	name := siteName(nm, b.Site, false)
	switch b.Rule {
	case "max-rate":
		return fmt.Sprintf("%s grew by %.2f per minute (limit %g)", name, b.Value, b.Limit)
	case "leak":
		return fmt.Sprintf("leak: %s (--fail-on-leak)", summaryOf(r, nm, b.Site))
	}
	return fmt.Sprintf("%s grew by %d (limit %d)", name, int(b.Value), int(b.Limit))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
