package parse

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// block writes one goroutine of a synthetic dump: site picks the worker
// function and the go statement.
func block(b *strings.Builder, id uint64, site int) {
	fmt.Fprintf(b, "goroutine %d [chan receive, 3 minutes]:\nmain.worker%d(0xc000012345, {0x6f087c, 0x5})\n\t/app/worker.go:%d +0x2a\nmain.run(...)\n\t/app/run.go:17\ncreated by main.start in goroutine 1\n\t/app/main.go:%d +0x45\n",
		id, site, 10+site, 100+site)
}

// synthDump is n goroutines at sites goroutines, ids from id0 step apart.
func synthDump(n, sites int, id0, step uint64) string {
	var b strings.Builder
	b.WriteString("goroutine 1 [running]:\nmain.main()\n\t/app/main.go:20 +0x1d\n\n")
	for i := range n {
		block(&b, id0+uint64(i)*step, i%sites)
		b.WriteString("\n")
	}
	return b.String()
}

// prefixLines puts a log prefix before every line, as kubectl logs
// --timestamps does.
func prefixLines(text string) string {
	var b strings.Builder
	for i, l := range strings.SplitAfter(text, "\n") {
		if l == "" {
			continue
		}
		fmt.Fprintf(&b, "2024-05-01T12:%02d:%02d.%09dZ ", i/60%60, i%60, i)
		b.WriteString(l)
	}
	return b.String()
}

// siteCounts counts goroutines per site.
func siteCounts(s *Snapshot) map[Site]int {
	m := map[Site]int{}
	for _, st := range s.Stacks {
		m[st.Site] += st.Count
	}
	return m
}

// TestLargeNonDumpText reads text that is no dump and is larger than a
// unit: every path says what it is, as a small input gets. A file once
// read as "0 goroutines", so that a CI gate passed on an HTML page.
func TestLargeNonDumpText(t *testing.T) {
	var html, json, logs strings.Builder
	html.WriteString("<!DOCTYPE html>\n<html><body>\n")
	for html.Len() < 600<<10 {
		html.WriteString("<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>\n")
	}
	json.WriteString("[\n")
	for i := 0; json.Len() < 700<<10; i++ {
		fmt.Fprintf(&json, "  {\"id\": %d, \"goroutine\": \"%d\"},\n", i, i)
	}
	json.WriteString("  {}\n]\n")
	for i := 0; logs.Len() < 2<<20; i++ {
		fmt.Fprintf(&logs, "2024/05/01 12:00:%02d INFO goroutine %d served /api/v1/items/%d\n", i%60, i, i)
	}
	for _, tc := range []struct{ name, text, want string }{
		{"html", html.String(), "an HTML page, not a goroutine dump"},
		{"json", json.String(), "JSON, not a goroutine dump"},
		{"log", logs.String(), "no goroutine found"},
	} {
		_, err := readAll(t, []byte(tc.text), everyPaths, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", tc.name, err, tc.want)
		}
	}
}

// TestDumpAfterLongPreamble reads dumps that start after more than a
// unit of other text: a kubectl log whose prefix must be learnt from the
// dump, and blank lines.
func TestDumpAfterLongPreamble(t *testing.T) {
	dump := synthDump(50, 3, 2, 1)
	want := siteCounts(readString(t, dump))
	var logs strings.Builder
	for i := 0; logs.Len() < 600<<10; i++ {
		fmt.Fprintf(&logs, "level=info msg=\"served request %d\"\n", i)
	}
	blank := strings.Repeat("\n", 600<<10)
	for _, tc := range []struct{ name, text string }{
		{"kubectl log", prefixLines(logs.String() + dump)},
		{"blank lines", blank + dump},
		{"blank lines with spaces", strings.Repeat(" \t\r\n", 200<<10) + dump},
	} {
		snap, err := readAll(t, []byte(tc.text), everyPaths, Options{})
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got := siteCounts(snap); !equalCounts(got, want) || snap.Truncated || len(snap.Warnings) > 0 {
			t.Errorf("%s: sites %v, truncated %v, warnings %q; want %v", tc.name, got, snap.Truncated, snap.Warnings, want)
		}
	}
	// Line numbers count the blank lines that were not read.
	damaged := blank + strings.Replace(dump, "main.run(...)", "???", 1)
	snap, err := readAll(t, []byte(damaged), fewPaths, Options{})
	if err != nil || len(snap.Warnings) == 0 || !strings.HasPrefix(snap.Warnings[0], fmt.Sprintf("line %d:", 600<<10+8)) {
		t.Errorf("warnings %q (%v), want the first at line %d", snap.Warnings, err, 600<<10+8)
	}
}

func equalCounts(a, b map[Site]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func readString(t testing.TB, text string) *Snapshot {
	t.Helper()
	snap, err := Read(context.Background(), strings.NewReader(text), "test", Options{Workers: 1})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return snap
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

type randomBytes struct{ r *rand.ChaCha8 }

func (r randomBytes) Read(p []byte) (int, error) { return r.r.Read(p) }

// TestBinaryInput feeds endless or expanding binary data: it is refused
// from its first bytes, never read on to the limit (2 GiB of memory
// once). Compressed data of other formats is named.
func TestBinaryInput(t *testing.T) {
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zw.Write(make([]byte, 16<<20))
	zw.Close()
	for _, tc := range []struct {
		name string
		r    io.Reader
		want string
	}{
		{"zeros", zeros{}, "binary data that is not a goroutine profile"},
		{"random", randomBytes{rand.NewChaCha8([32]byte{1})}, "binary data that is not a goroutine profile"},
		{"gzip bomb", bytes.NewReader(bomb.Bytes()), "gzip data that is not a goroutine profile"},
		{"zstd", io.MultiReader(strings.NewReader("\x28\xb5\x2f\xfd\x04\x58"), zeros{}), "zstd-compressed data: decompress it first"},
		{"bzip2", io.MultiReader(strings.NewReader("BZh91AY&SY\x01\x02"), zeros{}), "bzip2-compressed data: decompress it first"},
		{"xz", io.MultiReader(strings.NewReader("\xfd7zXZ\x00\x00\x04"), zeros{}), "xz-compressed data: decompress it first"},
		{"lz4", io.MultiReader(strings.NewReader("\x04\x22\x4d\x18\x64\x40"), zeros{}), "lz4-compressed data: decompress it first"},
		{"zip", io.MultiReader(strings.NewReader("PK\x03\x04\x14\x00"), zeros{}), "a zip archive"},
	} {
		cr := &countingReader{r: tc.r}
		_, err := Read(context.Background(), cr, "in", Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
		if cr.n > 1<<20 {
			t.Errorf("%s: read %d bytes to refuse it, want at most 1 MiB", tc.name, cr.n)
		}
	}
	// A protobuf field that claims 100 MiB: read up to the limit, never
	// past it, nor buffered beyond it.
	claim := []byte{6<<3 | 2, 0x80, 0x80, 0x80, 0x32} // string_table, 100 MiB
	cr := &countingReader{r: io.MultiReader(bytes.NewReader(claim), randomBytes{rand.NewChaCha8([32]byte{2})})}
	if _, err := Read(context.Background(), cr, "in", Options{MaxBytes: 4 << 20}); !errors.Is(err, ErrTooLarge) || cr.n > 4<<20+64<<10 {
		t.Errorf("a field of 100 MiB: error %v after %d bytes, want ErrTooLarge after at most 4 MiB", err, cr.n)
	}
}

// TestTextWithStrayBytes reads text dumps with a NUL byte (logrotate's
// copytruncate pads with them) or a few bytes of another encoding: text
// all the same, once taken for protobuf.
func TestTextWithStrayBytes(t *testing.T) {
	want := summarize(t, twoBlocks)
	for name, text := range map[string]string{
		"NUL before":        "\x00" + twoBlocks,
		"NUL in a preamble": "log\x00line\n\n" + twoBlocks,
		"latin-1 preamble":  "caf\xe9 cr\xe8me br\xfbl\xe9e \xe0 la mode\n\n" + twoBlocks,
	} {
		if got := summarize(t, text); got != want {
			t.Errorf("%s: got\n%s\nwant\n%s", name, got, want)
		}
	}
	// Every uncompressed protobuf of the corpus is still one.
	for _, name := range corpusFiles(t, "*.pb.gz") {
		data, _ := os.ReadFile(name)
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(zr)
		if !looksProto(raw[:min(len(raw), sniffSize)], len(raw) <= sniffSize) {
			t.Errorf("%s: not recognised as protobuf", name)
		}
	}
	for _, name := range corpusFiles(t, "*.txt") {
		data, _ := os.ReadFile(name)
		if looksProto(data[:min(len(data), sniffSize)], len(data) <= sniffSize) || !looksText(data) {
			t.Errorf("%s: text taken for protobuf", name)
		}
	}
}

// TestCutAfterLocation cuts a dump right after a location line: the cut
// goroutine is not counted at a made-up site, and the snapshot says it
// was cut; the message blames the runtime's 64 MiB limit only when the
// input has that size.
func TestCutAfterLocation(t *testing.T) {
	text := twoBlocks[:strings.Index(twoBlocks, "created by")]
	snap, err := readAll(t, []byte(text), somePaths, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !snap.Truncated || snap.Goroutines != 1 || len(snap.Stacks) != 1 || snap.Stacks[0].Site.Func != "main.main" {
		t.Errorf("truncated %v, %d goroutines in %d stacks; want truncated, goroutine 1 alone", snap.Truncated, snap.Goroutines, len(snap.Stacks))
	}
	w := strings.Join(snap.Warnings, "\n")
	if !strings.Contains(w, "goroutine 7, which is not counted (truncated)") || strings.Contains(w, "64 MiB") {
		t.Errorf("warnings %q: want goroutine 7 named, and no 64 MiB", snap.Warnings)
	}
	for _, tc := range []struct {
		total int64
		blame bool
	}{{int64(len(text)), false}, {dumpLimit, true}, {dumpLimit + 1, true}, {dumpLimit - 3, true}, {dumpLimit + 1<<20, false}} {
		snap, err := readTextStream(context.Background(), []byte(text), nil, true, textStart{}, Options{}, func() int64 { return tc.total })
		if err != nil {
			t.Fatal(err)
		}
		w := strings.Join(snap.Warnings, "\n")
		if strings.Contains(w, "the runtime cuts debug=2 dumps at 64 MiB") != tc.blame {
			t.Errorf("input of %d bytes: warnings %q; want the 64 MiB limit blamed: %v", tc.total, snap.Warnings, tc.blame)
		}
	}
}

// TestLegitimatelyNoCreator ends inputs with goroutines that have no
// "created by" line and are complete: they are counted, and nothing was
// cut.
func TestLegitimatelyNoCreator(t *testing.T) {
	g7 := twoBlocks[strings.Index(twoBlocks, "goroutine 7"):]
	others := g7 + "\n" + strings.Replace(g7, "goroutine 7 ", "goroutine 8 ", 1)
	for name, last := range map[string]string{
		"main goroutine":              "goroutine 1 [chan receive]:\nmain.run()\n\t/app/main.go:9 +0x1\nmain.main()\n\t/app/main.go:20 +0x1d\n",
		"main at GOTRACEBACK=system":  "goroutine 1 gp=0xc000002380 m=nil [chan receive]:\nmain.main()\n\t/app/main.go:20 +0x1d fp=0x1 sp=0x2 pc=0x3\nruntime.main()\n\t/go/src/runtime/proc.go:283 +0x28b fp=0x1 sp=0x2 pc=0x3\nruntime.goexit({})\n\t/go/src/runtime/asm_amd64.s:1700 +0x1 fp=0x1 sp=0x2 pc=0x3\n",
		"main on another thread":      "goroutine 1 [running]:\n\tgoroutine running on other thread; stack unavailable\n",
		"cgo thread":                  "goroutine 17 [syscall, locked to thread]:\nruntime.goexit()\n\t/go/src/runtime/asm_amd64.s:1700 +0x1\n",
		"cgo callback":                "goroutine 18 [running, locked to thread]:\nmain._cgoexp_a1b2c3_goCallback(0x7ffd)\n\t_cgo_gotypes.go:61 +0x2a\nruntime.cgocallbackg1(0x4b2c40, 0x7ffd, 0x0)\n\t/go/src/runtime/cgocall.go:403 +0x2b5\n",
		"main, bottom elided (<1.21)": "goroutine 1 [running]:\nmain.recurse(0x0)\n\t/app/main.go:12 +0x3c\n...additional frames elided...\n",
	} {
		text := others + "\n" + last
		snap, err := readAll(t, []byte(text), somePaths, Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if snap.Truncated || snap.Goroutines != 3 || len(snap.Warnings) > 0 {
			t.Errorf("%s: truncated %v, %d goroutines, warnings %q; want 3 goroutines, not truncated", name, snap.Truncated, snap.Goroutines, snap.Warnings)
		}
	}
	// And their look-alikes are cut: a goroutine's last frame before its
	// "created by", a not-started goroutine, a goroutine on another thread.
	for name, last := range map[string]string{
		"created by cut":       "goroutine 13 [select]:\nmain.worker(0x0?)\n\t/app/main.go:9 +0x2a\n",
		"not started, cut":     "goroutine 9 [runnable]:\nruntime.goexit({})\n\t/go/src/runtime/asm_amd64.s:1700 +0x1\n",
		"system level, cut":    "goroutine 14 gp=0xc0 m=nil [select]:\nmain.worker(0x0?)\n\t/app/main.go:9 +0x2a fp=0x1 sp=0x2 pc=0x3\nruntime.goexit({})\n\t/go/src/runtime/asm_amd64.s:1700 +0x1 fp=0x1 sp=0x2 pc=0x3\n",
		"other thread, cut":    "goroutine 10 [running]:\n\tgoroutine running on other thread; stack unavailable\n",
		"line number cut":      "goroutine 11 [select]:\nmain.worker(0x0?)\n\t/app/main.go:9 +0x2a\ncreated by main.main in goroutine 1\n\t/app/main.go:1",
		"main goroutine, cut":  "goroutine 1 [chan receive]:\nmain.run()\n\t/app/main.go:9 +0x1\n",
		"header in panic, cut": "panic: boom\ngoroutine 12 [running]:\nmain.f()\n",
	} {
		text := others + "\n" + last
		snap, err := readAll(t, []byte(text), somePaths, Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !snap.Truncated || snap.Goroutines != 2 {
			t.Errorf("%s: truncated %v, %d goroutines; want truncated, 2 goroutines", name, snap.Truncated, snap.Goroutines)
		}
	}
}

// TestMaxStacks fails an input with more distinct stacks than allowed,
// on every path and in every format.
func TestMaxStacks(t *testing.T) {
	text := synthDump(30, 10, 2, 1) // 10 stacks, and goroutine 1's
	for _, max := range []int{10, 11} {
		_, err := readAll(t, []byte(text), everyPaths, Options{MaxStacks: max})
		if tooMany := max < 11; errors.Is(err, ErrTooManyStacks) != tooMany || tooMany && !strings.Contains(err.Error(), "more than 10") {
			t.Errorf("MaxStacks %d: error %v", max, err)
		}
	}
	d1 := profileBytes(t, "goroutine", 1)
	d0 := profileBytes(t, "goroutine", 0)
	for name, data := range map[string][]byte{"debug=1": d1, "protobuf": d0} {
		if _, err := Read(context.Background(), bytes.NewReader(data), name, Options{MaxStacks: 1}); !errors.Is(err, ErrTooManyStacks) {
			t.Errorf("%s, MaxStacks 1: error %v", name, err)
		}
	}
}

// TestHeaderNumbers reads goroutine ids past 2^64 and wait times that no
// runtime prints: refused with a warning, never wrapped.
func TestHeaderNumbers(t *testing.T) {
	snap := readString(t, twoBlocksWith("goroutine 18446744073709551616 [select]:"))
	if snap.Goroutines != 1 || !strings.Contains(strings.Join(snap.Warnings, " "), "does not fit in 64 bits") {
		t.Errorf("id 2^64: %d goroutines, warnings %q; want goroutine 1 only and a warning", snap.Goroutines, snap.Warnings)
	}
	for _, minutes := range []string{"-5", "99999999999999999999", "3000000000"} {
		gs, snap := goroutines(t, twoBlocksWith("goroutine 7 [select, "+minutes+" minutes]:"))
		if len(gs) != 2 || gs[1].WaitMinutes != 0 || len(snap.Warnings) != 1 || !strings.Contains(snap.Warnings[0], "wait time") {
			t.Errorf("%s minutes: %d goroutines, warnings %q", minutes, len(gs), snap.Warnings)
		}
	}
}

// TestGiantBlock reads blocks larger than a unit and than a buffer, with
// and without log prefixes: read whole, once, on every path.
func TestGiantBlock(t *testing.T) {
	var b strings.Builder
	b.WriteString(twoBlocks + "\n")
	b.WriteString("goroutine 9 [running]:\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "main.recurse%d(0x0?)\n\t/app/main.go:%d +0x3c\n", i%100, i%500)
	}
	b.WriteString("created by main.main in goroutine 1\n\t/app/main.go:30 +0x45\n\n")
	b.WriteString(strings.Replace(twoBlocks, "goroutine 7 ", "goroutine 10 ", 1)[len("goroutine 1 [chan receive]:\nmain.main()\n\t/app/main.go:20 +0x1d\n\n"):])
	text := b.String()
	for _, prefixed := range []bool{false, true} {
		if prefixed {
			text = prefixLines(text)
		}
		withSizes(4<<10, 1<<10, 1<<20, func() {
			snap, err := readAll(t, []byte(text), everyPaths, Options{})
			if err != nil {
				t.Fatal(err)
			}
			frames := 0
			for _, s := range snap.Stacks {
				if s.Creator.Line == 30 {
					frames = len(s.Frames)
				}
			}
			if snap.Goroutines != 4 || frames != 3000 || len(snap.Warnings) > 0 {
				t.Errorf("prefixed %v: %d goroutines, giant one with %d frames, warnings %q", prefixed, snap.Goroutines, frames, snap.Warnings)
			}
		})
	}
}

// TestLongLine reads a line longer than maxLine: its start is read, and
// every path agrees on it.
func TestLongLine(t *testing.T) {
	text := "preamble " + strings.Repeat("x", 5000) + "\n\n" + twoBlocks
	withSizes(1<<10, 512, 2048, func() {
		snap, err := readAll(t, []byte(text), everyPaths, Options{})
		if err != nil || snap.Goroutines != 2 || len(snap.Warnings) != 1 || !strings.Contains(snap.Warnings[0], "line 1: line longer than 2 KiB") {
			t.Errorf("%v, %+v", err, snap)
		}
	})
}

// TestPanicWithoutBlankLine reads crash output whose blank line after the
// cause was lost: the goroutine that panicked is read, as after
// "fatal error:" and "SIGQUIT:", while a header inside a multi-line panic
// value is still part of the value.
func TestPanicWithoutBlankLine(t *testing.T) {
	for _, name := range corpusFiles(t, "crash.*.txt") {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		i := bytes.Index(data, []byte("\n\ngoroutine "))
		if i < 0 {
			continue
		}
		lost := append(append([]byte(nil), data[:i+1]...), data[i+2:]...)
		want := renderSnapshot(readFile(t, name, Options{}))
		got, err := readAll(t, lost, fewPaths, Options{})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if d := diffLines(want, renderSnapshot(got)); d != "" {
			rel, _ := filepath.Rel(corpusDir, name)
			t.Errorf("%s without the blank line before the first goroutine: (-want +got)\n%s", rel, d)
		}
	}
	for _, tc := range []struct{ text, cause string }{
		{"panic: boom\ngoroutine 1 [running]:\nmain.main()\n\t/app/main.go:3 +0x1\n", "panic: boom"},
		{"panic: boom\n[recovered]\ngoroutine 1 [running]:\nmain.main()\n\t/app/main.go:3 +0x1\n", "panic: boom"},
		{"fatal error: all goroutines are asleep - deadlock!\ngoroutine 1 [running]:\nmain.main()\n\t/app/main.go:3 +0x1\n", "fatal error: all goroutines are asleep - deadlock!"},
		{"panic: line one\ngoroutine 99 [fake]:\n\tstill the value\ngoroutine 1 [running]:\nmain.main()\n\t/app/main.go:3 +0x1\n", "panic: line one"},
	} {
		snap, err := readAll(t, []byte(tc.text), somePaths, Options{})
		if err != nil || snap.Goroutines != 1 || snap.Stacks[0].IDs.Has(99) || snap.Cause != tc.cause || len(snap.Warnings) > 0 {
			t.Errorf("%q: %v, %s", tc.text, err, renderSnapshot(snap))
		}
	}
}

// TestLargeStreams reads inputs of more than maxChunk (16 MiB, the size
// once cut mid-goroutine) as a stream: a kubectl log of one site, and a
// dump without blank lines.
func TestLargeStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 2 x 17 MB")
	}
	for _, tc := range []struct {
		name   string
		n      int
		sites  int
		mangle func(string) string
	}{
		{"kubectl", 60000, 1, prefixLines},
		{"no blank lines", 90000, 202, func(s string) string { return strings.ReplaceAll(s, "\n\n", "\n") }},
	} {
		plain := synthDump(tc.n, tc.sites, 2, 1)
		text := tc.mangle(plain)
		if len(text) < 17<<20 {
			t.Fatalf("%s: %d bytes, want more than 16 MiB", tc.name, len(text))
		}
		want := siteCounts(readString(t, plain))
		for _, workers := range []int{1, 2} {
			snap, err := Read(context.Background(), io.MultiReader(strings.NewReader(text)), "in", Options{Workers: workers})
			if err != nil {
				t.Fatal(err)
			}
			if got := siteCounts(snap); !equalCounts(got, want) || len(snap.Warnings) > 0 {
				t.Errorf("%s, %d workers: %d sites (want %d), warnings %q", tc.name, workers, len(got), len(want), snap.Warnings)
			}
		}
	}
}

// TestTwoDumps reads two dumps of one process in one file: the corpus's
// snapshots a and b, appended. Every id of a that is still alive repeats
// in b; the snapshot is b's, and says so.
func TestTwoDumps(t *testing.T) {
	for _, a := range corpusFiles(t, "a.debug2.txt") {
		b := strings.TrimSuffix(a, "a.debug2.txt") + "b.debug2.txt"
		da, _ := os.ReadFile(a)
		db, _ := os.ReadFile(b)
		both := append(append(append([]byte(nil), da...), "\n"...), db...)
		snap, err := readAll(t, both, somePaths, Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := readFile(t, b, Options{})
		if snap.EarlierDumps != 1 || len(snap.Warnings) != 1 || !strings.Contains(snap.Warnings[0], "holds 2 dumps") {
			t.Errorf("%s: earlier dumps %d, warnings %q", a, snap.EarlierDumps, snap.Warnings)
		}
		snap.Warnings, snap.EarlierDumps = nil, 0
		if d := diffLines(renderSnapshot(want), renderSnapshot(snap)); d != "" {
			t.Errorf("%s then b: not b's snapshot (-b +both)\n%s", filepath.Base(filepath.Dir(a)), d)
		}
	}
}

// TestCancelAtEnd cancels the context once the input has been read: the
// work left (parsing, merging) stops too, on every path.
func TestCancelAtEnd(t *testing.T) {
	dump := []byte(synthDump(20000, 7, 2, 1<<16))
	for _, p := range everyPath(everyPaths, len(dump)) {
		ctx, cancel := context.WithCancel(context.Background())
		r := &cancelAtEOF{r: p.open(t, dump), cancel: cancel}
		var in io.Reader = r
		if ra, ok := r.r.(interface {
			io.ReaderAt
			io.Seeker
			Size() int64
		}); ok {
			in = &cancelAtEOFAt{cancelAtEOF: r, ra: ra, size: ra.Size()}
		} else if f, ok := r.r.(*os.File); ok {
			st, _ := f.Stat()
			in = &cancelAtEOFAt{cancelAtEOF: r, ra: f, size: st.Size()}
		}
		_, err := Read(ctx, in, "in", p.opts)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: error %v, want context.Canceled", p.name, err)
		}
		cancel()
	}
}

// cancelAtEOF cancels a context when its reader ends.
type cancelAtEOF struct {
	r      io.Reader
	cancel func()
}

func (c *cancelAtEOF) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF {
		c.cancel()
	}
	return n, err
}

type cancelAtEOFAt struct {
	*cancelAtEOF
	ra interface {
		io.ReaderAt
		io.Seeker
	}
	size int64
}

func (c *cancelAtEOFAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.ra.ReadAt(p, off)
	if off+int64(n) >= c.size {
		c.cancel()
	}
	return n, err
}

func (c *cancelAtEOFAt) Seek(off int64, whence int) (int64, error) { return c.ra.Seek(off, whence) }
func (c *cancelAtEOFAt) Size() int64                               { return c.size }

// failingAt is an input that fails once reading reaches offset at.
type failingAt struct {
	*bytes.Reader
	at int64
}

var errDisk = errors.New("disk on fire")

func (f failingAt) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > f.at {
		return 0, errDisk
	}
	return f.Reader.ReadAt(p, off)
}

// TestReadErrors fails reading a file and a stream in the middle: Read
// returns the error, whatever the workers were doing.
func TestReadErrors(t *testing.T) {
	dump := []byte(synthDump(40000, 7, 2, 1))
	for _, workers := range []int{1, 2, 8} {
		for _, at := range []int64{int64(len(dump)) / 3, int64(len(dump)) - 100} {
			_, err := Read(context.Background(), failingAt{bytes.NewReader(dump), at}, "in", Options{Workers: workers})
			if !errors.Is(err, errDisk) {
				t.Errorf("file failing at %d, %d workers: error %v", at, workers, err)
			}
			r := io.MultiReader(bytes.NewReader(dump[:at]), iotestErr{})
			if _, err := Read(context.Background(), r, "in", Options{Workers: workers}); !errors.Is(err, errDisk) {
				t.Errorf("stream failing at %d, %d workers: error %v", at, workers, err)
			}
		}
	}
}

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errDisk }

// TestTooManyFrames reads a goroutine of more frames than any runtime
// prints: the first maxFrames are kept, the stack is marked cut, and a
// warning says so.
func TestTooManyFrames(t *testing.T) {
	var b strings.Builder
	b.WriteString("goroutine 9 [running]:\n")
	for i := range maxFrames + 10 {
		fmt.Fprintf(&b, "main.f%d()\n\t/app/main.go:%d +0x1\n", i%7, i%7+1)
	}
	b.WriteString("created by main.main in goroutine 1\n\t/app/main.go:30 +0x45\n")
	snap, err := readAll(t, []byte(b.String()), fewPaths, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Stacks) != 1 || len(snap.Stacks[0].Frames) != maxFrames || !snap.Stacks[0].Cut ||
		len(snap.Warnings) != 1 || !strings.Contains(snap.Warnings[0], "more than 65536 frames") {
		t.Errorf("%d stacks, warnings %q", len(snap.Stacks), snap.Warnings)
	}
}
