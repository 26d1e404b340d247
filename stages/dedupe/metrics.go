package dedupe

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leadstream/leadstream/stages/dedupe/match"
)

// Decision labels of leadstream_dedup_decisions_total (crm.md §10).
const (
	MetricExactMerge = "exact_merge"
	MetricAutoMerge  = "auto_merge"
	MetricReview     = "review"
	MetricNew        = "new"
)

// Metrics are the stage's instruments (crm.md §10). A nil *Metrics counts
// nothing.
type Metrics struct {
	decisions *prometheus.CounterVec
	score     prometheus.Histogram
}

// NewMetrics makes the stage's instruments and registers them with reg
// (when not nil).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leadstream_dedup_decisions_total", Help: "Matcher verdicts on new source records, by decision (exact_merge, auto_merge, review, new).",
		}, []string{"decision"}),
		score: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "leadstream_dedup_score", Help: "Score of the best candidate lead, for records that had candidates.",
			Buckets: []float64{0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.98, 1},
		}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.decisions, m.score} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("dedupe metrics: %w", err)
			}
		}
	}
	return m, nil
}

// decided counts one matcher verdict and observes its best score.
func (m *Metrics) decided(v *match.Decision) {
	if m == nil {
		return
	}
	m.decisions.WithLabelValues(decisionLabel(v)).Inc()
	if v.Scored {
		m.score.Observe(v.Best)
	}
}

// decisionLabel is a verdict's decision label: an auto-merge on an equal
// email key is exact_merge.
func decisionLabel(v *match.Decision) string {
	switch v.Outcome {
	case match.AutoMerge:
		if v.Reason == match.ReasonExactEmail {
			return MetricExactMerge
		}
		return MetricAutoMerge
	case match.Review:
		return MetricReview
	default:
		return MetricNew
	}
}
