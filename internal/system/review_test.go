package system

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
	"github.com/leadstream/leadstream/stages/review"
)

// TestReviewQueueApproveAndReject holds two records for review, lists
// them, approves one (it goes on to be synced) and rejects the other.
func TestReviewQueueApproveAndReject(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts := testOptions(t)
	reg := prometheus.NewRegistry()
	opts.Registerer = reg
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ns := opts.Namespace
	importID := fmt.Sprintf("imp_review%d", time.Now().UnixNano())
	for i, name := range []string{"Approve", "Reject"} {
		env := &pipeline.Envelope{
			TraceID:   fmt.Sprintf("%s:%d", importID, i+2),
			Source:    pipeline.Source{Provider: "csv", RecordID: name, ImportID: importID},
			FirstSeen: time.Now().UTC(),
			Lead:      &lead.Lead{FirstName: name, LastName: "Person", Email: name + "@example.org", Company: "Example Ltd"},
			Outcome:   pipeline.OutcomeReview,
			Reasons:   []string{"low_quality"},
		}
		rec, err := env.Record(ns.Topic(pipeline.TopicReview), env.TraceID)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.client.ProduceSync(ctx, rec).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	held := []pipeline.ImportResult{{ImportID: importID, Rows: 2}}
	sum, err := s.WaitForOutcomes(ctx, held, nil)
	if err != nil || sum.Counts[pipeline.OutcomeReview] != 2 {
		t.Fatalf("want 2 in review, got %+v, %v", sum.Counts, err)
	}
	var items []review.Item
	for len(items) < 2 && ctx.Err() == nil {
		if items, err = review.List(ctx, s.Brokers(), ns); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(items) != 2 {
		t.Fatalf("listed %d items, want 2", len(items))
	}
	waitMetric(ctx, t, reg, `leadstream_review_queue_size{reason="low_quality"}`, 2)
	if _, err := review.Decide(ctx, s.client, s.Brokers(), ns, importID+":2", review.Merge, "ld_x"); !errors.Is(err, review.ErrUnfit) {
		t.Errorf("merging a low-quality item: %v, want it refused", err)
	}
	if id, err := review.Decide(ctx, s.client, s.Brokers(), ns, importID+":2", review.Approve); err != nil || id == "" {
		t.Fatal(id, err)
	}
	if _, err := review.Decide(ctx, s.client, s.Brokers(), ns, importID+":3", review.Reject); err != nil {
		t.Fatal(err)
	}
	if _, err := review.Decide(ctx, s.client, s.Brokers(), ns, importID+":99", review.Approve); !errors.Is(err, review.ErrNoItem) {
		t.Errorf("deciding an unknown item: %v", err)
	}
	for ctx.Err() == nil {
		sum, err = s.WaitForOutcomes(ctx, held, nil)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Counts[pipeline.OutcomeSynced] == 1 && sum.Counts[pipeline.OutcomeRejected] == 1 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if sum.Counts[pipeline.OutcomeSynced] != 1 || sum.Counts[pipeline.OutcomeRejected] != 1 {
		t.Fatalf("after the decisions: %+v, want one synced and one rejected", sum.Counts)
	}
	for ctx.Err() == nil {
		if items, err = review.List(ctx, s.Brokers(), ns); err != nil {
			t.Fatal(err)
		}
		if len(items) == 0 {
			if _, err := review.Decide(ctx, s.client, s.Brokers(), ns, importID+":3", review.Reject); !errors.Is(err, review.ErrDecided) {
				t.Errorf("deciding a decided item: %v, want ErrDecided", err)
			}
			waitMetric(ctx, t, reg, `leadstream_review_queue_size{reason="low_quality"}`, 0)
			waitMetric(ctx, t, reg, `leadstream_rejected_total{reason="review_rejected"}`, 1)
			// The approved record became a lead of its own and was synced.
			waitMetric(ctx, t, reg, `leadstream_dedup_decisions_total{decision="new"}`, 1)
			waitMetric(ctx, t, reg, `leadstream_end_to_end_seconds{source="csv"}`, 1)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("queue still holds %d items", len(items))
}

// metricValues reads reg as name{label="value",…} → value (a histogram's
// sample count).
func metricValues(t *testing.T, reg prometheus.Gatherer) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			name := mf.GetName()
			if len(labels) > 0 {
				name += "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case m.GetCounter() != nil:
				out[name] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				out[name] = m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				out[name] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

// waitMetric waits until metric (as metricValues names it) has value want.
func waitMetric(ctx context.Context, t *testing.T, reg prometheus.Gatherer, metric string, want float64) {
	t.Helper()
	var got map[string]float64
	for ctx.Err() == nil {
		if got = metricValues(t, reg); got[metric] == want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s = %v, want %v", metric, got[metric], want)
}
