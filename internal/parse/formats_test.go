package parse

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// blockedWorker and friends are started by startGoroutines at known sites.
//
//go:noinline
func blockedWorker(stop chan struct{}) { <-stop }

//go:noinline
func labelledWorker(stop chan struct{}) {
	pprof.Do(context.Background(), pprof.Labels("tenant", "t-42", "odd", `a]b "q"`), func(context.Context) {
		<-stop
	})
}

// startGoroutines starts goroutines of this test binary at three sites and
// returns a function that ends them.
func startGoroutines(t *testing.T) (stop func()) {
	t.Helper()
	ch := make(chan struct{})
	var wg sync.WaitGroup
	for range 7 {
		wg.Add(1)
		go func() { defer wg.Done(); blockedWorker(ch) }()
	}
	for range 3 {
		wg.Go(func() { labelledWorker(ch) })
	}
	// Wait until all ten are parked, so every format sees them.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var buf bytes.Buffer
		pprof.Lookup("goroutine").WriteTo(&buf, 1)
		if strings.Count(buf.String(), "blockedWorker") >= 1 && strings.Count(buf.String(), "labelledWorker") >= 1 &&
			goroutinesIn(buf.String(), "blockedWorker") == 7 && goroutinesIn(buf.String(), "labelledWorker") == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("goroutines did not park")
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
	return func() { close(ch); wg.Wait() }
}

// goroutinesIn counts goroutines of debug=1 text whose stack names fn.
func goroutinesIn(text, fn string) int {
	n := 0
	for _, rec := range strings.Split(text, "\n\n") {
		if !strings.Contains(rec, fn) {
			continue
		}
		for _, line := range strings.Split(rec, "\n") {
			if count, _, ok := strings.Cut(line, " @ "); ok {
				c, _ := strconv.Atoi(count)
				n += c
			}
		}
	}
	return n
}

func profileBytes(t *testing.T, name string, debug int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := pprof.Lookup(name).WriteTo(&buf, debug); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestFormatsAgree reads this process's goroutine profile in every format
// and checks that each finds the goroutines started at known sites.
func TestFormatsAgree(t *testing.T) {
	stop := startGoroutines(t)
	defer stop()
	d0, d1, d2 := profileBytes(t, "goroutine", 0), profileBytes(t, "goroutine", 1), profileBytes(t, "goroutine", 2)
	var raw bytes.Buffer
	zr, err := gzip.NewReader(bytes.NewReader(d0))
	if err != nil {
		t.Fatal(err)
	}
	raw.ReadFrom(zr)
	var d2gz bytes.Buffer
	zw := gzip.NewWriter(&d2gz)
	zw.Write(d2)
	zw.Close()

	for _, tc := range []struct {
		name   string
		data   []byte
		format Format
	}{
		{"debug=0", d0, FormatProto},
		{"debug=0 uncompressed", raw.Bytes(), FormatProto},
		{"debug=1", d1, FormatDebug1},
		{"debug=2", d2, FormatDebug2},
		{"debug=2 gzipped", d2gz.Bytes(), FormatDebug2},
	} {
		var labelled int
		snap, err := Read(context.Background(), bytes.NewReader(tc.data), tc.name, Options{Each: func(g *Goroutine) error {
			for _, l := range g.Labels {
				if l.Key == "odd" && l.Value == `a]b "q"` {
					labelled += g.Count
				}
			}
			return nil
		}})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if snap.Format != tc.format {
			t.Errorf("%s: format %q, want %q", tc.name, snap.Format, tc.format)
		}
		if tc.format == FormatProto && snap.Time.IsZero() {
			t.Errorf("%s: no time", tc.name)
		}
		total := 0
		byEntry := map[string]int{}
		for _, s := range snap.Stacks {
			total += s.Count
			byEntry[shortName(s.Entry.Func)] += s.Count
		}
		if total != snap.Goroutines {
			t.Errorf("%s: stacks count %d, snapshot says %d", tc.name, total, snap.Goroutines)
		}
		// The entry function is the closure around the worker: both
		// formats must agree on it, whatever the compiler called it.
		if got := sumMatching(snap, "blockedWorker"); got != 7 {
			t.Errorf("%s: %d goroutines in blockedWorker, want 7 (%v)", tc.name, got, byEntry)
		}
		if got := sumMatching(snap, "labelledWorker"); got != 3 {
			t.Errorf("%s: %d goroutines in labelledWorker, want 3", tc.name, got)
		}
		if tc.format != FormatDebug2 && labelled != 3 {
			t.Errorf("%s: %d goroutines carry the label, want 3", tc.name, labelled)
		}
		if len(snap.Warnings) > 0 && tc.format != FormatProto {
			t.Errorf("%s: warnings %q", tc.name, snap.Warnings)
		}
	}
}

func shortName(fn string) string { return fn[strings.LastIndexByte(fn, '/')+1:] }

func sumMatching(snap *Snapshot, fn string) int {
	n := 0
	for _, s := range snap.Stacks {
		for _, f := range s.Frames {
			if strings.HasSuffix(f.Func, "."+fn) {
				n += s.Count
				break
			}
		}
	}
	return n
}

// TestSites checks the grouping key on this process's own debug=2 dump:
// the go statement for plain goroutines, the code above the helper for
// wg.Go.
func TestSites(t *testing.T) {
	stop := startGoroutines(t)
	defer stop()
	snap, err := Read(context.Background(), bytes.NewReader(profileBytes(t, "goroutine", 2)), "self", Options{})
	if err != nil {
		t.Fatal(err)
	}
	bySite := map[Site]int{}
	for _, s := range snap.Stacks {
		if strings.Contains(s.Entry.Func, "startGoroutines") {
			bySite[s.Site] += s.Count
		}
	}
	var plain, helper int
	for site, n := range bySite {
		switch site.Kind {
		case KeyCreatedBy:
			if !strings.HasSuffix(site.Func, ".startGoroutines") || !strings.HasSuffix(site.File, "formats_test.go") || site.Line == 0 {
				t.Errorf("created-by site %+v", site)
			}
			plain += n
		case KeyHelper:
			if !strings.Contains(site.Func, "startGoroutines.func") || site.File != "" {
				t.Errorf("helper site %+v", site)
			}
			helper += n
		default:
			t.Errorf("unexpected site %+v", site)
		}
	}
	if plain != 7 || helper != 3 || len(bySite) != 2 {
		t.Errorf("sites %v: want 7 goroutines at one go statement and 3 via wg.Go", bySite)
	}
}

func TestNotADump(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("just some text\n"))
	zw.Close()
	heap := profileBytes(t, "heap", 0)
	threads := profileBytes(t, "threadcreate", 1)
	bomb := func() []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(bytes.Repeat([]byte("goroutine 1 [running]:\n"), 100000))
		zw.Close()
		return b.Bytes()
	}()
	tests := []struct {
		name, input, want string
		max               int64
	}{
		{"empty", "", "empty input", 0},
		{"blank", "\n\n  \n", "empty input", 0},
		{"html", "<!DOCTYPE html>\n<html><body><form>Sign in</form></body></html>\n", "an HTML page", 0},
		{"html 404", "<html><head><title>404 Not Found</title></head></html>", "an HTML page", 0},
		{"json", `{"error": "unauthorized"}`, "JSON", 0},
		{"text", "hello world\nthis is a log\n", "no goroutine found", 0},
		{"binary", "\x00\x01\x02\xff\xfe garbage \x00\x00", "binary data that is not a goroutine profile", 0},
		{"gzip of text", gz.String(), "gzip data that is not a goroutine profile", 0},
		{"truncated gzip", gz.String()[:gz.Len()-6], "gzip data", 0},
		{"heap profile", string(heap), "a heap profile, not a goroutine profile", 0},
		{"threadcreate", string(threads), "a threadcreate profile, not a goroutine profile", 0},
		{"over the limit", twoBlocks, "input too large: more than 100 bytes", 100},
		{"gzip bomb", string(bomb), "input too large: more than 1 MiB", 1 << 20},
	}
	for _, tt := range tests {
		_, err := Read(context.Background(), strings.NewReader(tt.input), "in.txt", Options{MaxBytes: tt.max})
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "in.txt: ") || !strings.Contains(msg, tt.want) || strings.Contains(msg, "\n") {
			t.Errorf("%s: error %q, want one line naming in.txt and saying %q", tt.name, msg, tt.want)
		}
		if tt.max > 0 && !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: %v is not ErrTooLarge", tt.name, err)
		}
	}
}

func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	big := strings.Repeat(twoBlocks+"\n", 50000)
	if _, err := Read(ctx, strings.NewReader(big), "big", Options{Workers: 2}); !errors.Is(err, context.Canceled) {
		t.Errorf("Read with a canceled context: %v", err)
	}
}
