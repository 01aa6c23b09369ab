package diff

import (
	"fmt"
	"path/filepath"
	"testing"
)

func TestApportion(t *testing.T) {
	for _, tt := range []struct {
		n       int
		weights []int
		want    string
	}{
		{3, []int{1, 1}, "[2 1]"},
		{10, []int{3, 1}, "[8 2]"},
		{0, []int{2, 5}, "[0 0]"},
		{5, []int{0, 0}, "[5 0]"},
		{7, []int{1, 1, 1}, "[3 2 2]"},
		{1, []int{1, 9}, "[0 1]"},
	} {
		got := apportion(tt.n, tt.weights)
		sum := 0
		for _, c := range got {
			sum += c
		}
		if fmt.Sprint(got) != tt.want || sum != tt.n {
			t.Errorf("apportion(%d, %v) = %v, want %s", tt.n, tt.weights, got, tt.want)
		}
	}
}

// TestCountedMapsToSites reads a debug=2 dump and the debug=1 and
// protobuf profiles of the same moment of the same process, under every
// toolchain: every counted stack, including the 200-deep one that the
// profiles cut at their depth limit (32 frames up to Go 1.22, 128 since),
// goes to the site of its goroutines, so each site counts the same in
// every format.
func TestCountedMapsToSites(t *testing.T) {
	for _, dir := range corpusDirs(t) {
		for _, counted := range []string{"a.debug1.txt", "a.debug0.pb.gz"} {
			r := corpusSeries(t, filepath.Join(dir, "a.debug2.txt"), filepath.Join(dir, counted))
			if r.ByEntry {
				t.Errorf("%s %s: some stacks matched by entry function only", filepath.Base(dir), counted)
			}
			deep := false
			for _, s := range r.Sites {
				if s.Func == "example.com/dumpgen/internal/workers.Deep" {
					deep = s.Cut
				}
				if s.AllBenign {
					continue
				}
				if s.Counted(0) != s.Counted(1) {
					t.Errorf("%s %s: site %s (%s:%d): %d goroutines in debug=2, %d counted", filepath.Base(dir), counted,
						s.Func, filepath.Base(s.File), s.Line, s.Counted(0), s.Counted(1))
				}
			}
			if !deep {
				t.Errorf("%s %s: the deep stack's site is not marked cut: the test no longer tests the depth limit", filepath.Base(dir), counted)
			}
		}
	}
}

// TestUnmapped: a counted profile of the moment a full dump was taken has
// no goroutine the series cannot place; the same profile before any full
// dump has them all, and the next snapshot's new stacks are new.
func TestUnmapped(t *testing.T) {
	for _, dir := range corpusDirs(t) {
		s := NewSeries(Filter{})
		counted := readSnap(t, filepath.Join(dir, "a.debug1.txt"))
		if n := s.Unmapped(counted); n == 0 {
			t.Errorf("%s: no full dump yet, yet nothing unmapped", filepath.Base(dir))
		}
		s.Add(readSnap(t, filepath.Join(dir, "a.debug2.txt")))
		if n := s.Unmapped(counted); n != 0 {
			t.Errorf("%s: %d goroutines of a.debug1 unmapped after a.debug2", filepath.Base(dir), n)
		}
		// b starts 3 goroutines at a new site (NewInB).
		if n := s.Unmapped(readSnap(t, filepath.Join(dir, "b.debug1.txt"))); n < 3 {
			t.Errorf("%s: %d goroutines of b.debug1 unmapped, want the new site's 3 at least", filepath.Base(dir), n)
		}
	}
}
