package system

import (
	"context"
	"fmt"

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
	out := map[string]string{}
	var decodeErr error
	err := pipeline.ReadTopic(ctx, s.brokers, topic, func(r *kgo.Record) {
		env, err := pipeline.DecodeEnvelope(r)
		if err != nil {
			decodeErr = err
			return
		}
		if len(want) == 0 || want[env.Source.ImportID] {
			out[env.Source.RecordID] = env.LeadID
		}
	}, s.opts.ClientOpts...)
	if err != nil {
		return nil, fmt.Errorf("clusters: %w", err)
	}
	if decodeErr != nil {
		return nil, fmt.Errorf("clusters: %w", decodeErr)
	}
	return out, nil
}
