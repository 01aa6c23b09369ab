package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// loadUsers make requests one after another, each pausing userPause
	// between two.
	loadUsers = 4
	userPause = 50 * time.Millisecond
	// A new tenant starts using the service every newTenantEvery, up to
	// loadTenants: more than the tenant cache holds.
	newTenantEvery = 4 * time.Second
	loadTenants    = 12
)

// loadGen plays the service's users: real HTTP requests to the service
// itself, through one keep-alive client whose connections stay open (one
// per user). Each user asks for a quote, then searches, and again.
// Its goroutines (one per user, started at once) are stable.
type loadGen struct {
	baseURL string
	scale   timescale
	client  *http.Client
	started time.Time
	next    atomic.Int64 // round-robin over the tenants so far
}

func newLoadGen(baseURL string, scale timescale) *loadGen {
	return &loadGen{
		baseURL: baseURL,
		scale:   scale,
		client: &http.Client{Transport: &http.Transport{
			MaxIdleConnsPerHost: loadUsers, // or a user's connection is closed and redialled
			IdleConnTimeout:     time.Minute,
		}},
	}
}

// run starts the users and waits for them to stop with ctx.
func (l *loadGen) run(ctx context.Context, wg *sync.WaitGroup) {
	defer wg.Done()
	defer l.client.CloseIdleConnections()
	l.started = time.Now()
	var users sync.WaitGroup
	users.Add(loadUsers)
	for u := range loadUsers {
		go l.user(ctx, &users, u)
	}
	users.Wait()
}

func (l *loadGen) user(ctx context.Context, wg *sync.WaitGroup, u int) {
	defer wg.Done()
	pause := time.NewTimer(0)
	defer pause.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-pause.C:
		}
		if n%2 == 0 {
			l.get(ctx, "/api/quote?tenant="+l.tenant())
		} else {
			l.get(ctx, fmt.Sprintf("/api/search?q=user%d-%d", u, n))
		}
		pause.Reset(l.scale.of(userPause))
	}
}

// tenant picks the next of the tenants that have arrived so far.
func (l *loadGen) tenant() string {
	arrived := 1 + int(time.Since(l.started)/l.scale.of(newTenantEvery))
	arrived = min(arrived, loadTenants)
	return fmt.Sprintf("tenant-%02d", int(l.next.Add(1)-1)%arrived)
}

// get makes one request and reads the answer to the end, so that the
// connection is reused. Errors do not matter to a user: it tries again.
func (l *loadGen) get(ctx context.Context, path string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.baseURL+path, nil)
	if err != nil {
		return
	}
	resp, err := l.client.Do(req)
	if err != nil {
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}
