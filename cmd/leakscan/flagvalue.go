package main

import (
	"math"
	"strconv"
	"strings"
)

// The flag values of this file check what they are given when the command
// line is parsed, so that a bad value is a usage error naming the flag
// (see flagError) before anything is read.

// valueError is why a value is refused; flagError puts the flag and the
// value in front: `--max-growth: "-3" is negative ...`.
type valueError struct{ why string }

func (e *valueError) Error() string { return e.why }

// gateCount is a --max-* limit on a number of goroutines: off until
// given, which diff.Policy spells -1.
type gateCount struct{ n *int }

func newGateCount(p *int) gateCount {
	*p = -1
	return gateCount{p}
}

func (g gateCount) String() string {
	if *g.n < 0 {
		return "off"
	}
	return strconv.Itoa(*g.n)
}

func (g gateCount) Set(s string) error {
	if s == "off" {
		*g.n = -1
		return nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	switch {
	case err != nil:
		return &valueError{"is not a whole number"}
	case n < 0:
		return &valueError{"is negative: give a number of goroutines, or leave the flag out for no limit"}
	}
	*g.n = n
	return nil
}

func (g gateCount) Type() string { return "int" }

// gateRate is a --max-* limit on goroutines per minute: off until given
// (-1 in diff.Policy).
type gateRate struct{ r *float64 }

func newGateRate(p *float64) gateRate {
	*p = -1
	return gateRate{p}
}

func (g gateRate) String() string {
	if *g.r < 0 {
		return "off"
	}
	return strconv.FormatFloat(*g.r, 'g', -1, 64)
}

func (g gateRate) Set(s string) error {
	if s == "off" {
		*g.r = -1
		return nil
	}
	r, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	switch {
	case err != nil || math.IsNaN(r) || math.IsInf(r, 0):
		return &valueError{"is not a number"}
	case r < 0:
		return &valueError{"is negative: give goroutines per minute, or leave the flag out for no limit"}
	}
	*g.r = r
	return nil
}

func (g gateRate) Type() string { return "float" }

// rowLimit is the most rows a table shows: 0 (the default) for all.
type rowLimit struct{ n *int }

func (l rowLimit) String() string { return strconv.Itoa(*l.n) }

func (l rowLimit) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	switch {
	case err != nil:
		return &valueError{"is not a whole number"}
	case n < 0:
		return &valueError{"is negative: give a number of rows, or 0 for all"}
	}
	*l.n = n
	return nil
}

func (l rowLimit) Type() string { return "int" }

// choice is a flag that takes one of a few words.
type choice struct {
	v     *string
	words []string
}

func (c choice) String() string { return *c.v }

func (c choice) Set(s string) error {
	for _, w := range c.words {
		if strings.EqualFold(s, w) {
			*c.v = w
			return nil
		}
	}
	return &valueError{"is not " + orList(c.words)}
}

func (c choice) Type() string { return "string" }

// orList is "auto, always or never".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}
