package system

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/pipeline"
)

// Clusters reads leads.synced and returns, for every source record of the
// given imports that became or joined a lead, the lead id it ended in
// (source record id → lead id). Call it once the imports have their
// outcomes.
func (s *System) Clusters(ctx context.Context, importIDs ...string) (map[string]string, error) {
	want := map[string]bool{}
	for _, id := range importIDs {
		want[id] = true
	}
	topic := s.opts.Namespace.Topic(pipeline.TopicSynced)
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, s.opts.ClientOpts...),
		kgo.SeedBrokers(s.brokers...),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
	)...)
	if err != nil {
		return nil, fmt.Errorf("clusters: client: %w", err)
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("clusters: %w", err)
	}
	remaining := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			remaining[o.Partition] = o.Offset
		}
	})
	out := map[string]string{}
	var decodeErr error
	for len(remaining) > 0 {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		fs := cl.PollFetches(pctx)
		cancel()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		n := 0
		fs.EachRecord(func(r *kgo.Record) {
			n++
			if r.Offset+1 >= remaining[r.Partition] {
				delete(remaining, r.Partition)
			}
			env, err := pipeline.DecodeEnvelope(r)
			if err != nil {
				decodeErr = err
				return
			}
			if len(want) == 0 || want[env.Source.ImportID] {
				out[env.Source.RecordID] = env.LeadID
			}
		})
		if n == 0 {
			break // only transaction markers left
		}
	}
	if decodeErr != nil {
		return nil, fmt.Errorf("clusters: %w", decodeErr)
	}
	return out, nil
}
