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
	if i := strings.LastIndexByte(fn, '/'); i >= 0 && !strings.Contains(fn[:i], "[") {
		return fn[i+1:]
	}
	return fn
}

// location is "file.go:441", or "" when unknown.
func location(file string, line int) string {
	if file == "" {
		return ""
	}
	if line == 0 {
		return path.Base(file)
	}
	return fmt.Sprintf("%s:%d", path.Base(file), line)
}

// siteName names where the goroutines of s were started, in the form
// "main.(*FileMonitor).pollAllFiles (file_monitor.go:441)".
func siteName(s *diff.Site, short bool) string {
	fn := func(f string) string {
		if short {
			return shortFunc(f)
		}
		return f
	}
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
func waitName(w diff.Wait, entry string) string {
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
	return s + " at " + location(w.Frame.File, w.Frame.Line)
}

// headline says what a growing site did, plainly:
// "+16 in 30s from main.(*FileMonitor).pollAllFiles (file_monitor.go:441)".
func headline(r *diff.Result, s *diff.Site) string {
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
	fmt.Fprintf(&b, " from %s", siteName(s, false))
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
	name := siteName(b.Site, false)
	switch b.Rule {
	case "max-rate":
		return fmt.Sprintf("%s grew by %.2f per minute (limit %g)", name, b.Value, b.Limit)
	case "leak":
		return fmt.Sprintf("leak: %s (--fail-on-leak)", Summary(r, b.Site))
	}
	return fmt.Sprintf("%s grew by %d (limit %d)", name, int(b.Value), int(b.Limit))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
