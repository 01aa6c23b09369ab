package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"time"
)

const (
	// searchTimeout is how long a search request waits for its shard.
	searchTimeout = 500 * time.Millisecond
	// A warm shard answers in searchMin to searchMax, well within the
	// timeout even at -scale 0.1 on a busy machine; one search in
	// coldEvery hits a cold shard, which takes coldShard: longer than
	// the handler waits.
	searchMin = 20 * time.Millisecond
	searchMax = 150 * time.Millisecond
	coldEvery = 100
	coldShard = 2 * time.Second
	// maxStuckSearches bounds the leak: once that many searches were
	// given up, the cold shard is warm for good.
	maxStuckSearches = 512
)

// searcher answers searches from an index shard, each in a goroutine of
// its own so that the handler can give up after searchTimeout.
//
// THE HIDDEN LEAK: the result channel is unbuffered, so when the handler
// has given up (one search in coldEvery), the shard's goroutine blocks in
// chan send for good. Nearly every goroutine this go statement starts is
// gone within milliseconds; one in a hundred stays, about +4 a minute
// unscaled, among a few short-lived ones in every dump. Verdict it
// deserves: leak (slow, hidden in churn).
type searcher struct {
	scale    timescale
	searches atomic.Int64
	timeouts atomic.Int64
}

type hit struct {
	query string
	docs  int
}

// handleSearch answers GET /api/search?q=QUERY.
func (s *searcher) handleSearch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	cold := s.searches.Add(1)%coldEvery == 0 && s.timeouts.Load() < maxStuckSearches
	took := s.scale.of(searchMin + rand.N(searchMax-searchMin))
	if cold {
		took = s.scale.of(coldShard)
	}
	found := make(chan hit) // the bug: it needs room for the one answer
	go s.searchShard(q, took, found)

	timeout := time.NewTimer(s.scale.of(searchTimeout))
	defer timeout.Stop()
	select {
	case h := <-found:
		fmt.Fprintf(w, "%q: %d documents\n", h.query, h.docs)
	case <-timeout.C:
		s.timeouts.Add(1)
		http.Error(w, "search timed out", http.StatusGatewayTimeout)
	case <-r.Context().Done():
		s.timeouts.Add(1) // the shard's goroutine is stuck just the same
	}
}

// searchShard stands for a query on one shard that takes took.
func (s *searcher) searchShard(q string, took time.Duration, found chan<- hit) {
	time.Sleep(took)
	found <- hit{query: q, docs: len(q) * 7}
}
