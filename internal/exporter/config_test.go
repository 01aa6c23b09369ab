package exporter

import (
	"strings"
	"testing"
)

func TestReadConfig(t *testing.T) {
	c, err := ReadConfig(strings.NewReader(`
# headers for the payments services, light sampling for the batch fleet
targets:
  - match: "*.payments.svc:6060"
    headers:
      - "Authorization: Bearer abc"
      - "X-Tenant:  blue "
  - match: "batch-*"
    sampling: light
`), "exporter.yml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Targets) != 2 {
		t.Fatalf("%d targets, want 2", len(c.Targets))
	}
	p := c.Targets[0]
	if p.Header.Get("Authorization") != "Bearer abc" || p.Header.Get("X-Tenant") != "blue" || p.Sampling != "" {
		t.Errorf("first target = %+v", p)
	}
	if got := c.lookup("api.payments.svc:6060"); got != &c.Targets[0] {
		t.Errorf("lookup(api.payments.svc:6060) = %+v, want the first entry", got)
	}
	if got := c.lookup("batch-7:6060"); got == nil || got.Sampling != SamplingLight {
		t.Errorf("lookup(batch-7:6060) = %+v, want the second entry", got)
	}
	if got := c.lookup("db:6060"); got != nil {
		t.Errorf("lookup(db:6060) = %+v, want none", got)
	}
	var none *Config
	if none.lookup("db:6060") != nil {
		t.Error("a nil Config matched")
	}
	if empty, err := ReadConfig(strings.NewReader("# nothing yet\n"), "empty.yml"); err != nil || len(empty.Targets) != 0 {
		t.Errorf("an empty config: %+v, %v", empty, err)
	}
}

// TestReadConfigErrors checks that each mistake is named with its entry
// or line, and that no message shows a header's value.
func TestReadConfigErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"targets:\n  - headers: [\"A: b\"]\n", "exporter.yml: target 1: no match"},
		{"targets:\n  - match: db:6060\n    headers: [\"Authorization Bearer s3cr3t\"]\n",
			`exporter.yml: target 1 (match "db:6060"): header 1 is not of the form "Name: value" (its text is not shown)`},
		{"targets:\n  - match: db:6060\n    sampling: sometimes\n", `target 1 (match "db:6060"): sampling "sometimes": want auto, full or light`},
		{"targets:\n  - match: db:6060\n    header: [\"Authorization: s3cr3t\"]\n", "exporter.yml: line 3: field header not found"},
		{"targets:\n  - match: db:6060\n    headers: {Authorization: s3cr3t}\n", "exporter.yml: line 3: cannot unmarshal !!map into []string"},
		{"targets:\n  - match: db:6060\n    headers: [[\"Authorization: s3cr3t\"]]\n", "exporter.yml: line 3: cannot unmarshal !!seq into string"},
		{"targets: [\n", "exporter.yml: "},
		{"targets:\n  - match: [\"s3cr3t\", 1]\n", "exporter.yml: line 2: cannot unmarshal !!seq into string"},
	} {
		_, err := ReadConfig(strings.NewReader(c.in), "exporter.yml")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ReadConfig(%q) = %v, want an error with %q", c.in, err, c.want)
			continue
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("ReadConfig(%q): the error shows the secret: %v", c.in, err)
		}
		if strings.Contains(err.Error(), "struct") || strings.Contains(err.Error(), "in type") {
			t.Errorf("ReadConfig(%q): the error shows Go types: %v", c.in, err)
		}
	}
	big := "targets:\n" + strings.Repeat("# padding\n", maxConfigBytes/10+1)
	if _, err := ReadConfig(strings.NewReader(big), "huge.yml"); err == nil || !strings.Contains(err.Error(), "more than 1 MiB") {
		t.Errorf("a config over 1 MiB: %v", err)
	}
}

func TestGlobMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"db:6060", "db:6060", true},
		{"db:6060", "db:60601", false},
		{"*", "anything:1", true},
		{"*:6060", "db.prod:6060", true},
		{"*:6060", "db.prod:6061", false},
		{"db-*.prod:*", "db-3.prod:6060", true},
		{"db-*.prod:*", "db-3.test:6060", false},
		{"[::1]:6060", "[::1]:6060", true},
		{"[::1]:*", "[::2]:6060", false},
		{"a*a", "a", false},
		{"a*a", "aa", true},
		{"*ab*ab", "xabyab", true},
		{"*ab*ab", "xabyabz", false},
	} {
		if got := globMatch(c.pattern, c.s); got != c.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}
