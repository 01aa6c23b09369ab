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
		if allByEntry(r.Sites) && !m.Format.HasIDs() {
			out = append(out, fmt.Sprintf("%s records no creation sites: each site is the function its goroutines run", m.Format))
		}
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
	nm, allEntry := namesOf(r), allByEntry(rows)
	leaked, waited := false, false
	for _, s := range rows {
		leaked = leaked || s.Leaked > 0
		for _, w := range s.Waits {
			waited = waited || w.MaxMinutes > 0
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
		t.col("SITE", false, true)
		if !allEntry {
			// Without creators the site is the entry function.
			t.col("ENTRY", false, true)
		}
		t.col("WAITING", false, true)
		if waited {
			t.col("FOR", false, false)
		}
		t.col("NOTE", false, true)
		for _, s := range rows {
			row := []string{strconv.Itoa(s.Counts[0])}
			if leaked {
				if cell := zeroBlank(s.Leaked); cell != "" {
					row = append(row, paint(red, cell))
				} else {
					row = append(row, cell)
				}
			}
			alt := make([][]string, len(t.header))
			alt[len(row)] = siteShort(nm, s)
			row = append(row, siteCell(nm, s))
			if !allEntry {
				row = append(row, entries(s))
			}
			alt[len(row)] = waitShort(nm, s)
			row = append(row, waiting(nm, s))
			if waited {
				row = append(row, maxWait(s))
			}
			t.rows = append(t.rows, append(row, note(s, allEntry)))
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
			row = append(row, ofCount(s.Survived, s.Counted(r.Start)))
		}
		if r.Timed {
			row = append(row, fmt.Sprintf("%+.1f", s.PerMinute))
		}
		status := string(s.Status)
		if s.Status == diff.StatusAccumulating && !s.AllBenign {
			status = paint(red+bold, status)
		}
		alt := make([][]string, len(t.header))
		alt[len(row)+1], alt[len(row)+2] = siteShort(nm, s), waitShort(nm, s)
		row = append(row, status, siteCell(nm, s), waiting(nm, s), note(s, allEntry))
		t.rows = append(t.rows, row)
		t.alts = append(t.alts, alt)
	}
	return t
}

// ofCount says how many of how many: "32 of 32", "-" of none.
func ofCount(n, of int) string {
	if of <= 0 && n <= 0 {
		return "-"
	}
	return fmt.Sprintf("%d of %d", n, of)
}

// allByEntry reports whether no site of rows has a creator: the sites of
// a counted profile, keyed by entry function.
func allByEntry(rows []*diff.Site) bool {
	for _, s := range rows {
		if s.Kind != parse.KeyEntry {
			return false
		}
	}
	return len(rows) > 0
}

func zeroBlank(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// createdBy is the site cell: "main.(*FileMonitor).pollAllFiles file_monitor.go:441".
func createdBy(nm names, s *diff.Site) string {
	switch {
	case s.Func == "" || s.Kind == parse.KeyEntry:
		return "-"
	case s.Kind == parse.KeyCreatedBy:
		return shortFunc(s.Func) + " " + nm.loc(s.File, s.Line)
	}
	return shortFunc(s.Func) + " " + nm.loc(s.Entry.File, s.Entry.Line)
}

// siteCell names a site in one cell: the go statement, or for a site
// without a creator the function its goroutines run.
func siteCell(nm names, s *diff.Site) string {
	if s.Kind == parse.KeyEntry && s.Func != "" {
		return entryName(s.Func)
	}
	return createdBy(nm, s)
}

// siteShort is the site cell in short, for a narrow terminal: the
// function's own name and the file:line, then the name alone:
// "pollAllFiles file_monitor.go:97", "pollAllFiles".
func siteShort(nm names, s *diff.Site) []string {
	switch {
	case s.Func == "":
		return nil
	case s.Kind == parse.KeyEntry:
		return []string{lastName(s.Func)}
	case s.Kind == parse.KeyCreatedBy:
		return []string{lastName(s.Func) + " " + nm.loc(s.File, s.Line), lastName(s.Func)}
	}
	return []string{lastName(s.Func) + " " + nm.loc(s.Entry.File, s.Entry.Line), lastName(s.Func)}
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
func waiting(nm names, s *diff.Site) string {
	if len(s.Waits) == 0 {
		return ""
	}
	w := waitName(nm, s.Waits[0], s.Entry.Func)
	if n := len(s.Waits) - 1; n > 0 {
		w += fmt.Sprintf(" (%d here, %s)", s.Waits[0].Count, plural(n, "other wait", "other waits"))
	}
	return w
}

// waitShort is the waiting cell in short: the main wait alone.
func waitShort(nm names, s *diff.Site) []string {
	if len(s.Waits) < 2 {
		return nil
	}
	return []string{waitName(nm, s.Waits[0], s.Entry.Func)}
}

func maxWait(s *diff.Site) string {
	m := 0
	for _, w := range s.Waits {
		m = max(m, w.MaxMinutes)
	}
	return minutes(m)
}

// minutes prints the runtime's "N minutes" in the unit a reader wants:
// 45m, 32h, 3d.
func minutes(m int) string {
	switch {
	case m == 0:
		return ""
	case m < 60:
		return fmt.Sprintf("%dm", m)
	case m < 48*60:
		return fmt.Sprintf("%dh", m/60)
	}
	return fmt.Sprintf("%dd", m/(24*60))
}

// note says how a site was keyed when it is not by "created by", and why
// it is benign. When no site of the table has a creator (allEntry: a
// counted profile), the table says it once above instead.
func note(s *diff.Site, allEntry bool) string {
	var parts []string
	switch {
	case s.Kind == parse.KeyHelper:
		parts = append(parts, "via "+shortFunc(s.Creator.Func))
	case s.Kind == parse.KeyEntry && !allEntry:
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
	nm := namesOf(r)
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
			line := headline(r, nm, s)
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
			fmt.Fprintf(w, "%s not shown (--limit)\n", plural(hidden, "site", "sites"))
		} else {
			fmt.Fprintf(w, "%s not shown (--all, --limit)\n", plural(hidden, "site", "sites"))
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
	nm := namesOf(r)
	for _, l := range summary(r, opts, true) {
		fmt.Fprintf(w, "%s  \n", l)
	}
	if len(r.Snapshots) >= 2 {
		for i, s := range growing(r) {
			if i == 3 {
				break
			}
			fmt.Fprintf(w, "**%s**  \n", mdEscape(headline(r, nm, s)))
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
