package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// events writes go test -json lines: each element is action, package,
// test, output and, optionally, elapsed seconds.
func events(t *testing.T, evs ...[]string) *bytes.Buffer {
	t.Helper()
	var b bytes.Buffer
	for _, e := range evs {
		ev := event{Action: e[0], Package: e[1], Test: e[2], Output: e[3]}
		if len(e) > 4 {
			ev.Elapsed, _ = strconv.ParseFloat(e[4], 64)
		}
		line, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(append(line, '\n'))
	}
	return &b
}

func TestWithJSON(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		goTest   bool
	}{
		{"go test -race ./...", "go test -json -race ./...", true},
		{"go -C bench test ./...", "go -C bench test -json ./...", true},
		{"/usr/local/go/bin/go test .", "/usr/local/go/bin/go test -json .", true},
		{"go vet ./...", "go vet ./...", false},
		{"sh -c true", "sh -c true", false},
	} {
		got, goTest := withJSON(strings.Fields(tc.in))
		if strings.Join(got, " ") != tc.want || goTest != tc.goTest {
			t.Errorf("withJSON(%q) = %q, %v; want %q, %v", tc.in, got, goTest, tc.want, tc.goTest)
		}
	}
}

// TestOnlyFailuresShown: a failed run shows the failed tests' output and
// their package's lines, never a passing test's, a fuzzer's progress or a
// benchmark's line; the record counts every outcome, and names the
// failed subtest, not its parent too.
func TestOnlyFailuresShown(t *testing.T) {
	in := events(t,
		[]string{"start", "x/a", "", ""},
		[]string{"run", "x/a", "TestOK", ""},
		[]string{"output", "x/a", "TestOK", "    a_test.go:5: noise\n"},
		[]string{"pass", "x/a", "TestOK", ""},
		[]string{"run", "x/a", "TestSkip", ""},
		[]string{"skip", "x/a", "TestSkip", ""},
		[]string{"run", "x/a", "TestBad", ""},
		[]string{"run", "x/a", "TestBad/sub", ""},
		[]string{"output", "x/a", "TestBad/sub", "    a_test.go:7: boom\n"},
		[]string{"fail", "x/a", "TestBad/sub", ""},
		[]string{"output", "x/a", "TestBad", "--- FAIL: TestBad (0.00s)\n"},
		[]string{"fail", "x/a", "TestBad", ""},
		[]string{"output", "x/a", "", "FAIL\tx/a\t0.01s\n"},
		[]string{"fail", "x/a", "", ""},
		[]string{"start", "x/b", "", ""},
		[]string{"run", "x/b", "BenchmarkRead", ""},
		[]string{"output", "x/b", "BenchmarkRead", "BenchmarkRead-2   \t       1\t  19567654 ns/op\n"},
		[]string{"run", "x/b", "BenchmarkFit/100", ""},
		[]string{"output", "x/b", "BenchmarkFit/100", "BenchmarkFit/100\n"},
		[]string{"output", "x/b", "BenchmarkFit/100", "BenchmarkFit/100-2         \t"},
		[]string{"output", "x/b", "BenchmarkFit/100", "       1\t    149002 ns/op\n"},
		[]string{"run", "x/b", "FuzzRead", ""},
		[]string{"output", "x/b", "FuzzRead", "fuzz: elapsed: 3s, execs: 4658 (1553/sec)\n"},
		[]string{"pass", "x/b", "FuzzRead", "", "10.3"},
		[]string{"output", "x/b", "", "ok  \tx/b\t0.2s\n"},
		[]string{"pass", "x/b", "", ""},
	)
	run := readEvents(in, nil, nil)
	rec := run.record("unit", true)
	want := record{Step: "unit", Packages: 2, Passed: 1, Skipped: 1, Failed: []string{"TestBad/sub"}, Benchmarks: 2, Fuzzed: []string{"FuzzRead"}, FuzzSeconds: 10.3}
	if rec.OK || rec.Packages != want.Packages || rec.Passed != want.Passed || rec.Skipped != want.Skipped ||
		!slices.Equal(rec.Failed, want.Failed) || rec.Benchmarks != want.Benchmarks || !slices.Equal(rec.Fuzzed, want.Fuzzed) || rec.FuzzSeconds != want.FuzzSeconds {
		t.Errorf("record = %+v, want %+v", rec, want)
	}
	var out bytes.Buffer
	run.failures(&out)
	got := out.String()
	if want := "    a_test.go:7: boom\n--- FAIL: TestBad (0.00s)\nFAIL\tx/a\t0.01s\n"; got != want {
		t.Errorf("failures:\n%s\nwant:\n%s", got, want)
	}
}

// TestBuildFailureShown: a package that does not build fails the run,
// with its compiler output, though no test failed.
func TestBuildFailureShown(t *testing.T) {
	var in bytes.Buffer
	for _, e := range []event{
		{Action: "build-output", ImportPath: "x/b [x/b.test]", Output: "b_test.go:5:40: cannot use \"s\" as int value\n"},
		{Action: "build-fail", ImportPath: "x/b [x/b.test]"},
		{Action: "fail", Package: "x/b"},
	} {
		line, _ := json.Marshal(e)
		in.Write(append(line, '\n'))
	}
	in.WriteString("not an event\n")
	run := readEvents(&in, nil, nil)
	if rec := run.record("unit", false); rec.OK {
		t.Errorf("record of a failed build: ok")
	}
	var out bytes.Buffer
	run.failures(&out)
	for _, want := range []string{"cannot use", "not an event"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("failures %q lack %q", out.String(), want)
		}
	}
}

// TestSteps runs real commands as steps: a failing one shows its output,
// a passing one only its line.
func TestSteps(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := testsum([]string{"-step", "fails", "--", "sh", "-c", "echo visible; exit 3"}, &out, &errOut); code != 1 {
		t.Errorf("a failing step: exit %d, want 1", code)
	}
	if got := out.String(); !strings.HasPrefix(got, "visible\n") || !strings.Contains(got, "fails: FAIL in ") {
		t.Errorf("a failing step printed %q; want its output, then its line", got)
	}
	out.Reset()
	if code := testsum([]string{"-step", "rules", "--", "sh", "-c", "echo promtool not found; exit 77"}, &out, &errOut); code != 0 {
		t.Errorf("a skipped step: exit %d, want 0", code)
	}
	if got, want := out.String(), "rules: skipped: promtool not found\n"; got != want {
		t.Errorf("a skipped step printed %q, want %q", got, want)
	}
	out.Reset()
	if code := testsum([]string{"-step", "passes", "--", "sh", "-c", "echo hidden"}, &out, &errOut); code != 0 {
		t.Errorf("a passing step: exit %d, want 0", code)
	}
	if got := out.String(); strings.Contains(got, "hidden") || !strings.HasPrefix(got, "passes: ok in ") {
		t.Errorf("a passing step printed %q; want its line alone", got)
	}
}

// TestTally: a tally sums up its steps in one line, and fails when a step
// or make did.
func TestTally(t *testing.T) {
	tally := t.TempDir() + "/tally"
	var out, errOut bytes.Buffer
	for _, args := range [][]string{
		{"-tally", tally, "-start"},
		{"-tally", tally, "-step", "gofmt", "--", "true"},
		{"-tally", tally, "-step", "vet", "--", "true"},
	} {
		if code := testsum(args, &out, &errOut); code != 0 {
			t.Fatalf("testsum %q: exit %d, %s", args, code, errOut.String())
		}
	}
	if out.Len() > 0 {
		t.Errorf("steps with a tally printed %q; want nothing", out.String())
	}
	if code := testsum([]string{"-tally", tally, "-summary"}, &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "make test: ok in ") {
		t.Errorf("summary: exit %d, %q; want 0 and make test: ok", code, out.String())
	}
	out.Reset()
	if code := testsum([]string{"-tally", tally, "-summary", "-status", "2"}, &out, &errOut); code != 1 || !strings.Contains(out.String(), "make test: FAIL") {
		t.Errorf("summary after make failed: exit %d, %q; want 1 and FAIL", code, out.String())
	}
}

func TestSummarize(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	recs := []record{
		{Start: start},
		{Step: "gofmt", OK: true},
		{Step: "vet", OK: true},
		{Step: "unit", OK: true, Packages: 3, Passed: 120, Skipped: 2},
		{Step: "fuzz", OK: true, Packages: 1, Fuzzed: []string{"FuzzRead"}, Seconds: 49.7, FuzzSeconds: 10.4},
		{Step: "bench", OK: true, Packages: 3, Benchmarks: 7},
		{Step: "rules", OK: true, Skip: "promtool not found"},
	}
	line, ok := summarize(recs, 0, start.Add(185*time.Second))
	if want := "make test: ok in 3m5s: 2 checks, 120 tests passed (2 skipped) in 3 packages, 7 benchmarks run once, FuzzRead fuzzed 10s, skipped: rules (promtool not found)"; !ok || line != want {
		t.Errorf("summarize = %q, %v\nwant %q, true", line, ok, want)
	}
	recs = append(recs, record{Step: "unit-bench", Failed: []string{"TestA", "TestB", "TestC", "TestD"}})
	line, ok = summarize(recs, 2, start.Add(time.Minute))
	if want := "make test: FAIL in 1m0s: unit-bench (TestA, TestB, TestC, 1 more) failed; 5 steps ok"; ok || line != want {
		t.Errorf("summarize = %q, %v\nwant %q, false", line, ok, want)
	}
}
