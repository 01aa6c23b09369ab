// Command benchtable measures each goroutine-dump parser's wall time and
// peak memory and prints a Markdown table.
//
// It writes one synthetic dump (internal/synth) to a temporary file, then
// runs every parser -runs times, each time in a fresh child process (this
// program re-executed with -child) that parses the file, so that the peak
// RSS (getrusage maxrss) belongs to that parser alone. The row
// "leakscan (stdin)" feeds the same file to leakscan through a pipe, as in
// `curl ... | leakscan top -`. With -stream no file is written: every run
// reads a fresh synth stream through a pipe (for 1,000,000 goroutines,
// 2.4 GB), so the wall time also includes generating the dump.
//
//	go run ./cmd/benchtable -n 100000 -runs 3
//	go run ./cmd/benchtable -n 1000000 -runs 1 -skip-slow -stream
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/leakscan/leakscan/bench/internal/parsers"
	"github.com/leakscan/leakscan/internal/synth"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const (
	// stdinSuffix names the row that reads the dump through a pipe.
	stdinSuffix = "-stdin"
	// noop is a child that parses nothing: its wall time is the cost of
	// starting and ending a process, which every row includes.
	noop = "noop"
)

type options struct {
	synth    synth.Config
	runs     int
	parsers  []string
	skipSlow bool
	stream   bool
	dir      string
	child    string
	file     string
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("benchtable", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	var list string
	var go120 bool
	fs.IntVar(&o.synth.Goroutines, "n", 100_000, "goroutines in the dump")
	fs.IntVar(&o.synth.Sites, "sites", 200, "creation sites in the dump")
	fs.Int64Var(&o.synth.Seed, "seed", 1, "seed of the dump")
	fs.BoolVar(&go120, "go120", false, "write the dump as Go 1.20 does instead of Go 1.21+")
	fs.IntVar(&o.runs, "runs", 3, "runs per parser; the table shows the median wall time and the largest peak RSS")
	fs.StringVar(&list, "parsers", "linescan,sitescan,gostackparse,panicparse,leakscan,leakscan-stdin", "comma-separated parsers to run")
	fs.BoolVar(&o.skipSlow, "skip-slow", false, "skip parsers whose memory grows with the dump (panicparse)")
	fs.BoolVar(&o.stream, "stream", false, "feed every run a fresh synth stream through a pipe instead of writing a file")
	fs.StringVar(&o.dir, "dir", "", "directory for the temporary dump file (default: the system's)")
	fs.StringVar(&o.child, "child", "", "internal: parse -file with this parser and print the result as JSON")
	fs.StringVar(&o.file, "file", "-", "internal: the dump for -child; - is stdin")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	o.synth.Go121 = !go120
	o.parsers = strings.Split(list, ",")
	ctx := context.Background()
	var err error
	if o.child != "" {
		err = child(ctx, o.child, o.file, stdout)
	} else {
		err = table(ctx, o, stdout, stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "benchtable: %v\n", err)
		return 1
	}
	return 0
}

// child parses one dump and prints the parser's result.
func child(ctx context.Context, name, file string, stdout io.Writer) error {
	if name == noop {
		return json.NewEncoder(stdout).Encode(parsers.Result{})
	}
	p, err := parsers.Lookup(name)
	if err != nil {
		return err
	}
	in := io.Reader(os.Stdin)
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	res, err := p.Run(ctx, in)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return json.NewEncoder(stdout).Encode(res)
}

// row is one parser's line of the table.
type row struct {
	name    string
	skipped string // why, if the parser did not run
	wall    time.Duration
	rss     int64 // bytes
	res     parsers.Result
}

func table(ctx context.Context, o options, stdout, stderr io.Writer) error {
	for _, name := range o.parsers {
		if _, err := parsers.Lookup(strings.TrimSuffix(name, stdinSuffix)); err != nil {
			return err
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}

	// The dump: a file written once, or a stream per run.
	var size int64
	var truth synth.Truth
	var path string
	if o.stream {
		var c countingWriter
		if truth, err = synth.Write(&c, o.synth); err != nil {
			return err
		}
		size = c.n
	} else {
		f, err := os.CreateTemp(o.dir, "benchtable-*.txt")
		if err != nil {
			return err
		}
		path = f.Name()
		defer os.Remove(path)
		bw := bufio.NewWriterSize(f, 1<<20)
		if truth, err = synth.Write(bw, o.synth); err == nil {
			err = bw.Flush()
		}
		if err := errors.Join(err, f.Close()); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		st, err := os.Stat(path)
		if err != nil {
			return err
		}
		size = st.Size()
	}
	fmt.Fprintf(stderr, "dump: %d goroutines, %.1f MiB\n", truth.Goroutines, mib(size))

	var starts []time.Duration
	for range 5 {
		_, wall, _, err := measure(ctx, self, noop, false, path, o.synth)
		if err != nil {
			return fmt.Errorf("start a child: %w", err)
		}
		starts = append(starts, wall)
	}
	slices.Sort(starts)
	start := starts[len(starts)/2]

	var rows []row
	for _, name := range o.parsers {
		p, _ := parsers.Lookup(strings.TrimSuffix(name, stdinSuffix))
		r := row{name: name}
		if p.Slow && o.skipSlow {
			r.skipped = "skipped (-skip-slow)"
			rows = append(rows, r)
			continue
		}
		var walls []time.Duration
		for i := range o.runs {
			fmt.Fprintf(stderr, "%s: run %d/%d\n", name, i+1, o.runs)
			res, wall, rss, err := measure(ctx, self, p.Name, name != p.Name, path, o.synth)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			walls = append(walls, wall)
			r.rss = max(r.rss, rss)
			r.res = res
		}
		slices.Sort(walls)
		r.wall = walls[len(walls)/2]
		rows = append(rows, r)
	}
	printTable(stdout, o, size, truth, start, rows)
	return nil
}

// measure runs one child process and returns its result, wall time and
// peak RSS. With path "" the child reads a fresh synth stream from stdin.
func measure(ctx context.Context, self, parser string, viaStdin bool, path string, c synth.Config) (parsers.Result, time.Duration, int64, error) {
	var res parsers.Result
	cmd := exec.CommandContext(ctx, self, "-child", parser)
	cmd.Stderr = os.Stderr
	var out strings.Builder
	cmd.Stdout = &out
	switch {
	case path == "":
		pr, pw := io.Pipe()
		go func() {
			_, err := synth.Write(pw, c)
			pw.CloseWithError(err)
		}()
		defer pr.Close()
		cmd.Stdin = pr
	case viaStdin:
		f, err := os.Open(path)
		if err != nil {
			return res, 0, 0, err
		}
		defer f.Close()
		// Not an *os.File, so exec copies it into a pipe.
		cmd.Stdin = struct{ io.Reader }{f}
	default:
		cmd.Args = append(cmd.Args, "-file", path)
	}
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return res, 0, 0, err
	}
	if err := json.Unmarshal([]byte(out.String()), &res); err != nil {
		return res, 0, 0, fmt.Errorf("child output %q: %w", out.String(), err)
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = int64(ru.Maxrss) * 1024 // kilobytes on Linux
	}
	return res, wall, rss, nil
}

func printTable(w io.Writer, o options, size int64, truth synth.Truth, start time.Duration, rows []row) {
	format := "Go 1.21+"
	if !o.synth.Go121 {
		format = "Go 1.20"
	}
	input := "a file (page cache warm)"
	if o.stream {
		input = "a pipe fed by synth while it runs (wall time includes generating the dump)"
	}
	fmt.Fprintf(w, "Dump: synth, %d goroutines, %d creation sites in the dump (-sites %d), seed %d, %s format, %.1f MiB.\n",
		truth.Goroutines, len(truth.Sites), o.synth.Sites, o.synth.Seed, format, mib(size))
	fmt.Fprintf(w, "Machine: %s %s/%s, GOMAXPROCS %d, %s.\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), cpuModel())
	fmt.Fprintf(w, "Runs per parser: %d, each in a fresh process reading %s; wall is the median, including %.0f ms to start and end the process; peak RSS is the largest.\n\n",
		o.runs, input, start.Seconds()*1000)
	fmt.Fprintln(w, "| parser | wall | MiB/s | peak RSS | vs line scan | vs gostackparse | goroutines | sites |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	base := func(name string) time.Duration {
		for _, r := range rows {
			if r.name == name && r.skipped == "" {
				return r.wall
			}
		}
		return 0
	}
	scan, gsp := base("linescan"), base("gostackparse")
	ratio := func(d, to time.Duration) string {
		if to == 0 {
			return "–"
		}
		return fmt.Sprintf("%.2fx", d.Seconds()/to.Seconds())
	}
	for _, r := range rows {
		name := r.name
		if strings.HasSuffix(name, stdinSuffix) {
			name = strings.TrimSuffix(name, stdinSuffix) + " (stdin pipe)"
		}
		if r.skipped != "" {
			fmt.Fprintf(w, "| %s | %s | | | | | | |\n", name, r.skipped)
			continue
		}
		sites := "–"
		if r.res.Sites >= 0 {
			sites = fmt.Sprint(r.res.Sites)
		}
		fmt.Fprintf(w, "| %s | %.3f s | %.0f | %.0f MiB | %s | %s | %d | %s |\n",
			name, r.wall.Seconds(), mib(size)/r.wall.Seconds(), mib(r.rss), ratio(r.wall, scan), ratio(r.wall, gsp), r.res.Goroutines, sites)
	}
	fmt.Fprintln(w, "\n\"vs\" columns: wall time divided by that parser's (lower is faster). goroutines and sites: what the parser found; \"–\": not reported.")
	var names []string
	for _, p := range parsers.All {
		names = append(names, fmt.Sprintf("%s: %s", p.Name, p.Doc))
	}
	fmt.Fprintf(w, "Parsers: %s.\n", strings.Join(names, "; "))
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// cpuModel returns the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for l := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}
