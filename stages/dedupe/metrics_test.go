package dedupe

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/stages/dedupe/match"
)

func TestDecisionLabel(t *testing.T) {
	for _, tc := range []struct {
		v    match.Decision
		want string
	}{
		{match.Decision{Outcome: match.New}, MetricNew},
		{match.Decision{Outcome: match.AutoMerge, Reason: match.ReasonExactEmail}, MetricExactMerge},
		{match.Decision{Outcome: match.AutoMerge, Reason: match.ReasonFuzzy}, MetricAutoMerge},
		{match.Decision{Outcome: match.Review, Reason: match.ReasonPossibleDuplicate}, MetricReview},
	} {
		if got := decisionLabel(&tc.v); got != tc.want {
			t.Errorf("%v/%s: %s, want %s", tc.v.Outcome, tc.v.Reason, got, tc.want)
		}
	}
}

// A nil *Metrics records nothing and does not panic.
func TestMetricsNil(t *testing.T) {
	var m *Metrics
	m.decided(&match.Decision{Outcome: match.New, Scored: true, Best: 0.7})
}

// The processor counts every matcher verdict and observes the best score
// when there were candidates; a redelivered record is not counted again.
func TestMetricsCount(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewMetrics(reg); err == nil {
		t.Error("registering twice: no error")
	}
	p, err := Stage{NoFuzzy: true, Metrics: m}.OpenState(context.Background(), 0, newMapState())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	jp := lead.Lead{FirstName: "Jonathan", LastName: "Pike", Email: "jonathan.pike@acme.example",
		Company: "Acme Solutions GmbH", City: "Berlin", Country: "DE"}
	process(t, p, "r1", jp)                                                            // no candidates: new
	process(t, p, "r2", jp)                                                            // the same e-mail: exact_merge
	process(t, p, "r2", jp)                                                            // redelivered: not counted
	process(t, p, "r3", lead.Lead{FirstName: "Otto", LastName: "Lund", Country: "NO"}) // new

	for _, tc := range []struct {
		decision string
		want     float64
	}{{MetricNew, 2}, {MetricExactMerge, 1}, {MetricAutoMerge, 0}, {MetricReview, 0}} {
		if got := testutil.ToFloat64(m.decisions.WithLabelValues(tc.decision)); got != tc.want {
			t.Errorf("decisions{decision=%q} = %v, want %v", tc.decision, got, tc.want)
		}
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "leadstream_dedup_score" {
			continue
		}
		h := mf.GetMetric()[0].GetHistogram()
		if h.GetSampleCount() != 1 {
			t.Errorf("dedup_score: %d observations, want 1 (the exact merge)", h.GetSampleCount())
		}
		if s := h.GetSampleSum(); s < 0.9 || s > 1 {
			t.Errorf("dedup_score: sum %v, want the exact match's score", s)
		}
		if n := len(h.GetBucket()); n != 10 {
			t.Errorf("dedup_score: %d buckets, want 10", n)
		}
		return
	}
	t.Error("leadstream_dedup_score not gathered")
}
