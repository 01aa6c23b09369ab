package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// event is one line of go test -json (see go doc test2json).
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	Elapsed    float64 // seconds, of a test that ended
	ImportPath string  // build-output and build-fail
}

// testRun is what a go test run said, kept per package and per test so
// that only the failures are shown.
type testRun struct {
	pkgs  map[string]*pkgRun
	order []string // packages in the order they started
	loose []string // stdout lines that were not events
}

type pkgRun struct {
	output []string            // lines of the package itself
	tests  map[string][]string // lines of each test
	ended  map[string]string   // each test's pass, fail or skip
	took   map[string]float64  // each test's seconds
	failed []string            // tests that failed, in the order they did
	order  []string            // tests in the order they started
	result string              // the package's pass, fail or skip
	build  []string            // build output of the package
}

// benchLine is a benchmark's result: "BenchmarkRead/parallel-2  1  19567654 ns/op".
var benchLine = regexp.MustCompile(`^Benchmark\S*\s+\d+\s+\S+ ns/op`)

// readEvents reads go test -json from r until it ends, echoing the output
// to echo when it is not nil, and saying how many tests passed on p.
func readEvents(r io.Reader, echo io.Writer, p *progress) *testRun {
	run := &testRun{pkgs: map[string]*pkgRun{}}
	passed := 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Action == "" {
			run.loose = append(run.loose, sc.Text()+"\n")
			if echo != nil {
				fmt.Fprintln(echo, sc.Text())
			}
			continue
		}
		if echo != nil && e.Output != "" {
			io.WriteString(echo, e.Output)
		}
		name := e.Package
		if e.ImportPath != "" {
			name = e.ImportPath
		}
		pk := run.pkg(name)
		switch {
		case e.Action == "build-output":
			pk.build = append(pk.build, e.Output)
		case e.Action == "build-fail":
			pk.result = "fail"
		case e.Test == "" && e.Action == "output":
			pk.output = append(pk.output, e.Output)
		case e.Test == "" && (e.Action == "pass" || e.Action == "fail" || e.Action == "skip"):
			pk.result = e.Action
		case e.Test == "":
		case e.Action == "run":
			pk.order = append(pk.order, e.Test)
		case e.Action == "output":
			pk.tests[e.Test] = append(pk.tests[e.Test], e.Output)
		case e.Action == "pass" || e.Action == "fail" || e.Action == "skip":
			pk.ended[e.Test], pk.took[e.Test] = e.Action, e.Elapsed
			if e.Action == "fail" {
				pk.failed = append(pk.failed, e.Test)
			}
			if e.Action == "pass" {
				passed++
				if passed%25 == 0 {
					p.show(fmt.Sprintf("%d tests passed", passed))
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		run.loose = append(run.loose, "testsum: reading go test -json: "+err.Error()+"\n")
	}
	return run
}

func (r *testRun) pkg(name string) *pkgRun {
	pk, ok := r.pkgs[name]
	if !ok {
		pk = &pkgRun{tests: map[string][]string{}, ended: map[string]string{}, took: map[string]float64{}}
		r.pkgs[name] = pk
		r.order = append(r.order, name)
	}
	return pk
}

// record counts the run: tests by outcome, benchmarks that reported a
// result, fuzz targets fuzzed. ok is go test's own verdict; a failed
// package or test fails the step too.
func (r *testRun) record(step string, ok bool) record {
	rec := record{Step: step, OK: ok}
	for _, name := range r.order {
		pk := r.pkgs[name]
		if pk.result == "fail" {
			rec.OK = false
		}
		if pk.result == "pass" || pk.result == "fail" {
			rec.Packages++
		}
		// A benchmark's result line is its own output, or its
		// package's when sub-benchmarks print under a parent.
		// test2json may cut a result line in two events: joined first.
		for _, lines := range append(slices.Collect(maps.Values(pk.tests)), pk.output) {
			for l := range strings.Lines(strings.Join(lines, "")) {
				if benchLine.MatchString(l) {
					rec.Benchmarks++
				}
			}
		}
		for _, t := range pk.order {
			outcome := pk.ended[t]
			switch {
			case strings.HasPrefix(t, "Benchmark"):
			case strings.HasPrefix(t, "Fuzz") && fuzzing(pk.tests[t]):
				if outcome == "pass" {
					rec.Fuzzed = append(rec.Fuzzed, t)
					rec.FuzzSeconds += pk.took[t]
				}
			case outcome == "pass":
				rec.Passed++
			case outcome == "skip":
				rec.Skipped++
			}
		}
		for _, t := range pk.failed {
			rec.OK = false
			if !hasFailedSubtest(pk.failed, t) {
				rec.Failed = append(rec.Failed, t)
			}
		}
	}
	return rec
}

// fuzzing reports whether a fuzz target's output is that of fuzzing
// (go test -fuzz), not of running its seed corpus as a test.
func fuzzing(lines []string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, "fuzz: elapsed:") {
			return true
		}
	}
	return false
}

// failures writes what go test would have shown of the failed packages:
// build output, each failed or unfinished test's output, the package's
// own lines; then any line that was not an event.
func (r *testRun) failures(w io.Writer) {
	for _, name := range r.order {
		pk := r.pkgs[name]
		if pk.result != "fail" && len(pk.failed) == 0 {
			continue
		}
		for _, l := range pk.build {
			io.WriteString(w, l)
		}
		// In the order they ended, as go test prints them: a subtest
		// before its parent; then those a crash left unfinished.
		for _, t := range pk.failed {
			for _, l := range pk.tests[t] {
				io.WriteString(w, l)
			}
		}
		for _, t := range pk.order {
			if pk.ended[t] == "" && pk.result == "fail" {
				for _, l := range pk.tests[t] {
					io.WriteString(w, l)
				}
			}
		}
		for _, l := range pk.output {
			io.WriteString(w, l)
		}
	}
	for _, l := range r.loose {
		io.WriteString(w, l)
	}
}

// hasFailedSubtest reports whether a subtest of test is among failed:
// the parent of a failed subtest fails with it, and naming both says
// nothing more.
func hasFailedSubtest(failed []string, test string) bool {
	for _, f := range failed {
		if strings.HasPrefix(f, test+"/") {
			return true
		}
	}
	return false
}
