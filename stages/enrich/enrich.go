// Package enrich is the enrich stage: it passes each unique lead from
// leads.unique to leads.enriched under the key dedupe gave it, first
// filling what the lead lacks from the providers the customer pays for,
// then setting the fit score and bucket of crm.md §3.3.
//
// Filling follows a waterfall per attribute (package waterfall): for each
// attribute a lead needs, the providers are asked in the configured order
// and the first that fills it ends the waterfall; one answer fills every
// attribute that provider returned. Answers are cached per person and per
// company domain, every paid call is entered in the ledger and made
// durable before it is sent, and credits are checked against each
// provider's day and month budget (package ledger); all of it lives in the
// stage's per-partition state, restored from its changelog. A provider
// that is down, out of quota or out of budget is skipped and the lead
// passes on with what it has, the reason recorded as an issue on the lead
// and counted: the stage never holds the pipeline up.
//
// Enriched values only fill what is empty (or add a better-verified
// address beside an unverified one), each with its provenance (source =
// the provider, observed_at = when it was enriched, confidence); the sink
// never overwrites what a person changed in HaloPSA.
package enrich

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/leadstream/leadstream/connectors/enrich"
	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
	"github.com/leadstream/leadstream/stages/enrich/ledger"
	"github.com/leadstream/leadstream/stages/enrich/waterfall"
)

// Options configure the stage.
type Options struct {
	// Waterfall is the configuration; nil only scores leads.
	Waterfall *waterfall.Config
	// Providers are the person enrichment clients by source key.
	Providers map[string]enrich.Provider
	// Companies are the company enrichment clients by source key.
	Companies map[string]enrich.CompanyProvider
	// Partitions is the number of partitions of leads.unique; each
	// partition spends its share of every budget (default 1).
	Partitions int32
	// Metrics (nil: unregistered instruments).
	Metrics *Metrics
	// Logger (default slog.Default()).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// DownFor is how long a provider that failed is left alone (default 30s).
	DownFor time.Duration
}

// Stage is the enrich stage.
type Stage struct {
	opts   Options
	health *health
}

// New returns the stage.
func New(opts Options) *Stage {
	if opts.Partitions <= 0 {
		opts.Partitions = 1
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.DownFor <= 0 {
		opts.DownFor = 30 * time.Second
	}
	if opts.Metrics == nil {
		opts.Metrics, _ = NewMetrics(nil)
	}
	return &Stage{opts: opts, health: &health{until: map[string]time.Time{}}}
}

// Metrics returns the stage's instruments.
func (s *Stage) Metrics() *Metrics { return s.opts.Metrics }

// Enabled reports whether the stage enriches (a waterfall is configured).
func (s *Stage) Enabled() bool { return s.opts.Waterfall != nil }

// Name implements pipeline.Stage.
func (*Stage) Name() string { return "enrich" }

// Input implements pipeline.Stage.
func (*Stage) Input() string { return pipeline.TopicUnique }

// Stateful implements pipeline.Stage: with a waterfall the stage keeps
// the cache, ledger and spend; without one it only scores and keeps
// nothing. (Its changelog topic exists either way; see system.Catalogue.)
func (s *Stage) Stateful() bool { return s.Enabled() }

// HasSideEffects implements pipeline.SideEffecter: paid calls cannot be
// rolled back with a Kafka transaction; the ledger makes them idempotent.
func (s *Stage) HasSideEffects() bool { return s.Enabled() }

// BatchTuning implements pipeline.BatchTuner: with enrichment on, fuller
// batches share each provider round trip (and its 50–200 ms) among more
// leads, and Apollo, ZoomInfo and Lusha requests carry more people.
func (s *Stage) BatchTuning() pipeline.BatchTuning {
	if !s.Enabled() {
		return pipeline.BatchTuning{}
	}
	return pipeline.BatchTuning{MaxRecords: 2000, MaxWait: 250 * time.Millisecond}
}

// Open implements pipeline.Stage.
func (s *Stage) Open(_ context.Context, partition int32, table *pipeline.Table) (pipeline.Processor, error) {
	if table == nil {
		return s.open(partition, nil), nil
	}
	return s.open(partition, table), nil
}

// open returns the processor of a partition over its state table.
func (s *Stage) open(partition int32, table stateTable) *processor {
	p := &processor{s: s, partition: partition, table: table}
	if s.opts.Waterfall != nil && table != nil {
		p.lg = &ledger.Ledger{T: table, TTL: s.opts.Waterfall.TTL()}
	}
	return p
}

// health remembers, process-wide, providers that failed or ran out.
type health struct {
	mu    sync.Mutex
	until map[string]time.Time
	why   map[string]string
}

func (h *health) down(provider string, now time.Time) (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if t, ok := h.until[provider]; ok && now.Before(t) {
		return h.why[provider], true
	}
	return "", false
}

func (h *health) markDown(provider, why string, until time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.why == nil {
		h.why = map[string]string{}
	}
	h.until[provider], h.why[provider] = until, why
}

// score sets the fit score and bucket.
func score(l *lead.Lead) {
	l.FitScore = lead.Fit(l.FitInput())
	l.FitBucket = lead.FitBucket(l.FitScore)
}
