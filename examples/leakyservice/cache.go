package main

import (
	"context"
	"hash/fnv"
	"sync"
	"time"
)

const (
	// maxTenants is the cache's cap. The load brings more tenants
	// (newTenantEvery, up to loadTenants), so the cap, not the demand,
	// is what stops the growth.
	maxTenants = 8
	// refreshEvery is how often a cached tenant's settings are reloaded.
	refreshEvery = 10 * time.Second
)

// tenantCache keeps the settings of the busiest tenants fresh: the first
// lookup of a tenant starts a refresher goroutine that reloads them every
// refreshEvery. At most maxTenants are cached; the others are loaded on
// every request.
//
// DECOY, a cache that fills up to its cap: one refresher per tenant as
// tenants first appear (the load brings a new one every 4 s), up to 8
// after about 30 s, then flat for good, the same ids, although more
// tenants keep coming. Verdict it deserves: stable (it grew, then
// stopped at its cap).
type tenantCache struct {
	scale timescale
	ctx   context.Context // set by service.start; ends the refreshers
	wg    *sync.WaitGroup

	mu      sync.Mutex
	entries map[string]*tenantEntry
}

type tenantEntry struct {
	markup int // guarded by tenantCache.mu
}

// lookup returns a tenant's markup in basis points.
func (c *tenantCache) lookup(tenant string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[tenant]; ok {
		return e.markup
	}
	if len(c.entries) >= maxTenants {
		return loadMarkup(tenant, time.Now())
	}
	e := &tenantEntry{markup: loadMarkup(tenant, time.Now())}
	c.entries[tenant] = e
	c.wg.Add(1)
	go c.refresh(tenant, e)
	return e.markup
}

// refresh reloads one tenant's settings until the service stops.
func (c *tenantCache) refresh(tenant string, e *tenantEntry) {
	defer c.wg.Done()
	tick := time.NewTicker(c.scale.of(refreshEvery))
	defer tick.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case now := <-tick.C:
			m := loadMarkup(tenant, now)
			c.mu.Lock()
			e.markup = m
			c.mu.Unlock()
		}
	}
}

// loadMarkup stands for reading a tenant's settings from a database: a
// markup from 0 to 9.99 %, changing every minute.
func loadMarkup(tenant string, now time.Time) int {
	h := fnv.New32a()
	h.Write([]byte(tenant))
	return int((h.Sum32() + uint32(now.Unix()/60)) % 1000)
}
