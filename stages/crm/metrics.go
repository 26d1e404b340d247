package crm

import (
	"fmt"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the stage's instruments (crm.md §10). A nil *Metrics counts
// nothing.
type Metrics struct {
	transitions *prometheus.CounterVec
	automations *prometheus.CounterVec
}

// NewMetrics makes the stage's instruments and registers them with reg
// (when not nil).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leadstream_workflow_transitions_total", Help: "Workflow transitions recorded, by entity, from, to and off_path.",
		}, []string{"entity", "from", "to", "off_path"}),
		automations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leadstream_workflow_automations_total", Help: "Automatic rules by rule and result (done, skipped, refused, error).",
		}, []string{"rule", "result"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.transitions, m.automations} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("crm metrics: %w", err)
			}
		}
	}
	return m, nil
}

// Automation rule labels besides the configured rule names.
const (
	ruleManualConversion = "manual_conversion"
	ruleManualPromotion  = "manual_promotion"
	ruleProbability      = "probability"
)

func (m *Metrics) transition(entity, from, to string, offPath bool) {
	if m != nil {
		m.transitions.WithLabelValues(entity, from, to, strconv.FormatBool(offPath)).Inc()
	}
}

func (m *Metrics) automation(rule, result string) {
	if m != nil {
		m.automations.WithLabelValues(rule, result).Inc()
	}
}
