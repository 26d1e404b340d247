// Package dedupe is the matching stage. Its walking-skeleton form merges a
// record into an existing lead when their normalised e-mail is equal, using
// the partition's Badger-backed table; every other record becomes a new
// lead. A source record seen before (a restart, a replay, the same file
// imported again) gets its earlier decision back, so no lead is doubled.
package dedupe

import (
	"context"
	"fmt"

	"github.com/segmentio/encoding/json"

	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
)

// Decisions written on leads.unique.
const (
	DecisionNew        = "new"
	DecisionExactMerge = "exact_merge"
)

// Table key prefixes.
const (
	keySource = "src/"   // source record key → decision
	keyEmail  = "email/" // e-mail match key → lead id
	keyLead   = "lead/"  // lead id → merged lead
)

// Stage is the dedupe stage.
type Stage struct{}

// Name implements pipeline.Stage.
func (Stage) Name() string { return "dedupe" }

// Input implements pipeline.Stage.
func (Stage) Input() string { return pipeline.TopicValid }

// Stateful implements pipeline.Stage.
func (Stage) Stateful() bool { return true }

// Open implements pipeline.Stage.
func (Stage) Open(_ context.Context, _ int32, t *pipeline.Table) (pipeline.Processor, error) {
	return &processor{table: t}, nil
}

type decision struct {
	LeadID   string `json:"lead_id"`
	Decision string `json:"decision"`
}

// leadState is a lead as the table keeps it. Key is the partition key of
// the lead's first record; the lead keeps it for life, so enrich and sink
// always see a lead (and its company's other leads) on one partition.
type leadState struct {
	Key  string    `json:"key"`
	Lead lead.Lead `json:"lead"`
}

type processor struct {
	table *pipeline.Table
}

func (p *processor) Process(_ context.Context, in *pipeline.Envelope, out *pipeline.Emitter) error {
	if in.Lead == nil {
		return fmt.Errorf("dedupe: record %s has no lead", in.TraceID)
	}
	inKey := in.Lead.PartitionKey()
	srcKey := keySource + in.Source.Key()
	var d decision
	found, err := p.getJSON(srcKey, &d)
	if err != nil {
		return err
	}
	var merged leadState
	switch {
	case found:
		// Seen before: the same verdict, the lead as it stands now.
		if _, err := p.getJSON(keyLead+d.LeadID, &merged); err != nil {
			return err
		}
	default:
		d, merged, err = p.decide(in, inKey)
		if err != nil {
			return err
		}
		if err := p.putJSON(srcKey, d); err != nil {
			return err
		}
		if err := p.putJSON(keyLead+d.LeadID, merged); err != nil {
			return err
		}
	}
	in.LeadID = d.LeadID
	in.Decision = d.Decision
	in.Lead = &merged.Lead
	out.Emit(pipeline.TopicUnique, merged.Key, in)
	return nil
}

// decide matches a new source record against the partition's leads.
func (p *processor) decide(in *pipeline.Envelope, key string) (decision, leadState, error) {
	if in.Lead.Email != "" {
		id, ok, err := p.table.Get(keyEmail + in.Lead.Email)
		if err != nil {
			return decision{}, leadState{}, err
		}
		if ok {
			var existing leadState
			if _, err := p.getJSON(keyLead+string(id), &existing); err != nil {
				return decision{}, leadState{}, err
			}
			existing.Lead.FillFrom(in.Lead)
			return decision{LeadID: string(id), Decision: DecisionExactMerge}, existing, nil
		}
	}
	id := lead.NewID("ld_", in.FirstSeen, in.Source.Key())
	if in.Lead.Email != "" {
		p.table.Put(keyEmail+in.Lead.Email, []byte(id))
	}
	return decision{LeadID: id, Decision: DecisionNew}, leadState{Key: key, Lead: *in.Lead}, nil
}

func (p *processor) getJSON(key string, v any) (bool, error) {
	b, ok, err := p.table.Get(key)
	if err != nil || !ok {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("dedupe: corrupt state at %q: %w", key, err)
	}
	return true, nil
}

func (p *processor) putJSON(key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("dedupe: encode %q: %w", key, err)
	}
	p.table.Put(key, b)
	return nil
}
