package main

import "testing"

// TestColor: --color always and never decide; auto colours a terminal
// unless NO_COLOR, CLICOLOR=0 or TERM=dumb says not to, and anything
// when CLICOLOR_FORCE says to, NO_COLOR first. (The scripts cannot give
// leakscan a terminal: color.txtar checks the rest.)
func TestColor(t *testing.T) {
	for _, tc := range []struct {
		mode     string
		terminal bool
		env      map[string]string
		want     bool
	}{
		{"auto", true, nil, true},
		{"auto", false, nil, false},
		{"auto", true, map[string]string{"NO_COLOR": "1"}, false},
		{"auto", true, map[string]string{"TERM": "dumb"}, false},
		{"auto", true, map[string]string{"CLICOLOR": "0"}, false},
		{"auto", true, map[string]string{"CLICOLOR": "1"}, true},
		{"auto", false, map[string]string{"CLICOLOR_FORCE": "1"}, true},
		{"auto", true, map[string]string{"CLICOLOR_FORCE": "1", "TERM": "dumb"}, true},
		{"auto", false, map[string]string{"CLICOLOR_FORCE": "0"}, false},
		{"auto", false, map[string]string{"CLICOLOR_FORCE": "1", "NO_COLOR": "1"}, false},
		{"never", true, nil, false},
		{"never", true, map[string]string{"CLICOLOR_FORCE": "1"}, false},
		{"always", false, nil, true},
		{"always", false, map[string]string{"NO_COLOR": "1"}, true},
	} {
		s := &streams{Terminal: tc.terminal, Getenv: func(k string) string { return tc.env[k] }}
		f := outputFlags{format: "table", color: tc.mode}
		opts, err := f.options(s)
		if err != nil {
			t.Fatal(err)
		}
		if opts.Color != tc.want {
			t.Errorf("--color %s, terminal=%v, env %v: Color = %v, want %v", tc.mode, tc.terminal, tc.env, opts.Color, tc.want)
		}
	}
}

// TestWidth: the table is as wide as the terminal stdout is; else as
// COLUMNS says; else it has no limit.
func TestWidth(t *testing.T) {
	for _, tc := range []struct {
		columns int
		env     map[string]string
		want    int
	}{
		{120, nil, 120},
		{120, map[string]string{"COLUMNS": "80"}, 120},
		{0, map[string]string{"COLUMNS": "80"}, 80},
		{0, map[string]string{"COLUMNS": "wide"}, 0},
		{0, map[string]string{"COLUMNS": "-3"}, 0},
		{0, nil, 0},
	} {
		s := &streams{Terminal: tc.columns > 0, Columns: tc.columns, Getenv: func(k string) string { return tc.env[k] }}
		f := outputFlags{format: "table"}
		opts, err := f.options(s)
		if err != nil {
			t.Fatal(err)
		}
		if opts.Width != tc.want {
			t.Errorf("columns=%d env=%v: Width = %d, want %d", tc.columns, tc.env, opts.Width, tc.want)
		}
	}
}
