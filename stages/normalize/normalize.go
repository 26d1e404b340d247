// Package normalize is the first stage: it maps a provider's raw record
// from leads.raw onto the canonical lead (spec §2, through lead.Normalize),
// records what was wrong with the source values, and keys the result by
// the dedupe partition key on leads.normalized.
package normalize

import (
	"context"
	"errors"

	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
)

// Stage is the normalize stage. It is stateless.
type Stage struct {
	// Normalizer carries the normalisation settings; the zero value
	// applies the spec defaults.
	Normalizer lead.Normalizer
	// PhoneCache is how many parsed phone numbers each partition's
	// processor remembers (0: DefaultPhoneCache; negative: none).
	PhoneCache int
}

// Name implements pipeline.Stage.
func (Stage) Name() string { return "normalize" }

// Input implements pipeline.Stage.
func (Stage) Input() string { return pipeline.TopicRaw }

// Stateful implements pipeline.Stage.
func (Stage) Stateful() bool { return false }

// Open implements pipeline.Stage.
func (s Stage) Open(context.Context, int32, *pipeline.Table) (pipeline.Processor, error) {
	n := s.Normalizer
	if size := s.PhoneCache; size >= 0 && n.Phone == nil {
		if size == 0 {
			size = DefaultPhoneCache
		}
		n.Phone = newPhoneCache(size).parse
	}
	return pipeline.ProcessorFunc(func(ctx context.Context, in *pipeline.Envelope, out *pipeline.Emitter) error {
		return process(n, in, out)
	}), nil
}

func process(n lead.Normalizer, in *pipeline.Envelope, out *pipeline.Emitter) error {
	if in.Raw == nil {
		return errors.New("normalize: record has no raw fields")
	}
	l, _ := n.Normalize(in.Raw, lead.Source{Key: in.Source.Provider, RecordID: in.Source.RecordID, ObservedAt: in.FirstSeen})
	in.Lead = &l
	in.Raw = nil
	out.Emit(pipeline.TopicNormalized, l.PartitionKey(), in)
	return nil
}

// FromCanonical builds a lead from canonical CSV fields (record_id,
// entity_id, first_name, last_name, email, phone, title, company, domain,
// street, city, state, postcode, country). Unknown columns go to Extra;
// problems found are recorded in the lead's Issues.
func FromCanonical(raw map[string]string) lead.Lead {
	l, _ := lead.Normalize(raw, lead.Source{Key: "csv"})
	return l
}
