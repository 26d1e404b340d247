package sink

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the sink's instruments (crm.md §10). A nil *Metrics counts
// nothing.
type Metrics struct {
	mismatches *prometheus.CounterVec   // field
	endToEnd   *prometheus.HistogramVec // source
	unknown    *prometheus.CounterVec   // resource
	folds      *prometheus.CounterVec   // result
}

// NewMetrics makes the sink's instruments and registers them with reg
// (when not nil).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		mismatches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leadstream_halopsa_field_mismatch_total", Help: "Custom fields HaloPSA did not echo back as written, by field.",
		}, []string{"field"}),
		endToEnd: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "leadstream_end_to_end_seconds", Help: "Time from a record's ingest to its HaloPSA write, by source.",
			Buckets: []float64{0.1, 0.5, 1, 5, 30, 60, 300, 900},
		}, []string{"source"}),
		unknown: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leadstream_halopsa_unknown_outcome_total", Help: "Create arrays whose outcome HaloPSA left unknown (5xx, timeout, broken connection), read back before sending again, by resource.",
		}, []string{"resource"}),
		folds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leadstream_sink_folds_total",
			Help: "Leads dedupe folded into another whose HaloPSA records were merged, by result: merged (ticket moved and closed, user made inactive), noted (a person's ticket or user kept, note added), unwritten (the lead had no HaloPSA records).",
		}, []string{"result"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.mismatches, m.endToEnd, m.unknown, m.folds} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("sink metrics: %w", err)
			}
		}
	}
	return m, nil
}

func (m *Metrics) mismatch(field string) {
	if m != nil {
		m.mismatches.WithLabelValues(field).Inc()
	}
}

// written observes a record written to HaloPSA d after its ingest.
func (m *Metrics) written(source string, d time.Duration) {
	if m != nil {
		m.endToEnd.WithLabelValues(source).Observe(d.Seconds())
	}
}

// folded counts a folded lead's HaloPSA merge by its result.
func (m *Metrics) folded(result string) {
	if m != nil {
		m.folds.WithLabelValues(result).Inc()
	}
}

// unknownOutcome counts a create array whose outcome was unknown.
func (m *Metrics) unknownOutcome(resource string) {
	if m != nil {
		m.unknown.WithLabelValues(resource).Inc()
	}
}
