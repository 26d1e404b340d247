package workflow

import "testing"

func TestLookups(t *testing.T) {
	e := defaultEngine(t)
	for _, tc := range []struct {
		entity string
		id     int
		want   string
		ok     bool
	}{
		{EntityLead, 4, "engaged", true},
		{EntityLead, 14, "promoted_to_opportunity", true}, // a prospect status set on a lead ticket
		{EntityProspect, 12, "qualified", true},
		{EntityOpportunity, 23, "won", true},
		{EntityLead, 99, "", false},
	} {
		got, ok := e.StatusCode(tc.entity, tc.id)
		if got != tc.want || ok != tc.ok {
			t.Errorf("StatusCode(%s, %d) = %q, %v; want %q, %v", tc.entity, tc.id, got, ok, tc.want, tc.ok)
		}
	}
	if id := e.StatusID("new_prospect"); id != 10 {
		t.Errorf("StatusID(new_prospect) = %d", id)
	}
	if id, ok := e.TicketTypeID(EntityProspect); !ok || id != 2 {
		t.Errorf("TicketTypeID(prospect) = %d, %v", id, ok)
	}
	if _, ok := e.TicketTypeID(EntityOpportunity); ok {
		t.Error("the opportunity ticket type is null in the default file")
	}
	if got := e.Initial(EntityOpportunity); got != "new_opportunity" {
		t.Errorf("Initial(opportunity) = %q", got)
	}
	if p, ok := e.Probability("negotiation"); !ok || p != 70 {
		t.Errorf("Probability(negotiation) = %d, %v", p, ok)
	}
	if got := e.Follow("converted_to_prospect"); got != "new_prospect" {
		t.Errorf("Follow = %q", got)
	}
	if e.Opportunity().BudgetValue["$10K-$50K"] != 30000 || e.Opportunity().TimeframeMonths["1-3 months"] != 3 {
		t.Errorf("Opportunity defaults = %+v", e.Opportunity())
	}
	if got := e.RulesAt("qualified"); len(got) != 1 || got[0] != "auto_promote" {
		t.Errorf("RulesAt(qualified) = %v", got)
	}
	if got := e.RulesAt("contacted"); len(got) != 0 {
		t.Errorf("RulesAt(contacted) = %v", got)
	}
	if e.StatusKind("won") != KindAdvance {
		t.Errorf("StatusKind(won) = %q", e.StatusKind("won"))
	}
}
