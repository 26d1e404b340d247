package pipeline

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Metrics are the runtime's Prometheus instruments (names from the CRM
// spec §10). One Metrics serves every stage of a process.
type Metrics struct {
	Records  *prometheus.CounterVec   // stage, outcome
	Duration *prometheus.HistogramVec // stage
	DLQ      *prometheus.CounterVec   // stage, reason
	Lag      *prometheus.GaugeVec     // group, topic, partition
	// Rejected and Suppressed count the records a stage ended rejected or
	// suppressed, by their first reason.
	Rejected   *prometheus.CounterVec // reason
	Suppressed *prometheus.CounterVec // reason
}

// NewMetrics creates the instruments and registers them on reg (nil for
// unregistered instruments, as in tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leadstream_stage_records_total", Help: "Records processed per stage and outcome.",
		}, []string{"stage", "outcome"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "leadstream_stage_duration_seconds", Help: "Time to process one record per stage.",
			Buckets: []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10},
		}, []string{"stage"}),
		DLQ: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leadstream_dlq_records_total", Help: "Records dead-lettered per stage and reason.",
		}, []string{"stage", "reason"}),
		Lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "leadstream_kafka_consumer_lag_records", Help: "Consumer lag per group and partition.",
		}, []string{"group", "topic", "partition"}),
		Rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leadstream_rejected_total", Help: "Records that ended rejected, by their first reason.",
		}, []string{"reason"}),
		Suppressed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leadstream_suppressed_total", Help: "Records that ended suppressed (not synced), by their first reason.",
		}, []string{"reason"}),
	}
	if reg != nil {
		reg.MustRegister(m.Records, m.Duration, m.DLQ, m.Lag, m.Rejected, m.Suppressed)
	}
	return m
}

// processed counts one record a stage processed from what it emitted:
// its outcome, and for a rejection or suppression its first reason.
func (m *Metrics) processed(stage string, emitted []*kgo.Record) {
	o, rec := verdict(emitted)
	label := "ok"
	if rec != nil {
		label = string(o)
	}
	m.Records.WithLabelValues(stage, label).Inc()
	switch o {
	case OutcomeRejected:
		m.Rejected.WithLabelValues(firstReason(rec)).Inc()
	case OutcomeSuppressed:
		m.Suppressed.WithLabelValues(firstReason(rec)).Inc()
	}
}

// firstReason is the first of a record's verdict reasons ("unknown" for
// none).
func firstReason(rec *kgo.Record) string {
	r, _, _ := strings.Cut(HeaderValue(rec, HeaderReason), ",")
	if r == "" {
		return "unknown"
	}
	return r
}
