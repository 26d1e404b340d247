package system

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/leadstream/leadstream/internal/webhooks"
	"github.com/leadstream/leadstream/pipeline"
)

// TestOutboundWebhooksReportEveryOutcome runs the example file with a
// webhook subscriber: every synced, merged and review outcome arrives once,
// signed, with no personal data.
func TestOutboundWebhooksReportEveryOutcome(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const secret = "whsec-test-0123456789"
	var mu sync.Mutex
	got := map[string]map[string]bool{} // type → idempotency keys
	bad := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if err := webhooks.Verify(secret, r.Header.Get(webhooks.HeaderSignature), body, time.Now()); err != nil {
			bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var env struct {
			ID   string         `json:"id"`
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(body, &env); err != nil || env.ID != r.Header.Get(webhooks.HeaderIdempotencyKey) {
			bad++
		}
		for _, pii := range []string{"email", "first_name", "last_name", "phone", "lead"} {
			if _, ok := env.Data[pii]; ok {
				bad++
			}
		}
		if got[env.Type] == nil {
			got[env.Type] = map[string]bool{}
		}
		got[env.Type][env.ID] = true
	}))
	defer srv.Close()
	sender, err := webhooks.NewSender([]webhooks.Subscription{{URL: srv.URL, Secret: secret, Enabled: true,
		Events: []string{webhooks.EventLeadCreated, webhooks.EventLeadMerged, webhooks.EventLeadReviewRequired}}}, webhooks.Options{})
	if err != nil {
		t.Fatal(err)
	}
	opts := testOptions(t)
	opts.StageConfig.Notify = sender
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	res, err := s.Import(ctx, examplesFile(t))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := s.WaitForOutcomes(ctx, res, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{
		webhooks.EventLeadCreated:        sum.Counts[pipeline.OutcomeSynced],
		webhooks.EventLeadMerged:         sum.Counts[pipeline.OutcomeMerged],
		webhooks.EventLeadReviewRequired: sum.Counts[pipeline.OutcomeReview],
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		mu.Lock()
		done := len(got[webhooks.EventLeadCreated]) >= want[webhooks.EventLeadCreated] &&
			len(got[webhooks.EventLeadMerged]) >= want[webhooks.EventLeadMerged] &&
			len(got[webhooks.EventLeadReviewRequired]) >= want[webhooks.EventLeadReviewRequired]
		mu.Unlock()
		if done {
			break
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for typ, n := range want {
		if len(got[typ]) != n {
			t.Errorf("%s: %d distinct events, want %d", typ, len(got[typ]), n)
		}
	}
	if bad > 0 {
		t.Errorf("%d deliveries were unsigned, malformed or carried personal data", bad)
	}
}
