package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/leakscan/leakscan/internal/diff"
	"github.com/leakscan/leakscan/internal/parse"
)

const (
	red    = "\x1b[31m"
	green  = "\x1b[32m"
	bold   = "\x1b[1m"
	normal = "\x1b[0m"
)

// summary is the lines above a table: what was read and, for a change,
// what moved. For Markdown (md), what comes from the inputs is escaped.
func summary(r *diff.Result, opts Options, md bool) []string {
	code, text := proseFuncs(md)
	var out []string
	n := len(r.Snapshots)
	if n == 1 {
		m := r.Snapshots[0]
		line := fmt.Sprintf("%s: %s in %s (%s", code(m.Source), plural(m.Goroutines, "goroutine", "goroutines"),
			plural(len(r.Sites), "site", "sites"), text(string(m.Format)))
		if m.Profile != "goroutine" && m.Profile != "" {
			line += ", " + text(m.Profile) + " profile"
		}
		out = append(out, line+")")
	} else {
		a, b := r.Snapshots[0], r.Snapshots[n-1]
		counts := map[diff.Status]int{}
		for _, s := range r.Sites {
			if !s.AllBenign {
				counts[s.Status]++
			}
		}
		var parts []string
		for _, st := range []diff.Status{diff.StatusAccumulating, diff.StatusGrew, diff.StatusNew,
			diff.StatusChurn, diff.StatusShrank, diff.StatusGone} {
			if c := counts[st]; c > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", c, st))
			}
		}
		line := fmt.Sprintf("%s → %s: %d → %d goroutines (%+d)", code(a.Source), code(b.Source),
			a.Goroutines, b.Goroutines, b.Goroutines-a.Goroutines)
		if n > 2 {
			line = fmt.Sprintf("%d snapshots, %s", n, line)
		}
		if r.Timed {
			line += " in " + shortDuration(b.Time.Sub(a.Time))
		}
		if len(parts) > 0 {
			line += "; sites: " + strings.Join(parts, ", ")
		}
		out = append(out, line)
		if r.ByEntry {
			out = append(out, "some stacks of debug=1 or protobuf profiles are in no full dump: keyed by entry function")
		}
		if r.BenignDelta != 0 {
			out = append(out, fmt.Sprintf("%+d in benign goroutines, not counted (--include-benign counts them)", r.BenignDelta))
		}
		for _, note := range r.Notes {
			out = append(out, "note: "+text(note))
		}
	}
	for _, m := range r.Snapshots {
		prefix := ""
		if n > 1 {
			prefix = text(m.Source) + ": "
		}
		if m.Cause != "" {
			out = append(out, prefix+"cause: "+code(m.Cause))
		}
		if m.Ignored > 0 {
			out = append(out, fmt.Sprintf("%s%s ignored (--ignore)", prefix, plural(m.Ignored, "goroutine", "goroutines")))
		}
		for _, w := range m.Warnings {
			if opts.OmitWarnings {
				break
			}
			out = append(out, prefix+"warning: "+text(w))
		}
	}
	return out
}

// grid builds the table of an inventory or of a change.
func grid(r *diff.Result, rows []*diff.Site, color bool) table {
	leaked, minutes := false, false
	for _, s := range rows {
		leaked = leaked || s.Leaked > 0
		for _, w := range s.Waits {
			minutes = minutes || w.MaxMinutes > 0
		}
	}
	paint := func(c, s string) string {
		if color {
			return c + s + normal
		}
		return s
	}
	var t table
	if len(r.Snapshots) < 2 {
		t.col("GOROUTINES", true, false)
		if leaked {
			t.col("LEAKED", true, false)
		}
		t.col("CREATED BY", false, true)
		t.col("RUNNING", false, true)
		t.col("WAITING", false, true)
		if minutes {
			t.col("FOR", false, false)
		}
		t.col("NOTE", false, true)
		for _, s := range rows {
			row := []string{strconv.Itoa(s.Counts[0])}
			if leaked {
				row = append(row, zeroBlank(s.Leaked))
			}
			alt := make([][]string, len(t.header))
			alt[len(row)], alt[len(row)+2] = siteShort(s), waitShort(s)
			row = append(row, createdBy(s), entries(s), waiting(s))
			if minutes {
				row = append(row, maxWait(s))
			}
			t.rows = append(t.rows, append(row, note(s)))
			t.alts = append(t.alts, alt)
		}
		return t
	}
	t.col("BEFORE", true, false)
	t.col("AFTER", true, false)
	t.col("CHANGE", true, false)
	if r.IDs {
		t.col("STAYED", true, false)
	}
	if r.Timed {
		t.col("PER MIN", true, false)
	}
	t.col("STATUS", false, false)
	t.col("SITE", false, true)
	t.col("WAITING", false, true)
	t.col("NOTE", false, true)
	for _, s := range rows {
		n := len(s.Counts)
		change := fmt.Sprintf("%+d", s.Delta)
		switch {
		case s.Delta > 0 && !s.AllBenign:
			change = paint(red+bold, change)
		case s.Delta < 0:
			change = paint(green, change)
		case s.Delta == 0:
			change = "0"
		}
		row := []string{strconv.Itoa(s.Counted(r.Start)), strconv.Itoa(s.Counted(n - 1)), change}
		if r.IDs {
			row = append(row, fmt.Sprintf("%d/%d", s.Survived, s.Counted(r.Start)))
		}
		if r.Timed {
			row = append(row, fmt.Sprintf("%+.1f", s.PerMinute))
		}
		alt := make([][]string, len(t.header))
		alt[len(row)+1], alt[len(row)+2] = siteShort(s), waitShort(s)
		row = append(row, string(s.Status), siteCell(s), waiting(s), note(s))
		t.rows = append(t.rows, row)
		t.alts = append(t.alts, alt)
	}
	return t
}

func zeroBlank(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// createdBy is the site cell: "main.(*FileMonitor).pollAllFiles file_monitor.go:441".
func createdBy(s *diff.Site) string {
	switch {
	case s.Func == "" || s.Kind == parse.KeyEntry:
		return "-"
	case s.Kind == parse.KeyCreatedBy:
		return shortFunc(s.Func) + " " + location(s.File, s.Line)
	}
	return shortFunc(s.Func) + " " + location(s.Entry.File, s.Entry.Line)
}

// siteCell names a site in one cell: the go statement, or for a site
// without a creator the function its goroutines run.
func siteCell(s *diff.Site) string {
	if s.Kind == parse.KeyEntry && s.Func != "" {
		return shortFunc(s.Func)
	}
	return createdBy(s)
}

// siteShort is the site cell in short, for a narrow terminal: the
// function's own name and the file:line, then the name alone:
// "pollAllFiles file_monitor.go:97", "pollAllFiles".
func siteShort(s *diff.Site) []string {
	switch {
	case s.Func == "":
		return nil
	case s.Kind == parse.KeyEntry:
		return []string{lastName(s.Func)}
	case s.Kind == parse.KeyCreatedBy:
		return []string{lastName(s.Func) + " " + location(s.File, s.Line), lastName(s.Func)}
	}
	return []string{lastName(s.Func) + " " + location(s.Entry.File, s.Entry.Line), lastName(s.Func)}
}

// entries is the function a site's goroutines run, and how many others
// they run when one go statement starts several.
func entries(s *diff.Site) string {
	e := entryName(s.Entry.Func)
	if len(s.Entries) > 1 {
		e += fmt.Sprintf(" (+%d more)", len(s.Entries)-1)
	}
	return e
}

// entryName is a function as a cell shows it; a goroutine that has only
// goexit on its stack has not started running.
func entryName(fn string) string {
	if fn == "runtime.goexit" {
		return "(not started)"
	}
	return shortFunc(fn)
}

// waiting is the main wait of a site and how many others there are.
func waiting(s *diff.Site) string {
	if len(s.Waits) == 0 {
		return ""
	}
	w := waitName(s.Waits[0], s.Entry.Func)
	if len(s.Waits) > 1 {
		w += fmt.Sprintf(" (%d; +%d more)", s.Waits[0].Count, len(s.Waits)-1)
	}
	return w
}

// waitShort is the waiting cell in short: the main wait alone.
func waitShort(s *diff.Site) []string {
	if len(s.Waits) < 2 {
		return nil
	}
	return []string{waitName(s.Waits[0], s.Entry.Func)}
}

func maxWait(s *diff.Site) string {
	m := 0
	for _, w := range s.Waits {
		m = max(m, w.MaxMinutes)
	}
	if m == 0 {
		return ""
	}
	return fmt.Sprintf("%dm", m)
}

// note says how a site was keyed when it is not by "created by", and why
// it is benign.
func note(s *diff.Site) string {
	var parts []string
	switch s.Kind {
	case parse.KeyHelper:
		parts = append(parts, "via "+shortFunc(s.Creator.Func))
	case parse.KeyEntry:
		parts = append(parts, "no creator")
	}
	if s.Cut {
		parts = append(parts, "stack cut")
	}
	switch n := s.BenignCounts[len(s.BenignCounts)-1]; {
	case s.AllBenign:
		parts = append(parts, "benign: "+s.Benign)
	case n > 0:
		parts = append(parts, fmt.Sprintf("%d benign: %s", n, s.Benign))
	}
	return strings.Join(parts, "; ")
}

func writeTable(w io.Writer, r *diff.Result, opts Options) error {
	for _, l := range summary(r, opts, false) {
		if _, err := fmt.Fprintln(w, l); err != nil {
			return err
		}
	}
	if len(r.Snapshots) >= 2 {
		for i, s := range growing(r) {
			if i == 3 {
				break
			}
			line := headline(r, s)
			if opts.Color {
				line = bold + line + normal
			}
			fmt.Fprintln(w, line)
		}
	}
	rows, hidden := shown(r, opts)
	fmt.Fprintln(w)
	if len(rows) == 0 {
		if len(r.Snapshots) < 2 {
			fmt.Fprintln(w, "no goroutines")
		} else {
			fmt.Fprintln(w, "no site changed")
		}
	} else {
		if err := renderGrid(w, grid(r, rows, opts.Color), false, opts.Width); err != nil {
			return err
		}
	}
	if hidden > 0 {
		if len(r.Snapshots) < 2 {
			fmt.Fprintf(w, "%s not shown (--top)\n", plural(hidden, "site", "sites"))
		} else {
			fmt.Fprintf(w, "%s not shown (--all, --top)\n", plural(hidden, "site", "sites"))
		}
	}
	// Breaches go to stderr, from the command: not repeated here.
	return nil
}

func writeMarkdown(w io.Writer, r *diff.Result, breaches []diff.Breach, opts Options) error {
	title := "Goroutines by creation site"
	if len(r.Snapshots) >= 2 {
		title = "Goroutine growth by creation site"
	}
	fmt.Fprintf(w, "### %s\n\n", title)
	for _, l := range summary(r, opts, true) {
		fmt.Fprintf(w, "%s  \n", l)
	}
	if len(r.Snapshots) >= 2 {
		for i, s := range growing(r) {
			if i == 3 {
				break
			}
			fmt.Fprintf(w, "**%s**  \n", mdEscape(headline(r, s)))
		}
	}
	if len(breaches) > 0 {
		fmt.Fprintln(w)
		for _, b := range breaches {
			fmt.Fprintf(w, "- :x: %s\n", mdEscape(BreachLine(r, b)))
		}
	}
	fmt.Fprintln(w)
	rows, hidden := shown(r, opts)
	if len(rows) == 0 {
		if len(r.Snapshots) < 2 {
			fmt.Fprintln(w, "No goroutines.")
		} else {
			fmt.Fprintln(w, "No site changed.")
		}
		return nil
	}
	t := grid(r, rows, false)
	for _, row := range t.rows {
		for i := range row {
			row[i] = mdCell(row[i])
		}
	}
	if err := renderGrid(w, t, true, 0); err != nil {
		return err
	}
	if hidden > 0 {
		fmt.Fprintf(w, "\n%s not shown.\n", plural(hidden, "site", "sites"))
	}
	return nil
}
