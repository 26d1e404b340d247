package halopsa

import (
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the client's Prometheus instruments (crm.md §10) beyond
// the counters Stats reports. A nil *Metrics observes nothing.
type Metrics struct {
	duration *prometheus.HistogramVec // method, resource
}

// NewMetrics makes the client's instruments and registers them with reg
// (when not nil). Pass them to New in Options.Metrics.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "leadstream_halopsa_request_duration_seconds", Help: "Duration of one HTTP attempt to the HaloPSA API (after the rate limiter), by method and resource.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 90},
		}, []string{"method", "resource"}),
	}
	if reg != nil {
		if err := reg.Register(m.duration); err != nil {
			return nil, fmt.Errorf("halopsa metrics: %w", err)
		}
	}
	return m, nil
}

// request observes one attempt on path (an /api/… path without query).
func (m *Metrics) request(method, path string, d time.Duration) {
	if m != nil {
		m.duration.WithLabelValues(method, resourceOf(path)).Observe(d.Seconds())
	}
}

// resourceOf is the resource of an API path: its first segment after
// /api/ ("/api/Tickets/42" → "Tickets"), so record ids never become
// label values.
func resourceOf(path string) string {
	r := strings.TrimPrefix(path, "/api/")
	if i := strings.IndexAny(r, "/?"); i >= 0 {
		r = r[:i]
	}
	return r
}
