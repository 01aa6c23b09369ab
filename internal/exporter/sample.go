package exporter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/leakscan/leakscan/internal/diff"
	"github.com/leakscan/leakscan/internal/fetch"
	"github.com/leakscan/leakscan/internal/parse"
)

// Sampling says which profiles a probe fetches from a target whose URL
// has no query of its own.
//
// The choice is a measured one (README: Fleet): a debug=2 dump stops the
// target's world while the runtime writes every stack, about 50 µs per
// goroutine on 2 cores (0.07 s for 2,000 goroutines, 6 s for 100,000,
// whose dump the runtime cuts at 64 MiB), while the counted profile
// (debug=1) is collected with only short stops, under 0.1 s in all at
// 100,000. Only debug=2 has creation sites and wait minutes.
type Sampling string

const (
	// SamplingAuto fetches the counted profile, which is cheap for any
	// target and says how many goroutines it has, and then the full
	// dump when that is at most Options.FullMaxGoroutines: small targets
	// get creation sites and wait minutes, large ones are not stopped.
	SamplingAuto Sampling = "auto"
	// SamplingFull fetches the full dump only.
	SamplingFull Sampling = "full"
	// SamplingLight fetches the counted profile only: sites are entry
	// functions, and there are no wait minutes.
	SamplingLight Sampling = "light"
)

// ParseSampling reads "auto", "full" or "light".
func ParseSampling(s string) (Sampling, error) {
	switch v := Sampling(s); v {
	case SamplingAuto, SamplingFull, SamplingLight:
		return v, nil
	}
	return "", fmt.Errorf("sampling %q: want auto, full or light", s)
}

// plan is what a probe is to fetch, decided before any request.
type plan struct {
	name     string   // the target as given, redacted, for messages
	url      *url.URL // the target's profile URL
	explicit bool     // the URL has a query or a path of its own: fetched as it is
	profile  string   // goroutine or goroutineleak, unless explicit
	sampling Sampling
	header   http.Header
	timeout  time.Duration
}

// plan checks a probe's target and profile parameters. The target is any
// live endpoint leakscan top takes; files and stdin are refused, and so
// are credentials in the URL, which belong in the Config.
func (e *Exporter) plan(target, profile string) (*plan, error) {
	if target == "" {
		return nil, errors.New("target parameter is missing (want /probe?target=HOST:PORT)")
	}
	name := fetch.Redact(target)
	if !fetch.IsURL(target) {
		return nil, fmt.Errorf("target %s: not a live endpoint (want host:port or an http or https URL)", name)
	}
	raw, err := fetch.Normalize(target)
	if err != nil {
		return nil, fmt.Errorf("target %w", err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("target %s: %w", name, err)
	}
	if u.User != nil {
		return nil, fmt.Errorf("target %s: credentials belong in the exporter's --config file, not in the target", name)
	}
	p := &plan{name: name, url: u, explicit: hasQuery(target), sampling: e.opts.Sampling}
	base := path.Base(u.Path)
	profiled := base == "goroutine" || base == "goroutineleak"
	switch profile {
	case "":
		p.profile = base
		p.explicit = p.explicit || !profiled
	case "goroutine", "goroutineleak":
		if !profiled {
			return nil, fmt.Errorf("profile=%s: target %s names a path of its own (want host:port, a /debug/pprof/ base or a goroutine profile)", profile, name)
		}
		p.profile = profile
		u.Path, u.RawPath = path.Join(path.Dir(u.Path), profile), ""
	default:
		return nil, fmt.Errorf("profile %q: want goroutine or goroutineleak", profile)
	}
	if t := e.opts.Config.lookup(u.Host); t != nil {
		p.header = t.Header
		if t.Sampling != "" {
			p.sampling = t.Sampling
		}
	}
	return p, nil
}

// hasQuery reports whether a target has a query of its own, which says
// what the user wants (?debug=1, ?seconds=30), as for leakscan top: it is
// fetched as given.
func hasQuery(target string) bool {
	_, q, ok := strings.Cut(target, "?")
	q, _, _ = strings.Cut(q, "#")
	return ok && q != ""
}

// at is the URL of profile at a debug level, for a target without a
// query of its own.
func (p *plan) at(profile string, debug int) string {
	u := *p.url
	u.Path, u.RawPath = path.Join(path.Dir(u.Path), profile), ""
	u.RawQuery = "debug=" + strconv.Itoa(debug)
	return u.String()
}

// sample is what a probe read of its target.
type sample struct {
	result *diff.Result
	// leaked is the goroutineleak profile's counted form, read beside
	// the counted goroutine profile by a light probe of that profile:
	// it counts only the goroutines the runtime proved leaked.
	leaked *diff.Result
}

// sample fetches and analyses what p says.
func (e *Exporter) sample(ctx context.Context, p *plan) (*sample, error) {
	if p.explicit {
		r, err := e.read(ctx, p, p.url.String())
		return &sample{result: r}, err
	}
	if p.sampling == SamplingFull {
		r, err := e.read(ctx, p, p.at(p.profile, 2))
		return &sample{result: r}, err
	}
	counted, err := e.read(ctx, p, p.at("goroutine", 1))
	if err != nil {
		return nil, err
	}
	if p.sampling == SamplingAuto && counted.Snapshots[0].Goroutines <= e.opts.FullMaxGoroutines {
		r, err := e.read(ctx, p, p.at(p.profile, 2))
		return &sample{result: r}, err
	}
	s := &sample{result: counted}
	if p.profile == "goroutineleak" {
		if s.leaked, err = e.read(ctx, p, p.at("goroutineleak", 1)); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// read fetches one profile within the probe's deadline and analyses it
// as leakscan top does. The parse runs in the probe's goroutine: probes
// run side by side, each on one core at most.
func (e *Exporter) read(ctx context.Context, p *plan, rawURL string) (*diff.Result, error) {
	timeout := p.timeout
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	if timeout <= 0 {
		return nil, context.DeadlineExceeded
	}
	body, err := fetch.Open(ctx, rawURL, fetch.Options{
		Timeout: timeout, MaxBytes: e.opts.MaxBytes, Header: p.header, RootCAs: e.opts.RootCAs, Client: e.opts.Client,
	})
	if err != nil {
		return nil, err
	}
	defer body.Close()
	snap, err := parse.Read(ctx, body, fetch.Redact(rawURL), parse.Options{Workers: 1, MaxBytes: e.opts.MaxBytes})
	if fe, ok := errors.AsType[*fetch.Error](err); ok {
		return nil, fe // it names the URL already
	}
	if err != nil {
		return nil, err
	}
	series := diff.NewSeries(diff.Filter{Spawners: e.opts.Spawners})
	if err := series.Add(snap); err != nil {
		return nil, err
	}
	return series.Result(), nil
}
