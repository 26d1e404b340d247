package enrich

import (
	"fmt"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the enrich stage's instruments, per provider, and the run
// totals the summary line prints.
type Metrics struct {
	Lookups  *prometheus.CounterVec // provider, result: found, miss, error
	Credits  *prometheus.CounterVec // provider
	Hits     *prometheus.CounterVec // provider
	Filled   *prometheus.CounterVec // attribute, provider
	Skipped  *prometheus.CounterVec // provider, reason
	Unfilled *prometheus.CounterVec // attribute, reason
	// Reconciled counts lost answers fetched again where a repeat is free.
	Reconciled *prometheus.CounterVec // provider

	lookedUp, filled, cacheHits atomic.Int64
	creditsMilli                atomic.Int64
}

// NewMetrics registers the instruments with reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		Lookups: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "leadstream_enrich_lookups_total",
			Help: "Enrichment lookups sent to a provider, per person or company, by result (found, miss, error)."}, []string{"provider", "result"}),
		Credits: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "leadstream_enrich_credits_total",
			Help: "Credits the providers charged for enrichment."}, []string{"provider"}),
		Hits: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "leadstream_enrich_cache_hits_total",
			Help: "Enrichment answers reused from the stage's cache instead of a paid call."}, []string{"provider"}),
		Filled: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "leadstream_enrich_filled_total",
			Help: "Attributes a provider filled on a lead."}, []string{"attribute", "provider"}),
		Skipped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "leadstream_enrich_skipped_total",
			Help: "Lookups not made: budget (day or month budget spent), provider_down, quota (the provider's credits), ledger_open (paid before, answer lost in a crash), not_configured."}, []string{"provider", "reason"}),
		Unfilled: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "leadstream_enrich_unfilled_total",
			Help: "Attributes a lead needed that passed on unfilled, by the last reason."}, []string{"attribute", "reason"}),
		Reconciled: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "leadstream_enrich_reconciled_total",
			Help: "Calls whose answer a crash lost, made again at a provider that does not charge a repeat."}, []string{"provider"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.Lookups, m.Credits, m.Hits, m.Filled, m.Skipped, m.Unfilled, m.Reconciled} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("enrich metrics: %w", err)
			}
		}
	}
	return m, nil
}

// Totals are what this process's enrich stage did since it started.
type Totals struct {
	LookedUp  int64   // leads that needed an attribute and went down a waterfall
	Filled    int64   // leads that got at least one attribute
	Credits   float64 // credits the providers charged
	CacheHits int64   // answers reused from the cache
}

// Totals returns the counts so far.
func (m *Metrics) Totals() Totals {
	if m == nil {
		return Totals{}
	}
	return Totals{LookedUp: m.lookedUp.Load(), Filled: m.filled.Load(), Credits: float64(m.creditsMilli.Load()) / 1000, CacheHits: m.cacheHits.Load()}
}

func (m *Metrics) credits(provider string, n float64) {
	if n <= 0 {
		return
	}
	m.Credits.WithLabelValues(provider).Add(n)
	m.creditsMilli.Add(int64(n*1000 + 0.5))
}

func (m *Metrics) hit(provider string) {
	m.Hits.WithLabelValues(provider).Inc()
	m.cacheHits.Add(1)
}
