package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leakscan/leakscan/internal/diff"
)

// This file works out the geometry of the report's SVG charts: the
// templates only place the points, lines and labels it computes.

// htmlChart is one chart of goroutines over the snapshots, in the
// coordinates of its viewBox (0 0 Width Height).
type htmlChart struct {
	Width, Height int
	// Label says in words what the chart shows, for screen readers and
	// for a tooltip.
	Label string
	// Plot is the area the data is drawn in.
	Plot htmlRect
	// Line is the counts as the points of a polyline; Last is the last
	// point, marked.
	Line string
	Last htmlPoint
	// Fit is the fitted growth over the process analysed, as a line;
	// nil when there is none.
	Fit *htmlSegment
	// Restarts mark the first snapshot of each new process.
	Restarts []htmlSegment
	// YTicks and XTicks are the axis labels (the small charts have only
	// the top of the scale).
	YTicks, XTicks []htmlTick
}

type htmlRect struct{ X, Y, W, H string }

type htmlPoint struct{ X, Y string }

type htmlSegment struct{ X1, Y1, X2, Y2 string }

// htmlTick is an axis label and, for a y tick, its grid line.
type htmlTick struct {
	X, Y   string
	Anchor string // text-anchor: start, middle or end
	Text   string
	Grid   *htmlSegment
}

// The sizes of the charts, in viewBox units (about CSS pixels).
const (
	totalWidth, totalHeight = 720, 180
	siteWidth, siteHeight   = 240, 56
)

// chartData is what a chart draws: a count per snapshot at its place on
// the x axis (seconds since the first, or the snapshot's index when the
// times are unknown), the restarts, and the fit over the snapshots from
// start on.
type chartData struct {
	xs       []float64
	ys       []int
	timed    bool
	restarts []int
	start    int
	// slope is the fitted growth per x unit; fit is false for no fit.
	slope float64
	fit   bool
}

// xAxis places r's snapshots on the x axis: seconds since the first when
// every snapshot has a time and they do not go back, else their index.
func xAxis(r *diff.Result) ([]float64, bool) {
	xs := make([]float64, len(r.Snapshots))
	timed := len(r.Snapshots) > 0
	for i, m := range r.Snapshots {
		if m.Time.IsZero() || i > 0 && m.Time.Before(r.Snapshots[i-1].Time) {
			timed = false
		}
	}
	for i, m := range r.Snapshots {
		xs[i] = float64(i)
		if timed {
			xs[i] = m.Time.Sub(r.Snapshots[0].Time).Seconds()
		}
	}
	return xs, timed
}

func restartsOf(r *diff.Result) []int {
	var out []int
	for i, m := range r.Snapshots {
		if i > 0 && m.Restart {
			out = append(out, i)
		}
	}
	return out
}

// totalChart is the chart of every goroutine of each snapshot, with the
// axes labelled: the time of the first snapshot and how long after it
// the last was taken.
func totalChart(r *diff.Result) *htmlChart {
	if len(r.Snapshots) < 2 {
		return nil
	}
	xs, timed := xAxis(r)
	d := chartData{xs: xs, timed: timed, restarts: restartsOf(r), start: r.Start}
	for _, m := range r.Snapshots {
		d.ys = append(d.ys, m.Goroutines)
	}
	first, last := d.ys[r.Start], d.ys[len(d.ys)-1]
	c := d.draw(totalWidth, totalHeight, htmlPad{left: 44, right: 12, top: 12, bottom: 24}, true)
	c.Label = fmt.Sprintf("every goroutine of each of %d snapshots: %d at first, %d at last", len(d.ys), d.ys[0], last)
	if r.Start > 0 {
		c.Label += fmt.Sprintf(", %d after the restart", first)
	}
	return c
}

// siteChart is the small chart of one site's counted goroutines, with
// its fitted growth when the series has three snapshots or more.
func siteChart(r *diff.Result, s *diff.Site, fit bool) *htmlChart {
	if len(r.Snapshots) < 2 {
		return nil
	}
	xs, timed := xAxis(r)
	d := chartData{xs: xs, timed: timed, restarts: restartsOf(r), start: r.Start}
	for i := range s.Counts {
		d.ys = append(d.ys, s.Counted(i))
	}
	j := s.Judgement
	switch {
	case !fit || len(r.Snapshots)-r.Start < 3:
	case timed && r.Timed:
		d.slope, d.fit = j.PerMinute/60, true
	case !timed && !r.Timed:
		d.slope, d.fit = j.PerSample, true
	}
	c := d.draw(siteWidth, siteHeight, htmlPad{left: 4, right: 6, top: 12, bottom: 4}, false)
	c.Label = fmt.Sprintf("goroutines of this site in each of %d snapshots: %d at first, %d at last", len(d.ys), d.ys[r.Start], d.ys[len(d.ys)-1])
	if d.fit {
		unit := "per sample"
		rate := d.slope
		if timed {
			unit, rate = "per minute", d.slope*60
		}
		c.Label += fmt.Sprintf("; fitted growth %s %s", strconv.FormatFloat(rate, 'f', 1, 64), unit)
	}
	return c
}

type htmlPad struct{ left, right, top, bottom float64 }

// draw lays out d in a chart of w×h. The y scale starts at zero and ends
// at a round number above the counts and the fit.
func (d chartData) draw(w, h int, pad htmlPad, axes bool) *htmlChart {
	c := &htmlChart{Width: w, Height: h}
	px, py := pad.left, pad.top
	pw, ph := float64(w)-pad.left-pad.right, float64(h)-pad.top-pad.bottom
	c.Plot = htmlRect{X: coord(px), Y: coord(py), W: coord(pw), H: coord(ph)}

	x0, x1 := d.xs[0], d.xs[len(d.xs)-1]
	fitA := 0.0
	top := 0
	for _, y := range d.ys {
		top = max(top, y)
	}
	if d.fit {
		fitA = theilSenIntercept(d.xs[d.start:], d.ys[d.start:], d.slope)
		a, b := fitA+d.slope*d.xs[d.start], fitA+d.slope*x1
		top = max(top, int(math.Ceil(max(a, b))))
	}
	ymax := float64(niceCeil(top))
	sx := func(x float64) float64 {
		if x1 == x0 {
			return px + pw/2
		}
		return px + (x-x0)/(x1-x0)*pw
	}
	sy := func(y float64) float64 {
		return py + ph - min(max(y, 0), ymax)/ymax*ph
	}

	var pts strings.Builder
	pts.Grow(len(d.ys) * 12)
	for i, y := range d.ys {
		if i > 0 {
			pts.WriteByte(' ')
		}
		pts.WriteString(coord(sx(d.xs[i])))
		pts.WriteByte(',')
		pts.WriteString(coord(sy(float64(y))))
	}
	c.Line = pts.String()
	n := len(d.ys) - 1
	c.Last = htmlPoint{X: coord(sx(d.xs[n])), Y: coord(sy(float64(d.ys[n])))}
	if d.fit {
		xa := d.xs[d.start]
		c.Fit = &htmlSegment{X1: coord(sx(xa)), Y1: coord(sy(fitA + d.slope*xa)), X2: coord(sx(x1)), Y2: coord(sy(fitA + d.slope*x1))}
	}
	for _, i := range d.restarts {
		x := coord(sx(d.xs[i]))
		c.Restarts = append(c.Restarts, htmlSegment{X1: x, Y1: coord(py), X2: x, Y2: coord(py + ph)})
	}
	if !axes {
		c.YTicks = []htmlTick{{X: coord(px), Y: coord(py - 3), Anchor: "start", Text: strconv.Itoa(int(ymax))}}
		return c
	}
	for _, v := range []float64{0, ymax / 2, ymax} {
		y := sy(v)
		c.YTicks = append(c.YTicks, htmlTick{X: coord(px - 6), Y: coord(y + 4), Anchor: "end", Text: strconv.FormatFloat(v, 'f', -1, 64),
			Grid: &htmlSegment{X1: coord(px), Y1: coord(y), X2: coord(px + pw), Y2: coord(y)}})
	}
	first, last := "sample 1", fmt.Sprintf("sample %d", len(d.ys))
	if d.timed {
		first, last = "0s", "+"+shortDuration(time.Duration((x1-x0)*float64(time.Second)))
	}
	base := coord(float64(h) - 6)
	c.XTicks = []htmlTick{{X: coord(px), Y: base, Anchor: "start", Text: first}, {X: coord(px + pw), Y: base, Anchor: "end", Text: last}}
	return c
}

// theilSenIntercept is the intercept that goes with a robust slope: the
// median of y - slope·x.
func theilSenIntercept(xs []float64, ys []int, slope float64) float64 {
	rest := make([]float64, len(xs))
	for i := range xs {
		rest[i] = float64(ys[i]) - slope*xs[i]
	}
	slices.Sort(rest)
	m := len(rest) / 2
	if len(rest)%2 == 0 {
		return (rest[m-1] + rest[m]) / 2
	}
	return rest[m]
}

// niceCeil is the smallest of 1, 2, 5 times a power of ten that is at
// least n (and at least 1).
func niceCeil(n int) int {
	if n <= 1 {
		return 1
	}
	for p := 1; p <= math.MaxInt/50; p *= 10 {
		for _, m := range []int{1, 2, 5} {
			if m*p >= n {
				return m * p
			}
		}
	}
	return n
}

// coord prints a coordinate in whole units of the viewBox, which are
// about a pixel each: finer would only make the page bigger.
func coord(v float64) string {
	return strconv.Itoa(int(math.Round(v)))
}
