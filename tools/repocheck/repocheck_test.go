package repocheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// root is the repository's top directory, from this package's.
const root = "../.."

func read(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

var goLine = regexp.MustCompile(`(?m)^go (\S+)$`)

// TestGoVersion: go.mod and bench/go.mod require Go X.Y.0, which every
// Go X.Y release satisfies without fetching another toolchain, and the
// README says "Go X.Y or later".
func TestGoVersion(t *testing.T) {
	m := goLine.FindStringSubmatch(read(t, "go.mod"))
	if m == nil {
		t.Fatal("go.mod: no go line")
	}
	v := m[1]
	minor, ok := strings.CutSuffix(v, ".0")
	if !ok || strings.Count(v, ".") != 2 {
		t.Fatalf("go.mod: go %s; want go X.Y.0, so that any Go X.Y release builds leakscan as the README says", v)
	}
	if b := goLine.FindStringSubmatch(read(t, "bench/go.mod")); b == nil || b[1] != v {
		t.Errorf("bench/go.mod: %v; want go %s, as go.mod", b, v)
	}
	if want := "Go " + minor + " or later"; !strings.Contains(read(t, "README.md"), want) {
		t.Errorf("README.md does not say %q, which go.mod (go %s) requires", want, v)
	}
}

// TestTestdataOwners: testdata/README.md says who owns each entry of the
// shared testdata directory.
func TestTestdataOwners(t *testing.T) {
	readme := read(t, "testdata/README.md")
	entries, err := os.ReadDir(filepath.Join(root, "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		if name == "README.md" {
			continue
		}
		if e.IsDir() {
			name += "/"
		}
		if !strings.Contains(readme, "`"+name+"`") {
			t.Errorf("testdata/README.md does not name `%s`: say who owns it", name)
		}
	}
}
