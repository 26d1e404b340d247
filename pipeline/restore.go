package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/index"
	"github.com/leadstream/leadstream/internal/ctxtime"
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
	end, err := changelogEnd(ctx, kadm.NewClient(cl), topic, p)
	if err != nil {
		return 0, err
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

// changelogEndWait bounds how long changelogEnd waits for a partition the
// broker does not list yet.
const changelogEndWait = 30 * time.Second

// changelogEnd is the end offset of partition p of topic. A topic created
// a moment ago may be unknown to a real broker (EndOffsets waits for it),
// or known without this partition yet: that is retried for a while too.
func changelogEnd(ctx context.Context, adm *kadm.Client, topic string, p int32) (kadm.ListedOffset, error) {
	deadline := time.Now().Add(changelogEndWait)
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		ends, err := EndOffsets(ctx, adm, topic)
		if err != nil {
			return kadm.ListedOffset{}, fmt.Errorf("restore %s[%d]: %w", topic, p, err)
		}
		if end, ok := ends.Lookup(topic, p); ok {
			return end, nil
		}
		if time.Now().After(deadline) {
			return kadm.ListedOffset{}, fmt.Errorf("restore %s[%d]: the broker lists no such partition", topic, p)
		}
		if err := ctxtime.Sleep(ctx, wait); err != nil {
			return kadm.ListedOffset{}, err
		}
	}
}
