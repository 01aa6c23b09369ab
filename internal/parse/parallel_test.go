package parse

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

//go:noinline
func parkA(stop chan struct{}) { <-stop }

//go:noinline
func parkB(stop chan struct{}, mu *sync.Mutex) {
	mu.Lock()
	defer mu.Unlock() //nolint:staticcheck // empty critical section on purpose
	<-stop
}

// bigDump returns a real debug=2 dump of this process with thousands of
// goroutines, several megabytes: many chunks for the parallel parser.
func bigDump(t testing.TB, n int) []byte {
	t.Helper()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := range n {
		wg.Add(1)
		if i%3 == 0 {
			go func() { defer wg.Done(); parkB(stop, &mu) }()
		} else {
			go func() { defer wg.Done(); parkA(stop) }()
		}
	}
	waitFor(t, "parkA", n-n/3-1)
	var buf bytes.Buffer
	pprof.Lookup("goroutine").WriteTo(&buf, 2)
	close(stop)
	wg.Wait()
	return buf.Bytes()
}

// waitFor polls until at least n goroutines run fn.
func waitFor(t testing.TB, fn string, n int) {
	t.Helper()
	for range 10000 {
		var buf bytes.Buffer
		pprof.Lookup("goroutine").WriteTo(&buf, 1)
		if goroutinesIn(buf.String(), fn) >= n {
			return
		}
	}
	t.Fatalf("fewer than %d goroutines in %s", n, fn)
}

// TestParallelMatchesSequential parses one large dump with one worker and
// with several, through the same and through tiny reads: the chunking
// must never change the result.
func TestParallelMatchesSequential(t *testing.T) {
	dump := bigDump(t, 12000)
	if len(dump) < 3*unitSize {
		t.Fatalf("dump of %d bytes is too small to test chunking", len(dump))
	}
	want := snapshotText(t, bytes.NewReader(dump), Options{Workers: 1})
	if !strings.Contains(want, "parkA") {
		t.Fatalf("dump lacks the test's goroutines:\n%s", want[:min(len(want), 2000)])
	}
	for _, workers := range []int{2, 3, 8} {
		got := snapshotText(t, bytes.NewReader(dump), Options{Workers: workers})
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("workers=%d: (-sequential +parallel)\n%s", workers, d)
		}
	}
	// A stream (no io.ReaderAt), as from stdin: chunks handed to workers.
	for _, workers := range []int{1, 3} {
		got := snapshotText(t, io.MultiReader(bytes.NewReader(dump)), Options{Workers: workers})
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("stream, workers=%d: (-sequential +parallel)\n%s", workers, d)
		}
	}
	// A reader that returns a few bytes at a time, like a slow pipe.
	got := snapshotText(t, &trickle{r: bytes.NewReader(dump), n: 4093}, Options{Workers: 2})
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("trickled: (-sequential +parallel)\n%s", d)
	}
	// A damaged line deep inside: its warning names the same line whoever
	// reads it.
	lines := bytes.SplitAfter(dump, []byte("\n"))
	at := len(lines) * 2 / 3
	for !bytes.HasPrefix(lines[at], []byte("\t")) {
		at++
	}
	damaged := bytes.Join(append(append(append([][]byte{}, lines[:at+1]...), []byte("???garbage\n")), lines[at+1:]...), nil)
	wantLine := fmt.Sprintf("line %d: unexpected line", at+2)
	seq := snapshotText(t, bytes.NewReader(damaged), Options{Workers: 1})
	if !strings.Contains(seq, wantLine) {
		t.Errorf("damaged: warnings do not say %q:\n%s", wantLine, seq[:strings.IndexByte(seq, '\n')])
	}
	if got := snapshotText(t, bytes.NewReader(damaged), Options{Workers: 3}); got != seq {
		t.Errorf("damaged: parallel differs from sequential:\n%s", cmp.Diff(seq, got))
	}
	// The same dump as crash output with CRLF line ends.
	crlf := append([]byte("panic: boom\r\n\r\n"), bytes.ReplaceAll(dump, []byte("\n"), []byte("\r\n"))...)
	got = snapshotText(t, bytes.NewReader(crlf), Options{Workers: 4})
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("crlf: (-sequential +parallel)\n%s", d)
	}
}

type trickle struct {
	r interface{ Read([]byte) (int, error) }
	n int
}

func (t *trickle) Read(p []byte) (int, error) { return t.r.Read(p[:min(len(p), t.n)]) }

// snapshotText renders everything a snapshot holds, ids included.
func snapshotText(t testing.TB, r interface{ Read([]byte) (int, error) }, opts Options) string {
	t.Helper()
	snap, err := Read(context.Background(), r, "big", opts)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "goroutines %d truncated %v warnings %q\n", snap.Goroutines, snap.Truncated, snap.Warnings)
	for _, s := range snap.Stacks {
		fmt.Fprintf(&b, "%v count=%d leaked=%d locked=%d states=%v entry=%v wait=%v cut=%v\n",
			s.Site, s.Count, s.Leaked, s.Locked, s.States, s.Entry, s.Wait, s.Cut)
		for _, f := range s.Frames {
			fmt.Fprintf(&b, "\t%v\n", f)
		}
		ids := 0
		var sum uint64
		s.IDs.Each(func(id uint64) { ids++; sum += id })
		fmt.Fprintf(&b, "\tids %d sum %d\n", ids, sum)
	}
	return b.String()
}

// TestRegionEdges puts goroutine headers exactly at region boundaries,
// and one just after, with LF and CRLF line ends: each block must be read
// once, by the region its header starts in.
func TestRegionEdges(t *testing.T) {
	block := "goroutine 7 [select]:\nmain.worker(0x0?)\n\t/app/main.go:9 +0x2a\ncreated by main.main in goroutine 1\n\t/app/main.go:15 +0x45\n\n"
	for _, nl := range []string{"\n", "\r\n"} {
		b := strings.ReplaceAll(block, "\n", nl)
		for _, shift := range []int{-1, 0, 1, 2, 3, 4, 5} {
			// Filler lines, then blocks so that one header starts at
			// regionSize+shift.
			var text strings.Builder
			for text.Len() < unitSize-300 {
				text.WriteString("log line before the dump" + nl)
			}
			text.WriteString(nl)
			pad := unitSize + shift - text.Len()
			text.WriteString(strings.Repeat("x", max(pad-len(nl)*2, 0)) + nl + nl)
			for text.Len() < 3*unitSize {
				text.WriteString(b)
			}
			data := []byte(text.String())
			want := snapshotText(t, io.MultiReader(bytes.NewReader(data)), Options{Workers: 1})
			got := snapshotText(t, bytes.NewReader(data), Options{Workers: 3})
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("shift %d, %q: (-stream +regions)\n%s", shift, nl, d)
			}
		}
	}
}
