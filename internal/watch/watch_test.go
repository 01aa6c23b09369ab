package watch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/leakscan/leakscan/internal/diff"
	"github.com/leakscan/leakscan/internal/parse"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeClock is virtual time: Sleep returns at once, having moved the
// clock to when it was asked to wake.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(ctx context.Context, t time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if t.After(c.now) {
		c.now = t
	}
	return nil
}

var t0 = time.Date(2026, 11, 7, 22, 45, 0, 0, time.UTC)

// target is a fake service: sample k returns dumps[k](k), after taking
// cost[k] of virtual time.
type target struct {
	clk   *fakeClock
	dumps func(k int) (string, error)
	cost  func(k int) time.Duration
	taken []time.Time
}

func (tg *target) Fetch(ctx context.Context) (*parse.Snapshot, error) {
	k := len(tg.taken)
	tg.taken = append(tg.taken, tg.clk.now)
	if tg.cost != nil {
		tg.clk.now = tg.clk.now.Add(tg.cost(k))
	}
	text, err := tg.dumps(k)
	if err != nil {
		return nil, err
	}
	return parse.Read(ctx, strings.NewReader(text), fmt.Sprintf("sample %d", k), parse.Options{})
}

// dump writes a debug=2 dump with n goroutines started at leaky.go:12,
// ids from first, and goroutine 1.
func dump(first, n int) string {
	var b strings.Builder
	b.WriteString("goroutine 1 [select]:\nmain.main()\n\t/app/main.go:20 +0x1\n")
	for i := range n {
		fmt.Fprintf(&b, "\ngoroutine %d [chan send]:\nmain.poll()\n\t/app/leaky.go:14 +0x1\ncreated by main.start in goroutine 1\n\t/app/leaky.go:12 +0x2\n", first+i)
	}
	return b.String()
}

func TestSchedule(t *testing.T) {
	clk := &fakeClock{now: t0}
	// The third sample takes 25 s of a 10 s interval: the two samples
	// due while it runs are skipped, the one after is on time.
	tg := &target{clk: clk, dumps: func(k int) (string, error) { return dump(10, 16*(k+1)), nil },
		cost: func(k int) time.Duration {
			if k == 2 {
				return 25 * time.Second
			}
			return 100 * time.Millisecond
		}}
	var events []Event
	sum, err := Run(context.Background(), tg, clk, Options{Interval: 10 * time.Second, Duration: time.Minute,
		Observe: func(e Event) { events = append(events, e) }})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, at := range tg.taken {
		got = append(got, at.Sub(t0).String())
	}
	if want := "0s 10s 20s 50s 1m0s"; strings.Join(got, " ") != want {
		t.Errorf("samples taken at %s, want %s", strings.Join(got, " "), want)
	}
	if sum.Taken != 5 || sum.Failed != 0 || sum.Skipped != 2 || sum.Interrupted {
		t.Errorf("summary %+v, want 5 taken, 2 skipped", sum)
	}
	if len(events) != 5 || events[2].Skipped != 2 || events[0].Planned != 7 {
		t.Errorf("events: %d, third skipped %d, planned %d", len(events), events[2].Skipped, events[0].Planned)
	}
	// Each snapshot records the time its sample was due.
	for i, m := range sum.Result.Snapshots {
		if !m.Time.Equal(tg.taken[i]) {
			t.Errorf("snapshot %d at %s, taken at %s", i, m.Time, tg.taken[i])
		}
	}
}

func TestFailuresAndSamples(t *testing.T) {
	clk := &fakeClock{now: t0}
	refused := errors.New("connection refused")
	tg := &target{clk: clk, dumps: func(k int) (string, error) {
		if k == 1 || k == 2 {
			return "", refused
		}
		return dump(10, 3), nil
	}}
	var failed []int
	sum, err := Run(context.Background(), tg, clk, Options{Interval: time.Second, Samples: 5,
		Observe: func(e Event) {
			if e.Err != nil {
				failed = append(failed, e.N)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Taken != 3 || sum.Failed != 2 || fmt.Sprint(failed) != "[2 3]" || len(sum.Result.Snapshots) != 3 {
		t.Errorf("summary %+v, failed samples %v", sum, failed)
	}

	// Only when every sample fails is it an error.
	clk = &fakeClock{now: t0}
	tg = &target{clk: clk, dumps: func(int) (string, error) { return "", refused }}
	sum, err = Run(context.Background(), tg, clk, Options{Interval: time.Second, Samples: 3})
	if !errors.Is(err, ErrNoSample) || !errors.Is(err, refused) || sum.Failed != 3 {
		t.Errorf("Run = %+v, %v; want ErrNoSample wrapping the last failure", sum, err)
	}
}

func TestInterrupted(t *testing.T) {
	clk := &fakeClock{now: t0}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tg := &target{clk: clk, dumps: func(k int) (string, error) {
		if k == 3 {
			cancel()
			return "", context.Canceled
		}
		return dump(10, k+1), nil
	}}
	sum, err := Run(ctx, tg, clk, Options{Interval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Interrupted || sum.Taken != 3 || sum.Failed != 0 || len(sum.Result.Snapshots) != 3 {
		t.Errorf("summary %+v: want interrupted after 3 samples, the cut one not counted", sum)
	}
}

func TestRestartSplits(t *testing.T) {
	clk := &fakeClock{now: t0}
	// Samples 0-2 of one process (ids from 1000), then it restarts: ids
	// start over, at other sites.
	restarted := func(n int) string {
		var b strings.Builder
		b.WriteString("goroutine 1 [select]:\nmain.main()\n\t/app/main.go:20 +0x1\n")
		for i := range n {
			fmt.Fprintf(&b, "\ngoroutine %d [IO wait]:\nmain.serve()\n\t/app/serve.go:4 +0x1\ncreated by main.listen in goroutine 1\n\t/app/serve.go:2 +0x2\n", 1000+i)
		}
		return b.String()
	}
	tg := &target{clk: clk, dumps: func(k int) (string, error) {
		if k < 3 {
			return restarted(5) + "\n" + dump(10, 16*(k+1))[len("goroutine 1 [select]:\nmain.main()\n\t/app/main.go:20 +0x1\n"):], nil
		}
		return dump(1000, 16*(k-2)), nil
	}}
	var restartAt []int
	sum, err := Run(context.Background(), tg, clk, Options{Interval: time.Second, Samples: 6,
		Observe: func(e Event) {
			if e.Restart {
				restartAt = append(restartAt, e.N)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	r := sum.Result
	if fmt.Sprint(restartAt) != "[4]" || r.Start != 3 || len(r.Snapshots) != 6 || !r.Snapshots[3].Restart {
		t.Fatalf("restarts at %v, start %d: want the series split at sample 4", restartAt, r.Start)
	}
	for _, s := range r.Sites {
		if s.Func == "main.start" && (s.Delta != 32 || s.Survived != 16) {
			t.Errorf("main.start since the restart: delta %d, survived %d; want 32 and 16", s.Delta, s.Survived)
		}
		if s.Func == "main.listen" {
			t.Errorf("a site of the process before the restart is analysed: %+v", s)
		}
	}
}

// counted writes the debug=1 profile of what dump(first, n) holds, plus
// extra goroutines at another site when extra > 0.
func counted(n, extra int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "goroutine profile: total %d\n1 @ 0x1 0x2\n#\t0x1\tmain.main+0x1\t/app/main.go:20\n\n", 1+n+extra)
	if n > 0 {
		fmt.Fprintf(&b, "%d @ 0x3 0x4\n#\t0x3\tmain.poll+0x1\t/app/leaky.go:14\n\n", n)
	}
	if extra > 0 {
		fmt.Fprintf(&b, "%d @ 0x5 0x6\n#\t0x5\tmain.other+0x1\t/app/other.go:5\n\n", extra)
	}
	return b.String()
}

// withOther adds extra goroutines at other.go to dump(first, n).
func withOther(first, n, extra int) string {
	s := dump(first, n)
	for i := range extra {
		s += fmt.Sprintf("\ngoroutine %d [select]:\nmain.other()\n\t/app/other.go:5 +0x1\ncreated by main.start2 in goroutine 1\n\t/app/other.go:2 +0x2\n", 5000+i)
	}
	return s
}

// lightTarget serves, at sample k, 16*(k+1) goroutines at leaky.go and,
// from sample 4 on, 2 at other.go: full dumps from full, counted
// profiles from count; it counts the calls of each.
type lightTarget struct {
	full, count int
	notServed   bool
}

func (lt *lightTarget) n(k int) (int, int) {
	extra := 0
	if k >= 4 {
		extra = 2
	}
	return 16 * (k + 1), extra
}

func (lt *lightTarget) fetchers() (Fetcher, Fetcher) {
	k := 0
	full := FetchFunc(func(ctx context.Context) (*parse.Snapshot, error) {
		lt.full++
		n, extra := lt.n(k)
		k++
		return parse.Read(ctx, strings.NewReader(withOther(10, n, extra)), "full", parse.Options{})
	})
	count := FetchFunc(func(ctx context.Context) (*parse.Snapshot, error) {
		lt.count++
		if lt.notServed {
			return nil, fmt.Errorf("%w: 404 Not Found", ErrNotServed)
		}
		n, extra := lt.n(k)
		k++
		return parse.Read(ctx, strings.NewReader(counted(n, extra)), "counted", parse.Options{})
	})
	return full, count
}

// TestLightSampling takes 10 samples: full dumps at the first, when a
// stack no full dump has appears (sample 5, exactly once), and at the
// last; counted profiles between; and the same verdict as full sampling.
func TestLightSampling(t *testing.T) {
	lt := &lightTarget{}
	full, count := lt.fetchers()
	clk := &fakeClock{now: t0}
	var whys []string
	sum, err := Run(context.Background(), full, clk, Options{Interval: 30 * time.Second, Samples: 10, Sampling: Light, Counted: count,
		Observe: func(e Event) {
			if e.Full {
				whys = append(whys, fmt.Sprintf("%d %s", e.N, e.Why))
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "[1 first sample 5 new stacks 10 last sample]"; fmt.Sprint(whys) != want || sum.FullDumps != 3 || lt.full != 3 {
		t.Errorf("full dumps at %v (%d fetched), want %s", whys, lt.full, want)
	}
	if lt.count != 8 {
		t.Errorf("%d counted profiles fetched, want 8 (samples 2 to 9, and 5 before its full dump)", lt.count)
	}
	r := sum.Result
	if !r.IDs || r.FullDumps != 3 {
		t.Errorf("ids %v, full dumps %d: survival between the first and last full dumps", r.IDs, r.FullDumps)
	}
	for _, s := range r.Sites {
		if s.Func == "main.start" {
			if s.Judgement.Verdict != diff.VerdictLeak || s.Judgement.Step != 16 || s.Judgement.StepEvery != 30*time.Second || s.Survived != 16 {
				t.Errorf("leak site: %+v", s.Judgement)
			}
			return
		}
	}
	t.Errorf("no site main.start in %d sites", len(r.Sites))
}

// TestLightFallsBack: a target that does not serve the counted profile is
// sampled in full, said once.
func TestLightFallsBack(t *testing.T) {
	lt := &lightTarget{notServed: true}
	full, count := lt.fetchers()
	clk := &fakeClock{now: t0}
	fallbacks := 0
	sum, err := Run(context.Background(), full, clk, Options{Interval: time.Second, Samples: 6, Sampling: Light, Counted: count,
		Observe: func(e Event) {
			if e.Fallback != nil {
				fallbacks++
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if fallbacks != 1 || lt.count != 1 || lt.full != 6 || sum.Sampling != Full || !errors.Is(sum.Fallback, ErrNotServed) {
		t.Errorf("fallbacks %d, counted %d, full %d, sampling %s, fallback %v", fallbacks, lt.count, lt.full, sum.Sampling, sum.Fallback)
	}
}

// TestAutoSampling turns light only for a target as large as
// AutoThreshold.
func TestAutoSampling(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want Sampling
	}{{100, Full}, {AutoThreshold, Light}} {
		clk := &fakeClock{now: t0}
		full := FetchFunc(func(ctx context.Context) (*parse.Snapshot, error) {
			return parse.Read(ctx, strings.NewReader(dump(10, tc.n)), "full", parse.Options{})
		})
		count := FetchFunc(func(ctx context.Context) (*parse.Snapshot, error) {
			return parse.Read(ctx, strings.NewReader(counted(tc.n, 0)), "counted", parse.Options{})
		})
		sum, err := Run(context.Background(), full, clk, Options{Interval: time.Second, Samples: 3, Sampling: Auto, Counted: count})
		if err != nil {
			t.Fatal(err)
		}
		wantFull := 3
		if tc.want == Light {
			wantFull = 2 // the first and the last
		}
		if sum.Sampling != tc.want || sum.FullDumps != wantFull {
			t.Errorf("%d goroutines: sampling %s with %d full dumps, want %s with %d", tc.n, sum.Sampling, sum.FullDumps, tc.want, wantFull)
		}
	}
}

// TestLightFallsBackOnFullAnswer: a target whose counted profile URL
// answers with a full dump anyway is sampled in full from then on.
func TestLightFallsBackOnFullAnswer(t *testing.T) {
	clk := &fakeClock{now: t0}
	k, counts := 0, 0
	full := FetchFunc(func(ctx context.Context) (*parse.Snapshot, error) {
		k++
		return parse.Read(ctx, strings.NewReader(dump(10, 16*k)), "full", parse.Options{})
	})
	count := FetchFunc(func(ctx context.Context) (*parse.Snapshot, error) {
		counts++
		k++
		return parse.Read(ctx, strings.NewReader(dump(10, 16*k)), "counted?", parse.Options{})
	})
	sum, err := Run(context.Background(), full, clk, Options{Interval: time.Second, Samples: 5, Sampling: Light, Counted: count})
	if err != nil {
		t.Fatal(err)
	}
	if counts != 1 || sum.Sampling != Full || sum.Fallback == nil || sum.FullDumps != 5 || sum.Taken != 5 {
		t.Errorf("counted fetched %d times, sampling %s, fallback %v, %d full of %d", counts, sum.Sampling, sum.Fallback, sum.FullDumps, sum.Taken)
	}
}
