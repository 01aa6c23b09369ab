package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestIgnorePatterns(t *testing.T) {
	long := strings.Repeat("a", maxIgnoreLine)
	for _, tt := range []struct {
		name    string
		content string
		want    []string // after the --ignore flag's "flag"
		err     string   // after "--ignore-file <path>: "
	}{
		{"comments, blanks and spaces", "# ours\n\n  net/http\\.  \r\nmain\\.keep\n# end", []string{`net/http\.`, `main\.keep`}, ""},
		{"no newline at the end", "a\nb", []string{"a", "b"}, ""},
		{"empty", "", nil, ""},
		{"a line of the longest length", long + "\r\nb\n", []string{long, "b"}, ""},
		// bufio.Scanner stopped here without a word, and every later
		// pattern was dropped.
		{"a line too long", "a\n" + long + "a\nb\n", nil, "line 2: longer than 64 KiB (the limit for a line)"},
		{"too large", strings.Repeat(strings.Repeat("x", 1023)+"\n", maxIgnoreFile/1024+1), nil, "more than 1 MiB (the limit for an ignore file)"},
		{"binary", "a\nb\x00c\n", nil, "line 2: a NUL byte: not a text file"},
		{"bad regexp", "a\n\n(b\n", nil, "line 3: error parsing regexp: missing closing ): `(b`"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ignore")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := ignorePatterns([]string{"flag"}, path)
			if tt.err != "" {
				if want := "--ignore-file " + path + ": " + tt.err; err == nil || err.Error() != want {
					t.Errorf("ignorePatterns = %q, %v; want error %q", got, err, want)
				}
				return
			}
			want := append([]string{"flag"}, tt.want...)
			if err != nil || !slices.Equal(got, want) {
				t.Errorf("ignorePatterns = %q, %v; want %q", got, err, want)
			}
		})
	}
}

func TestIgnorePatternsNoFile(t *testing.T) {
	if got, err := ignorePatterns([]string{"a"}, ""); err != nil || !slices.Equal(got, []string{"a"}) {
		t.Errorf("ignorePatterns without a file = %q, %v; want [a]", got, err)
	}
	missing := filepath.Join(t.TempDir(), "missing")
	_, err := ignorePatterns(nil, missing)
	if want := "--ignore-file " + missing + ": no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("ignorePatterns(missing) error %v, want %q", err, want)
	}
}
