package webhooks

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Result labels of leadstream_webhook_outbound_total.
const (
	ResultDelivered = "delivered" // a subscriber accepted the event
	ResultRetried   = "retried"   // an attempt failed and another follows
	ResultFailed    = "failed"    // the delivery failed for good (OnFailure)
)

// Metrics are the sender's instruments (crm.md §10). A nil *Metrics counts
// nothing.
type Metrics struct {
	outbound *prometheus.CounterVec // event, result
}

// NewMetrics makes the sender's instruments and registers them with reg
// (when not nil). Pass them to NewSender in Options.Metrics.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		outbound: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leadstream_webhook_outbound_total", Help: "Outbound webhook deliveries per subscriber, by event and result (delivered, retried, failed).",
		}, []string{"event", "result"}),
	}
	if reg != nil {
		if err := reg.Register(m.outbound); err != nil {
			return nil, fmt.Errorf("webhooks metrics: %w", err)
		}
	}
	return m, nil
}

func (m *Metrics) count(event, result string) {
	if m != nil {
		m.outbound.WithLabelValues(event, result).Inc()
	}
}
