package halopsa

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the client's Prometheus instruments (crm.md §10) beyond
// the counters Stats reports. A nil *Metrics observes nothing.
type Metrics struct {
	requests    *prometheus.CounterVec   // method, resource, code
	duration    *prometheus.HistogramVec // method, resource
	rateLimited *prometheus.CounterVec   // resource
	tokens      *prometheus.CounterVec   // reason: expiry or 401
}

// NewMetrics makes the client's instruments and registers them with reg
// (when not nil). Pass them to New in Options.Metrics.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leadstream_halopsa_requests_total", Help: "HTTP attempts to the HaloPSA API, retries included, by method, resource and status code (0: no answer).",
		}, []string{"method", "resource", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "leadstream_halopsa_request_duration_seconds", Help: "Duration of one HTTP attempt to the HaloPSA API (after the rate limiter), by method and resource.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 90},
		}, []string{"method", "resource"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leadstream_halopsa_rate_limited_total", Help: "HaloPSA answers with 429, by resource.",
		}, []string{"resource"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leadstream_halopsa_token_refreshes_total", Help: "Token fetches from HaloPSA's /auth/token, by reason: expiry (none yet, or about to expire) or 401 (the token was refused).",
		}, []string{"reason"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.requests, m.duration, m.rateLimited, m.tokens} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("halopsa metrics: %w", err)
			}
		}
	}
	return m, nil
}

// request observes one attempt on path (an /api/… path without query)
// that HaloPSA answered with code (0: no answer).
func (m *Metrics) request(method, path string, code int, d time.Duration) {
	if m != nil {
		res := resourceOf(path)
		m.requests.WithLabelValues(method, res, strconv.Itoa(code)).Inc()
		m.duration.WithLabelValues(method, res).Observe(d.Seconds())
	}
}

// rateLimit counts a 429 on path.
func (m *Metrics) rateLimit(path string) {
	if m != nil {
		m.rateLimited.WithLabelValues(resourceOf(path)).Inc()
	}
}

// tokenRefresh counts a token fetch for reason.
func (m *Metrics) tokenRefresh(reason string) {
	if m != nil {
		m.tokens.WithLabelValues(reason).Inc()
	}
}

// resourceOf is the resource of an API path: its first segment after
// /api/ ("/api/Tickets/42" → "Tickets"), so record ids never become
// label values.
func resourceOf(path string) string {
	if path == "/auth/token" {
		return "token"
	}
	r := strings.TrimPrefix(path, "/api/")
	if i := strings.IndexAny(r, "/?"); i >= 0 {
		r = r[:i]
	}
	return r
}
