package lead

import (
	"strings"
	"testing"
	"time"
)

func pct(v float64) *float64 { return &v }

func TestGrowthSignals(t *testing.T) {
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		events []FundingEvent
		growth *Growth
		want   string
	}{
		{"nothing", nil, nil, ""},
		{"newest first, money short forms",
			[]FundingEvent{{Type: "Seed", AmountUSD: 950_000, Date: "2025-02-10"}, {Type: "Series B", AmountUSD: 12_500_000, Date: "2026-03-01"}},
			nil, "Funding: Series B $12.5M (2026-03) | Funding: Seed $950K (2025-02)"},
		{"older than 24 months and undated events are left out",
			[]FundingEvent{{Type: "Series A", AmountUSD: 5_000_000, Date: "2024-11-30"}, {Type: "Series C", AmountUSD: 1_200_000_000, Date: "2024-12"}, {Type: "Debt", Date: ""}},
			nil, "Funding: Series C $1.2B (2024-12)"},
		{"a type without an amount, an amount without a type",
			[]FundingEvent{{Type: "Grant", Date: "2026-01-05"}, {AmountUSD: 3_000_000, Date: "2025-06-01T00:00:00Z"}},
			nil, "Funding: Grant (2026-01) | Funding: $3M (2025-06)"},
		{"growth at and under the thresholds",
			nil, &Growth{EmployeeGrowthPct: pct(10), RevenueGrowthPct: pct(19.9)}, "Hiring growth +10%"},
		{"both growths after the funding",
			[]FundingEvent{{Type: "Series A", AmountUSD: 8_000_000, Date: "2026-05-01"}},
			&Growth{EmployeeGrowthPct: pct(32.4), RevenueGrowthPct: pct(20)}, "Funding: Series A $8M (2026-05) | Hiring growth +32% | Revenue growth +20%"},
		{"negative growth says nothing", nil, &Growth{EmployeeGrowthPct: pct(-15)}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := GrowthSignals(tc.events, tc.growth, now); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
	// At most 10 signals.
	var many []FundingEvent
	for m := 1; m <= 12; m++ {
		many = append(many, FundingEvent{Type: "Round", AmountUSD: int64(m) * 1_000_000, Date: time.Date(2026, time.Month(m), 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)})
	}
	if got := strings.Count(GrowthSignals(many, &Growth{EmployeeGrowthPct: pct(50)}, now), " | ") + 1; got != 10 {
		t.Errorf("%d signals, want 10", got)
	}
}

func TestProjectPipelines(t *testing.T) {
	tests := []struct {
		name               string
		upcoming, postings []string
		want               string
	}{
		{"nothing", nil, nil, ""},
		{"adopting only", []string{"Okta", " okta ", "Azure"}, nil, "Adopting: Okta, Azure"},
		{"hiring, at most five", nil, []string{"SRE", "IT Manager", "", "Helpdesk", "Network Engineer", "CISO", "DBA"}, "Hiring for: SRE, IT Manager, Helpdesk, Network Engineer, CISO"},
		{"both", []string{"Intune"}, []string{"IT Director"}, "Adopting: Intune | Hiring for: IT Director"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ProjectPipelines(tc.upcoming, tc.postings); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	long := make([]string, 1000)
	for i := range long {
		long[i] = "Technology"
	}
	long[0] = "Unique"
	if got := ProjectPipelines(append(long, strings.Repeat("x", 5000)), nil); len(got) > 4000 || strings.HasSuffix(got, ",") {
		t.Errorf("length %d, ends %q", len(got), got[len(got)-5:])
	}
}

func TestIntentSignals(t *testing.T) {
	tests := []struct {
		name    string
		intents []Intent
		want    string
	}{
		{"nothing", nil, ""},
		{"newest source first",
			[]Intent{{Source: "apollo", Strength: "Medium", Topics: []string{"Cloud Backup"}, LastActivity: "2026-10-01"},
				{Source: "zoominfo", Strength: "High", Topics: []string{"Managed Services", "SIEM", "siem"}, LastActivity: "2026-11-20"}},
			"ZoomInfo High: Managed Services, SIEM (last activity 2026-11-20) | Apollo.io Medium: Cloud Backup (last activity 2026-10-01)"},
		{"no date, no strength", []Intent{{Source: "zoominfo", Topics: []string{"VoIP"}}}, "ZoomInfo: VoIP"},
		{"no topics says nothing", []Intent{{Source: "zoominfo", Strength: "High", LastActivity: "2026-11-20"}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := IntentSignals(tc.intents); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
	var topics []string
	for i := range 30 {
		topics = append(topics, "t"+string(rune('a'+i)))
	}
	if got := IntentSignals([]Intent{{Source: "zoominfo", Topics: topics}}); strings.Count(got, ",")+1 != 20 {
		t.Errorf("topics not capped at 20: %q", got)
	}
}

func TestMergeKeepsSignalsAndRederives(t *testing.T) {
	a := &Lead{FundingEvents: []FundingEvent{{Type: "Seed", AmountUSD: 1_000_000, Date: "2026-01-01"}},
		Intent: []Intent{{Source: "zoominfo", Strength: "Low", Topics: []string{"VoIP"}, LastActivity: "2026-01-01"}}}
	b := &Lead{FundingEvents: []FundingEvent{{Type: "seed", AmountUSD: 1_000_000, Date: "2026-01-15"}, {Type: "Series A", AmountUSD: 6_000_000, Date: "2026-09-01"}},
		Intent:      []Intent{{Source: "zoominfo", Strength: "High", Topics: []string{"SIEM"}, LastActivity: "2026-11-01"}},
		JobPostings: []string{"IT Manager"}, Growth: &Growth{EmployeeGrowthPct: pct(12)}}
	a.Merge(b, Precedence{})
	if len(a.FundingEvents) != 2 || len(a.Intent) != 1 || a.Intent[0].Strength != "High" || len(a.JobPostings) != 1 || a.Growth == nil {
		t.Fatalf("merged %+v", a)
	}
	a.Rederive()
	cf := a.CustomFields
	if cf == nil || !strings.HasPrefix(cf.GrowthSignals, "Funding: Series A $6M (2026-09)") || cf.ProjectPipelines != "Hiring for: IT Manager" ||
		cf.IntentSignals != "ZoomInfo High: SIEM (last activity 2026-11-01)" {
		t.Errorf("custom fields %+v", cf)
	}
}
