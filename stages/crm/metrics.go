package crm

import (
	"errors"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// The stage's instruments (crm.md §10). They are process-wide; Register
// adds them to a registry.
var (
	transitionsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "leadstream_workflow_transitions_total", Help: "Workflow transitions recorded, by entity, from, to and off_path.",
	}, []string{"entity", "from", "to", "off_path"})
	automationsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "leadstream_workflow_automations_total", Help: "Automatic rules by rule and result (done, skipped, refused, error).",
	}, []string{"rule", "result"})
)

// Automation rule labels besides the configured rule names.
const (
	ruleManualConversion = "manual_conversion"
	ruleManualPromotion  = "manual_promotion"
	ruleProbability      = "probability"
)

// Register adds the stage's metrics to reg; registering twice is harmless.
func Register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{transitionsTotal, automationsTotal} {
		if err := reg.Register(c); err != nil {
			var already prometheus.AlreadyRegisteredError
			if !errors.As(err, &already) {
				return err
			}
		}
	}
	return nil
}

func countTransition(entity, from, to string, offPath bool) {
	transitionsTotal.WithLabelValues(entity, from, to, strconv.FormatBool(offPath)).Inc()
}

func countAutomation(rule, result string) {
	automationsTotal.WithLabelValues(rule, result).Inc()
}
