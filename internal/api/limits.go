package api

import (
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// DefaultWebhookRate is the webhook endpoint's limit per source and minute
// (crm.md §9.1).
const DefaultWebhookRate = 1000

// limiter is a rolling one-minute window per source address.
type limiter struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	seen   map[string][]time.Time
	swept  time.Time
}

func newLimiter(limit int, window time.Duration) *limiter {
	return &limiter{limit: limit, window: window, seen: map[string][]time.Time{}}
}

// allow records a request from source at now and reports whether it is
// within the limit, how many requests remain, and when the oldest request
// in the window leaves it (a slot frees then).
func (l *limiter) allow(source string, now time.Time) (ok bool, remaining int, reset time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	cut := now.Add(-l.window)
	if now.Sub(l.swept) > l.window { // forget idle sources
		for k, ts := range l.seen {
			if len(ts) == 0 || !ts[len(ts)-1].After(cut) {
				delete(l.seen, k)
			}
		}
		l.swept = now
	}
	ts := l.seen[source]
	i := 0
	for i < len(ts) && !ts[i].After(cut) {
		i++
	}
	ts = ts[i:]
	if len(ts) >= l.limit {
		l.seen[source] = ts
		return false, 0, ts[0].Add(l.window)
	}
	ts = append(ts, now)
	l.seen[source] = ts
	return true, l.limit - len(ts), ts[0].Add(l.window)
}

// source is the client address a request came from (the connection's,
// not a forwarded header, which any caller can set).
func source(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// metrics are the API's instruments (crm.md §10).
type metrics struct {
	inbound  *prometheus.CounterVec   // event, result
	requests *prometheus.CounterVec   // route, code
	duration *prometheus.HistogramVec // route, code
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		inbound: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leadstream_webhook_inbound_total", Help: "HaloPSA webhook deliveries by event and result.",
		}, []string{"event", "result"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leadstream_api_requests_total", Help: "API requests by route and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "leadstream_api_request_duration_seconds", Help: "API request duration by route and status code.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "code"}),
	}
	if reg != nil {
		reg.MustRegister(m.inbound, m.requests, m.duration)
	}
	return m
}
