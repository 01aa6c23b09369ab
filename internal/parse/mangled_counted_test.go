package parse

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCountedMangled reads debug=1 profiles as log pipelines hand them on:
// every line behind a kubectl --timestamps or a CRI prefix, or in colour.
// Each reads as the profile itself does.
func TestCountedMangled(t *testing.T) {
	for _, dir := range corpusDirs(t) {
		name := filepath.Join(dir, "a.debug1.txt")
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		want := readFile(t, name, Options{})
		lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		for how, mangle := range map[string]func(i int, line string) string{
			"kubectl": func(i int, l string) string { return fmt.Sprintf("2026-11-07T22:59:%02d.%09dZ %s", i%60, i, l) },
			"cri":     func(i int, l string) string { return fmt.Sprintf("2026-11-07T22:59:05.123456789Z stderr F %s", l) },
			"ansi": func(i int, l string) string {
				if i == 0 || strings.HasPrefix(l, "#") {
					return "\x1b[31m" + l + "\x1b[0m"
				}
				return l
			},
		} {
			var b strings.Builder
			for i, l := range lines {
				b.WriteString(mangle(i, l) + "\n")
			}
			got, err := Read(context.Background(), strings.NewReader(b.String()), name, Options{})
			if err != nil {
				t.Errorf("%s %s: %v", filepath.Base(dir), how, err)
				continue
			}
			if got.Format != FormatDebug1 || got.Goroutines != want.Goroutines || len(got.Stacks) != len(want.Stacks) || len(got.Warnings) > 0 {
				t.Errorf("%s %s: %s, %d goroutines in %d stacks, warnings %q; want %d in %d",
					filepath.Base(dir), how, got.Format, got.Goroutines, len(got.Stacks), got.Warnings, want.Goroutines, len(want.Stacks))
			}
		}
	}
}
