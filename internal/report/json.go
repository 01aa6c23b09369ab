package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/leakscan/leakscan/internal/diff"
	"github.com/leakscan/leakscan/internal/parse"
)

// Schema names the JSON layout. Later versions add fields, never rename.
const Schema = "leakscan/v1"

// The JSON document. Keep in sync with the schema in README.md.
type jsonDoc struct {
	Schema    string         `json:"schema"`
	Snapshots []jsonSnapshot `json:"snapshots"`
	// MatchedByEntry: sites were matched by entry function, because some
	// snapshots have no creators.
	MatchedByEntry bool `json:"matched_by_entry,omitempty"`
	// Sites is written one site at a time (see writeJSON); in the
	// document it is a placeholder.
	Sites json.RawMessage `json:"sites"`
	// BenignDelta is the change of benign goroutines, left out of
	// deltas and gates (diff only, when not 0).
	BenignDelta int `json:"benign_delta,omitempty"`
	// Notes say what makes a comparison doubtful.
	Notes []string `json:"notes,omitempty"`
	// Start is the first snapshot of the process analysed, after the
	// target's last restart (omitted when 0).
	Start int `json:"start,omitempty"`
	// Breaches is present, [] when none is crossed, whenever a gate is
	// set.
	Breaches *[]jsonGate `json:"breaches,omitempty"`
}

type jsonSnapshot struct {
	Source     string   `json:"source"`
	Format     string   `json:"format"`
	Profile    string   `json:"profile"`
	Time       *string  `json:"time"`
	Goroutines int      `json:"goroutines"`
	Ignored    int      `json:"ignored,omitempty"`
	Cause      string   `json:"cause,omitempty"`
	Truncated  bool     `json:"truncated"`
	Warnings   []string `json:"warnings"`
	// Restart marks the first snapshot of a process other than the one
	// before it.
	Restart bool `json:"restart,omitempty"`
}

type jsonSite struct {
	Creator string      `json:"creator"`
	File    string      `json:"file"`
	Line    int         `json:"line"`
	Key     string      `json:"key"`
	Entry   string      `json:"entry"`
	Entries []jsonEntry `json:"entries,omitempty"`
	Counts  []int       `json:"counts"`
	Leaked  int         `json:"leaked"`
	// Benign is why the site's benign goroutines are expected;
	// BenignCounts how many of Counts are benign (when any is);
	// AllBenign whether the whole site is, and so left out of gates.
	Benign       string     `json:"benign,omitempty"`
	BenignCounts []int      `json:"benign_counts,omitempty"`
	AllBenign    bool       `json:"all_benign,omitempty"`
	Cut          bool       `json:"stack_cut,omitempty"`
	Waiting      []jsonWait `json:"waiting"`
}

type jsonEntry struct {
	Func  string `json:"func"`
	File  string `json:"file"`
	Line  int    `json:"line"`
	Count int    `json:"count"`
}

// jsonChange is a site of a series of two or more snapshots.
type jsonChange struct {
	jsonSite
	Delta     int      `json:"delta"`
	Survived  *int     `json:"survived"`
	Born      *int     `json:"born"`
	BornAlive *int     `json:"born_alive"`
	PerMinute *float64 `json:"per_minute"`
	Status    string   `json:"status"`
	// The verdict on the series (diff.Judge).
	Step             *int        `json:"step"`
	StepEverySeconds *float64    `json:"step_every_seconds"`
	Verdict          string      `json:"verdict"`
	Reason           string      `json:"reason"`
	Leak             bool        `json:"leak"`
	Summary          string      `json:"summary"`
	Stack            []jsonFrame `json:"stack,omitempty"`
}

type jsonFrame struct {
	Func string `json:"func"`
	File string `json:"file"`
	Line int    `json:"line"`
}

type jsonWait struct {
	State          string `json:"state"`
	Func           string `json:"func"`
	File           string `json:"file"`
	Line           int    `json:"line"`
	Count          int    `json:"count"`
	MaxWaitMinutes int    `json:"max_wait_minutes"`
	Benign         string `json:"benign,omitempty"`
}

type jsonGate struct {
	Rule    string  `json:"rule"`
	Limit   float64 `json:"limit"`
	Value   float64 `json:"value"`
	Creator string  `json:"creator,omitempty"`
	File    string  `json:"file,omitempty"`
	Line    int     `json:"line,omitempty"`
	Key     string  `json:"key,omitempty"`
}

// sitesMark stands for the list of sites in the marshalled document,
// which writeJSON writes one site at a time instead: a report of a
// million sites is never held whole.
const sitesMark = `"\u0000sites\u0000"`

func writeJSON(w io.Writer, r *diff.Result, breaches []diff.Breach, opts Options) error {
	doc := jsonDoc{Schema: Schema, MatchedByEntry: r.ByEntry, Sites: json.RawMessage(sitesMark), BenignDelta: r.BenignDelta,
		Notes: append(append([]string(nil), opts.Notes...), r.Notes...), Start: r.Start}
	for _, m := range r.Snapshots {
		s := jsonSnapshot{
			Source: m.Source, Format: string(m.Format), Profile: m.Profile, Goroutines: m.Goroutines,
			Ignored: m.Ignored, Cause: m.Cause, Truncated: m.Truncated, Warnings: m.Warnings, Restart: m.Restart,
		}
		if s.Warnings == nil {
			s.Warnings = []string{}
		}
		if !m.Time.IsZero() {
			t := m.Time.UTC().Format(time.RFC3339Nano)
			s.Time = &t
		}
		doc.Snapshots = append(doc.Snapshots, s)
	}
	if breaches != nil {
		gates := []jsonGate{}
		for _, b := range breaches {
			g := jsonGate{Rule: b.Rule, Limit: b.Limit, Value: b.Value}
			if b.Site != nil {
				js := siteJSON(b.Site)
				g.Creator, g.File, g.Line, g.Key = js.Creator, js.File, js.Line, js.Key
			}
			gates = append(gates, g)
		}
		doc.Breaches = &gates
	}
	head, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	before, after, ok := bytes.Cut(head, []byte(sitesMark))
	if !ok {
		return errors.New("report: no place for the sites in the JSON document")
	}
	bw := bufio.NewWriter(w)
	bw.Write(before)
	if len(r.Sites) == 0 {
		bw.WriteString("[]")
	}
	nm := namesOf(r)
	for i, s := range r.Sites {
		site, err := json.MarshalIndent(jsonOf(r, nm, s), "    ", "  ")
		if err != nil {
			return err
		}
		if i == 0 {
			bw.WriteString("[\n    ")
		} else {
			bw.WriteString(",\n    ")
		}
		bw.Write(site)
		if i == len(r.Sites)-1 {
			bw.WriteString("\n  ]")
		}
	}
	bw.Write(after)
	bw.WriteByte('\n')
	return bw.Flush()
}

// jsonOf is a site as JSON: the fields of top, and for a series those of
// the change and the verdict.
func jsonOf(r *diff.Result, nm names, s *diff.Site) any {
	js := siteJSON(s)
	if len(r.Snapshots) < 2 {
		return js
	}
	j := s.Judgement
	c := jsonChange{jsonSite: js, Delta: s.Delta, Status: string(s.Status), Verdict: string(j.Verdict),
		Reason: j.Reason, Leak: j.Verdict == diff.VerdictLeak && !s.AllBenign, Summary: summaryOf(r, nm, s)}
	if j.Step > 0 && j.StepEvery > 0 {
		step, every := j.Step, j.StepEvery.Seconds()
		c.Step, c.StepEverySeconds = &step, &every
	}
	if c.Leak || j.Verdict == diff.VerdictGrowing && !s.AllBenign {
		for _, f := range s.Stack {
			c.Stack = append(c.Stack, jsonFrame{Func: f.Func, File: f.File, Line: f.Line})
		}
	}
	if r.IDs {
		c.Survived, c.Born, c.BornAlive = &s.Survived, &s.Born, &s.BornAlive
	}
	if r.Timed {
		v := s.PerMinute
		c.PerMinute = &v
	}
	return c
}

// siteJSON fills the fields leakscan top defines. For a helper site,
// creator is the spawning helper and file/line are the entry function's;
// for an entry site, creator is empty and file/line are the entry
// function's.
func siteJSON(s *diff.Site) jsonSite {
	js := jsonSite{
		Key: s.Kind.String(), Entry: s.Entry.Func, Counts: s.Counts, Leaked: s.Leaked,
		Benign: s.Benign, AllBenign: s.AllBenign, Cut: s.Cut, Waiting: []jsonWait{},
	}
	if s.Benign != "" && !s.AllBenign {
		js.BenignCounts = s.BenignCounts
	}
	if len(s.Entries) > 1 {
		for _, e := range s.Entries {
			js.Entries = append(js.Entries, jsonEntry{Func: e.Frame.Func, File: e.Frame.File, Line: e.Frame.Line, Count: e.Count})
		}
	}
	switch s.Kind {
	case parse.KeyCreatedBy:
		js.Creator, js.File, js.Line = s.Func, s.File, s.Line
	case parse.KeyHelper:
		js.Creator, js.File, js.Line = s.Creator.Func, s.Entry.File, s.Entry.Line
		js.Entry = s.Func
	default:
		js.File, js.Line = s.Entry.File, s.Entry.Line
	}
	for _, w := range s.Waits {
		js.Waiting = append(js.Waiting, jsonWait{
			State: w.State, Func: w.Frame.Func, File: w.Frame.File, Line: w.Frame.Line,
			Count: w.Count, MaxWaitMinutes: w.MaxMinutes, Benign: w.Benign,
		})
	}
	return js
}
