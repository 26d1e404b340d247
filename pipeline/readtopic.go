package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ReadTopic calls fn for every committed record of topic, from its start up
// to the end offsets it has when the call begins, and then returns. extra
// are franz-go options applied first.
func ReadTopic(ctx context.Context, brokers []string, topic string, fn func(*kgo.Record), extra ...kgo.Opt) error {
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, extra...),
		kgo.SeedBrokers(brokers...),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
	)...)
	if err != nil {
		return fmt.Errorf("read %s: client: %w", topic, err)
	}
	defer cl.Close()
	remaining, err := catchUpOffsets(ctx, cl, topic)
	if err != nil {
		return fmt.Errorf("read %s: %w", topic, err)
	}
	for len(remaining) > 0 {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		fs := cl.PollFetches(pctx)
		cancel()
		if err := ctx.Err(); err != nil {
			return err
		}
		n := 0
		fs.EachRecord(func(r *kgo.Record) {
			n++
			fn(r)
			if r.Offset+1 >= remaining[r.Partition] {
				delete(remaining, r.Partition)
			}
		})
		if n == 0 {
			return nil // only transaction markers are left at the end
		}
	}
	return nil
}

// catchUpOffsets are the end offsets of topic's non-empty partitions: where a
// reader that starts at the beginning has caught up.
// A topic created a moment ago may not be known to every broker yet
// (UNKNOWN_TOPIC_OR_PARTITION on a real cluster): that is retried for a
// few seconds.
func catchUpOffsets(ctx context.Context, cl *kgo.Client, topic string) (map[int32]int64, error) {
	ends, err := EndOffsets(ctx, kadm.NewClient(cl), topic)
	if err != nil {
		return nil, err
	}
	out := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			out[o.Partition] = o.Offset
		}
	})
	return out, nil
}

// EndOffsets lists the end offsets of topic, retrying for up to ten seconds
// while the brokers do not know the topic yet (it was just created).
func EndOffsets(ctx context.Context, adm *kadm.Client, topic string) (kadm.ListedOffsets, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		ends, err := adm.ListEndOffsets(ctx, topic)
		if err == nil {
			err = ends.Error()
		}
		if err == nil {
			return ends, nil
		}
		if !errors.Is(err, kerr.UnknownTopicOrPartition) || time.Now().After(deadline) {
			return nil, fmt.Errorf("end offsets: %w", err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
