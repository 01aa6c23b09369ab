package report

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/leakscan/leakscan/internal/diff"
	"github.com/leakscan/leakscan/internal/parse"
)

// This file renders Markdown for a pull request: what comes from a dump
// is escaped so that it reads as the text it is, and a series' report
// (watch, trend) fits in one GitHub comment whatever the input.

// MaxComment is the most characters GitHub takes in a comment.
const MaxComment = 65536

// commentBudget is the most bytes a series' Markdown takes: a byte count
// is never below the count of characters, and the rest leaves room for a
// line the caller adds around it.
const commentBudget = MaxComment - 1536

// Bounds of the parts of a series' Markdown, so that no one part can use
// up the comment: the lines of text a dump can make long are clipped to
// mdLineWidth columns, a source name to mdCodeWidth, a stack to
// mdStackFrames frames or about mdStackBytes, its names to mdFrameWidth,
// and at most mdBreaches breaches and mdHeadLines summary lines are
// listed.
const (
	mdLineWidth   = 400
	mdCodeWidth   = 200
	mdFrameWidth  = 200
	mdStackFrames = 40
	mdStackBytes  = 3000
	mdBreaches    = 10
	mdHeadLines   = 12
	// mdFooterRoom is kept for the lines that say what was left out.
	mdFooterRoom = 600
	// mdStackRoom is kept from the table for the first leaks' stacks.
	mdStackRoom = 3 * 4096
)

// proseFuncs returns how a line of a report quotes a source (code) and
// interpolates any other text from the inputs (text): for Markdown as a
// code span and escaped, each clipped so that a line stays readable; for
// the terminal as they are.
func proseFuncs(md bool) (code, text func(string) string) {
	if !md {
		same := func(s string) string { return s }
		return same, same
	}
	return func(s string) string { return codeSpan(clipCell(s, mdCodeWidth)) },
		func(s string) string { return mdEscape(clipCell(s, mdLineWidth)) }
}

// mdEscape makes s read as plain text in GitHub Markdown: a backslash
// before every character that could start emphasis, code, a link, an
// image, HTML, an entity, a table cell, strikethrough or math
// ("main.(*T).run_loop" → `main.(\*T).run\_loop`); before a colon that
// could start an emoji or a URL (not one before a digit, as in
// file.go:97, or a space); a word
// joiner after an @ that would mention a user; and line ends as spaces.
func mdEscape(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for i, c := range s {
		switch c {
		case '\\', '`', '*', '_', '[', ']', '<', '>', '&', '|', '~', '$', '!', '#':
			b.WriteByte('\\')
		case ':':
			if next, _ := utf8.DecodeRuneInString(s[i+1:]); i+1 < len(s) && !unicode.IsDigit(next) && !unicode.IsSpace(next) {
				b.WriteByte('\\')
			}
		case '.':
			// "www." starts a link of its own.
			if i >= 3 && strings.EqualFold(s[i-3:i], "www") {
				b.WriteByte('\\')
			}
		case '\n', '\r':
			b.WriteByte(' ')
			continue
		case '@':
			b.WriteRune(c)
			if next, _ := utf8.DecodeRuneInString(s[i+1:]); next < utf8.RuneSelf && (unicode.IsLetter(next) || unicode.IsDigit(next)) {
				b.WriteRune('\u2060')
			}
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// mdCell escapes a table cell (a pipe would end it).
func mdCell(s string) string { return mdEscape(s) }

// codeSpan quotes s as inline code, with a fence of more backticks than
// s holds in a row, so that nothing in s ends it.
func codeSpan(s string) string {
	s = strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

func longestRun(s string, c byte) int {
	best, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}

// writeTrendMarkdown writes a series' report as a pull-request comment:
// the verdict in one line, what was read, the breaches, a table of the
// sites that matter with sparklines, and the stack of each leak in a
// <details> block. It stays within commentBudget: the table's rows and
// the stacks that do not fit are left out, and a last line says so.
func writeTrendMarkdown(w io.Writer, r *diff.Result, breaches []diff.Breach, opts Options) error {
	var out bytes.Buffer
	budget := commentBudget - mdFooterRoom
	var left leftOut

	head := []string{"### Goroutine leaks by creation site", "", verdictLine(r) + "  "}
	lines := trendSummary(r, opts, true)
	for i, l := range lines {
		if i == mdHeadLines {
			left.lines += len(lines) - i
			break
		}
		head = append(head, l+"  ")
	}
	if len(breaches) > 0 {
		head = append(head, "")
		for i, b := range breaches {
			if i == mdBreaches {
				head = append(head, fmt.Sprintf("- :x: and %d more limits crossed", len(breaches)-i))
				break
			}
			head = append(head, "- :x: "+mdEscape(clipCell(BreachLine(r, b), mdLineWidth)))
		}
	}
	head = append(head, "")
	for _, l := range head {
		if out.Len()+len(l)+1 > budget-mdStackRoom {
			left.lines++
			continue
		}
		out.WriteString(l)
		out.WriteByte('\n')
	}

	rows, hidden := trendRows(r, opts)
	leaks := leakStacks(r)
	stackRoom := 0
	for i, s := range leaks {
		if i == 3 {
			break
		}
		stackRoom += len(stackBlock(r, s))
	}
	t := trendGrid(r, rows, false, sparkWidth)
	for _, row := range t.rows {
		for i := range row {
			row[i] = mdCell(row[i])
		}
	}
	n, err := rowsThatFit(t, budget-out.Len()-min(stackRoom, mdStackRoom))
	if err != nil {
		return err
	}
	left.rows = len(rows) - n
	if n > 0 {
		t.rows = t.rows[:n]
		if err := renderGrid(&out, t, true, 0); err != nil {
			return err
		}
	}
	for i, s := range leaks {
		block := stackBlock(r, s)
		if out.Len()+len(block) > budget {
			left.stacks = len(leaks) - i
			break
		}
		out.WriteString(block)
	}
	if hidden > 0 {
		fmt.Fprintf(&out, "\n%s not shown (--all, --limit).\n", plural(hidden, "site", "sites"))
	}
	if s := left.String(); s != "" {
		fmt.Fprintf(&out, "\n%s\n", s)
	}
	_, err = w.Write(out.Bytes())
	return err
}

// leftOut counts what a series' Markdown left out to fit a comment.
type leftOut struct{ lines, rows, stacks int }

func (l leftOut) String() string {
	var parts []string
	if l.rows > 0 {
		parts = append(parts, plural(l.rows, "row", "rows")+" of the table")
	}
	if l.stacks > 0 {
		parts = append(parts, plural(l.stacks, "leak's stack", "leaks' stacks"))
	}
	if l.lines > 0 {
		parts = append(parts, plural(l.lines, "line", "lines")+" of the summary")
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("Left out to fit a GitHub comment (%d characters): %s; `-o json` has everything.",
		MaxComment, strings.Join(parts, ", "))
}

// verdictLine is the verdict in one line: the first site said, and how
// many others leak or grow.
//
//	**LEAK** +16 every 3s from main.(\*FileMonitor).pollAllFiles (file\_monitor.go:97); 2 more leaks, 1 growing
func verdictLine(r *diff.Result) string {
	sites := verdicts(r)
	if len(sites) == 0 {
		return "**No site grows.**"
	}
	leaks, growing := 0, 0
	for _, s := range sites {
		if s.Judgement.Verdict == diff.VerdictLeak {
			leaks++
		} else {
			growing++
		}
	}
	first := sites[0]
	line := "**" + verdictWord(first) + "** " + mdEscape(clipCell(summaryOf(r, namesOf(r), first), mdLineWidth))
	var more []string
	if first.Judgement.Verdict == diff.VerdictLeak {
		leaks--
	} else {
		growing--
	}
	if leaks > 0 {
		more = append(more, plural(leaks, "more leak", "more leaks"))
	}
	if growing > 0 {
		word := "growing"
		if first.Judgement.Verdict != diff.VerdictLeak {
			word = "more growing"
		}
		more = append(more, fmt.Sprintf("%d %s", growing, word))
	}
	if len(more) > 0 {
		line += "; " + strings.Join(more, ", ")
	}
	return line
}

// leakStacks returns the leaks, in rank order, that have a stack to show.
func leakStacks(r *diff.Result) []*diff.Site {
	var out []*diff.Site
	for _, s := range verdicts(r) {
		if s.Judgement.Verdict == diff.VerdictLeak && len(s.Stack) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// stackBlock is a leak's stack, innermost call first as the runtime
// prints it, in a <details> block:
//
//	<details><summary>LEAK +16 every 3s from main.(*FileMonitor).pollAllFiles (file_monitor.go:97)</summary>
//
//	```
//	main.(*FileMonitor).readFile
//		/app/file_monitor.go:104
//	created by main.(*FileMonitor).pollAllFiles
//		/app/file_monitor.go:97
//	```
//
//	</details>
func stackBlock(r *diff.Result, s *diff.Site) string {
	var code strings.Builder
	for i, f := range s.Stack {
		if i == mdStackFrames || code.Len() > mdStackBytes {
			fmt.Fprintf(&code, "… %d more frames\n", len(s.Stack)-i)
			break
		}
		writeFrame(&code, "", f)
	}
	if s.Creator.Func != "" {
		writeFrame(&code, "created by ", s.Creator)
	}
	text := code.String()
	fence := strings.Repeat("`", max(3, longestRun(text, '`')+1))
	return fmt.Sprintf("\n<details><summary>%s %s</summary>\n\n%s\n%s%s\n\n</details>\n",
		verdictWord(s), html.EscapeString(clipCell(summaryOf(r, namesOf(r), s), mdLineWidth)), fence, text, fence)
}

func writeFrame(b *strings.Builder, prefix string, f parse.Frame) {
	b.WriteString(oneLineText(clipCell(prefix+f.Func, mdFrameWidth)))
	b.WriteByte('\n')
	if f.File != "" {
		where := f.File
		if f.Line > 0 {
			where = fmt.Sprintf("%s:%d", f.File, f.Line)
		}
		b.WriteString("\t" + oneLineText(clipCell(where, mdFrameWidth)) + "\n")
	}
}

// oneLineText keeps a name on its line.
func oneLineText(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}

// rowsThatFit returns how many of t's first rows make a Markdown table
// of at most room bytes. Every row of a padded table is as wide as the
// widest so far, so the size only grows with the rows: a binary search.
func rowsThatFit(t table, room int) (int, error) {
	size := func(n int) (int, error) {
		var c countWriter
		sub := t
		sub.rows = t.rows[:n]
		err := renderGrid(&c, sub, true, 0)
		return c.n, err
	}
	if len(t.rows) == 0 || room <= 0 {
		return 0, nil
	}
	if n, err := size(len(t.rows)); err != nil || n <= room {
		return len(t.rows), err
	}
	lo, hi := 0, len(t.rows)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		n, err := size(mid)
		if err != nil {
			return 0, err
		}
		if n <= room {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo, nil
}

type countWriter struct{ n int }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += len(p)
	return len(p), nil
}
