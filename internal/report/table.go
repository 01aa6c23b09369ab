package report

import (
	"bufio"
	"bytes"
	"io"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// This file holds every call into tablewriter.

// MaxCellWidth is the widest a table or Markdown cell is printed, in
// terminal columns. A longer cell is shortened in the middle, keeping its
// start (the package) and its end (the function and its file:line):
//
//	"pkglong.spawnXXXX…XXXX s2500.go:7"
//
// Without a bound one hostile name pads every row of its column to its
// length: a 100 KB name among 5,000 sites was 500 MB of table. JSON keeps
// every name whole.
const MaxCellWidth = 120

// table is a table ready to render: a header, rows of cells, and per
// column whether it is right-aligned (numbers) and whether it may be
// shortened to fit a terminal (names and places).
type table struct {
	header  []string
	rows    [][]string
	numeric []bool
	shrink  []bool
	// alts, when not nil, hold per cell shorter ways to say it, longest
	// first (none: nil), which fit uses before it cuts a cell: the site
	// "pollAllFiles file_monitor.go:97", then "pollAllFiles", rather
	// than "main.…onitor.go:97".
	alts [][][]string
}

// col adds a column to t's header.
func (t *table) col(name string, numeric, shrink bool) {
	t.header = append(t.header, name)
	t.numeric = append(t.numeric, numeric)
	t.shrink = append(t.shrink, shrink)
}

// renderGrid writes t as a borderless, aligned table, or as a Markdown
// table. Cells are clipped to MaxCellWidth and, for a width above 0, the
// plain table is fitted into that many columns (see fit). The output
// goes to w a line at a time, so what is held besides t is one line of
// the table.
func renderGrid(w io.Writer, t table, markdown bool, width int) error {
	for _, row := range t.rows {
		for i, c := range row {
			row[i] = clipCell(c, MaxCellWidth)
		}
	}
	if !markdown {
		t = fit(t, width)
	}
	header, rows, numeric := t.header, t.rows, t.numeric
	align := make(tw.Alignment, len(header))
	for i := range align {
		align[i] = tw.AlignLeft
		if i < len(numeric) && numeric[i] {
			align[i] = tw.AlignRight
		}
	}
	var r tw.Renderer
	if markdown {
		r = renderer.NewMarkdown()
	} else {
		r = renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{
				Separators: tw.Separators{ShowHeader: tw.Off, BetweenRows: tw.Off, BetweenColumns: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.Off},
			},
		})
	}
	bw := bufio.NewWriter(w)
	lw := &lineTrimmer{w: bw, leadingSpace: !markdown}
	tab := tablewriter.NewTable(lw,
		tablewriter.WithRenderer(r),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithAlignment(align),
		tablewriter.WithTrimSpace(tw.Off),
	)
	tab.Header(header)
	for _, row := range rows {
		if err := tab.Append(row); err != nil {
			return err
		}
	}
	if err := tab.Render(); err != nil {
		return err
	}
	if err := lw.flush(); err != nil {
		return err
	}
	return bw.Flush()
}

// lineTrimmer passes a rendered table on line by line, without the
// padding of the last column and, for the plain table, without the space
// that starts each line: neither helps a reader or a diff of the output.
// It holds at most one line.
type lineTrimmer struct {
	w            io.Writer
	leadingSpace bool // drop one space that starts a line
	line         []byte
	err          error
}

func (l *lineTrimmer) Write(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			l.line = append(l.line, p...)
			break
		}
		l.line = append(l.line, p[:i]...)
		p = p[i+1:]
		if err := l.emit(); err != nil {
			return 0, err
		}
	}
	return n, nil
}

func (l *lineTrimmer) emit() error {
	line := bytes.TrimRight(l.line, " ")
	if l.leadingSpace && len(line) > 0 && line[0] == ' ' {
		line = line[1:]
	}
	if _, err := l.w.Write(line); err != nil {
		l.err = err
		return err
	}
	if _, err := l.w.Write([]byte{'\n'}); err != nil {
		l.err = err
		return err
	}
	l.line = l.line[:0]
	return nil
}

// flush writes a last line that has no newline.
func (l *lineTrimmer) flush() error {
	if l.err != nil || len(l.line) == 0 {
		return l.err
	}
	return l.emit()
}

// clipCell shortens s to at most max columns by cutting out its middle,
// keeping a third of the room for its start and the rest for its end,
// where a function name ends and its file:line is:
//
//	"example.com/app/pkglong.spawnXXXX…XXXX s2500.go:7"
//
// A backslash that escapes what starts the kept end (Markdown's "\|") is
// kept with it, so clipping never lets a pipe end a Markdown cell.
func clipCell(s string, max int) string {
	if fits(s, max) {
		return s
	}
	room := max - 1 // for "…"
	headRoom := room / 3
	head, used := 0, 0
	for head < len(s) {
		r, size := utf8.DecodeRuneInString(s[head:])
		w := runeWidth(r)
		if used+w > headRoom {
			break
		}
		used += w
		head += size
	}
	tailRoom := room - used
	tail, used := len(s), 0
	for tail > head {
		r, size := utf8.DecodeLastRuneInString(s[:tail])
		w := runeWidth(r)
		if used+w > tailRoom {
			break
		}
		used += w
		tail -= size
	}
	if tail > head && tail < len(s) && s[tail-1] == '\\' && isASCIIPunct(s[tail]) {
		tail--
	}
	return s[:head] + "…" + s[tail:]
}

// fits reports whether s is at most max columns wide. It stops measuring
// at max, and does not hand s to tablewriter's width cache, which would
// keep a long name alive.
func fits(s string, max int) bool {
	// No rune is wider than the bytes that encode it.
	if len(s) <= max {
		return true
	}
	w := 0
	for _, r := range s {
		if w += runeWidth(r); w > max {
			return false
		}
	}
	return true
}

func runeWidth(r rune) int {
	if r >= 0x20 && r < 0x7f {
		return 1
	}
	return twwidth.Width(string(r))
}

func isASCIIPunct(c byte) bool {
	return c >= '!' && c <= '/' || c >= ':' && c <= '@' || c >= '[' && c <= '`' || c >= '{' && c <= '~'
}

// columnGap is the space between two columns of the plain table.
const columnGap = 2

// minShrink is the narrowest fit shortens a column to; maxNeed bounds
// the room a column's longest short forms (alts) ask for.
const (
	minShrink = 12
	maxNeed   = 40
)

// fit shortens the cells of t's shrinkable columns so that its lines are
// at most width columns wide. Each such column needs at least minShrink
// columns, or the width of its short forms (see alts), and gets up to
// its full width: the room there is goes to the narrowest first, so
// that one long name does not take it all. When even what they need does
// not fit, the last shrinkable columns (NOTE, then WAITING) are left
// out, one at a time, never the first (the site). A cell wider than its
// column is said by its short form, and cut in the middle when that is
// too wide still (see clipCell). A width of 0 or less is no limit.
func fit(t table, width int) table {
	if width <= 0 || len(t.header) == 0 {
		return t
	}
	for {
		full := make([]int, len(t.header))
		need := make([]int, len(t.header))
		for i, h := range t.header {
			full[i] = displayWidth(h)
		}
		for r, row := range t.rows {
			for i, c := range row {
				full[i] = max(full[i], displayWidth(c))
				if r < len(t.alts) && len(t.alts[r][i]) > 0 {
					need[i] = max(need[i], displayWidth(t.alts[r][i][0]))
				}
			}
		}
		room := width - columnGap*(len(full)-1)
		var flex []int
		total := 0
		for i, w := range full {
			total += w
			if t.shrink[i] {
				flex = append(flex, i)
				need[i] = min(w, max(minShrink, displayWidth(t.header[i]), min(need[i], maxNeed)))
			} else {
				room -= w
			}
		}
		if total+columnGap*(len(full)-1) <= width || len(flex) == 0 {
			return t
		}
		least := 0
		for _, i := range flex {
			least += need[i]
		}
		if least > room && len(flex) > 1 {
			t = dropColumn(t, flex[len(flex)-1])
			continue
		}
		widths := fill(full, need, flex, room)
		for _, i := range flex {
			level := widths[i]
			if full[i] <= level {
				continue
			}
			t.header[i] = clipCell(t.header[i], level)
			for r, row := range t.rows {
				if displayWidth(row[i]) <= level {
					continue
				}
				if r < len(t.alts) {
					for _, alt := range t.alts[r][i] {
						if row[i] = alt; displayWidth(alt) <= level {
							break
						}
					}
				}
				row[i] = clipCell(row[i], level)
			}
		}
		return t
	}
}

// fill returns the widths of the columns flex within room: the highest
// level such that each column at the level, but at least its need and at
// most its full width, fits. When their needs alone do not fit (a
// single column left), it gets room, but minShrink at least.
func fill(full, need, flex []int, room int) []int {
	widths := append([]int(nil), full...)
	at := func(level int) int {
		n := 0
		for _, i := range flex {
			n += max(need[i], min(full[i], level))
		}
		return n
	}
	if at(0) > room {
		for _, i := range flex {
			widths[i] = max(min(room, full[i]), minShrink)
		}
		return widths
	}
	lo, hi := 0, MaxCellWidth
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if at(mid) <= room {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	for _, i := range flex {
		widths[i] = max(need[i], min(full[i], lo))
	}
	return widths
}

func dropColumn(t table, i int) table {
	del := func(xs []string) []string { return append(xs[:i:i], xs[i+1:]...) }
	out := table{header: del(t.header), numeric: append(t.numeric[:i:i], t.numeric[i+1:]...),
		shrink: append(t.shrink[:i:i], t.shrink[i+1:]...)}
	for _, row := range t.rows {
		out.rows = append(out.rows, del(row))
	}
	for _, row := range t.alts {
		out.alts = append(out.alts, append(row[:i:i], row[i+1:]...))
	}
	return out
}

// displayWidth is how many terminal columns s takes, ANSI colour codes
// left out.
func displayWidth(s string) int {
	w := 0
	for i := 0; i < len(s); {
		if s[i] == 0x1b {
			// "\x1b[...m": skip to the final letter.
			j := i + 1
			for j < len(s) && !(s[j] >= '@' && s[j] <= '~' && j > i+1) {
				j++
			}
			i = j + 1
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		w += runeWidth(r)
		i += size
	}
	return w
}
