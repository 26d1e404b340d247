package analytics

import (
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func tr(ticket, from, to string, hours float64, offPath bool) Transition {
	return Transition{TicketID: ticket, From: from, To: to, At: t0.Add(time.Duration(hours * float64(time.Hour))), OffPath: offPath}
}

func TestCompute(t *testing.T) {
	m, err := DefaultModel()
	if err != nil {
		t.Fatal(err)
	}
	m.MinSample = 2
	log := []Transition{
		// T1: through the whole funnel, won.
		tr("T1", "new_lead", "researching", 0, false), tr("T1", "researching", "contacted", 2, false),
		tr("T1", "contacted", "engaged", 4, false), tr("T1", "engaged", "converted_to_prospect", 6, false),
		tr("T1", "converted_to_prospect", "new_prospect", 6, false), tr("T1", "new_prospect", "prospecting", 7, false),
		tr("T1", "prospecting", "qualified", 8, false), tr("T1", "qualified", "promoted_to_opportunity", 9, false),
		tr("T1", "promoted_to_opportunity", "new_opportunity", 9, false), tr("T1", "new_opportunity", "won", 20, true),
		// T2: no interest.
		tr("T2", "new_lead", "researching", 1, false), tr("T2", "researching", "contacted", 5, false),
		tr("T2", "contacted", "no_interest", 6, false),
		// T3: still researching.
		tr("T3", "new_lead", "researching", 3, false),
		// T4: before the period.
		tr("T4", "new_lead", "researching", -100, false),
	}
	r := m.Compute(log, t0, t0.Add(48*time.Hour), t0.Add(30*time.Hour), "")
	if len(r.Stages) != 3 {
		t.Fatalf("stages %d", len(r.Stages))
	}
	lead, prospect, opp := r.Stages[0], r.Stages[1], r.Stages[2]
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"lead entered", lead.Entered, 3},
		{"lead advanced", lead.Advanced, 1},
		{"lead exited", lead.Exited, 1},
		{"lead open", lead.Open, 1},
		{"lead conversion", *lead.ConversionRate, 0.5},
		{"lead dwell median", *lead.Dwell.Median, 5.5 * 3600},
		{"lead open age", *lead.Dwell.OpenAgeMedian, 27.0 * 3600},
		{"prospect entered", prospect.Entered, 1},
		{"prospect advanced", prospect.Advanced, 1},
		{"opportunity won", opp.Advanced, 1},
		{"funnel rate", fmt.Sprintf("%.3f", *r.FunnelRate), "0.333"},
		{"off path", r.OffPathTransitions, 1},
		{"by conversion", r.Bottleneck.ByConversion.Stage, "lead"},
		{"researching dwell", *lead.Statuses[1].Dwell.Median, 3 * 3600.0},
		{"by dwell", r.Bottleneck.ByDwell.Status, "researching"},
	}
	for _, tc := range tests {
		if fmt.Sprint(tc.got) != fmt.Sprint(tc.want) {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if only := m.Compute(log, t0, t0.Add(48*time.Hour), t0, "prospect"); len(only.Stages) != 1 || only.Stages[0].Stage != "prospect" {
		t.Errorf("stage filter: %+v", only.Stages)
	}
}
