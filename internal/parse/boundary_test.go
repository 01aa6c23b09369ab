package parse

import (
	"strings"
	"testing"
)

// TestPrefixMatcher generalises observed log prefixes: digits, the
// stream name and the partial-line flag of container logs may change.
func TestPrefixMatcher(t *testing.T) {
	for _, tc := range []struct {
		prefix, line, rest string
	}{
		{"2024-05-01T12:00:00.123456789Z stderr F ", "2024-05-01T12:00:09.99Z stdout P goroutine 1 [running]:", "goroutine 1 [running]:"},
		{"2024-05-01T12:00:00.123Z ", "2024-05-01T13:59:59.1Z \tmain.go:3", "\tmain.go:3"},
		{"2024/05/01 12:00:00 ", "2024/05/01 12:00:01 ", ""},
		{"app-1  | ", "app-1  | goroutine 7 [select]:", "goroutine 7 [select]:"},
		{"app-1  | ", "app-2  | x", "x"},
		{"2024/05/01 12:00:00 ", "not a prefixed line", "not a prefixed line"},
		{"2024/05/01 12:00:00 ", "2024/05/01 12:00", "2024/05/01 12:00"},
		{"[pod/x] ", "[pod/x]goroutine", "goroutine"},
	} {
		c := newCleaner([]byte(tc.prefix), false)
		if got := string(c.clean([]byte(tc.line))); got != tc.rest {
			t.Errorf("prefix %q, line %q: got %q, want %q", tc.prefix, tc.line, got, tc.rest)
		}
	}
	if c := newCleaner([]byte("  \t"), false); c != nil {
		t.Errorf("a prefix of spaces: cleaner %+v, want none", c)
	}
}

// TestFindCut checks the cuts of small texts: after a blank line, and at
// a header followed by a frame even without a blank line before it, with
// the log prefix removed; never inside a block or a panic value.
func TestFindCut(t *testing.T) {
	noBlank := strings.ReplaceAll(twoBlocks, "\n\n", "\n")
	for _, tc := range []struct {
		name  string
		text  string
		clean *cleaner
		cuts  []string // the lines that begin units
	}{
		{"dump", twoBlocks, nil, []string{"goroutine 7 [select]:"}},
		{"no blank lines", noBlank, nil, []string{"goroutine 7 [select]:"}},
		{"crlf", strings.ReplaceAll(twoBlocks, "\n", "\r\n"), nil, []string{"goroutine 7 [select]:\r"}},
		{"prefixed", prefixLines(noBlank), newCleaner([]byte("2024-05-01T12:00:00.000000000Z "), false), []string{"2024-05-01T12:00:03.000000003Z goroutine 7 [select]:"}},
		{"header in a panic value", "panic: x\ngoroutine 5 [fake]:\n\tnot a frame\nmore\n", nil, nil},
		{"after any blank line", "a\n\nb\nc\n", nil, []string{"b"}},
	} {
		var got []string
		data := []byte(tc.text)
		for from := 0; ; {
			cut, _ := tc.clean.findCut(data, 0, from, -1, true)
			if cut < 0 {
				break
			}
			got = append(got, strings.SplitN(tc.text[cut:], "\n", 2)[0])
			from = cut + 1
		}
		if strings.Join(got, "|") != strings.Join(tc.cuts, "|") {
			t.Errorf("%s: cuts before %q, want %q", tc.name, got, tc.cuts)
		}
	}
}

// TestFrameSlabs checks the frame table's slabs, which grow from 32
// frames, and that a stack of new frames shares them.
func TestFrameSlabs(t *testing.T) {
	var tb frameTable
	for id := range int32(5000) {
		tb.add(uint32(id), Frame{Line: int(id)})
	}
	for id := range int32(5000) {
		if tb.at(id).Line != int(id) {
			t.Fatalf("frame %d: line %d", id, tb.at(id).Line)
		}
	}
	bl := newBuilder()
	g := rawGoroutine{creator: -1}
	for i := range 40 {
		g.frames = append(g.frames, bl.frameID([]byte("main.f"), []byte("/a.go"), i, false))
	}
	s, _ := bl.stackOf(&g)
	if len(s.Frames) != 40 || s.Frames[39].Line != 39 || cap(s.Frames) != 40 {
		t.Errorf("frames %d (cap %d), last %+v", len(s.Frames), cap(s.Frames), s.Frames[len(s.Frames)-1])
	}
}
