package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/leakscan/leakscan/internal/fetch"
	"github.com/leakscan/leakscan/internal/parse"
	"github.com/leakscan/leakscan/internal/report"
	"github.com/leakscan/leakscan/internal/watch"
)

type watchOptions struct {
	input       inputFlags
	output      outputFlags
	analysis    analysisFlags
	interval    time.Duration
	duration    time.Duration
	samples     int
	save        string
	leakProfile bool
	all         bool
	sampling    string
}

func newWatchCmd(s *streams) *cobra.Command {
	opts := watchOptions{}
	c := &cobra.Command{
		Use:   "watch TARGET",
		Short: "Follow a live service and tell a leak from churn, a pool or a burst",
		Long: `Watch samples the goroutine profile of a live service on a fixed schedule
(a slow sample does not shift the next one) and, per creation site, fits
its growth, finds steps ("+16 every 30s"), checks that the new goroutines
stay alive, and gives a verdict: leak, growing, stable, churn, burst or
shrinking. The report, printed when sampling ends (--duration, --samples,
or Ctrl-C), names each leak in one sentence.

TARGET is host:port, a /debug/pprof/ base or a goroutine profile URL, as
for top. A sample that fails is said on stderr and sampling goes on; a
restart of the target (goroutine ids start over) is detected, and only
the samples since are analysed. --save keeps every sample, so that
leakscan trend can read them again later.

Exit status: 0, 1 when a gate (--max-*, --fail-on-leak) is crossed, 2 when
every sample failed, 130 after Ctrl-C (once the report is printed).`,
		Example: `  leakscan watch localhost:6060
  leakscan watch localhost:8401 --interval 5s --duration 3m --save dumps/
  leakscan watch http://10.0.0.5:8080/debug/pprof/ --samples 30 --fail-on-leak -o json`,
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runWatch(c, s, &opts, args[0])
		},
	}
	opts.input.register(c)
	opts.output.register(c)
	opts.analysis.register(c, true)
	f := c.Flags()
	f.DurationVar(&opts.interval, "interval", 10*time.Second, "time between samples")
	f.DurationVar(&opts.duration, "duration", 0, "stop after this long (default: until Ctrl-C or --samples)")
	f.IntVar(&opts.samples, "samples", 0, "stop after this many samples (default: until Ctrl-C or --duration)")
	f.StringVar(&opts.save, "save", "", "write every sample into this `dir`ectory as it arrives (created if missing), for leakscan trend")
	f.BoolVar(&opts.all, "all", false, "show every site in the table, unchanged and benign ones too")
	f.BoolVar(&opts.leakProfile, "leak-profile", false, "sample the goroutineleak profile (Go 1.27, or 1.26 with GOEXPERIMENT=goroutineleakprofile): every goroutine, with the runtime's proven leaks marked")
	f.StringVar(&opts.sampling, "sampling", "auto", fmt.Sprintf("full: a full dump (debug=2) every sample, which stops the target's world while every stack is printed; "+
		"light: the counted profile (debug=1, a short stop) every sample and a full dump only at the first and last sample, "+
		"for stacks no full dump has placed yet and after a failed sample; auto: light for targets of %d goroutines or more", watch.AutoThreshold))
	return c
}

func runWatch(c *cobra.Command, s *streams, opts *watchOptions, target string) error {
	ro, err := opts.output.options(s)
	if err != nil {
		return err
	}
	ro.Trend, ro.All = true, opts.all
	filter, err := opts.analysis.filter()
	if err != nil {
		return err
	}
	if _, _, err := opts.analysis.policy(); err != nil {
		return err
	}
	switch {
	case opts.interval <= 0:
		return usagef("--interval must be positive, got %s", opts.interval)
	case opts.duration < 0:
		return usagef("--duration must not be negative, got %s", opts.duration)
	case opts.samples < 0:
		return usagef("--samples must not be negative, got %d", opts.samples)
	}
	sampling := watch.Sampling(opts.sampling)
	switch sampling {
	case watch.Full, watch.Light, watch.Auto:
	default:
		return usagef("--sampling: %q is not one of auto, full, light", opts.sampling)
	}
	if !isLive(target) {
		return fmt.Errorf("%s: watch needs a live endpoint (host:port or a URL); leakscan trend reads saved dumps", target)
	}
	u, err := fetch.Normalize(target)
	if err != nil {
		return err
	}
	if opts.leakProfile {
		if u, err = leakProfileURL(u); err != nil {
			return err
		}
	}
	rd, err := opts.input.reader(s)
	if err != nil {
		return err
	}
	var saver *saver
	if opts.save != "" {
		if saver, err = newSaver(opts.save); err != nil {
			return err
		}
		defer saver.close()
	}
	p := &progress{s: s, url: fetch.Redact(u), terminal: s.ErrTerminal}
	wo := watch.Options{
		Interval: opts.interval, Samples: opts.samples, Duration: opts.duration,
		Filter: filter, Observe: p.observe, Sampling: sampling,
	}
	if saver != nil {
		wo.Kept, wo.Dropped, wo.Learnt = saver.keep, saver.drop, saver.learnt
	}
	if cu, ok := countedURL(u); ok {
		wo.Counted = watch.FetchFunc(func(ctx context.Context) (*parse.Snapshot, error) {
			snap, err := rd.sample(ctx, cu, saver)
			if fe, ok := errors.AsType[*fetch.Error](err); ok && (fe.Status == http.StatusNotFound || fe.Status == http.StatusBadRequest) {
				return nil, fmt.Errorf("%w: %w", watch.ErrNotServed, err)
			}
			return snap, err
		})
	} else if sampling == watch.Light {
		fmt.Fprintf(s.Err, "leakscan: --sampling light: %s is no goroutine profile URL whose counted form (debug=1) can be asked for; sampling in full\n", fetch.Redact(u))
	}
	sum, err := watch.Run(c.Context(), watch.FetchFunc(func(ctx context.Context) (*parse.Snapshot, error) {
		return rd.sample(ctx, u, saver)
	}), watch.RealClock{}, wo)
	p.done()
	if err != nil {
		return err
	}
	if sum.Result == nil {
		return nil // interrupted before the first sample
	}
	if sum.Failed > 0 {
		ro.Notes = append(ro.Notes, fmt.Sprintf("%d of %d samples failed; the last: %s",
			sum.Failed, sum.Failed+sum.Taken, oneLine(sum.LastErr.Error())))
	}
	if sum.Fallback != nil {
		ro.Notes = append(ro.Notes, "sampled in full: "+oneLine(sum.Fallback.Error()))
	} else if sum.FullDumps < sum.Taken {
		ro.Notes = append(ro.Notes, fmt.Sprintf("light sampling: %d of %d samples were full dumps (debug=2), the others counted profiles (debug=1)", sum.FullDumps, sum.Taken))
	}
	if sum.Skipped > 0 {
		ro.Notes = append(ro.Notes, fmt.Sprintf("%s skipped: a sample took longer than --interval", plural(sum.Skipped, "sample was", "samples were")))
	}
	g, err := opts.analysis.check(s, sum.Result)
	if err != nil {
		return err
	}
	return g.finish(s, &opts.output, ro)
}

// countedURL returns the counted profile (debug=1) of the goroutines a
// full dump URL asks for: the goroutine profile's, also beside a
// goroutineleak dump, whose counted form counts only the leaked. It
// reports false for a URL of another shape.
func countedURL(full string) (string, bool) {
	u, err := url.Parse(full)
	if err != nil {
		return "", false
	}
	switch path.Base(u.Path) {
	case "goroutine", "goroutineleak":
	default:
		return "", false
	}
	q := u.Query()
	if q.Get("debug") != "2" || len(q) != 1 {
		return "", false
	}
	u.Path, u.RawPath, u.RawQuery = path.Dir(u.Path)+"/goroutine", "", "debug=1"
	return u.String(), true
}

// leakProfileURL turns a goroutine profile URL into the goroutineleak
// profile's, at debug=2: every goroutine, the proven leaks marked.
func leakProfileURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	if path.Base(u.Path) != "goroutine" {
		return "", fmt.Errorf("--leak-profile: %s is not a goroutine profile URL", fetch.Redact(raw))
	}
	u.Path = path.Dir(u.Path) + "/goroutineleak"
	u.RawPath = ""
	return u.String(), nil
}

// sample takes one sample of the live endpoint u, its bytes held by sv
// (when not nil) until sv keeps or drops the snapshot. The snapshot
// records when the target answered.
func (r *reader) sample(ctx context.Context, u string, sv *saver) (*parse.Snapshot, error) {
	body, err := fetch.Open(ctx, u, r.fetchOptions())
	if err != nil {
		return nil, withFlag(err)
	}
	defer body.Close()
	taken := time.Now().UTC()
	var in io.Reader = body
	var tmp *os.File
	if sv != nil {
		if tmp, err = sv.create(); err != nil {
			return nil, err
		}
		in = io.TeeReader(body, tmp)
	}
	snap, err := parse.Read(ctx, in, fetch.Redact(u), parse.Options{MaxBytes: r.maxBytes, MaxStacks: r.maxStacks})
	if errors.Is(err, parse.ErrTooManyStacks) {
		err = fmt.Errorf("%w (--max-stacks)", err)
	}
	if fe, ok := errors.AsType[*fetch.Error](err); ok {
		err = withFlag(fe)
	}
	if err != nil {
		if tmp != nil {
			sv.remove(tmp)
		}
		return nil, err
	}
	if snap.Time.IsZero() {
		snap.Time = taken
	}
	if tmp != nil {
		sv.pending[snap] = tmp
	}
	return snap, nil
}

// saver writes the samples a watch keeps into a directory, each
// atomically (a temporary file renamed into place) and never over
// another, named by the time it was taken so that leakscan trend reads
// back their order and times: goroutine-20251107T225905.123Z.txt.
type saver struct {
	dir     string
	pending map[*parse.Snapshot]*os.File // fetched, not yet kept or dropped
}

func newSaver(dir string) (*saver, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("--save %s: %w", dir, unwrapPath(err))
	}
	return &saver{dir: dir, pending: make(map[*parse.Snapshot]*os.File)}, nil
}

func (sv *saver) create() (*os.File, error) {
	f, err := os.CreateTemp(sv.dir, ".goroutine-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("--save %s: %w", sv.dir, unwrapPath(err))
	}
	return f, nil
}

func (sv *saver) remove(tmp *os.File) {
	tmp.Close()
	os.Remove(tmp.Name())
}

// drop forgets a snapshot the watch did not use.
func (sv *saver) drop(snap *parse.Snapshot) {
	if tmp := sv.pending[snap]; tmp != nil {
		delete(sv.pending, snap)
		sv.remove(tmp)
	}
}

// close removes what was fetched and neither kept nor dropped, as when
// the watch is interrupted.
func (sv *saver) close() {
	for snap := range sv.pending {
		sv.drop(snap)
	}
}

// savedLayout is the time in a saved sample's name.
const savedLayout = "20060102T150405.000Z"

// learnt keeps a full dump that the runtime cut, which light sampling
// took for its sites only: .cut.txt, which trend learns from and does not
// count.
func (sv *saver) learnt(snap *parse.Snapshot) error { return sv.keepAs(snap, cutExt) }

// cutExt ends the name of a saved full dump that the runtime cut.
const cutExt = ".cut.txt"

// keep moves a snapshot's bytes into place.
func (sv *saver) keep(snap *parse.Snapshot) error { return sv.keepAs(snap, "") }

// keepAs moves a snapshot's bytes into place under a name ending in ext,
// or in the extension of its format when ext is empty.
func (sv *saver) keepAs(snap *parse.Snapshot, ext string) error {
	tmp := sv.pending[snap]
	if tmp == nil {
		return nil
	}
	defer sv.drop(snap)
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("--save %s: %w", sv.dir, err)
	}
	switch {
	case ext != "":
	case snap.Format == parse.FormatDebug1:
		// A counted profile of light sampling; the full dumps are .txt.
		ext = ".debug1.txt"
	case snap.Format == parse.FormatProto:
		ext = ".pb"
		var magic [2]byte
		if _, err := tmp.ReadAt(magic[:], 0); err == nil && bytes.Equal(magic[:], []byte{0x1f, 0x8b}) {
			ext = ".pb.gz"
		}
	default:
		ext = ".txt"
	}
	base := "goroutine-" + snap.Time.UTC().Format(savedLayout)
	for n := 0; ; n++ {
		name := base + ext
		if n > 0 {
			name = fmt.Sprintf("%s-%d%s", base, n, ext)
		}
		// A hard link fails if the name is taken: never over another.
		err := os.Link(tmp.Name(), filepath.Join(sv.dir, name))
		if err == nil {
			return nil
		}
		if !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("--save %s: %w", sv.dir, unwrapPath(err))
		}
	}
}

// progress says on stderr how a watch goes: on a terminal one line
// redrawn in place, otherwise a line per sample.
type progress struct {
	s        *streams
	url      string
	terminal bool
	drawn    bool
}

func (p *progress) observe(e watch.Event) {
	of := fmt.Sprint(e.N)
	if e.Planned > 0 {
		of = fmt.Sprintf("%d/%d", e.N, e.Planned)
	}
	if e.Fallback != nil {
		p.clear()
		fmt.Fprintf(p.s.Err, "leakscan: --sampling light: %s; sampling in full\n", oneLine(e.Fallback.Error()))
	}
	if e.Err != nil {
		p.clear()
		fmt.Fprintf(p.s.Err, "leakscan: sample %s failed: %s\n", of, oneLine(e.Err.Error()))
		return
	}
	r := e.Result
	if e.Restart {
		p.clear()
		fmt.Fprintf(p.s.Err, "leakscan: sample %s: the target restarted (goroutine ids started over); analysing from here\n", of)
	}
	seg := r.Snapshots[r.Start:]
	now := seg[len(seg)-1].Goroutines
	line := fmt.Sprintf("sampling %s   %s   total %d (%+d)", p.url, of, now, now-seg[0].Goroutines)
	if e.Full && e.Why != "" {
		line += "   full dump: " + e.Why
	}
	if lead := report.Leading(r); lead != "" {
		line += "   leading: " + lead
	}
	if p.terminal {
		fmt.Fprint(p.s.Err, "\r\x1b[K"+line)
		p.drawn = true
		return
	}
	fmt.Fprintln(p.s.Err, "leakscan: "+line)
}

// clear ends a line drawn in place, so that a message gets one of its own.
func (p *progress) clear() {
	if p.drawn {
		fmt.Fprint(p.s.Err, "\r\x1b[K")
		p.drawn = false
	}
}

func (p *progress) done() {
	if p.drawn {
		fmt.Fprintln(p.s.Err)
		p.drawn = false
	}
}
