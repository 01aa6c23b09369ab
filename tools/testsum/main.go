// Command testsum runs the steps of make test quietly: a step's output is
// shown only when the step fails, and the run ends with one line that
// sums up every step.
//
// Usage:
//
//	testsum [-v] [-tally FILE] -step NAME -- go test ARGS...   a go test run (testsum adds -json)
//	testsum [-v] [-tally FILE] -step NAME -- COMMAND ARGS...   any other command
//	testsum -tally FILE -start                                 begins a tally
//	testsum -tally FILE -summary [-status N]                   the line that sums it up
//
// A go test run that fails prints the output of each failed test and of
// its package (build errors, a panic, a leak check), as go test would; the
// output of passing tests, fuzzing progress and benchmark lines are not
// shown. Any other command that fails prints everything it wrote; one
// that exits 77 (automake's "skipped") passes, and its first line says
// why in the summary. With
// -tally each step appends its counts to FILE, and -summary prints one
// line from them:
//
//	make test: ok in 3m6s: 13 checks, 710 tests passed (3 skipped) in 12 packages, 27 benchmarks run once, FuzzRead fuzzed 11s
//
// and exits 1 if a step failed or -status (make's own status) is not 0.
// Without -tally a step prints its own line. -v shows every step's whole
// output as it comes.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	os.Exit(testsum(os.Args[1:], os.Stdout, os.Stderr))
}

func testsum(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("testsum", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		verbose = fs.Bool("v", false, "show every step's whole output")
		tally   = fs.String("tally", "", "append the step's counts to this `file`")
		step    = fs.String("step", "", "the step's `name`")
		start   = fs.Bool("start", false, "begin the tally")
		summary = fs.Bool("summary", false, "print the line that sums up the tally")
		status  = fs.Int("status", 0, "with -summary: make's exit status")
	)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	switch {
	case *start && *tally != "":
		err := os.WriteFile(*tally, nil, 0o666)
		if err == nil {
			err = appendRecord(*tally, record{Step: "", Start: time.Now()})
		}
		return report(stderr, err)
	case *summary && *tally != "":
		recs, err := readTally(*tally)
		if err != nil {
			return report(stderr, err)
		}
		line, ok := summarize(recs, *status, time.Now())
		fmt.Fprintln(stdout, line)
		if !ok {
			return 1
		}
		return 0
	case *step == "" || fs.NArg() == 0:
		fmt.Fprintln(stderr, "usage: testsum [-v] [-tally file] -step name -- command args...; testsum -tally file -start|-summary")
		return 2
	}

	progress := newProgress(stderr, *step)
	rec, out := runStep(*step, fs.Args(), *verbose, stderr, progress)
	progress.clear()
	if !rec.OK && !*verbose {
		stdout.Write(out)
	}
	if *tally != "" {
		if err := appendRecord(*tally, rec); err != nil {
			return report(stderr, err)
		}
	} else {
		fmt.Fprintln(stdout, stepLine(rec))
	}
	if !rec.OK {
		return 1
	}
	return 0
}

func report(w io.Writer, err error) int {
	if err != nil {
		fmt.Fprintln(w, "testsum:", err)
		return 1
	}
	return 0
}

// runStep runs one step and returns its record and, when it failed,
// what to show of its output.
func runStep(name string, args []string, verbose bool, stderr io.Writer, progress *progress) (record, []byte) {
	rec := record{Step: name}
	begin := time.Now()

	args, goTest := withJSON(args)
	cmd := exec.Command(args[0], args[1:]...)
	var errOut bytes.Buffer
	if verbose {
		cmd.Stderr = io.MultiWriter(&errOut, stderr)
	} else {
		cmd.Stderr = &errOut
	}
	if !goTest {
		// The output of a check is shown whole, in the order written.
		if verbose {
			cmd.Stdout = io.MultiWriter(&errOut, stderr)
		} else {
			cmd.Stdout = &errOut
		}
		err := cmd.Run()
		rec.OK = err == nil
		if e, ok := errors.AsType[*exec.ExitError](err); ok && e.ExitCode() == exitSkip {
			rec.OK = true
			rec.Skip, _, _ = strings.Cut(strings.TrimSpace(errOut.String()), "\n")
			if rec.Skip == "" {
				rec.Skip = "skipped"
			}
		}
		if err != nil && !isExit(err) {
			fmt.Fprintf(&errOut, "testsum: %s: %v\n", name, err)
		}
		rec.Seconds = time.Since(begin).Seconds()
		return rec, errOut.Bytes()
	}

	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return rec, []byte(fmt.Sprintf("testsum: %s: %v\n", name, err))
	}
	if err := cmd.Start(); err != nil {
		return rec, []byte(fmt.Sprintf("testsum: %s: %v\n", name, err))
	}
	var echo io.Writer
	if verbose {
		echo = stderr
	}
	run := readEvents(pipe, echo, progress)
	err = cmd.Wait()
	rec = run.record(name, err == nil)
	var out bytes.Buffer
	if !rec.OK {
		run.failures(&out)
		out.Write(errOut.Bytes())
		if err != nil && !isExit(err) {
			fmt.Fprintf(&out, "testsum: %s: %v\n", name, err)
		}
	}
	rec.Seconds = time.Since(begin).Seconds()
	return rec, out.Bytes()
}

// exitSkip is the status of a check that could not run here, as
// automake's test harness has it.
const exitSkip = 77

func isExit(err error) bool {
	_, ok := errors.AsType[*exec.ExitError](err)
	return ok
}

// withJSON adds -json to a go test command line, and reports whether it
// is one: go [-C dir] test ARGS.
func withJSON(args []string) ([]string, bool) {
	if filepath.Base(args[0]) != "go" {
		return args, false
	}
	for i := 1; i < len(args); i++ {
		switch args[i] {
		case "-C":
			i++
		case "test":
			out := append(append(append([]string(nil), args[:i+1]...), "-json"), args[i+1:]...)
			return out, true
		default:
			return args, false
		}
	}
	return args, false
}

// progress says on a terminal which step runs, and how far it is, on one
// line of stderr that is cleared when the step ends; elsewhere nothing.
type progress struct {
	w     io.Writer
	step  string
	drawn bool
}

func newProgress(w io.Writer, step string) *progress {
	f, ok := w.(*os.File)
	if !ok {
		return &progress{}
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return &progress{}
	}
	p := &progress{w: w, step: step}
	p.show("")
	return p
}

func (p *progress) show(detail string) {
	if p == nil || p.w == nil {
		return
	}
	line := "make test: " + p.step + "…"
	if detail != "" {
		line += " " + detail
	}
	fmt.Fprint(p.w, "\r\x1b[K"+line)
	p.drawn = true
}

func (p *progress) clear() {
	if p != nil && p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}
