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

// renderGrid writes header and rows as a borderless, aligned table, or as
// a Markdown table. numeric marks right-aligned columns. Cells are
// clipped to MaxCellWidth, and the output goes to w a line at a time, so
// what is held besides rows is one line of the table.
func renderGrid(w io.Writer, header []string, rows [][]string, numeric []bool, markdown bool) error {
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
	t := tablewriter.NewTable(lw,
		tablewriter.WithRenderer(r),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithAlignment(align),
		tablewriter.WithTrimSpace(tw.Off),
	)
	t.Header(header)
	for _, row := range rows {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = clipCell(c, MaxCellWidth)
		}
		if err := t.Append(cells); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
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
