package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/index"
)

// restore brings store up to date with partition p of the changelog topic:
// a store that kept its state catches up from its checkpoint; one with no
// state (new replica, lost disk) is rebuilt from the beginning; one whose
// checkpoint lies beyond the changelog's end (a different cluster) is wiped
// and rebuilt. It returns the number of changes applied.
func restore(ctx context.Context, brokers []string, extra []kgo.Opt, topic string, p int32, store *index.Store, log *slog.Logger) (int, error) {
	cp, err := store.Checkpoint()
	if err != nil {
		return 0, err
	}
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, extra...),
		kgo.SeedBrokers(brokers...),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {p: kgo.NewOffset().At(cp + 1)}}),
	)...)
	if err != nil {
		return 0, fmt.Errorf("restore %s[%d]: client: %w", topic, p, err)
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err != nil {
		return 0, fmt.Errorf("restore %s[%d]: end offsets: %w", topic, p, err)
	}
	end, ok := ends.Lookup(topic, p)
	if !ok || end.Err != nil {
		return 0, fmt.Errorf("restore %s[%d]: end offset unknown: %v", topic, p, end.Err)
	}
	if cp >= end.Offset {
		if cp == end.Offset-1 || (cp == -1 && end.Offset == 0) {
			return 0, nil
		}
		log.Warn("local state is ahead of its changelog; rebuilding", "topic", topic, "partition", p, "checkpoint", cp, "end", end.Offset)
		if err := store.Reset(); err != nil {
			return 0, err
		}
		cl.SetOffsets(map[string]map[int32]kgo.EpochOffset{topic: {p: {Epoch: -1, Offset: 0}}})
		cp = -1
	}
	if cp >= end.Offset-1 {
		return 0, nil
	}
	start := time.Now()
	applied := 0
	next := cp + 1
	quiet := 0
	for next < end.Offset {
		pollCtx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		fs := cl.PollRecords(pollCtx, 5000)
		cancel()
		if err := ctx.Err(); err != nil {
			return applied, err
		}
		var changes []index.Change
		last := int64(-1)
		fs.EachError(func(_ string, _ int32, e error) {
			if err == nil && e != context.DeadlineExceeded {
				err = e
			}
		})
		if err != nil {
			return applied, fmt.Errorf("restore %s[%d]: fetch: %w", topic, p, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			changes = append(changes, index.Change{Key: r.Key, Value: r.Value})
			last = r.Offset
		})
		if last < 0 {
			// Transaction markers and aborted records occupy offsets that
			// are never delivered; a few quiet polls mean we are done.
			if quiet++; quiet >= 4 {
				break
			}
			continue
		}
		quiet = 0
		// A nil value is a tombstone; an empty non-nil value is a value.
		if err := store.Apply(changes, last); err != nil {
			return applied, err
		}
		applied += len(changes)
		next = last + 1
	}
	log.Info("state restored from changelog", "topic", topic, "partition", p, "changes", applied, "took", time.Since(start).Round(time.Millisecond))
	return applied, nil
}
