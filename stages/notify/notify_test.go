package notify

import (
	"testing"

	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/internal/webhooks"
	"github.com/leadstream/leadstream/pipeline"
)

func TestEventFor(t *testing.T) {
	person := &lead.Lead{FirstName: "Jane", LastName: "Doe", Email: "jane@acme.example", QualityScore: 80}
	tests := []struct {
		name string
		in   pipeline.Envelope
		want string // event type, "" for none
	}{
		{"synced", pipeline.Envelope{TraceID: "t1", LeadID: "ld_1", Lead: person, Outcome: pipeline.OutcomeSynced}, webhooks.EventLeadCreated},
		{"merged", pipeline.Envelope{TraceID: "t2", LeadID: "ld_1", Lead: person, Outcome: pipeline.OutcomeMerged, Decision: "auto_merge"}, webhooks.EventLeadMerged},
		{"review", pipeline.Envelope{TraceID: "t3", Lead: person, Outcome: pipeline.OutcomeReview, Reasons: []string{"low_quality"}}, webhooks.EventLeadReviewRequired},
		{"suppressed", pipeline.Envelope{TraceID: "t4", Outcome: pipeline.OutcomeSuppressed}, ""},
		{"review decision", pipeline.Envelope{TraceID: "t5", Decision: "review:approve"}, ""},
		{"conversion", pipeline.Envelope{TraceID: "t6", Event: []byte(`{"type":"status_changed","to":"converted_to_prospect","ticket_id":"7","lead_id":"ld_1"}`)}, webhooks.EventProspectConverted},
		{"opportunity", pipeline.Envelope{TraceID: "t7", Event: []byte(`{"type":"status_changed","to":"new_opportunity","ticket_id":"9","lead_id":"ld_1"}`)}, webhooks.EventOpportunityCreated},
		{"other transition", pipeline.Envelope{TraceID: "t8", Event: []byte(`{"type":"status_changed","to":"contacted"}`)}, ""},
		{"refusal", pipeline.Envelope{TraceID: "t9", Event: []byte(`{"type":"transition_refused","to":"new_opportunity"}`)}, ""},
		{"hostile event", pipeline.Envelope{TraceID: "t10", Event: []byte(`{"type":`)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, ok := EventFor(&tt.in)
			if got := map[bool]string{true: ev.Type}[ok]; got != tt.want {
				t.Fatalf("EventFor = %q, want %q", got, tt.want)
			}
			if !ok {
				return
			}
			again, _ := EventFor(&tt.in)
			if ev.ID == "" || ev.ID != again.ID {
				t.Errorf("event id %q not stable (%q)", ev.ID, again.ID)
			}
			data, _ := ev.Data.(map[string]any)
			for _, pii := range []string{"email", "first_name", "last_name", "lead"} {
				if _, found := data[pii]; found {
					t.Errorf("payload carries %s", pii)
				}
			}
		})
	}
}
