// Package system assembles leadstream's parts into one running process:
// the broker connection (or the embedded broker), the topic catalogue, any
// set of stage runners under supervision, imports and the outcome tally.
// The CLI, the integration tests and the benchmarks all start the pipeline
// through it.
package system

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/connectors/providers"
	"github.com/leadstream/leadstream/internal/keyring"
	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/internal/secrets"
	"github.com/leadstream/leadstream/internal/webhooks"
	"github.com/leadstream/leadstream/pipeline"
	"github.com/leadstream/leadstream/stages/crm"
	"github.com/leadstream/leadstream/stages/dedupe"
	"github.com/leadstream/leadstream/stages/enrich"
	"github.com/leadstream/leadstream/stages/normalize"
	"github.com/leadstream/leadstream/stages/notify"
	"github.com/leadstream/leadstream/stages/review"
	"github.com/leadstream/leadstream/stages/sink"
	"github.com/leadstream/leadstream/stages/validate"
)

// StageConfig tunes the stages.
type StageConfig struct {
	// ReviewBelow is validate's quality threshold (0: the default, 50;
	// negative: no quality gate).
	ReviewBelow int
	// Halo is the HaloPSA client the sink and crm stages write with; nil
	// runs them dry.
	Halo *halopsa.Client
	// SuppressionKey is the HMAC key of the do-not-contact list's entries
	// (default DefaultSuppressionKey). Every process must use the same one.
	SuppressionKey []byte
	// ImportSourceLabel is the sink's CF_101 (lead source) for leads from
	// canonical files (default "Import").
	ImportSourceLabel string
	// HaloTenantRefresh is how old the sink's copy of the tenant may grow
	// before a batch that creates records reads what changed (default
	// sink.DefaultTenantRefresh; negative: only at start).
	HaloTenantRefresh time.Duration
	// HaloOrganisationTickets also gives organisation leads (a company, no
	// person) a lead Ticket; by default they are a Client and a Site only.
	HaloOrganisationTickets bool
	// Suppressions is the do-not-contact list validate checks (Start
	// follows it when validate runs).
	Suppressions *pipeline.GlobalTable
	// Precedence orders the sources when dedupe merges a record into a
	// lead (zero: the default order of crm.md §1.1).
	Precedence lead.Precedence
	// HaloStateDir holds the sink's copy of what the HaloPSA tenant holds,
	// so a restart reads only what changed (Start sets it under the data
	// directory).
	HaloStateDir string
	// FuzzyDir holds dedupe's fuzzy candidate indexes (Start sets it under
	// the data directory).
	FuzzyDir string
	// PollInterval is how often the crm stage's process polls HaloPSA for
	// changes webhooks missed (0: every 15 minutes; negative: never).
	PollInterval time.Duration
	// CRMMetrics are the crm stage's instruments (Start makes them).
	CRMMetrics *crm.Metrics
	// DedupeMetrics are the dedupe stage's instruments (Start makes them).
	DedupeMetrics *dedupe.Metrics
	// DedupeView is the candidate view every dedupe partition of the
	// process matches against (issue 12); Start makes it and has it follow
	// the dedupe changelog for the partitions other processes own. Nil:
	// each partition matches against its own leads.
	DedupeView *dedupe.Global
	// Sealer seals the personal data the stages keep in their state
	// (Start sets the process's keyring).
	Sealer pipeline.Sealer
	// BlockKeySecret pseudonymises dedupe's blocking keys in its state
	// (Start sets the deployment's shared secret).
	BlockKeySecret []byte
	// SinkMetrics are the sink's instruments (Start makes them).
	SinkMetrics *sink.Metrics
	// ReviewMetrics are the review queue's gauges (Start makes them).
	ReviewMetrics *review.Metrics
	// Notify delivers outbound webhooks; nil leaves the notify stage out.
	Notify *webhooks.Sender
	// Enrich is the enrich stage with its waterfall and provider clients;
	// nil only scores leads.
	Enrich *enrich.Stage
	// DedupeCaches sizes dedupe's caches per partition (zero fields: the
	// stage's defaults; Start derives them from the memory limit).
	DedupeCaches dedupe.Stage
}

func (c StageConfig) enrichStage() *enrich.Stage {
	if c.Enrich != nil {
		return c.Enrich
	}
	return enrich.New(enrich.Options{})
}

// Stages returns the stages in pipeline order, the five of the main line
// then the review queue and the crm stage (HaloPSA webhooks), with their
// default configuration.
func Stages() []pipeline.Stage { return StageConfig{}.Stages() }

// Stages returns the stages configured by c.
func (c StageConfig) Stages() []pipeline.Stage {
	stages := []pipeline.Stage{normalize.Stage{}, validate.Stage{ReviewBelow: c.ReviewBelow, Suppressions: c.Suppressions, SuppressionKey: c.SuppressionKey}, dedupe.Stage{FuzzyDir: c.FuzzyDir, Precedence: c.Precedence, Metrics: c.DedupeMetrics,
		BlockCacheKeys: c.DedupeCaches.BlockCacheKeys, RecordCacheLeads: c.DedupeCaches.RecordCacheLeads, BloomBytes: c.DedupeCaches.BloomBytes, Global: c.DedupeView, Sealer: c.Sealer, BlockKeySecret: c.BlockKeySecret}, c.enrichStage(),
		sink.New(sink.Options{Halo: c.Halo, SuppressionKey: c.SuppressionKey, Metrics: c.SinkMetrics, ImportSourceLabel: c.ImportSourceLabel, StateDir: c.HaloStateDir, TenantRefresh: c.HaloTenantRefresh, OrganisationTickets: c.HaloOrganisationTickets, Sealer: c.Sealer}), review.Stage{Metrics: c.ReviewMetrics, Sealer: c.Sealer}, crm.Stage{Halo: c.Halo, Metrics: c.CRMMetrics}}
	if c.Notify != nil {
		stages = append(stages, &notify.Stage{Sender: c.Notify})
	}
	return stages
}

// Names lists the names of the stages c configures.
func (c StageConfig) Names() []string {
	var names []string
	for _, s := range c.Stages() {
		names = append(names, s.Name())
	}
	return names
}

// StageNames lists the stage names in pipeline order.
func StageNames() []string {
	var names []string
	for _, s := range Stages() {
		names = append(names, s.Name())
	}
	return names
}

// StageByName returns the named stage with its default configuration.
func StageByName(name string) (pipeline.Stage, error) { return StageConfig{}.ByName(name) }

// ByName returns the named stage configured by c.
func (c StageConfig) ByName(name string) (pipeline.Stage, error) {
	for _, s := range c.Stages() {
		if s.Name() == name {
			return s, nil
		}
	}
	return nil, fmt.Errorf("no stage named %q (stages: %v)", name, StageNames())
}

// Catalogue is the topic catalogue for a partition count.
func Catalogue(ns pipeline.Namespace, partitions int32) pipeline.Catalogue {
	var stateful []string
	for _, s := range Stages() {
		// enrich keeps state only with a waterfall configured; its
		// changelog exists anyway, so enrichment can be switched on.
		if s.Stateful() || s.Name() == "enrich" {
			stateful = append(stateful, s.Name())
		}
	}
	return pipeline.Catalogue{Partitions: partitions, Replication: -1, StatefulStages: stateful, Namespace: ns}
}

// BrokerInMemory as Options.BrokerDir keeps the embedded broker's topics
// in memory only.
const BrokerInMemory = ":memory:"

// Options configures a System. Zero values take the defaults noted.
type Options struct {
	// Brokers to use; empty starts the embedded broker.
	Brokers []string
	// EmbeddedAddr is the embedded broker's address (default 127.0.0.1:9092).
	EmbeddedAddr string
	// DataDir holds the embedded broker's log, stage state and import
	// checkpoints (default ./data).
	DataDir string
	// Partitions per topic (default pipeline.DefaultPartitions).
	Partitions int32
	// Stages to run (names); nil runs all five, an empty non-nil slice none.
	Stages []string
	// ExactlyOnce runs the stages transactionally.
	ExactlyOnce bool
	// MaxBatch bounds records per batch.
	MaxBatch int
	// StateKey encrypts the stage state at rest.
	StateKey []byte
	// BrokerDir is where the embedded broker keeps its log (default
	// DataDir/broker; BrokerInMemory keeps it in memory). kfake cannot
	// encrypt its files, so with a StateKey the log is refused a place in
	// the plain data dir: BrokerDir must name another directory (one on
	// an encrypted volume) or BrokerInMemory.
	BrokerDir string
	// SessionTimeout of the consumer-group members (default 10s).
	SessionTimeout time.Duration
	// Logger (default slog.Default()).
	Logger *slog.Logger
	// Registerer receives the Prometheus metrics (nil: unregistered).
	Registerer prometheus.Registerer
	// Progress receives import progress bars (nil: none).
	Progress io.Writer
	// ClientOpts are extra franz-go options for every client.
	ClientOpts []kgo.Opt
	// Namespace prefixes every topic and group (default none).
	Namespace pipeline.Namespace
	// StageConfig tunes the stages.
	StageConfig StageConfig
	// Provider is the source key of imported files: "" detects it from the
	// header (canonical CSV when no provider's export matches), "csv" forces
	// the canonical format.
	Provider string
	// Mappings is a user file of field-mapping overrides ("" for none).
	Mappings string
	// GroundTruthColumns are import columns that never enter the pipeline
	// (default: entity_id, the labelled datasets' truth).
	GroundTruthColumns []string
	// MemoryLimit is the process's memory budget in bytes, from which the
	// stores' memtables and caches, dedupe's caches and the consumers'
	// fetch sizes are derived (0: the Go runtime's limit, set by
	// --memory-limit or GOMEMLIMIT, else DefaultMemoryLimit). It does not
	// set the runtime's limit itself.
	MemoryLimit int64
	// Retention is how long the non-compacted topics keep records when
	// Start creates them (0: pipeline.DefaultRetention, 7 days).
	Retention time.Duration
}

// System is a running leadstream process.
type System struct {
	opts    Options
	log     *slog.Logger
	broker  *pipeline.EmbeddedBroker
	brokers []string
	client  *kgo.Client // producer for imports, admin
	admin   *kadm.Client
	metrics *pipeline.Metrics
	lock    *dataDirLock
	// dedupeView is the dedupe stage's shared candidate view (nil: none
	// made here); Close removes its fuzzy index.
	dedupeView *dedupe.Global
	// keyring seals the personal data on every topic (crypto-shredding:
	// package keyring).
	keyring *keyring.Keyring
	// shared is the deployment's shared secret as given (nil: none given).
	shared []byte

	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	errs   []error
}

// Start connects to (or starts) the broker, ensures the topics and starts
// the stage runners.
func Start(ctx context.Context, opts Options) (*System, error) {
	if opts.DataDir == "" {
		opts.DataDir = "./data"
	}
	if opts.Partitions <= 0 {
		opts.Partitions = pipeline.DefaultPartitions
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.SessionTimeout <= 0 {
		opts.SessionTimeout = 10 * time.Second
	}
	s := &System{opts: opts, log: opts.Logger, brokers: opts.Brokers, metrics: pipeline.NewMetrics(opts.Registerer),
		shared: opts.StageConfig.SuppressionKey}
	if opts.StageConfig.HaloStateDir == "" {
		opts.StageConfig.HaloStateDir = filepath.Join(opts.DataDir, "state", string(opts.Namespace), "sink-tenant")
	}
	budget := newMemoryBudget(opts.MemoryLimit, opts.Partitions)
	opts.StageConfig.DedupeCaches = budget.dedupe(opts.StageConfig.DedupeCaches)
	if opts.StageConfig.FuzzyDir == "" {
		opts.StageConfig.FuzzyDir = filepath.Join(opts.DataDir, "state", string(opts.Namespace), "dedupe-fuzzy")
	}
	if opts.StageConfig.CRMMetrics == nil {
		m, err := crm.NewMetrics(opts.Registerer)
		if err != nil {
			return nil, err
		}
		opts.StageConfig.CRMMetrics = m
	}
	if opts.StageConfig.DedupeMetrics == nil {
		m, err := dedupe.NewMetrics(opts.Registerer)
		if err != nil {
			return nil, err
		}
		opts.StageConfig.DedupeMetrics = m
	}
	if opts.StageConfig.SinkMetrics == nil {
		m, err := sink.NewMetrics(opts.Registerer)
		if err != nil {
			return nil, err
		}
		opts.StageConfig.SinkMetrics = m
	}
	names := opts.Stages
	if names == nil {
		names = opts.StageConfig.Names()
	}
	if opts.StageConfig.ReviewMetrics == nil && opts.Registerer != nil && slices.Contains(names, "review") {
		// The gauges report the review partitions this process holds;
		// without a registry nothing reads them and the stage keeps no
		// view of its queue.
		m, err := review.NewMetrics(opts.Registerer)
		if err != nil {
			return nil, err
		}
		opts.StageConfig.ReviewMetrics = m
	}
	// The embedded broker's log and the stage state belong to one process;
	// an import or a pull only keeps checkpoints and may share the directory.
	if len(s.brokers) == 0 || anyStateful(opts.StageConfig, names) {
		lock, err := lockDataDir(opts.DataDir)
		if err != nil {
			return nil, err
		}
		s.lock = lock
	}
	// A data dir with topics or state from before the generated
	// suppression key keeps the key its do-not-contact list was made with.
	legacy := false
	for _, d := range []string{"broker", "state"} {
		if _, err := os.Stat(filepath.Join(opts.DataDir, d)); err == nil {
			legacy = true
		}
	}
	if len(s.brokers) == 0 {
		brokerDir := opts.BrokerDir
		switch {
		case brokerDir == BrokerInMemory:
			brokerDir = ""
			s.log.Warn("the embedded broker keeps its topics in memory: records not yet processed are lost when the process stops")
		case brokerDir == "" && len(opts.StateKey) > 0:
			s.lock.release()
			return nil, fmt.Errorf("--state-key encrypts the stage state, but the embedded broker cannot encrypt its log, which holds the same records: " +
				"give --broker-dir a directory on an encrypted volume, or --broker-dir " + BrokerInMemory + " to keep the topics in memory (lost when the process stops), or use an external Kafka with encryption at rest (--brokers)")
		case brokerDir == "":
			brokerDir = filepath.Join(opts.DataDir, "broker")
		}
		b, err := pipeline.StartEmbedded(pipeline.EmbeddedOptions{
			Dir: brokerDir, Addr: opts.EmbeddedAddr, Partitions: int(opts.Partitions), Logger: opts.Logger,
		})
		if err != nil {
			s.lock.release()
			return nil, err
		}
		s.broker = b
		s.brokers = b.Addrs()
		s.log.Info("embedded broker started", "addr", s.brokers[0], "data_dir", opts.DataDir)
	}
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, opts.ClientOpts...),
		kgo.SeedBrokers(s.brokers...),
		kgo.ClientID("leadstream"),
		kgo.MaxBufferedRecords(20000),
		kgo.MaxBufferedBytes(4*int(budget.fetchBytes())),
		kgo.ProducerLinger(5*time.Millisecond),
	)...)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	s.client = cl
	s.admin = kadm.NewClient(cl)
	cat := Catalogue(opts.Namespace, opts.Partitions)
	cat.Retention = opts.Retention
	if _, err := pipeline.EnsureTopics(ctx, s.admin, cat); err != nil {
		s.Close()
		if s.broker == nil && strings.Contains(err.Error(), "unable to dial") {
			return nil, fmt.Errorf("cannot reach Kafka at %v (is `leadstream run` running? start it, or pass --brokers): %w", opts.Brokers, err)
		}
		return nil, fmt.Errorf("topics on %v: %w", s.brokers, err)
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	if slices.Contains(names, "validate") || slices.Contains(names, "sink") {
		key, err := secrets.SuppressionKey(secrets.SuppressionOptions{
			Shared: opts.StageConfig.SuppressionKey, DataDir: opts.DataDir,
			MultiProcess: len(opts.Brokers) > 0, Legacy: legacy, Logger: s.log,
		})
		if err != nil {
			s.Close()
			return nil, err
		}
		opts.StageConfig.SuppressionKey = key
		s.opts.StageConfig.SuppressionKey = key
	}
	if err := s.startKeyring(ctx, rctx); err != nil {
		s.Close()
		return nil, err
	}
	if opts.StageConfig.Sealer == nil {
		opts.StageConfig.Sealer = s.keyring
	}
	if opts.StageConfig.BlockKeySecret == nil {
		opts.StageConfig.BlockKeySecret = s.sharedSecret()
	}
	if slices.Contains(names, "validate") && opts.StageConfig.Suppressions == nil {
		g, err := pipeline.FollowTable(rctx, s.brokers, opts.Namespace.Topic(pipeline.TopicSuppressions), s.log, opts.ClientOpts...)
		if err != nil {
			s.Close()
			return nil, err
		}
		opts.StageConfig.Suppressions = g
	}
	if slices.Contains(names, "dedupe") && opts.StageConfig.DedupeView == nil {
		g := dedupe.NewGlobal()
		g.Sealer = opts.StageConfig.Sealer
		// The view's store is rebuilt each start, under the locked data dir.
		g.Dir = filepath.Join(opts.DataDir, "state", string(opts.Namespace), "dedupe-view")
		g.CacheBlocks, g.CacheLeads, g.BloomBytes = budget.dedupeView()
		g.Logger = s.log
		if err := g.Follow(rctx, s.brokers, opts.Namespace.Topic(pipeline.ChangelogTopic("dedupe")), s.log, opts.ClientOpts...); err != nil {
			s.Close()
			return nil, err
		}
		opts.StageConfig.DedupeView = g
		s.dedupeView = g
	}
	for _, n := range names {
		st, err := opts.StageConfig.ByName(n)
		if err != nil {
			s.Close()
			return nil, err
		}
		r, err := pipeline.NewRunner(st, pipeline.RunnerOptions{
			Brokers:       s.brokers,
			DataDir:       opts.DataDir,
			MaxBatch:      opts.MaxBatch,
			ExactlyOnce:   opts.ExactlyOnce,
			StateKey:      opts.StateKey,
			Logger:        opts.Logger,
			Metrics:       s.metrics,
			ClientOpts:    append(append([]kgo.Opt{}, opts.ClientOpts...), kgo.SessionTimeout(opts.SessionTimeout)),
			Namespace:     opts.Namespace,
			StoreMemory:   budget.storeBytes(n),
			FetchMaxBytes: budget.fetchBytes(),
			Sealer:        s.keyring,
		})
		if err != nil {
			s.Close()
			return nil, err
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.supervise(rctx, n, r)
		}()
	}
	if opts.Registerer != nil && len(names) > 0 {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.pollLag(rctx)
		}()
	}
	if opts.DataDir != "" && anyStateful(opts.StageConfig, names) {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			keepFileRSS(rctx, opts.DataDir, budget.fileRSS(), s.log)
		}()
	}
	if opts.StageConfig.Halo != nil && slices.Contains(names, "crm") && opts.StageConfig.PollInterval >= 0 {
		// Webhooks are not retried by HaloPSA: the crm stage's process
		// also polls for what they may have missed (crm.md §7.6).
		p := &crm.Poller{Halo: opts.StageConfig.Halo, Interval: opts.StageConfig.PollInterval, Logger: s.log.With("component", "crm-poll"),
			Send: func(ctx context.Context, key string, env *pipeline.Envelope) error {
				return s.SendTo(ctx, pipeline.TopicHaloInbound, key, env)
			}}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := p.Run(rctx); err != nil {
				s.log.Warn("reconciliation poll stopped", "err", err)
			}
		}()
	}
	return s, nil
}

// pollLag keeps the consumer-lag gauge current.
func (s *System) pollLag(ctx context.Context) {
	t := time.NewTicker(15 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.Lag(ctx); err != nil && ctx.Err() == nil {
				s.log.Debug("lag poll failed", "err", err)
			}
		}
	}
}

// anyStateful reports whether any named stage keeps state.
func anyStateful(c StageConfig, names []string) bool {
	for _, n := range names {
		if st, err := c.ByName(n); err == nil && st.Stateful() {
			return true
		}
	}
	return false
}

// supervise runs r until ctx ends, restarting it with backoff when a batch
// fails (the uncommitted batch is then processed again).
func (s *System) supervise(ctx context.Context, name string, r *pipeline.Runner) {
	backoff := 500 * time.Millisecond
	for {
		err := r.Run(ctx)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			err = errors.New("stopped unexpectedly")
		}
		s.log.Error("stage failed; restarting", "stage", name, "err", err, "in", backoff)
		s.mu.Lock()
		s.errs = append(s.errs, err)
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

// Brokers returns the bootstrap addresses in use.
func (s *System) Brokers() []string { return s.brokers }

// Admin returns an admin client on the system's connection.
func (s *System) Admin() *kadm.Client { return s.admin }

// Import streams files into leads.raw, one after another. A file that
// cannot be read is reported in its result's Err and the next file is
// read; the error returned joins every file's.
func (s *System) Import(ctx context.Context, files ...string) ([]pipeline.ImportResult, error) {
	var out []pipeline.ImportResult
	var errs []error
	for _, f := range files {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		res, err := s.importOne(ctx, f)
		if err != nil {
			// A bad file is reported and the next one is read.
			res.Err = pipeline.SafeError(err)
			errs = append(errs, res.Err)
		}
		out = append(out, res)
	}
	return out, errors.Join(errs...)
}

func (s *System) importOne(ctx context.Context, f string) (pipeline.ImportResult, error) {
	open, provider, err := s.opener(f)
	if err != nil {
		return pipeline.ImportResult{File: filepath.Base(f)}, err
	}
	return pipeline.ImportFile(ctx, s.client, f, open, pipeline.ImportOptions{
		Provider: provider,
		DataDir:  s.opts.DataDir, Progress: s.opts.Progress, Logger: s.log, Namespace: s.opts.Namespace,
		Sealer: s.keyring,
	})
}

// opener picks the reader of an import file.
func (s *System) opener(path string) (func(io.Reader) (pipeline.RowSource, error), string, error) {
	return Opener(path, s.opts.Provider, s.opts.Mappings, s.opts.GroundTruthColumns)
}

// Opener picks the reader of an import file: a provider export (provider,
// or detected from the header when provider is "") mapped to canonical
// columns, or the canonical format ("csv", named or recognised by its
// header) in any of the file formats. A header that is neither is refused,
// never read as canonical by default. drop lists columns that never enter
// the pipeline (nil: entity_id). It returns the source key to stamp on
// records.
func Opener(path, provider, mappings string, drop []string) (func(io.Reader) (pipeline.RowSource, error), string, error) {
	if drop == nil {
		drop = []string{"entity_id"}
	}
	set, err := providers.LoadSet(mappings)
	if err != nil {
		return nil, "", err
	}
	return set.Opener(path, provider, providers.Options{DropColumns: drop})
}

// WaitForOutcomes follows the outcome topics until every row of the given
// imports has reached an outcome, and returns the summary.
func (s *System) WaitForOutcomes(ctx context.Context, results []pipeline.ImportResult, progress func(pipeline.Summary)) (pipeline.Summary, error) {
	ids := make(map[string]bool)
	var list []string
	read := 0
	for _, r := range results {
		if !ids[r.ImportID] {
			read += r.Rows
			list = append(list, r.ImportID)
		}
		ids[r.ImportID] = true
	}
	t := pipeline.NewTally(s.opts.Namespace, func(id string) bool { return ids[id] })
	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { _ = t.Follow(tctx, s.brokers, s.opts.ClientOpts...) }()
	return t.WaitFor(ctx, read, list, progress)
}

// WaitSettled is WaitForOutcomes, then waits until the pipeline is idle
// and counts again: a record held for review that dedupe resolves later
// (stages/dedupe, held records) reaches its final outcome after every
// record already had one.
func (s *System) WaitSettled(ctx context.Context, results []pipeline.ImportResult, progress func(pipeline.Summary)) (pipeline.Summary, error) {
	sum, err := s.WaitForOutcomes(ctx, results, progress)
	if err != nil {
		return sum, err
	}
	if err := s.WaitIdle(ctx); err != nil {
		return sum, err
	}
	return s.WaitForOutcomes(ctx, results, progress)
}

// Errors returns the stage failures seen so far (each was retried).
func (s *System) Errors() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.errs...)
}

// Close stops the stages (letting in-flight batches finish), closes the
// client and shuts the embedded broker down.
func (s *System) Close() {
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	if s.dedupeView != nil {
		if err := s.dedupeView.Close(); err != nil {
			s.log.Warn("dedupe view: close", "err", err)
		}
	}
	if s.keyring != nil && s.keyring.Deleted() > 0 {
		// Keys deleted since the eraser's compaction (a re-imported
		// erased person's, say) leave the embedded broker's log now.
		s.CompactBroker()
	}
	if s.client != nil {
		s.client.Close()
	}
	s.closeBroker()
	s.lock.release()
	s.lock = nil
}

func (s *System) closeBroker() {
	if s.broker != nil {
		s.broker.Close()
		s.broker = nil
	}
}

// Send produces one raw record to leads.raw and waits for the broker's
// acknowledgement, for sources that are not files (API pulls).
func (s *System) Send(ctx context.Context, env *pipeline.Envelope) error {
	return s.SendTo(ctx, pipeline.TopicRaw, env.TraceID, env)
}

// SendTo produces env to a topic of the catalogue under key.
func (s *System) SendTo(ctx context.Context, topic, key string, env *pipeline.Envelope) error {
	rec, err := env.SealedRecord(s.keyring, s.opts.Namespace.Topic(topic), key)
	if err != nil {
		return err
	}
	if err := s.keyring.Flush(ctx); err != nil {
		return err
	}
	if err := s.client.ProduceSync(ctx, rec).FirstErr(); err != nil {
		return fmt.Errorf("send %s to %s: %w", env.TraceID, topic, err)
	}
	return nil
}

// ProduceSync produces records on the system's connection and waits for
// the broker's acknowledgements (acks=all); the API uses it to put webhook
// deliveries on halopsa.inbound.
func (s *System) ProduceSync(ctx context.Context, rs ...*kgo.Record) kgo.ProduceResults {
	if s.keyring != nil {
		// Keys of records sealed for this produce are durable first.
		if err := s.keyring.Flush(ctx); err != nil {
			out := make(kgo.ProduceResults, len(rs))
			for i, r := range rs {
				out[i] = kgo.ProduceResult{Record: r, Err: err}
			}
			return out
		}
	}
	return s.client.ProduceSync(ctx, rs...)
}

// DeadLetter writes a record that never became an envelope (a malformed
// API record, say) to leads.dlq under trace id trace.
func (s *System) DeadLetter(ctx context.Context, trace string, value []byte, stage, origin string, cause error) error {
	rec := pipeline.DeadLetter(s.opts.Namespace, []byte(trace), value,
		[]kgo.RecordHeader{{Key: pipeline.HeaderTrace, Value: []byte(trace)}}, stage, origin, cause)
	if err := s.client.ProduceSync(ctx, rec).FirstErr(); err != nil {
		return fmt.Errorf("dead-letter %s: %w", trace, err)
	}
	return nil
}

// publicSecret keys the keyring's wrapping and dedupe's pseudonyms when
// the deployment gives no shared secret: every process then agrees (a
// replica with a data dir of its own, a partition moved to another
// process), and the wrapping protects nothing more than the data dir's
// own files would. With LEADSTREAM_SUPPRESSION_KEY set it is still read.
var publicSecret = []byte("leadstream public keyring secret v1")

// sharedSecret is the secret the keyring wraps keys with and dedupe
// pseudonymises blocking keys with: the deployment's shared
// LEADSTREAM_SUPPRESSION_KEY, else publicSecret (a key a process made
// for its own data dir would differ between processes).
func (s *System) sharedSecret() []byte {
	if len(s.shared) > 0 {
		return s.shared
	}
	return publicSecret
}

// startKeyring follows the keyring topic for as long as run lasts, and
// waits until it has read the keys it holds, or ctx ends.
func (s *System) startKeyring(ctx, run context.Context) error {
	kr, err := keyring.New(s.opts.Namespace.Topic(pipeline.TopicKeyring), s.sharedSecret(), s.client, s.log, publicSecret)
	if err != nil {
		return err
	}
	if err := kr.Follow(run, s.brokers, s.opts.ClientOpts...); err != nil {
		return err
	}
	select {
	case <-kr.Ready():
	case <-ctx.Done():
		return ctx.Err()
	}
	s.keyring = kr
	return nil
}

// CompactBroker compacts the embedded broker's compacted topics now (a
// no-op with an external Kafka, which compacts on its own schedule).
func (s *System) CompactBroker() {
	if s.broker != nil {
		s.broker.Compact()
	}
}

// Keyring is the process's keyring, which seals the personal data of the
// records it writes and opens those it reads.
func (s *System) Keyring() *keyring.Keyring { return s.keyring }
