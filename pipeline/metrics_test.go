package pipeline

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Each processed record counts once under its stage and outcome; a
// rejection or a suppression also counts under its first reason.
func TestMetricsProcessed(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	rec := func(o Outcome, reasons ...string) *kgo.Record {
		r, err := (&Envelope{TraceID: "t", Outcome: o, Reasons: reasons}).Record("topic", "k")
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, tc := range []struct {
		stage   string
		emitted []*kgo.Record
	}{
		{"validate", []*kgo.Record{rec(OutcomeRejected, "invalid_data", "no_email")}},
		{"validate", []*kgo.Record{rec(OutcomeRejected, "invalid_data")}},
		{"validate", []*kgo.Record{rec("", ReasonDoNotContact), rec(OutcomeSuppressed, ReasonDoNotContact)}},
		{"validate", []*kgo.Record{rec("", ReasonLowQuality)}},
		{"review", []*kgo.Record{rec(OutcomeRejected, "review_rejected", "possible_duplicate")}},
		{"sink", []*kgo.Record{rec(OutcomeSuppressed)}},
		{"sink", []*kgo.Record{rec(OutcomeSynced)}},
		{"dedupe", []*kgo.Record{rec(OutcomeReview, "possible_duplicate")}},
		{"review", nil},
	} {
		m.processed(tc.stage, tc.emitted)
	}
	for _, c := range []struct {
		vec    *prometheus.CounterVec
		labels []string
		want   float64
	}{
		{m.Rejected, []string{"invalid_data"}, 2},
		{m.Rejected, []string{"review_rejected"}, 1},
		{m.Suppressed, []string{ReasonDoNotContact}, 1},
		{m.Suppressed, []string{"unknown"}, 1},
		{m.Records, []string{"validate", "rejected"}, 2},
		{m.Records, []string{"validate", "suppressed"}, 1},
		{m.Records, []string{"validate", "ok"}, 1},
		{m.Records, []string{"sink", "ok"}, 1},
		{m.Records, []string{"dedupe", "review"}, 1},
		{m.Records, []string{"review", "ok"}, 1},
	} {
		if got := testutil.ToFloat64(c.vec.WithLabelValues(c.labels...)); got != c.want {
			t.Errorf("%v = %v, want %v", c.labels, got, c.want)
		}
	}
	if n := testutil.CollectAndCount(reg, "leadstream_rejected_total", "leadstream_suppressed_total"); n != 4 {
		t.Errorf("%d reason series, want 4", n)
	}
}
