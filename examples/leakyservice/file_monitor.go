package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// The file monitor's numbers, as in the seed report: 6 files polled every
// 2 s; a checkpoint every 15th poll (30 s) of a 16-shard offset table.
const (
	monitoredFiles   = 6
	pollEvery        = 2 * time.Second
	checkpointEvery  = 15
	checkpointShards = 16
	// maxCheckpointGoroutines stops the leak after 128 checkpoints (64
	// minutes unscaled), so the demo can run for long with a dump of a
	// few thousand goroutines at most.
	maxCheckpointGoroutines = 2048
)

// FileMonitor follows the service's log files: every poll it stats each
// one and records its size as the file's offset. Every checkpointEvery
// polls it checkpoints those offsets, one goroutine per shard of its
// offset table, each handing its shard to the checkpoint writer.
//
// THE LEAK (the seed's): the checkpoint writer was removed in a refactor,
// and nothing receives from checkpoints any more. Every checkpoint leaves
// checkpointShards goroutines blocked in chan send in sendCheckpoint,
// for good: +16 every 30 s from the go statement in pollAllFiles.
// Verdict it deserves: leak.
type FileMonitor struct {
	files       []string
	offsets     []int64 // by file, as of the last poll
	polls       int
	leaked      int             // goroutines left blocked so far
	checkpoints chan checkpoint // unbuffered, and nobody receives
}

// checkpoint is one shard of the offset table at one poll.
type checkpoint struct {
	shard   int
	poll    int
	offsets []int64 // the files whose index falls in this shard
}

// newFileMonitor creates the monitored files in dir and a monitor for them.
func newFileMonitor(dir string) (*FileMonitor, error) {
	m := &FileMonitor{offsets: make([]int64, monitoredFiles), checkpoints: make(chan checkpoint)}
	for i := range monitoredFiles {
		name := filepath.Join(dir, fmt.Sprintf("app-%d.log", i))
		if err := os.WriteFile(name, []byte("started\n"), 0o600); err != nil {
			return nil, fmt.Errorf("monitored files: %w", err)
		}
		m.files = append(m.files, name)
	}
	return m, nil
}

// run polls every period until ctx ends.
func (m *FileMonitor) run(ctx context.Context, wg *sync.WaitGroup, every time.Duration) {
	defer wg.Done()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			m.pollAllFiles()
		}
	}
}

// pollAllFiles stats every file, and every checkpointEvery polls
// checkpoints the offsets, a goroutine per shard.
func (m *FileMonitor) pollAllFiles() {
	for i, name := range m.files {
		if fi, err := os.Stat(name); err == nil {
			m.offsets[i] = fi.Size()
		}
	}
	m.polls++
	if m.polls%checkpointEvery != 0 || m.leaked+checkpointShards > maxCheckpointGoroutines {
		return
	}
	for shard := range checkpointShards {
		c := checkpoint{shard: shard, poll: m.polls}
		for i, off := range m.offsets {
			if i%checkpointShards == shard {
				c.offsets = append(c.offsets, off)
			}
		}
		go m.sendCheckpoint(c)
	}
	m.leaked += checkpointShards
}

// sendCheckpoint hands one shard to the checkpoint writer, which is gone.
func (m *FileMonitor) sendCheckpoint(c checkpoint) {
	m.checkpoints <- c
}
