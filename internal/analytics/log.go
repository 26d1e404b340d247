package analytics

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/internal/workflow"
	"github.com/leadstream/leadstream/pipeline"
)

// ReadLog reads the transition log from leads.events: every status change
// the crm stage recorded (refusals are left out).
func ReadLog(ctx context.Context, brokers []string, ns pipeline.Namespace, extra ...kgo.Opt) ([]Transition, error) {
	var out []Transition
	var bad int
	err := pipeline.ReadTopic(ctx, brokers, ns.Topic(pipeline.TopicEvents), func(r *kgo.Record) {
		env, err := pipeline.DecodeEnvelope(r)
		if err != nil || len(env.Event) == 0 {
			bad++
			return
		}
		var ev struct {
			Type string `json:"type"`
			Transition
		}
		if json.Unmarshal(env.Event, &ev) != nil {
			bad++
			return
		}
		if ev.Type == workflow.EventType {
			out = append(out, ev.Transition)
		}
	}, extra...)
	if err != nil {
		return nil, fmt.Errorf("analytics: read the transition log: %w", err)
	}
	return out, nil
}
