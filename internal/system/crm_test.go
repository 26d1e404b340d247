package system

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/internal/api"
	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
	"github.com/leadstream/leadstream/stages/crm"
)

// TestWebhookReachesTheCRMStage posts a batch of two HaloPSA deliveries to
// the API on a running system (dry run: no HaloPSA client) and finds the
// transition they describe on leads.events.
func TestWebhookReachesTheCRMStage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	opts := testOptions(t)
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	addr, err := api.Start(ctx, "127.0.0.1:0", api.Options{Producer: s, Namespace: opts.Namespace,
		Webhook: api.WebhookAuth{Token: "test-token"}, Logger: opts.Logger,
		Now: func() time.Time { return time.Date(2026, 3, 2, 10, 6, 0, 0, time.UTC) }}) // the deliveries below are fresh
	if err != nil {
		t.Fatal(err)
	}
	ticket := func(status int, at string) map[string]any {
		return map[string]any{"id": 77, "tickettype_id": 1, "status_id": status, "last_update": at,
			"details": "Imported " + lead.TicketRef("lead-77", "example.org"), "customfields": []any{}}
	}
	body, _ := json.Marshal([]map[string]any{
		{"id": "d-1", "event": "new ticket logged", "object_id": 77, "timestamp": "2026-03-02T10:00:00.0000000Z", "ticket": ticket(1, "2026-03-02T10:00:00.000Z")},
		{"id": "d-2", "event": "ticket status changed", "object_id": 77, "timestamp": "2026-03-02T10:05:00.0000000Z", "ticket": ticket(2, "2026-03-02T10:05:00.000Z")},
	})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+api.WebhookPath, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Leadstream-Token", "test-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("webhook answered %d", resp.StatusCode)
	}
	for ctx.Err() == nil {
		var evs []crm.Event
		err := pipeline.ReadTopic(ctx, s.Brokers(), opts.Namespace.Topic(pipeline.TopicEvents), func(r *kgo.Record) {
			env, err := pipeline.DecodeEnvelope(r)
			if err != nil {
				return
			}
			var ev crm.Event
			if json.Unmarshal(env.Event, &ev) == nil {
				evs = append(evs, ev)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) > 0 {
			got := fmt.Sprintf("%s %s→%s %s %s", evs[0].LeadID, evs[0].From, evs[0].To, evs[0].At.Format(time.RFC3339), evs[0].ObservedBy)
			if want := "lead-77 new_lead→researching 2026-03-02T10:05:00Z webhook"; len(evs) != 1 || got != want {
				t.Fatalf("events: %s (%d), want %s", got, len(evs), want)
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("no event on leads.events")
}
