// Package notify is the stage that tells subscribers what happened to
// leads, through leadstream's outbound webhooks (crm.md §8.2): it reads the
// outcome topics and delivers lead.created, lead.merged and
// lead.review_required, and from the workflow events on leads.events
// prospect.converted and opportunity.created, signed by
// internal/webhooks.
//
// Payloads carry ids, scores and counts, never personal data. Each event's
// id is derived from the record it reports, so a record delivered again
// after a restart or a replay carries the same idempotency key and
// subscribers drop the repeat. A delivery that fails for good is logged and
// counted; it never holds up the pipeline, which does not wait for this
// stage.
package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"

	"github.com/segmentio/encoding/json"

	"github.com/leadstream/leadstream/internal/webhooks"
	"github.com/leadstream/leadstream/internal/workflow"
	"github.com/leadstream/leadstream/pipeline"
)

// Stage is the notify stage. It is stateless.
type Stage struct {
	// Sender delivers the events.
	Sender *webhooks.Sender
	// Logger (default slog.Default()).
	Logger *slog.Logger
}

// Name implements pipeline.Stage.
func (*Stage) Name() string { return "notify" }

// Input implements pipeline.Stage.
func (*Stage) Input() string { return pipeline.TopicSynced }

// MoreInputs implements pipeline.MultiInput.
func (*Stage) MoreInputs() []string { return []string{pipeline.TopicReview, pipeline.TopicEvents} }

// Stateful implements pipeline.Stage.
func (*Stage) Stateful() bool { return false }

// Open implements pipeline.Stage.
func (s *Stage) Open(context.Context, int32, *pipeline.Table) (pipeline.Processor, error) {
	log := s.Logger
	if log == nil {
		log = slog.Default()
	}
	return pipeline.ProcessorFunc(func(ctx context.Context, in *pipeline.Envelope, _ *pipeline.Emitter) error {
		ev, ok := EventFor(in)
		if !ok {
			return nil
		}
		if err := s.Sender.Deliver(ctx, ev); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			log.Warn("webhook delivery failed", "event", ev.Type, "id", ev.ID, "err", err)
		}
		return nil
	}), nil
}

// EventFor is the outbound event a record reports, if any.
func EventFor(in *pipeline.Envelope) (webhooks.Event, bool) {
	if len(in.Event) > 0 {
		return workflowEvent(in)
	}
	var typ string
	data := map[string]any{"trace_id": in.TraceID, "source": in.Source.Provider}
	switch {
	case in.Outcome == pipeline.OutcomeSynced:
		typ = webhooks.EventLeadCreated
	case in.Outcome == pipeline.OutcomeMerged:
		typ = webhooks.EventLeadMerged
		data["decision"] = in.Decision
	case in.Outcome == pipeline.OutcomeReview:
		typ = webhooks.EventLeadReviewRequired
		data["reasons"] = in.Reasons
	default:
		return webhooks.Event{}, false
	}
	if in.LeadID != "" {
		data["lead_id"] = in.LeadID
	}
	if in.Lead != nil && in.Lead.QualityScore > 0 {
		data["quality_score"] = in.Lead.QualityScore
	}
	return webhooks.Event{ID: eventID(typ, in.TraceID), Type: typ, Data: data}, true
}

// workflowEvent maps a workflow transition to prospect.converted or
// opportunity.created.
func workflowEvent(in *pipeline.Envelope) (webhooks.Event, bool) {
	var e struct {
		Type     string `json:"type"`
		TicketID string `json:"ticket_id"`
		From     string `json:"from"`
		To       string `json:"to"`
		At       string `json:"at"`
		LeadID   string `json:"lead_id"`
	}
	if err := json.Unmarshal(in.Event, &e); err != nil || e.Type != workflow.EventType {
		return webhooks.Event{}, false
	}
	var typ string
	switch e.To {
	case "converted_to_prospect":
		typ = webhooks.EventProspectConverted
	case "new_opportunity":
		typ = webhooks.EventOpportunityCreated
	default:
		return webhooks.Event{}, false
	}
	data := map[string]any{"lead_id": e.LeadID, "ticket_id": e.TicketID, "from": e.From, "to": e.To, "at": e.At}
	return webhooks.Event{ID: eventID(typ, in.TraceID), Type: typ, Data: data}, true
}

// eventID is the idempotency key of the event typ reports about trace.
func eventID(typ, trace string) string {
	sum := sha256.Sum256([]byte(typ + "\x00" + trace))
	return "evt_" + hex.EncodeToString(sum[:16])
}
