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
// With -diff (the default) it also writes the dump's later snapshot
// (synth.WritePair with synth.DefaultChange: the dump is the pair's first
// snapshot, byte for byte) and prints a second table: one child that parses
// both dumps with leakscan, one after the other ("leakscan ×2"), and one
// that runs what `leakscan diff a b` does (parse a, add it to a
// diff.Series, parse b, add it, Result), with the ratio of the two.
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
	"os/signal"
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
	diff     bool
	dir      string
	child    string
	file     string
	fileB    string
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
	fs.BoolVar(&o.diff, "diff", true, "also measure leakscan diff of a before/after pair against parsing both dumps")
	fs.StringVar(&o.dir, "dir", "", "directory for the temporary dump file (default: the system's)")
	fs.StringVar(&o.child, "child", "", "internal: parse -file with this parser and print the result as JSON")
	fs.StringVar(&o.file, "file", "-", "internal: the dump for -child; - is stdin")
	fs.StringVar(&o.fileB, "file-b", "-", "internal: the second dump for a pair -child; - is file descriptor 3")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	o.synth.Go121 = !go120
	o.parsers = strings.Split(list, ",")
	// On Ctrl-C, end the child and return, so that the deferred removals
	// of the dump files (2.4 GB each for 1,000,000 goroutines) run.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if o.child != "" {
		err = child(ctx, o.child, o.file, o.fileB, stdout)
	} else {
		err = table(ctx, o, stdout, stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "benchtable: %v\n", err)
		return 1
	}
	return 0
}

// child parses one dump, or a pair, and prints the parser's result.
func child(ctx context.Context, name, file, fileB string, stdout io.Writer) error {
	if name == noop {
		return json.NewEncoder(stdout).Encode(parsers.Result{})
	}
	open := func(file string, std *os.File) (*os.File, error) {
		if file == "-" {
			return std, nil
		}
		return os.Open(file)
	}
	in, err := open(file, os.Stdin)
	if err != nil {
		return err
	}
	defer in.Close()
	if pp, err := parsers.LookupPair(name); err == nil {
		// A stream pair comes through stdin and file descriptor 3.
		inB, err := open(fileB, os.NewFile(3, "fd3"))
		if err != nil {
			return err
		}
		defer inB.Close()
		res, err := pp.Run(ctx, in, inB)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return json.NewEncoder(stdout).Encode(res)
	}
	p, err := parsers.Lookup(name)
	if err != nil {
		return err
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

// pairRow is one line of the pair table.
type pairRow struct {
	name string
	wall time.Duration
	rss  int64
	res  parsers.PairResult
}

// input says what a child reads.
type input struct {
	// path and pathB are the dump files ("" with -stream: the child reads
	// a fresh synth stream, or pair, through pipes). pathB is set for pair
	// runners only.
	path, pathB string
	pair        bool
	viaStdin    bool // path through a pipe rather than by name
}

// pair describes the dumps: index 0 is the dump of the
// main table, 1 its later snapshot.
type pair struct {
	sizes  [2]int64
	truths [2]synth.Truth
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

	// The dump: a file written once, or a stream per run. With -diff, the
	// same dump is the first of a pair (synth.WritePair writes exactly what
	// synth.Write does, then the later snapshot).
	var pr pair
	var path, pathB string
	if o.stream {
		var ca, cb countingWriter
		if o.diff {
			pr.truths[0], pr.truths[1], err = synth.WritePair(&ca, &cb, o.synth, synth.DefaultChange)
		} else {
			pr.truths[0], err = synth.Write(&ca, o.synth)
		}
		if err != nil {
			return err
		}
		pr.sizes = [2]int64{ca.n, cb.n}
	} else {
		var fs [2]*os.File
		var ws [2]*bufio.Writer
		for i := range o.diffCount() {
			f, err := os.CreateTemp(o.dir, fmt.Sprintf("benchtable-%c-*.txt", 'a'+i))
			if err != nil {
				return err
			}
			defer os.Remove(f.Name())
			fs[i], ws[i] = f, bufio.NewWriterSize(f, 1<<20)
		}
		path = fs[0].Name()
		if o.diff {
			pathB = fs[1].Name()
			fmt.Fprintf(stderr, "writing %s and %s\n", path, pathB)
			pr.truths[0], pr.truths[1], err = synth.WritePair(ws[0], ws[1], o.synth, synth.DefaultChange)
		} else {
			fmt.Fprintf(stderr, "writing %s\n", path)
			pr.truths[0], err = synth.Write(ws[0], o.synth)
		}
		for i := range o.diffCount() {
			if err == nil {
				err = ws[i].Flush()
			}
			err = errors.Join(err, fs[i].Close())
		}
		if err != nil {
			return fmt.Errorf("write the dump: %w", err)
		}
		for i := range o.diffCount() {
			st, err := os.Stat(fs[i].Name())
			if err != nil {
				return err
			}
			pr.sizes[i] = st.Size()
		}
	}
	size, truth := pr.sizes[0], pr.truths[0]
	fmt.Fprintf(stderr, "dump: %d goroutines, %.1f MiB\n", truth.Goroutines, mib(size))
	if o.diff {
		fmt.Fprintf(stderr, "later snapshot: %d goroutines, %.1f MiB\n", pr.truths[1].Goroutines, mib(pr.sizes[1]))
	}

	var starts []time.Duration
	for range 5 {
		wall, _, err := measure(ctx, self, noop, input{path: path}, o.synth, &parsers.Result{})
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
			var res parsers.Result
			wall, rss, err := measure(ctx, self, p.Name, input{path: path, viaStdin: name != p.Name}, o.synth, &res)
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

	var pairRows []pairRow
	if o.diff {
		for _, p := range parsers.Pairs {
			r := pairRow{name: p.Name}
			var walls []time.Duration
			for i := range o.runs {
				fmt.Fprintf(stderr, "%s: run %d/%d\n", p.Name, i+1, o.runs)
				wall, rss, err := measure(ctx, self, p.Name, input{path: path, pathB: pathB, pair: true}, o.synth, &r.res)
				if err != nil {
					return fmt.Errorf("%s: %w", p.Name, err)
				}
				walls = append(walls, wall)
				r.rss = max(r.rss, rss)
			}
			slices.Sort(walls)
			r.wall = walls[len(walls)/2]
			pairRows = append(pairRows, r)
		}
	}
	printTable(stdout, o, size, truth, start, rows)
	if o.diff {
		printPairTable(stdout, o, pr, pairRows)
	}
	return nil
}

// diffCount is the number of dumps: 2 with -diff.
func (o options) diffCount() int {
	if o.diff {
		return 2
	}
	return 1
}

// measure runs one child process, decodes its result into res and returns
// its wall time and peak RSS. With in.path "" the child reads a fresh
// synth stream from stdin, and for a pair the later snapshot from file
// descriptor 3.
func measure(ctx context.Context, self, parser string, in input, c synth.Config, res any) (time.Duration, int64, error) {
	cmd := exec.CommandContext(ctx, self, "-child", parser)
	cmd.Stderr = os.Stderr
	var out strings.Builder
	cmd.Stdout = &out
	switch {
	case in.path == "" && in.pair:
		wait, err := streamPair(cmd, c)
		if err != nil {
			return 0, 0, err
		}
		defer wait()
	case in.path == "":
		pr, pw := io.Pipe()
		go func() {
			_, err := synth.Write(pw, c)
			pw.CloseWithError(err)
		}()
		defer pr.Close()
		cmd.Stdin = pr
	case in.viaStdin:
		f, err := os.Open(in.path)
		if err != nil {
			return 0, 0, err
		}
		defer f.Close()
		// Not an *os.File, so exec copies it into a pipe.
		cmd.Stdin = struct{ io.Reader }{f}
	default:
		cmd.Args = append(cmd.Args, "-file", in.path)
		if in.pair {
			cmd.Args = append(cmd.Args, "-file-b", in.pathB)
		}
	}
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return 0, 0, err
	}
	if err := json.Unmarshal([]byte(out.String()), res); err != nil {
		return 0, 0, fmt.Errorf("child output %q: %w", out.String(), err)
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = int64(ru.Maxrss) * 1024 // kilobytes on Linux
	}
	return wall, rss, nil
}

// streamPair makes cmd read a fresh synth pair: the first snapshot from
// stdin, the second from file descriptor 3. The first pipe is closed
// before the second is written to, so the child sees the end of the first
// dump before it starts on the second. Call wait after cmd has run.
func streamPair(cmd *exec.Cmd, c synth.Config) (wait func(), err error) {
	ra, wa, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	rb, wb, err := os.Pipe()
	if err != nil {
		ra.Close()
		wa.Close()
		return nil, err
	}
	cmd.Stdin = ra
	cmd.ExtraFiles = []*os.File{rb}
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Errors show in the child: a short dump, or a broken pipe when
		// the child has failed.
		synth.WritePair(wa, &closeFirst{w: wb, first: wa}, c, synth.DefaultChange)
		wa.Close()
		wb.Close()
	}()
	return func() {
		// The child has ended: a writer still blocked gets EPIPE.
		ra.Close()
		rb.Close()
		<-done
	}, nil
}

// closeFirst closes first before the first write to w.
type closeFirst struct {
	w      io.Writer
	first  io.Closer
	closed bool
}

func (c *closeFirst) Write(p []byte) (int, error) {
	if !c.closed {
		c.closed = true
		if err := c.first.Close(); err != nil {
			return 0, err
		}
	}
	return c.w.Write(p)
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
	fmt.Fprintf(w, "Machine: %s %s/%s, GOMAXPROCS %d, %s, load average %s at the end.\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), cpuModel(), loadAvg())
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

// pairNames are the rows of the pair table.
var pairNames = map[string]string{
	"leakscan-x2":   "leakscan ×2 (parse a, parse b)",
	"leakscan-diff": "leakscan diff",
}

func printPairTable(w io.Writer, o options, pr pair, rows []pairRow) {
	ch := synth.DefaultChange
	total := pr.sizes[0] + pr.sizes[1]
	input := "both dump files (page cache warm)"
	if o.stream {
		input = "two pipes fed by synth.WritePair while it runs (wall time includes generating both dumps)"
	}
	fmt.Fprintf(w, "\nDiff of a before/after pair: a is the dump above (%d goroutines, %.1f MiB), b the same process %d minutes later (synth.WritePair, synth.DefaultChange: %d sites grow by %d%%, %d shrink by %d%%, the others churn %d%%; %d goroutines, %.1f MiB); %.1f MiB together.\n",
		pr.truths[0].Goroutines, mib(pr.sizes[0]), ch.Minutes, ch.Grow, ch.GrowPercent, ch.Shrink, ch.ShrinkPercent, ch.ChurnPercent, pr.truths[1].Goroutines, mib(pr.sizes[1]), mib(total))
	fmt.Fprintf(w, "Runs: %d, each in a fresh process reading %s, a to its end, then b; wall is the median, peak RSS the largest.\n\n", o.runs, input)
	fmt.Fprintln(w, "| run | wall | MiB/s | peak RSS | vs parse both | goroutines a | goroutines b | sites with Survived ≥ 0 | survived |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	var both time.Duration
	for _, r := range rows {
		if r.name == "leakscan-x2" {
			both = r.wall
		}
	}
	for _, r := range rows {
		name := pairNames[r.name]
		if name == "" {
			name = r.name
		}
		ratio := "–"
		if both > 0 {
			ratio = fmt.Sprintf("%.2fx", r.wall.Seconds()/both.Seconds())
		}
		sites, survived := "–", "–"
		if r.res.Sites >= 0 {
			sites, survived = fmt.Sprint(r.res.Sites), fmt.Sprint(r.res.Survived)
		}
		fmt.Fprintf(w, "| %s | %.3f s | %.0f | %.0f MiB | %s | %d | %d | %s | %s |\n",
			name, r.wall.Seconds(), mib(total)/r.wall.Seconds(), mib(r.rss), ratio, r.res.Goroutines[0], r.res.Goroutines[1], sites, survived)
	}
	fmt.Fprintln(w, "\n\"vs parse both\": wall time divided by leakscan ×2's, one process that parses a then b and keeps nothing (issue target for leakscan diff of two 1,000,000-goroutine dumps: at most 2.5x, and at most 64 MiB peak RSS). survived: goroutines of a still alive in b, summed over the sites of the diff.")
	var names []string
	for _, p := range parsers.Pairs {
		names = append(names, fmt.Sprintf("%s: %s", pairNames[p.Name], p.Doc))
	}
	fmt.Fprintf(w, "Runs: %s.\n", strings.Join(names, "; "))
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// loadAvg returns the one-minute load average, or "unknown".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "unknown"
	}
	return f[0]
}

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
