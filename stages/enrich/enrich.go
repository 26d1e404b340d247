// Package enrich derives scores for a unique lead and passes it from
// leads.unique to leads.enriched under the key dedupe gave the lead: the
// fit score and bucket of crm.md §3.3, recomputed whenever the lead
// changes. (The other derived values are set by normalize.)
package enrich

import (
	"context"

	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
)

// Stage is the enrich stage. It is stateless.
type Stage struct{}

// Name implements pipeline.Stage.
func (Stage) Name() string { return "enrich" }

// Input implements pipeline.Stage.
func (Stage) Input() string { return pipeline.TopicUnique }

// Stateful implements pipeline.Stage.
func (Stage) Stateful() bool { return false }

// Open implements pipeline.Stage.
func (Stage) Open(context.Context, int32, *pipeline.Table) (pipeline.Processor, error) {
	return pipeline.ProcessorFunc(func(_ context.Context, in *pipeline.Envelope, out *pipeline.Emitter) error {
		if l := in.Lead; l != nil {
			l.FitScore = lead.Fit(l.FitInput())
			l.FitBucket = lead.FitBucket(l.FitScore)
		}
		out.Emit(pipeline.TopicEnriched, in.Key, in)
		return nil
	}), nil
}
