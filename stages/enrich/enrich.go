// Package enrich derives attributes and scores for a unique lead. In the
// walking skeleton it passes leads from leads.unique to leads.enriched
// unchanged, under the key dedupe gave the lead.
package enrich

import (
	"context"

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
		out.Emit(pipeline.TopicEnriched, in.Key, in)
		return nil
	}), nil
}
