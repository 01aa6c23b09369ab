package main

import (
	"os"
	"path/filepath"
	"testing"

	"example.com/dumpgen/internal/truth"
)

// TestHang starts snapshot a and blocks until "go test -timeout" kills the
// binary with a dump of every goroutine. It runs only when DUMPGEN_TRUTH
// names the truth file to write.
func TestHang(t *testing.T) {
	path := os.Getenv("DUMPGEN_TRUTH")
	if path == "" {
		t.Skip("generator only: set DUMPGEN_TRUTH and run with -timeout")
	}
	startA(false)
	name := filepath.Base(path)
	name = name[:len(name)-len(".truth.json")] + ".txt"
	if err := truth.Write(path, name, os.Getenv("DUMPGEN_VARIANT"), noteCrash); err != nil {
		t.Fatal(err)
	}
	select {}
}
