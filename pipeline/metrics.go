package pipeline

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the runtime's Prometheus instruments (names from the CRM
// spec §10). One Metrics serves every stage of a process.
type Metrics struct {
	Records  *prometheus.CounterVec   // stage, outcome
	Duration *prometheus.HistogramVec // stage
	DLQ      *prometheus.CounterVec   // stage, reason
	Lag      *prometheus.GaugeVec     // group, topic, partition
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
	}
	if reg != nil {
		reg.MustRegister(m.Records, m.Duration, m.DLQ, m.Lag)
	}
	return m
}
