package enrich

import (
	"strings"
	"testing"
	"time"

	"github.com/leadstream/leadstream/connectors/enrich"
	"github.com/leadstream/leadstream/internal/lead"
)

func TestApplySignals(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	g := func(v float64) *float64 { return &v }
	tests := []struct {
		name       string
		have       lead.Lead
		facts      enrich.CompanyFacts
		filled     bool
		cf103      string
		cf104      string
		cf111      string
		provenance string // an attribute that must have an entry from the provider
	}{
		{name: "nothing new", facts: enrich.CompanyFacts{}, filled: false},
		{name: "funding and growth from apollo",
			facts:  enrich.CompanyFacts{FundingEvents: []lead.FundingEvent{{Type: "Series A", AmountUSD: 7_500_000, Date: "2026-04-15"}}, Growth: &lead.Growth{EmployeeGrowthPct: g(14.6)}},
			filled: true, cf103: "Funding: Series A $7.5M (2026-04) | Hiring growth +15%", provenance: "funding_events"},
		{name: "a round the lead has is not added again",
			have:   lead.Lead{FundingEvents: []lead.FundingEvent{{Type: "Series A", AmountUSD: 7_500_000, Date: "2026-04-01"}}},
			facts:  enrich.CompanyFacts{FundingEvents: []lead.FundingEvent{{Type: "series a", AmountUSD: 7_500_000, Date: "2026-04-15"}}},
			filled: false, cf103: "Funding: Series A $7.5M (2026-04)"},
		{name: "growth the lead has is kept",
			have:   lead.Lead{Growth: &lead.Growth{EmployeeGrowthPct: g(3)}},
			facts:  enrich.CompanyFacts{Growth: &lead.Growth{EmployeeGrowthPct: g(40)}},
			filled: false, cf103: ""},
		{name: "postings and upcoming technologies",
			facts:  enrich.CompanyFacts{UpcomingTechnologies: []string{"Intune"}, JobPostings: []string{"IT Manager", "it manager"}},
			filled: true, cf104: "Adopting: Intune | Hiring for: IT Manager", provenance: "job_postings"},
		{name: "intent from zoominfo, newer replaces older",
			have:   lead.Lead{Intent: []lead.Intent{{Source: "zoominfo", Strength: "Low", Topics: []string{"VoIP"}, LastActivity: "2026-01-01"}}},
			facts:  enrich.CompanyFacts{Intent: &lead.Intent{Source: "ignored", Strength: "High", Topics: []string{"SIEM", "Cloud Backup"}, LastActivity: "2026-11-20"}},
			filled: true, cf111: "ZoomInfo High: SIEM, Cloud Backup (last activity 2026-11-20)", provenance: "intent"},
		{name: "older intent is ignored",
			have:   lead.Lead{Intent: []lead.Intent{{Source: "zoominfo", Strength: "Low", Topics: []string{"VoIP"}, LastActivity: "2026-11-01"}}},
			facts:  enrich.CompanyFacts{Intent: &lead.Intent{Strength: "High", Topics: []string{"SIEM"}, LastActivity: "2026-10-01"}},
			filled: false, cf111: "ZoomInfo Low: VoIP (last activity 2026-11-01)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := tc.have
			if got := applySignals(&l, "zoominfo", tc.facts, now); got != tc.filled {
				t.Errorf("filled = %v, want %v", got, tc.filled)
			}
			l.Rederive()
			var cf lead.CustomFields
			if l.CustomFields != nil {
				cf = *l.CustomFields
			}
			if cf.GrowthSignals != tc.cf103 || cf.ProjectPipelines != tc.cf104 || cf.IntentSignals != tc.cf111 {
				t.Errorf("CF_103 %q CF_104 %q CF_111 %q; want %q %q %q", cf.GrowthSignals, cf.ProjectPipelines, cf.IntentSignals, tc.cf103, tc.cf104, tc.cf111)
			}
			if tc.provenance != "" {
				obs := l.Provenance[tc.provenance]
				if len(obs) == 0 || obs[0].Source != "zoominfo" || !obs[0].ObservedAt.Equal(now) || strings.TrimSpace(obs[0].Value) == "" {
					t.Errorf("provenance of %s: %+v", tc.provenance, obs)
				}
			}
		})
	}
}
