package pull

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the provider API instruments of crm.md §10. A nil *Metrics
// observes nothing.
type Metrics struct {
	requests    *prometheus.CounterVec // provider, code
	rateLimited *prometheus.CounterVec // provider, code
}

// NewMetrics makes the instruments and registers them with reg (when not
// nil).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leadstream_provider_requests_total", Help: "HTTP requests to a data provider's API, by provider and status code (0: no answer).",
		}, []string{"provider", "code"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leadstream_provider_rate_limited_total", Help: "Provider answers that asked leadstream to slow down (429), by provider and status code.",
		}, []string{"provider", "code"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.requests, m.rateLimited} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("provider metrics: %w", err)
			}
		}
	}
	return m, nil
}

// Instrument returns a copy of hc (nil: a client with a 60 s timeout)
// whose requests are counted for provider.
func (m *Metrics) Instrument(provider string, hc *http.Client) *http.Client {
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	if m == nil {
		return hc
	}
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	out := *hc
	out.Transport = &countingTransport{next: next, provider: provider, m: m}
	return &out
}

// countingTransport counts each exchange by its status code.
type countingTransport struct {
	next     http.RoundTripper
	provider string
	m        *Metrics
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	code := 0
	if err == nil {
		code = resp.StatusCode
	}
	c := strconv.Itoa(code)
	t.m.requests.WithLabelValues(t.provider, c).Inc()
	if code == http.StatusTooManyRequests {
		t.m.rateLimited.WithLabelValues(t.provider, c).Inc()
	}
	return resp, err
}
