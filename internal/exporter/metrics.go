package exporter

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leakscan/leakscan/internal/diff"
	"github.com/leakscan/leakscan/internal/parse"
)

// The labels of a site's series:
//
//	creator  the function with the go statement; for a site keyed by a
//	         spawning helper, the helper (sync.(*WaitGroup).Go, ...);
//	         "" for a profile without creators (debug=1, protobuf)
//	file     the go statement's file, or the entry function's when the
//	         site has no go statement of its own (helper, no creator)
//	line     the go statement's line, "" when the site has none
//	entry    the function the site's goroutines run
//
// They are those of leakscan's JSON, but for line: an entry function's
// line is where its goroutines happen to be, which would make a new
// series whenever that moves.
var siteLabels = []string{"creator", "file", "line", "entry"}

// otherCreator is the creator label of the series that sums the sites
// past Options.MaxSites. No Go function is named so.
const otherCreator = "(other)"

// maxLabelBytes bounds a label value: a hostile dump cannot make the
// exporter answer with megabyte-long function names.
const maxLabelBytes = 1024

// row is one site's series.
type row struct {
	labels          [4]string
	goroutines      int // not benign
	over1m, over10m int // of those, waiting at least 1 and 10 minutes
	leaked          int
}

// register adds the sample's metrics to reg. Benign goroutines (see
// diff.Benign) are left out of the site series, so that nothing a
// healthy program always has can look like growth, and are counted by
// reason in leakscan_benign_goroutines: the site series and that add up
// to leakscan_goroutines.
func (s *sample) register(reg *prometheus.Registry, maxSites int) {
	res := s.result
	meta := res.Snapshots[0]
	var rows []*row
	bySite := make(map[parse.Site]*row)
	benign := make(map[string]int)
	for _, site := range res.Sites {
		r := &row{labels: labelsOf(site), goroutines: site.Counted(0), leaked: site.Leaked}
		for _, w := range site.Waits {
			if w.Benign != "" {
				benign[w.Benign] += w.Count
				continue
			}
			r.over1m += w.Over1m
			r.over10m += w.Over10m
		}
		if site.AllBenign || r.goroutines == 0 && r.leaked == 0 {
			continue
		}
		rows = append(rows, r)
		bySite[site.Site] = r
	}
	sites := len(rows)
	if s.leaked != nil {
		for _, site := range s.leaked.Sites {
			if r := bySite[site.Site]; r != nil {
				r.leaked += site.Counts[0]
				continue
			}
			rows = append(rows, &row{labels: labelsOf(site), leaked: site.Counts[0]})
		}
	}
	slices.SortFunc(rows, func(a, b *row) int {
		if c := cmp.Compare(b.goroutines, a.goroutines); c != 0 {
			return c
		}
		if c := cmp.Compare(b.leaked, a.leaked); c != 0 {
			return c
		}
		return slices.Compare(a.labels[:], b.labels[:])
	})
	if len(rows) > maxSites {
		other := &row{labels: [4]string{otherCreator}}
		for _, r := range rows[maxSites:] {
			other.goroutines += r.goroutines
			other.over1m += r.over1m
			other.over10m += r.over10m
			other.leaked += r.leaked
		}
		rows = append(rows[:maxSites], other)
	}

	gauge := func(name, help string, v int) {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
		g.Set(float64(v))
		reg.MustRegister(g)
	}
	vec := func(name, help string, labels ...string) *prometheus.GaugeVec {
		v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
		reg.MustRegister(v)
		return v
	}
	gauge("leakscan_goroutines", "Goroutines in the target's dump, benign ones included.", meta.Goroutines)
	gauge("leakscan_sites", "Creation sites with goroutines that are not benign, before --max-sites sums the smallest into one.", sites)
	gauge("leakscan_dump_truncated", "1 when the dump stopped inside a goroutine, as the runtime cuts debug=2 at 64 MiB: counts stop there.", b2i(meta.Truncated))
	info := vec("leakscan_probe_dump_info",
		"The dump read: format debug=2 has creation sites and wait minutes, debug=1 and protobuf have entry functions only.",
		"format", "profile")
	info.WithLabelValues(string(meta.Format), meta.Profile).Set(1)
	benignVec := vec("leakscan_benign_goroutines",
		"Goroutines any healthy program has (idle HTTP connections, the runtime's, os/signal's, ...), by reason; left out of the site series.",
		"reason")
	for reason, n := range benign {
		benignVec.WithLabelValues(labelValue(reason)).Set(float64(n))
	}

	goroutines := vec("leakscan_site_goroutines",
		"Goroutines of a creation site that are not benign.", siteLabels...)
	waiting := vec("leakscan_site_waiting_goroutines",
		"Goroutines of a creation site waiting at least min_wait (1m, 10m), from the runtime's wait minutes (debug=2 only; present when not 0). Goroutines that come and go never wait long; a leak's wait longer and longer.",
		append(slices.Clone(siteLabels), "min_wait")...)
	leaked := vec("leakscan_site_leaked_goroutines",
		"Goroutines of a creation site that the runtime proved leaked (profile=goroutineleak; present when not 0).", siteLabels...)
	waits := meta.Format.HasIDs()
	for _, r := range rows {
		l := r.labels[:]
		if r.goroutines > 0 {
			goroutines.WithLabelValues(l...).Add(float64(r.goroutines))
		}
		if waits && r.over1m > 0 {
			waiting.WithLabelValues(append(slices.Clone(l), "1m")...).Add(float64(r.over1m))
		}
		if waits && r.over10m > 0 {
			waiting.WithLabelValues(append(slices.Clone(l), "10m")...).Add(float64(r.over10m))
		}
		if r.leaked > 0 {
			leaked.WithLabelValues(l...).Add(float64(r.leaked))
		}
	}
}

// labelsOf is a site's label values (see siteLabels).
func labelsOf(s *diff.Site) [4]string {
	var l [4]string
	switch s.Kind {
	case parse.KeyCreatedBy:
		l = [4]string{s.Func, s.File, strconv.Itoa(s.Line), s.Entry.Func}
	case parse.KeyHelper:
		l = [4]string{s.Creator.Func, s.Entry.File, "", s.Func}
	default:
		l = [4]string{"", s.Entry.File, "", s.Func}
	}
	for i := range l {
		l[i] = labelValue(l[i])
	}
	return l
}

// labelValue makes s a valid label value of at most maxLabelBytes, which
// client_golang requires to be UTF-8. Two values cut alike are summed.
func labelValue(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= maxLabelBytes {
		return s
	}
	cut := maxLabelBytes - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
