package report

import (
	"testing"

	"github.com/leakscan/leakscan/internal/diff"
	"github.com/leakscan/leakscan/internal/parse"
)

// TestNames gives each file its shortest unambiguous name among the files
// a result names.
func TestNames(t *testing.T) {
	site := func(file string, wait string) *diff.Site {
		return &diff.Site{Site: parse.Site{Kind: parse.KeyCreatedBy, Func: "f", File: file, Line: 1},
			Waits: []diff.Wait{{Frame: parse.Frame{Func: "g", File: wait, Line: 2}}}}
	}
	r := &diff.Result{Sites: []*diff.Site{
		site("/src/prometheus/discovery/manager.go", "/src/prometheus/notifier/manager.go"),
		site("/src/prometheus/rules/manager.go", "/src/prometheus/web/web.go"),
		site("/a/x/util/run.go", "/b/y/util/run.go"),
	}}
	nm := namesOf(r)
	for file, want := range map[string]string{
		"/src/prometheus/discovery/manager.go": "discovery/manager.go",
		"/src/prometheus/notifier/manager.go":  "notifier/manager.go",
		"/src/prometheus/rules/manager.go":     "rules/manager.go",
		"/src/prometheus/web/web.go":           "web.go",
		"/a/x/util/run.go":                     "x/util/run.go",
		"/b/y/util/run.go":                     "y/util/run.go",
	} {
		if got := nm.file(file); got != want {
			t.Errorf("file(%s) = %s, want %s", file, got, want)
		}
	}
	if got := nm.loc("/src/prometheus/web/web.go", 12); got != "web.go:12" {
		t.Errorf("loc = %s, want web.go:12", got)
	}
}

func TestMinutes(t *testing.T) {
	for m, want := range map[int]string{0: "", 1: "1m", 59: "59m", 60: "1h", 1937: "32h", 48 * 60: "2d", 10000: "6d"} {
		if got := minutes(m); got != want {
			t.Errorf("minutes(%d) = %q, want %q", m, got, want)
		}
	}
}

// TestEscapedImportPath: the runtime writes a dot in an import path's
// last element as %2e; a reader sees the dot.
func TestEscapedImportPath(t *testing.T) {
	for fn, want := range map[string]string{
		"example.com/dumpgen/internal/netio%2ev2.AcceptLoop": "netio.v2.AcceptLoop",
		"gopkg.in/yaml%2ev3.(*parser).parse":                 "yaml.v3.(*parser).parse",
		"main.main":                                          "main.main",
	} {
		if got := shortFunc(fn); got != want {
			t.Errorf("shortFunc(%s) = %s, want %s", fn, got, want)
		}
	}
}
