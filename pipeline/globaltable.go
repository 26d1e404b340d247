package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// GlobalTable follows a small compacted topic into memory, all partitions
// of it, in goka's sense of a lookup table: every process that follows it
// sees every key, whichever partitions of its stage it owns. The
// suppression list is one. A record with no value deletes its key.
type GlobalTable struct {
	mu    sync.RWMutex
	m     map[string][]byte
	ready chan struct{}
}

// FollowTable starts following topic from its start; the table is Ready
// once it has caught up with the end offsets the topic had at the call.
// It follows until ctx ends.
func FollowTable(ctx context.Context, brokers []string, topic string, log *slog.Logger, extra ...kgo.Opt) (*GlobalTable, error) {
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, extra...),
		kgo.SeedBrokers(brokers...),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		// A small topic whose changes should be seen within a second.
		kgo.FetchMaxWait(250*time.Millisecond),
	)...)
	if err != nil {
		return nil, fmt.Errorf("follow %s: client: %w", topic, err)
	}
	remaining, err := catchUpOffsets(ctx, cl, topic)
	if err != nil {
		cl.Close()
		return nil, fmt.Errorf("follow %s: %w", topic, err)
	}
	g := &GlobalTable{m: map[string][]byte{}, ready: make(chan struct{})}
	if len(remaining) == 0 {
		close(g.ready)
	}
	go func() {
		defer cl.Close()
		for ctx.Err() == nil {
			pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			fs := cl.PollFetches(pctx)
			cancel()
			fs.EachError(func(t string, p int32, err error) {
				if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
					log.Warn("global table fetch error", "topic", t, "partition", p, "err", err)
				}
			})
			g.mu.Lock()
			fs.EachRecord(func(r *kgo.Record) {
				if r.Value == nil {
					delete(g.m, string(r.Key))
				} else {
					g.m[string(r.Key)] = r.Value
				}
				if end, ok := remaining[r.Partition]; ok && r.Offset+1 >= end {
					delete(remaining, r.Partition)
					if len(remaining) == 0 {
						close(g.ready)
					}
				}
			})
			g.mu.Unlock()
		}
	}()
	return g, nil
}

// Ready is closed once the table has caught up with the topic as it was
// when following began.
func (g *GlobalTable) Ready() <-chan struct{} { return g.ready }

// Get returns the value of key.
func (g *GlobalTable) Get(key string) ([]byte, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	v, ok := g.m[key]
	return v, ok
}
