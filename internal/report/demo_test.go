package report

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/leakscan/leakscan/internal/diff"
	"github.com/leakscan/leakscan/internal/parse"
)

// demoDir is the demo's real series: examples/leakyservice watched for
// 15 s, 16 samples saved by watch --save (make demo-dumps).
const demoDir = "../../testdata/demo/series"

// savedTime reads the time watch --save puts in a sample's name.
var savedTime = regexp.MustCompile(`^goroutine-(\d{8}T\d{6}\.\d{3}Z)\.txt$`)

// demoFiles returns the demo series' files, oldest first.
func demoFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(demoDir, "goroutine-*.txt"))
	if err != nil || len(files) < 10 {
		t.Fatalf("demo series: %d files, %v", len(files), err)
	}
	return files
}

// demoParse reads one file of the demo series, at the time its name
// gives.
func demoParse(t testing.TB, file string, data []byte) *parse.Snapshot {
	t.Helper()
	m := savedTime.FindStringSubmatch(filepath.Base(file))
	if m == nil {
		t.Fatalf("%s: not a name watch --save gives", file)
	}
	at, err := time.Parse("20060102T150405.000Z", m[1])
	if err != nil {
		t.Fatal(err)
	}
	snap, err := parse.Read(context.Background(), bytes.NewReader(data), filepath.Base(file), parse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	snap.Time = at
	return snap
}

// goroutineID matches a goroutine id in a header or a "created by" line.
var goroutineID = regexp.MustCompile(`(?m)(^goroutine |in goroutine )(\d+)`)

// demoSeries analyses the demo series as leakscan trend does. With
// restart set, its first six samples follow again, 1 s apart, as a new
// process would give them: their goroutine ids start over, at the
// lowest numbers the last sample does not use.
func demoSeries(t testing.TB, restart bool) *diff.Result {
	t.Helper()
	s := diff.NewSeries(diff.Filter{SplitRestarts: true})
	files := demoFiles(t)
	var last *parse.Snapshot
	var lastData []byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		last, lastData = demoParse(t, f, data), data
		if err := s.Add(last); err != nil {
			t.Fatal(err)
		}
	}
	if restart {
		used := map[string]bool{}
		for _, m := range goroutineID.FindAllSubmatch(lastData, -1) {
			used[string(m[2])] = true
		}
		renumber := map[string]string{}
		next := 0
		for i, f := range files[:6] {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			data = goroutineID.ReplaceAllFunc(data, func(b []byte) []byte {
				m := goroutineID.FindSubmatch(b)
				id, ok := renumber[string(m[2])]
				for !ok {
					next++
					if id = strconv.Itoa(next); !used[id] {
						renumber[string(m[2])], ok = id, true
					}
				}
				return append(append([]byte(nil), m[1]...), id...)
			})
			snap := demoParse(t, f, data)
			snap.Time = last.Time.Add(time.Duration(i+1) * time.Second)
			if err := s.Add(snap); err != nil {
				t.Fatal(err)
			}
		}
	}
	return s.Result()
}

// golden compares got with testdata/name, which go test -update rewrites.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v (run go test -update)", name, err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", name, lineDiff(string(want), string(got)))
	}
}

// lineDiff shows how two texts differ, line by line.
func lineDiff(want, got string) string {
	return cmp.Diff(want, got)
}
