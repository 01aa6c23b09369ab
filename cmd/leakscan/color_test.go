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
