package main

import "testing"

// TestColor: colour only on a terminal, never with NO_COLOR or TERM=dumb.
func TestColor(t *testing.T) {
	for _, tc := range []struct {
		terminal bool
		env      map[string]string
		want     bool
	}{
		{true, nil, true},
		{false, nil, false},
		{true, map[string]string{"NO_COLOR": "1"}, false},
		{true, map[string]string{"TERM": "dumb"}, false},
	} {
		s := &streams{Terminal: tc.terminal, Getenv: func(k string) string { return tc.env[k] }}
		f := outputFlags{format: "table"}
		opts, err := f.options(s)
		if err != nil {
			t.Fatal(err)
		}
		if opts.Color != tc.want {
			t.Errorf("terminal=%v env=%v: Color = %v, want %v", tc.terminal, tc.env, opts.Color, tc.want)
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
