package watch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

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
