package diff

import "math"

// Policy holds the limits of the CI gate. A negative limit is unset.
type Policy struct {
	// MaxGrowth is the most any one site may grow (last count minus first).
	MaxGrowth int
	// MaxTotalGrowth is the most all sites together may grow.
	MaxTotalGrowth int
	// MaxRate is the most any one site may grow per minute; it applies
	// only when the snapshots' times are known.
	MaxRate float64
	// FailOnLeak fails the gate for every site whose verdict is leak.
	FailOnLeak bool
}

// DefaultPolicy sets no limit: without a gate, leakscan only reports.
var DefaultPolicy = Policy{MaxGrowth: -1, MaxTotalGrowth: -1, MaxRate: -1}

// Breach is one limit crossed. Site is nil for the total.
type Breach struct {
	Rule  string // "max-growth", "max-total-growth", "max-rate", "leak"
	Limit float64
	Value float64
	Site  *Site
}

// Check returns the limits of p that r crosses, sites in rank order: an
// empty, non-nil slice when none is. Benign goroutines never count: the
// total is the change of every goroutine that is neither benign nor
// ignored.
func (r *Result) Check(p Policy) []Breach {
	out := []Breach{}
	total := 0
	for _, s := range r.Sites {
		if s.AllBenign {
			continue
		}
		total += s.Delta
		if p.MaxGrowth >= 0 && s.Delta > p.MaxGrowth {
			out = append(out, Breach{Rule: "max-growth", Limit: float64(p.MaxGrowth), Value: float64(s.Delta), Site: s})
		}
		if p.MaxRate >= 0 && r.Timed && s.PerMinute > p.MaxRate {
			out = append(out, Breach{Rule: "max-rate", Limit: p.MaxRate, Value: math.Round(s.PerMinute*100) / 100, Site: s})
		}
		if p.FailOnLeak && s.Judgement.Verdict == VerdictLeak {
			out = append(out, Breach{Rule: "leak", Value: float64(s.Delta), Site: s})
		}
	}
	if p.MaxTotalGrowth >= 0 && total > p.MaxTotalGrowth {
		out = append(out, Breach{Rule: "max-total-growth", Limit: float64(p.MaxTotalGrowth), Value: float64(total)})
	}
	return out
}
