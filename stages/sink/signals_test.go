package sink

import (
	"context"
	stdjson "encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/connectors/halopsa/halosandbox"
	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
)

// TestSignalFieldsReachTheTicket writes a lead ticket whose lead carries
// funding, growth, job postings and intent to the HaloPSA emulator and
// reads CF_103, CF_104 and CF_111 back from the stored ticket (the
// fields go through textsafe like every text; these start with a word, so
// they reach HaloPSA unchanged).
func TestSignalFieldsReachTheTicket(t *testing.T) {
	ctx := context.Background()
	sb := halosandbox.New(halosandbox.Options{})
	hs := httptest.NewServer(sb)
	defer hs.Close()
	co := halopsa.DefaultOptions()
	co.BaseURL, co.ClientID, co.ClientSecret = hs.URL, "sandbox-client", "sandbox-secret"
	c, err := halopsa.New(co)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := resolveFields(ctx, c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	growth := 25.0
	l := &lead.Lead{FirstName: "Jane", LastName: "Doe", FullName: "Jane Doe", Company: "Acme Ltd", FirstSource: "zoominfo",
		FundingEvents: []lead.FundingEvent{{Type: "Series B", AmountUSD: 12_500_000, Date: time.Now().UTC().AddDate(0, -2, 0).Format(time.DateOnly)}},
		Growth:        &lead.Growth{EmployeeGrowthPct: &growth},
		JobPostings:   []string{"=IT Manager", "SRE"},
		Intent:        []lead.Intent{{Source: "zoominfo", Strength: "High", Topics: []string{"SIEM"}, LastActivity: "2026-11-20"}}}
	l.Rederive()
	p := &processor{stage: New(Options{Halo: c}), fields: fs}
	body, _ := p.ticketBody(&item{in: &pipeline.Envelope{Lead: l, LeadID: "ld_1", Key: "acme.example"}})
	res, failed, err := c.CreateIsolated(ctx, "Tickets", []any{body})
	if err != nil || len(failed) > 0 || len(res) != 1 {
		t.Fatalf("create: %v %v %d", err, failed, len(res))
	}
	var created struct {
		ID int `json:"id"`
	}
	if err := stdjson.Unmarshal(res[0], &created); err != nil {
		t.Fatal(err)
	}
	tk, ok := sb.Record("Tickets", created.ID)
	if !ok {
		t.Fatalf("ticket %d not stored", created.ID)
	}
	want := map[int]string{
		103: fmt.Sprintf("Funding: Series B $12.5M (%s) | Hiring growth +25%%", time.Now().UTC().AddDate(0, -2, 0).Format("2006-01")),
		104: "Hiring for: =IT Manager, SRE",
		111: "ZoomInfo High: SIEM (last activity 2026-11-20)",
	}
	got := map[int]string{}
	b, _ := stdjson.Marshal(tk["customfields"])
	var cfs []map[string]any
	_ = stdjson.Unmarshal(b, &cfs)
	for _, m := range cfs {
		var id int
		_, _ = fmt.Sscan(fmt.Sprint(m["id"]), &id)
		if v, ok := m["value"]; ok && v != nil {
			got[id] = fmt.Sprint(v)
		}
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("CF_%d = %q, want %q", id, got[id], w)
		}
	}
}
