package main

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"time"
)

// The pricing backends a quote asks, and how long each takes to answer.
const (
	pricingBackends = 3
	backendMin      = 100 * time.Millisecond
	backendMax      = 400 * time.Millisecond
)

// quoter asks every pricing backend at once for a quote.
//
// DECOY, request handlers that come and go: fanOut starts one goroutine
// per backend for every quote request and waits for all of them, so they
// live a few hundred milliseconds; with the load generator's four users,
// a dump shows a handful of them, never the same ids twice. Verdict it
// deserves: churn.
type quoter struct {
	scale timescale
}

// fanOut asks the backends concurrently and returns the lowest price, in
// cents. Its channel is buffered for every answer, so a backend that
// answers after ctx ended never blocks.
func (q *quoter) fanOut(ctx context.Context, tenant string) (int, error) {
	prices := make(chan int, pricingBackends)
	for b := range pricingBackends {
		go q.ask(ctx, b, tenant, prices)
	}
	best := -1
	for range pricingBackends {
		select {
		case p := <-prices:
			if best < 0 || p < best {
				best = p
			}
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	return best, nil
}

// ask stands for one backend's round trip: a random short wait, then an
// answer that never blocks (the channel has room for every backend).
func (q *quoter) ask(ctx context.Context, backend int, tenant string, prices chan<- int) {
	wait := time.NewTimer(q.scale.of(backendMin + rand.N(backendMax-backendMin)))
	defer wait.Stop()
	select {
	case <-wait.C:
	case <-ctx.Done():
	}
	prices <- 1000 + 100*backend + len(tenant) + rand.N(100)
}

// handleQuote answers GET /api/quote?tenant=NAME with the best price,
// marked up with the tenant's cached setting and formatted on the pool.
func (s *service) handleQuote(w http.ResponseWriter, r *http.Request) {
	tenant := r.URL.Query().Get("tenant")
	if tenant == "" {
		http.Error(w, "missing tenant", http.StatusBadRequest)
		return
	}
	markup := s.cache.lookup(tenant)
	price, err := s.quotes.fanOut(r.Context(), tenant)
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	out, err := s.pool.render(r.Context(), tenant, price+price*markup/10000)
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	io.WriteString(w, out)
}
