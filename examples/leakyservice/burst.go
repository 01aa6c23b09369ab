package main

import (
	"context"
	"sync"
	"time"
)

const (
	// The compaction job runs compactionStart after the service starts,
	// then every compactionEvery.
	compactionStart = 45 * time.Second
	compactionEvery = 5 * time.Minute
	// Each run compacts compactionChunks chunks, starting one every
	// chunkEvery; a chunk takes chunkTakes.
	compactionChunks = 20
	chunkEvery       = time.Second
	chunkTakes       = 20 * time.Second
)

// compactor merges the service's storage chunks in the background.
//
// DECOY, a burst that rises and drains: each run starts 20 goroutines
// over 20 s that each work 20 s, so the site climbs to about 20 and comes
// back to zero 40 s after it started (45 s to 85 s after the service
// starts, then every 5 minutes). Verdict it deserves: burst.
type compactor struct {
	scale timescale
}

// run schedules the compaction runs until ctx ends, and waits for the
// chunks of the last one.
func (c *compactor) run(ctx context.Context, wg *sync.WaitGroup) {
	defer wg.Done()
	var chunks sync.WaitGroup
	defer chunks.Wait()
	next := time.NewTimer(c.scale.of(compactionStart))
	defer next.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-next.C:
		}
		c.runBatch(ctx, &chunks)
		next.Reset(c.scale.of(compactionEvery - compactionChunks*chunkEvery))
	}
}

// runBatch starts the chunks of one run, one every chunkEvery.
func (c *compactor) runBatch(ctx context.Context, chunks *sync.WaitGroup) {
	spacing := time.NewTicker(c.scale.of(chunkEvery))
	defer spacing.Stop()
	for range compactionChunks {
		chunks.Add(1)
		go c.compact(ctx, chunks)
		select {
		case <-ctx.Done():
			return
		case <-spacing.C:
		}
	}
}

// compact stands for merging one chunk: chunkTakes of work.
func (c *compactor) compact(ctx context.Context, chunks *sync.WaitGroup) {
	defer chunks.Done()
	work := time.NewTimer(c.scale.of(chunkTakes))
	defer work.Stop()
	select {
	case <-ctx.Done():
	case <-work.C:
	}
}
