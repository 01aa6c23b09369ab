package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

// record is one step's line in a tally file; the first line holds only
// Start.
type record struct {
	Step        string    `json:"step,omitempty"`
	OK          bool      `json:"ok"`
	Seconds     float64   `json:"seconds,omitempty"`
	Packages    int       `json:"packages,omitempty"`
	Passed      int       `json:"passed,omitempty"`
	Skipped     int       `json:"skipped,omitempty"`
	Failed      []string  `json:"failed,omitempty"`
	Benchmarks  int       `json:"benchmarks,omitempty"`
	Fuzzed      []string  `json:"fuzzed,omitempty"`
	FuzzSeconds float64   `json:"fuzz_seconds,omitempty"` // fuzzing alone, not the build before
	Skip        string    `json:"skip,omitempty"`         // why the step did not run (exit 77)
	Start       time.Time `json:"start,omitzero"`
}

func appendRecord(file string, rec record) error {
	f, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o666)
	if err != nil {
		return err
	}
	line, err := json.Marshal(rec)
	if err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func readTally(file string) ([]record, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var recs []record
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		var rec record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return nil, fmt.Errorf("%s: line %d: %v", file, n, err)
		}
		recs = append(recs, rec)
	}
	return recs, sc.Err()
}

// summarize is the last line of make test, and whether it passed:
//
//	make test: ok in 3m6s: 13 checks, 710 tests passed (3 skipped) in 12 packages, 27 benchmarks run once, FuzzRead fuzzed 11s
//	make test: FAIL in 1m2s: vet, unit (TestScripts/flags, TestColor) failed; 7 steps ok
func summarize(recs []record, status int, now time.Time) (string, bool) {
	var start time.Time
	var failed []string
	var checks, packages, passed, skipped, benchmarks, ok int
	var fuzzed, skips []string
	var fuzzSeconds float64
	for _, r := range recs {
		if r.Step == "" {
			start = r.Start
			continue
		}
		if !r.OK {
			name := r.Step
			if len(r.Failed) > 0 {
				name += " (" + strings.Join(firstFew(r.Failed, 3), ", ") + ")"
			}
			failed = append(failed, name)
			continue
		}
		if r.Skip != "" {
			skips = append(skips, r.Step+" ("+r.Skip+")")
			continue
		}
		ok++
		if r.Passed > 0 {
			packages += r.Packages // of tests, not of benchmarks or fuzzing
		}
		passed += r.Passed
		skipped += r.Skipped
		benchmarks += r.Benchmarks
		if len(r.Fuzzed) > 0 {
			fuzzed = append(fuzzed, r.Fuzzed...)
			fuzzSeconds += r.FuzzSeconds
		}
		if r.Packages == 0 {
			checks++
		}
	}
	took := ""
	if !start.IsZero() {
		took = " in " + now.Sub(start).Round(time.Second).String()
	}
	if len(failed) > 0 || status != 0 {
		line := "make test: FAIL" + took + ": "
		switch {
		case len(failed) > 0:
			line += strings.Join(failed, ", ") + " failed"
		default:
			line += fmt.Sprintf("make exited %d before every step could report (see above)", status)
		}
		return line + fmt.Sprintf("; %s ok", plural(ok, "step", "steps")), false
	}
	var parts []string
	if checks > 0 {
		parts = append(parts, plural(checks, "check", "checks"))
	}
	if passed > 0 || packages > 0 {
		t := plural(passed, "test", "tests") + " passed"
		if skipped > 0 {
			t += fmt.Sprintf(" (%d skipped)", skipped)
		}
		parts = append(parts, t+" in "+plural(packages, "package", "packages"))
	}
	if benchmarks > 0 {
		parts = append(parts, plural(benchmarks, "benchmark", "benchmarks")+" run once")
	}
	if len(fuzzed) > 0 {
		parts = append(parts, fmt.Sprintf("%s fuzzed %s", strings.Join(fuzzed, ", "),
			(time.Duration(fuzzSeconds*float64(time.Second))).Round(time.Second)))
	}
	if len(skips) > 0 {
		parts = append(parts, "skipped: "+strings.Join(skips, ", "))
	}
	return "make test: ok" + took + ": " + strings.Join(parts, ", "), true
}

// stepLine is a step's line when it runs alone (make vet):
//
//	vet: ok in 4s
//	unit: FAIL in 1m2s (TestScripts/flags)
func stepLine(r record) string {
	took := (time.Duration(r.Seconds * float64(time.Second))).Round(time.Second)
	if !r.OK {
		line := fmt.Sprintf("%s: FAIL in %s", r.Step, took)
		if len(r.Failed) > 0 {
			line += " (" + strings.Join(firstFew(r.Failed, 3), ", ") + ")"
		}
		return line
	}
	if r.Skip != "" {
		return fmt.Sprintf("%s: skipped: %s", r.Step, r.Skip)
	}
	line := fmt.Sprintf("%s: ok in %s", r.Step, took)
	if r.Passed > 0 {
		line += fmt.Sprintf(": %s passed in %s", plural(r.Passed, "test", "tests"), plural(r.Packages, "package", "packages"))
	}
	return line
}

// firstFew is the first n of names, and how many more there are.
func firstFew(names []string, n int) []string {
	if len(names) <= n {
		return names
	}
	return append(append([]string(nil), names[:n]...), fmt.Sprintf("%d more", len(names)-n))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
