package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
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
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err != nil {
		return fmt.Errorf("read %s: end offsets: %w", topic, err)
	}
	if err := ends.Error(); err != nil {
		return fmt.Errorf("read %s: end offsets: %w", topic, err)
	}
	remaining := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			remaining[o.Partition] = o.Offset
		}
	})
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
