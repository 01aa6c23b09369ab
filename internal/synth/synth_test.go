package synth

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"maps"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// naiveCount counts goroutine headers and groups "created by" lines by
// function (without " in goroutine N") and file:line, the dumbest way.
func naiveCount(t *testing.T, dump []byte) Truth {
	t.Helper()
	got := Truth{Sites: map[Site]int{}}
	lines := strings.Split(string(dump), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "goroutine ") {
			got.Goroutines++
		}
		fn, ok := strings.CutPrefix(l, "created by ")
		if !ok {
			continue
		}
		fn, _, _ = strings.Cut(fn, " in goroutine ")
		loc := strings.TrimPrefix(lines[i+1], "\t")
		loc, _, _ = strings.Cut(loc, " +0x")
		colon := strings.LastIndexByte(loc, ':')
		n, err := strconv.Atoi(loc[colon+1:])
		if err != nil {
			t.Fatalf("line %d: bad location %q", i+2, lines[i+1])
		}
		got.Sites[Site{Func: fn, File: loc[:colon], Line: n}]++
	}
	return got
}

func write(t testing.TB, c Config) ([]byte, Truth) {
	t.Helper()
	var buf bytes.Buffer
	tr, err := Write(&buf, c)
	if err != nil {
		t.Fatalf("Write(%+v): %v", c, err)
	}
	return buf.Bytes(), tr
}

func checkTruth(t *testing.T, name string, dump []byte, want Truth) {
	t.Helper()
	got := naiveCount(t, dump)
	if got.Goroutines != want.Goroutines {
		t.Errorf("%s: %d goroutine headers, Truth.Goroutines = %d", name, got.Goroutines, want.Goroutines)
	}
	if !maps.Equal(got.Sites, want.Sites) {
		t.Errorf("%s: naive count of %d sites differs from Truth's %d sites", name, len(got.Sites), len(want.Sites))
		for s, n := range want.Sites {
			if got.Sites[s] != n {
				t.Logf("  %v: counted %d, Truth %d", s, got.Sites[s], n)
			}
		}
	}
}

var configs = []Config{
	{Goroutines: 1},
	{Goroutines: 2, Go121: true},
	{Goroutines: 50, Sites: 3, Seed: 9, MinFrames: 1, MaxFrames: 1},
	{Goroutines: 5_000, Sites: 40, Seed: 1, Go121: true},
	{Goroutines: 5_000, Sites: 40, Seed: 1},
	{Goroutines: 10_000, Seed: 7, Go121: true, FirstID: 1_000_000},
}

func TestWriteTruth(t *testing.T) {
	for _, c := range configs {
		dump, tr := write(t, c)
		checkTruth(t, fmt.Sprintf("%+v", c), dump, tr)
		if tr.Goroutines != c.Goroutines {
			t.Errorf("Write(%+v): Truth.Goroutines = %d", c, tr.Goroutines)
		}
	}
}

func TestWriteDeterministic(t *testing.T) {
	c := Config{Goroutines: 10_000, Sites: 100, Seed: 42, Go121: true}
	a, _ := write(t, c)
	b, _ := write(t, c)
	if sha256.Sum256(a) != sha256.Sum256(b) {
		t.Errorf("Write(%+v) twice gave different bytes", c)
	}
	c.Seed++
	if d, _ := write(t, c); bytes.Equal(a, d) {
		t.Errorf("seeds %d and %d gave the same dump", c.Seed-1, c.Seed)
	}
}

var elidedRE = regexp.MustCompile(`(?m)^\.\.\.\d+ frames elided\.\.\.$`)

// isFunc reports whether l looks like "pkg.F(args)" or "pkg.F(...)".
func isFunc(l string) bool {
	open := strings.IndexByte(l, '(')
	return open > 0 && !strings.ContainsAny(l[:open], " \t") && strings.HasSuffix(l, ")") &&
		strings.Count(l, "{") == strings.Count(l, "}")
}

// isLoc reports whether l looks like "\t/path/file.go:123 +0x1f".
func isLoc(l string) bool {
	rest, ok := strings.CutPrefix(l, "\t/")
	if !ok {
		return false
	}
	if i := strings.Index(rest, " +0x"); i >= 0 {
		if _, err := strconv.ParseUint(rest[i+4:], 16, 64); err != nil {
			return false
		}
		rest = rest[:i]
	}
	colon := strings.LastIndexByte(rest, ':')
	n, err := strconv.Atoi(rest[colon+1:])
	return colon > 0 && strings.HasSuffix(rest[:colon], ".go") && err == nil && n > 0
}

// blocks splits a dump into goroutine blocks and checks the grammar of
// each line; it returns the blocks by header id.
func blocks(t *testing.T, dump []byte) map[uint64]string {
	t.Helper()
	if len(dump) == 0 || dump[len(dump)-1] != '\n' || bytes.HasSuffix(dump, []byte("\n\n")) {
		t.Fatalf("dump must end with exactly one newline")
	}
	out := map[uint64]string{}
	for _, b := range strings.Split(strings.TrimSuffix(string(dump), "\n"), "\n\n") {
		lines := strings.Split(b, "\n")
		head, ok := strings.CutPrefix(lines[0], "goroutine ")
		num, state, ok2 := strings.Cut(head, " [")
		id, err := strconv.ParseUint(num, 10, 64)
		if !ok || !ok2 || err != nil || !strings.HasSuffix(state, "]:") || strings.Contains(state, "[") {
			t.Fatalf("bad header %q", lines[0])
		}
		if _, dup := out[id]; dup {
			t.Fatalf("goroutine %d twice", id)
		}
		out[id] = b
		frames := 0
		for i := 1; i < len(lines); i++ {
			l := lines[i]
			switch {
			case strings.HasPrefix(l, "...") && strings.HasSuffix(l, " elided..."):
			case strings.HasPrefix(l, "created by "):
				if i != len(lines)-2 || !isLoc(lines[i+1]) {
					t.Fatalf("goroutine %d: bad created by at line %d", id, i)
				}
				i++
			case isFunc(l) && i+1 < len(lines) && isLoc(lines[i+1]):
				if strings.HasSuffix(l, "(...)") == strings.Contains(lines[i+1], "+0x") {
					t.Fatalf("goroutine %d: inlined frames, and only they, have no offset: %q %q", id, l, lines[i+1])
				}
				frames++
				i++
			default:
				t.Fatalf("goroutine %d: bad line %q", id, l)
			}
		}
		if frames == 0 || frames > 100 {
			t.Fatalf("goroutine %d has %d frames", id, frames)
		}
	}
	return out
}

func TestWriteFormat(t *testing.T) {
	for _, go121 := range []bool{true, false} {
		c := Config{Goroutines: 20_000, Sites: 200, Seed: 5, Go121: go121}
		dump, _ := write(t, c)
		bs := blocks(t, dump)
		if len(bs) != c.Goroutines {
			t.Errorf("Go121=%v: %d blocks, want %d", go121, len(bs), c.Goroutines)
		}
		if !strings.HasSuffix(strings.SplitN(string(dump), "\n", 2)[0], "[running]:") ||
			!bytes.Contains(dump[:500], []byte("runtime/pprof.writeGoroutineStacks(")) {
			t.Errorf("Go121=%v: the first goroutine is not the dumping one", go121)
		}
		inG := bytes.Contains(dump, []byte(" in goroutine "))
		newElided := elidedRE.Match(dump)
		oldElided := bytes.Contains(dump, []byte("\n...additional frames elided...\n"))
		if inG != go121 || newElided != go121 || oldElided == go121 {
			t.Errorf("Go121=%v: \" in goroutine \" %v, \"...N frames elided...\" %v, \"...additional frames elided...\" %v",
				go121, inG, newElided, oldElided)
		}
		for _, want := range []string{"(...)", "[...]", "%2e", ".func", ", locked to thread]:", " minutes]:", "0x0?", "[chan send (nil chan)", "[sync.Mutex.Lock"} {
			if !bytes.Contains(dump, []byte(want)) {
				t.Errorf("Go121=%v: no %q in the dump", go121, want)
			}
		}
	}
}

func TestWriteSize(t *testing.T) {
	// About 2.4 KB per goroutine, like real servers' dumps.
	n := int64(20_000)
	for seed := range int64(3) {
		var c countingWriter
		if _, err := Write(&c, Config{Goroutines: int(n), Seed: seed, Go121: true}); err != nil {
			t.Fatal(err)
		}
		if per := c.n / n; per < 1500 || per > 4000 {
			t.Errorf("seed %d: %d bytes per goroutine", seed, per)
		}
	}
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

func TestWriteMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 500 MB")
	}
	measure := func(n int) (allocs, bytes uint64) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if _, err := Write(io.Discard, Config{Goroutines: n, Seed: 1, Go121: true}); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return after.Mallocs - before.Mallocs, after.TotalAlloc - before.TotalAlloc
	}
	smallA, _ := measure(2_000)
	bigA, bigB := measure(200_000)
	if bigA > smallA+50 {
		t.Errorf("Write of 200k goroutines: %d allocations, 2k goroutines: %d; want no growth with the count", bigA, smallA)
	}
	if bigB > 16<<20 {
		t.Errorf("Write of 200k goroutines allocated %d bytes, want < 16 MiB", bigB)
	}
	t.Logf("200k goroutines: %d allocations, %d bytes", bigA, bigB)
}

func TestWritePair(t *testing.T) {
	for _, go121 := range []bool{true, false} {
		c := Config{Goroutines: 10_000, Sites: 60, Seed: 11, Go121: go121}
		var a, b bytes.Buffer
		ta, tb, err := WritePair(&a, &b, c, DefaultChange)
		if err != nil {
			t.Fatal(err)
		}
		checkTruth(t, "a", a.Bytes(), ta)
		checkTruth(t, "b", b.Bytes(), tb)
		single, _ := write(t, c)
		if !bytes.Equal(single, a.Bytes()) {
			t.Errorf("Go121=%v: snapshot a differs from Write's dump", go121)
		}
		ba, bb := blocks(t, a.Bytes()), blocks(t, b.Bytes())
		var maxA uint64
		for id := range ba {
			maxA = max(maxA, id)
		}
		kept := 0
		for id, blk := range bb {
			old, ok := ba[id]
			switch {
			case ok:
				kept++
				// Same goroutine: same stack, arguments and parent;
				// only the header (wait minutes) may change.
				_, s1, _ := strings.Cut(old, "\n")
				_, s2, _ := strings.Cut(blk, "\n")
				if s1 != s2 && id != 1 {
					t.Errorf("Go121=%v: goroutine %d changed its stack", go121, id)
				}
			case id <= maxA:
				t.Errorf("Go121=%v: new goroutine %d has an id below a's maximum %d", go121, id, maxA)
			}
		}
		if kept < len(ba)*8/10 {
			t.Errorf("Go121=%v: only %d of %d goroutines kept their id", go121, kept, len(ba))
		}
		grew, shrank := 0, 0
		for s, n := range tb.Sites {
			if n > ta.Sites[s]*14/10 {
				grew++
			}
		}
		for s, n := range ta.Sites {
			if tb.Sites[s] < n*7/10 && n >= 10 {
				shrank++
			}
		}
		if grew < 3 || shrank < 3 {
			t.Errorf("Go121=%v: %d sites grew by 40%%, %d shrank by 30%%; want about %d and %d",
				go121, grew, shrank, DefaultChange.Grow, DefaultChange.Shrink)
		}
	}
}

func TestWriteErrors(t *testing.T) {
	for _, c := range []Config{
		{},
		{Goroutines: 10, FirstID: 1},
		{Goroutines: 10, MinFrames: 10, MaxFrames: 5},
		{Goroutines: 10, Sites: -1},
	} {
		if _, err := Write(io.Discard, c); err == nil {
			t.Errorf("Write(%+v) succeeded, want an error", c)
		}
	}
	if _, _, err := WritePair(io.Discard, io.Discard, Config{Goroutines: 10, Sites: 4}, DefaultChange); err == nil {
		t.Errorf("WritePair with 10 changed sites of 4 succeeded, want an error")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestWriteError(t *testing.T) {
	w := bufio.NewWriterSize(failWriter{}, 16)
	if _, err := Write(w, Config{Goroutines: 1000}); err == nil {
		t.Errorf("Write to a failing writer succeeded")
	}
}

func BenchmarkWrite(b *testing.B) {
	c := Config{Goroutines: 10_000, Seed: 1, Go121: true}
	var cw countingWriter
	if _, err := Write(&cw, c); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(cw.n)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Write(io.Discard, c); err != nil {
			b.Fatal(err)
		}
	}
}
