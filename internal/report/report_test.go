package report

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/leakscan/leakscan/internal/diff"
	"github.com/leakscan/leakscan/internal/parse"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// series reads the demo's real dumps (a leaky service dumped twice, 30s
// of polling apart) into a series.
func series(t *testing.T, files ...string) *diff.Result {
	t.Helper()
	s := diff.NewSeries(diff.Filter{})
	for i, f := range files {
		data, err := os.ReadFile(filepath.Join("../../testdata/demo", f))
		if err != nil {
			t.Fatal(err)
		}
		snap, err := parse.Read(context.Background(), bytes.NewReader(data), f, parse.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(files) > 1 {
			snap.Time = time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC).Add(time.Duration(i) * 30 * time.Second)
		}
		s.Add(snap)
	}
	return s.Result()
}

// TestGolden renders top and diff in every format and compares with
// testdata/*.golden (go test -update rewrites them).
func TestGolden(t *testing.T) {
	top := series(t, "after.txt")
	change := series(t, "before.txt", "after.txt")
	gate := change.Check(diff.Policy{MaxGrowth: 5, MaxTotalGrowth: 100, MaxRate: 10})
	for _, tc := range []struct {
		name     string
		r        *diff.Result
		breaches []diff.Breach
		opts     Options
	}{
		{"top.table", top, nil, Options{Format: Table}},
		{"top.json", top, nil, Options{Format: JSON}},
		{"top.md", top, nil, Options{Format: Markdown}},
		{"top.limit.table", top, nil, Options{Format: Table, Limit: 2}},
		{"diff.table", change, gate, Options{Format: Table}},
		{"diff.all.table", change, gate, Options{Format: Table, All: true}},
		{"diff.color.table", change, gate, Options{Format: Table, Color: true}},
		{"diff.json", change, gate, Options{Format: JSON}},
		{"diff.md", change, gate, Options{Format: Markdown}},
	} {
		var buf bytes.Buffer
		if err := Write(&buf, tc.r, tc.breaches, tc.opts); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		path := filepath.Join("testdata", tc.name+".golden")
		if *update {
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v (run go test -update)", tc.name, err)
		}
		if d := cmp.Diff(string(want), buf.String()); d != "" {
			t.Errorf("%s: (-want +got)\n%s", tc.name, d)
		}
	}
}

// TestNoColorWithoutAsking checks that ANSI codes appear only with Color.
func TestNoColorWithoutAsking(t *testing.T) {
	change := series(t, "before.txt", "after.txt")
	for _, f := range []Format{Table, JSON, Markdown} {
		var buf bytes.Buffer
		if err := Write(&buf, change, nil, Options{Format: f}); err != nil {
			t.Fatal(err)
		}
		if bytes.ContainsRune(buf.Bytes(), 0x1b) {
			t.Errorf("%s output has ANSI codes without Color", f)
		}
	}
	var buf bytes.Buffer
	Write(&buf, change, nil, Options{Format: Table, Color: true})
	if !regexp.MustCompile(regexp.QuoteMeta(red+bold) + `\+[0-9]+` + regexp.QuoteMeta(normal)).Match(buf.Bytes()) {
		t.Errorf("colour table does not mark the growth in red:\n%s", buf.String())
	}
}

func TestMarkdownEscapes(t *testing.T) {
	for in, want := range map[string]string{
		"main.(*T).run_loop": `main.(\*T).run\_loop`,
		// A name's backticks do not start code.
		"`code *stays*`":            "\\`code \\*stays\\*\\`",
		"a | b":                     `a \| b`,
		"<script>":                  `\<script\>`,
		"[x](https://evil.example)": `\[x\](https\://evil.example)`,
		"www.example.com":           `www\.example.com`,
		"file.go:97 :smile: a: b":   `file.go:97 \:smile: a: b`,
		"&lt; $x$ ~~s~~ !#":         `\&lt; \$x\$ \~\~s\~\~ \!\#`,
		"cc @octocat\nnext":         "cc @\u2060octocat next",
	} {
		if got := mdCell(in); got != want {
			t.Errorf("mdCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Second:            "30s",
		10 * time.Second:            "10s",
		90 * time.Second:            "1m30s",
		5 * time.Minute:             "5m",
		time.Hour + 30*time.Minute:  "1h30m",
		1500 * time.Millisecond:     "1.5s",
		0:                           "0s",
		2*time.Hour + 3*time.Second: "2h3s",
	} {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"table": Table, "JSON": JSON, "md": Markdown, "markdown": Markdown, "text": Table} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseFormat("yaml"); err == nil || !regexp.MustCompile(`unknown output format "yaml"`).MatchString(err.Error()) {
		t.Errorf("ParseFormat(yaml): %v", err)
	}
}
