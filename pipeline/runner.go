package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/index"
)

// RunnerOptions configures a Runner. Zero values take the defaults noted.
type RunnerOptions struct {
	// Brokers are the seed brokers. Required.
	Brokers []string
	// DataDir is where stateful stages keep their per-partition stores.
	// Required for stateful stages.
	DataDir string
	// MaxBatch bounds the records taken per poll (default 500); together with
	// the fetch byte limits it bounds the runner's memory.
	MaxBatch int
	// ExactlyOnce processes each batch in a Kafka transaction
	// (GroupTransactSession): outputs, changelog writes and offsets commit
	// together. Off, the runner is at-least-once: outputs and changelog are
	// produced before offsets are committed.
	ExactlyOnce bool
	// InstanceID makes the transactional id unique per replica (default:
	// host name and process id).
	InstanceID string
	// StateKey encrypts the Badger stores at rest when set (16/24/32 bytes).
	StateKey []byte
	// ShutdownGrace is how long an in-flight batch may take to finish after
	// the context is cancelled before it is abandoned (default 10s).
	ShutdownGrace time.Duration
	// Logger receives the runner's logs (default slog.Default()).
	Logger *slog.Logger
	// Metrics receives the runner's counters (default: unregistered).
	Metrics *Metrics
	// ClientOpts are extra franz-go options, applied first.
	ClientOpts []kgo.Opt
	// Namespace prefixes the topics and the group.
	Namespace Namespace
	// StoreMemory is what one partition's Badger store may hold in memory:
	// a quarter for each of its two memtables (at most 8 MiB), the rest
	// block cache (0: index.DefaultOptions).
	StoreMemory int64
	// FetchMaxBytes bounds one fetch of the stage's consumer, so the
	// records it buffers ahead of processing (default 16 MiB; a partition
	// gets at most a quarter of it).
	FetchMaxBytes int32
	// Sealer seals the personal data of the records the stage writes and
	// opens the sealed records it reads (nil: nothing sealed; sealed
	// inputs are dead-lettered). A Sealer with a Flush(ctx) error method
	// is flushed before each batch's outputs are produced, so a data key
	// is durable before any record sealed with it.
	Sealer Sealer
}

// Runner turns a Stage into a consumer-group member.
type Runner struct {
	stage Stage
	opts  RunnerOptions
	log   *slog.Logger

	mu    sync.Mutex
	parts map[int32]*partitionState

	processed, deadLettered int64

	// producer produces mid-batch table commits; set by Run.
	producer client
	// linger is how long a poll may wait to fill a batch (BatchTuner).
	linger time.Duration

	// poison holds inputs whose outputs the broker can never take (too
	// large, invalid), by topic/partition/offset: when the failed batch is
	// processed again they go to the dead-letter topic instead.
	poison map[string]error
}

// partitionState is one assigned partition's processor and state.
type partitionState struct {
	proc  Processor
	store *index.Store // nil for stateless stages
	table *Table
}

// NewRunner validates opts and returns a runner for stage.
func NewRunner(stage Stage, opts RunnerOptions) (*Runner, error) {
	if len(opts.Brokers) == 0 {
		return nil, errors.New("runner: no brokers")
	}
	if stage.Stateful() && opts.DataDir == "" {
		return nil, fmt.Errorf("runner: stage %s is stateful and needs a data directory", stage.Name())
	}
	var linger time.Duration
	if bt, ok := stage.(BatchTuner); ok {
		tune := bt.BatchTuning()
		if opts.MaxBatch <= 0 {
			opts.MaxBatch = tune.MaxRecords
		}
		linger = tune.MaxWait
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 500
	}
	if opts.FetchMaxBytes <= 0 {
		opts.FetchMaxBytes = 16 << 20
	}
	if opts.ShutdownGrace <= 0 {
		opts.ShutdownGrace = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics(nil)
	}
	if se, ok := stage.(SideEffecter); ok && se.HasSideEffects() && opts.ExactlyOnce {
		opts.Logger.Info("stage writes outside Kafka: it runs at-least-once with idempotent writes instead of in transactions", "stage", stage.Name())
		opts.ExactlyOnce = false
	}
	if opts.InstanceID == "" {
		host, _ := os.Hostname()
		opts.InstanceID = host + "-" + strconv.Itoa(os.Getpid())
	}
	return &Runner{
		linger: linger,
		stage:  stage,
		opts:   opts,
		log:    opts.Logger.With("stage", stage.Name()),
		parts:  make(map[int32]*partitionState),
		poison: make(map[string]error),
	}, nil
}

// client abstracts the plain client and the transact session.
type client interface {
	PollRecords(ctx context.Context, max int) kgo.Fetches
	ProduceSync(ctx context.Context, rs ...*kgo.Record) kgo.ProduceResults
	AllowRebalance()
}

// Run consumes until ctx is cancelled or a batch cannot be completed. On
// cancellation the in-flight batch gets ShutdownGrace to finish; then the
// member leaves the group and the state stores are closed. A returned error
// means the batch's offsets were not committed, so its records will be
// processed again by whoever owns the partitions next.
func (r *Runner) Run(ctx context.Context) error {
	name := r.stage.Name()
	base := append(append([]kgo.Opt{}, r.opts.ClientOpts...),
		kgo.SeedBrokers(r.opts.Brokers...),
		kgo.ClientID("leadstream-"+name),
		kgo.ConsumerGroup(r.opts.Namespace.Group(name)),
		kgo.ConsumeTopics(r.inputs()...),
		kgo.Balancers(kgo.CooperativeStickyBalancer()),
		kgo.BlockRebalanceOnPoll(),
		kgo.DisableAutoCommit(),
		kgo.FetchMaxBytes(r.opts.FetchMaxBytes),
		kgo.FetchMaxPartitionBytes(max(r.opts.FetchMaxBytes/4, 256<<10)),
		kgo.MaxBufferedRecords(10000),
		kgo.ProducerLinger(2*time.Millisecond),
		// Outputs are spread by key (Kafka's murmur2, like every client);
		// changelog records go to the partition of the input they describe.
		kgo.RecordPartitioner(changelogPartitioner{
			changelog: r.opts.Namespace.Topic(ChangelogTopic(name)),
			byKey:     kgo.StickyKeyPartitioner(nil),
			manual:    kgo.ManualPartitioner(),
		}),
		kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			r.closeParts(m[r.opts.Namespace.Topic(r.stage.Input())])
		}),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			r.closeParts(m[r.opts.Namespace.Topic(r.stage.Input())])
		}),
	)
	var (
		cl      client
		plain   *kgo.Client
		session *kgo.GroupTransactSession
		err     error
	)
	if r.opts.ExactlyOnce {
		session, err = kgo.NewGroupTransactSession(append(base,
			kgo.TransactionalID("leadstream-"+name+"-"+r.opts.InstanceID),
			kgo.FetchIsolationLevel(kgo.ReadCommitted()),
			kgo.RequireStableFetchOffsets(),
		)...)
		cl = session
	} else {
		plain, err = kgo.NewClient(base...)
		cl = plain
	}
	if err != nil {
		return fmt.Errorf("stage %s: kafka client: %w", name, err)
	}
	r.producer = cl
	defer func() {
		r.closeAll()
		// The poll loop may hold a rebalance block; leaving the group needs it
		// released.
		if session != nil {
			session.CloseAllowingRebalance()
		} else {
			plain.CloseAllowingRebalance()
		}
	}()
	r.log.Info("stage started", "group", r.opts.Namespace.Group(name), "input", r.stage.Input(), "exactly_once", r.opts.ExactlyOnce)

	for {
		fetches := cl.PollRecords(ctx, r.opts.MaxBatch)
		if ctx.Err() != nil && fetches.NumRecords() == 0 {
			return nil
		}
		if fetches.IsClientClosed() {
			return nil
		}
		// Fetch errors are retried by the client; they are only worth a log.
		fetches.EachError(func(t string, p int32, e error) {
			if !errors.Is(e, context.Canceled) && !errors.Is(e, context.DeadlineExceeded) {
				r.log.Warn("fetch error", "topic", t, "partition", p, "err", e)
			}
		})
		if fetches.NumRecords() == 0 {
			cl.AllowRebalance()
			continue
		}
		fetches = r.fill(ctx, cl, fetches)
		// The batch finishes even if ctx is cancelled now, within a grace.
		bctx, cancel := r.batchContext(ctx)
		err := r.runBatch(bctx, cl, plain, session, fetches)
		cancel()
		cl.AllowRebalance()
		if err != nil {
			return fmt.Errorf("stage %s: %w", name, err)
		}
	}
}

// fill keeps polling, for a stage that wants full batches (BatchTuner),
// until the batch holds MaxBatch records or the stage's wait has passed.
func (r *Runner) fill(ctx context.Context, cl client, fetches kgo.Fetches) kgo.Fetches {
	if r.linger <= 0 {
		return fetches
	}
	deadline := time.Now().Add(r.linger)
	for n := fetches.NumRecords(); n < r.opts.MaxBatch && ctx.Err() == nil && time.Now().Before(deadline); n = fetches.NumRecords() {
		pctx, cancel := context.WithDeadline(ctx, deadline)
		more := cl.PollRecords(pctx, r.opts.MaxBatch-n)
		cancel()
		if more.IsClientClosed() {
			break
		}
		fetches = append(fetches, more...)
	}
	return fetches
}

// inputs are the topics the stage consumes.
func (r *Runner) inputs() []string {
	ts := []string{r.opts.Namespace.Topic(r.stage.Input())}
	if mi, ok := r.stage.(MultiInput); ok && !r.stage.Stateful() {
		for _, t := range mi.MoreInputs() {
			ts = append(ts, r.opts.Namespace.Topic(t))
		}
	}
	return ts
}

func (r *Runner) batchContext(ctx context.Context) (context.Context, context.CancelFunc) {
	bctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(r.opts.ShutdownGrace, cancel)
		context.AfterFunc(bctx, func() { t.Stop() })
	})
	return bctx, func() { stop(); cancel() }
}

// runBatch processes one poll's records, produces the outputs and state
// changes, applies the state locally and commits the offsets.
func (r *Runner) runBatch(ctx context.Context, cl client, plain *kgo.Client, session *kgo.GroupTransactSession, fetches kgo.Fetches) error {
	if session != nil {
		if err := session.Begin(); err != nil {
			return fmt.Errorf("begin transaction: %w", err)
		}
	}
	r.mu.Lock()
	out, from, touched, err := r.process(ctx, fetches)
	if err != nil {
		r.mu.Unlock()
		r.abort(ctx, session, touched)
		return err
	}
	// Changelog records go last, per partition, so their offsets are the
	// checkpoints of the state they carry.
	changelog := r.opts.Namespace.Topic(ChangelogTopic(r.stage.Name()))
	changes := make(map[int32][]index.Change, len(touched))
	for _, p := range touched {
		if ps := r.parts[p]; ps.table != nil {
			if c := ps.table.drain(); len(c) > 0 {
				changes[p] = c
				for _, ch := range c {
					out = append(out, &kgo.Record{Topic: changelog, Partition: p, Key: ch.Key, Value: ch.Value})
				}
			}
		}
	}
	if f, ok := r.opts.Sealer.(interface{ Flush(context.Context) error }); ok {
		if err := f.Flush(ctx); err != nil {
			r.mu.Unlock()
			r.abort(ctx, session, touched)
			return fmt.Errorf("keyring: %w", err)
		}
	}
	results := cl.ProduceSync(ctx, out...)
	if err := results.FirstErr(); err != nil {
		r.markPoison(results, from)
		r.mu.Unlock()
		r.abort(ctx, session, touched)
		return fmt.Errorf("produce %d records: %w", len(out), err)
	}
	checkpoints := make(map[int32]int64)
	for _, res := range results {
		if res.Record.Topic == changelog && res.Record.Offset > checkpoints[res.Record.Partition] {
			checkpoints[res.Record.Partition] = res.Record.Offset
		}
	}
	if session != nil {
		committed, err := session.End(ctx, kgo.TryCommit)
		if err != nil || !committed {
			r.mu.Unlock()
			r.dropState(touched)
			if err == nil {
				err = errors.New("transaction aborted by a rebalance")
			}
			return fmt.Errorf("end transaction: %w", err)
		}
	}
	for p, c := range changes {
		if err := r.parts[p].store.Apply(c, checkpoints[p]); err != nil {
			r.mu.Unlock()
			return fmt.Errorf("apply state of partition %d: %w", p, err)
		}
	}
	r.mu.Unlock()
	if plain != nil {
		if err := plain.CommitUncommittedOffsets(ctx); err != nil {
			return fmt.Errorf("commit offsets: %w", err)
		}
	}
	return nil
}

// process runs every fetched record through its partition's processor and
// returns the records to produce, the input each output came from, and the
// partitions touched.
func (r *Runner) process(ctx context.Context, fetches kgo.Fetches) ([]*kgo.Record, map[*kgo.Record]*kgo.Record, []int32, error) {
	name := r.stage.Name()
	var out []*kgo.Record
	from := make(map[*kgo.Record]*kgo.Record)
	var touched []int32
	var err error
	em := &Emitter{stage: name, sealer: r.opts.Sealer}
	handle := func(fp *partitionRecords) {
		if err != nil || len(fp.Records) == 0 {
			return
		}
		var ps *partitionState
		ps, err = r.partition(ctx, fp.Partition)
		if err != nil {
			return
		}
		touched = append(touched, fp.Partition)
		if bp, ok := ps.proc.(BatchProcessor); ok {
			var outs []*kgo.Record
			outs, err = r.processBatch(ctx, bp, fp.Records, from)
			out = append(out, outs...)
			return
		}
		for _, rec := range fp.Records {
			start := time.Now()
			env, dl := r.decode(ctx, rec)
			if env == nil {
				if dl != nil {
					out = append(out, dl)
				}
				continue
			}
			em.reset()
			mark := 0
			if ps.table != nil {
				mark = ps.table.mark()
			}
			perr := ps.proc.Process(ctx, env, em)
			if perr == nil {
				perr = em.err
			}
			if perr != nil {
				if ctx.Err() != nil {
					err = ctx.Err()
					return
				}
				if ps.table != nil {
					ps.table.rollback(mark)
				}
				out = append(out, r.deadLetter(rec, perr))
				continue
			}
			for _, o := range em.records {
				o.Topic = r.opts.Namespace.Topic(o.Topic)
				from[o] = rec
			}
			out = append(out, em.records...)
			r.opts.Metrics.processed(name, em.records)
			r.opts.Metrics.Duration.WithLabelValues(name).Observe(time.Since(start).Seconds())
			r.processed++
		}
	}
	groups := groupByPartition(fetches)
	if eo, ok := r.stage.(EventOrdered); ok && eo.EventOrdered() {
		groups = interleave(groups)
	}
	for _, g := range groups {
		handle(g)
		if err != nil {
			break
		}
	}
	return out, from, touched, err
}

// partitionRecords are one partition's records of a batch.
type partitionRecords struct {
	Topic     string
	Partition int32
	Records   []*kgo.Record
}

// groupByPartition gathers a batch's records per topic partition, in
// offset order, across however many polls the batch took.
func groupByPartition(fetches kgo.Fetches) []*partitionRecords {
	var groups []*partitionRecords
	idx := map[string]*partitionRecords{}
	fetches.EachPartition(func(fp kgo.FetchTopicPartition) {
		if len(fp.Records) == 0 {
			return
		}
		key := fp.Topic + "\x00" + strconv.Itoa(int(fp.Partition))
		g := idx[key]
		if g == nil {
			g = &partitionRecords{Topic: fp.Topic, Partition: fp.Partition}
			idx[key] = g
			groups = append(groups, g)
		}
		g.Records = append(g.Records, fp.Records...)
	})
	return groups
}

// interleave merges the groups' records into the order they were first
// seen (HeaderSeen), each group's records keeping their order, and returns
// them as runs of one partition.
func interleave(groups []*partitionRecords) []*partitionRecords {
	if len(groups) < 2 {
		return groups
	}
	next := make([]int, len(groups))
	var out []*partitionRecords
	for {
		best := -1
		var bestKey string
		for i, g := range groups {
			if next[i] >= len(g.Records) {
				continue
			}
			k := HeaderValue(g.Records[next[i]], HeaderSeen)
			if best < 0 || k < bestKey {
				best, bestKey = i, k
			}
		}
		if best < 0 {
			return out
		}
		g := groups[best]
		rec := g.Records[next[best]]
		next[best]++
		if n := len(out); n > 0 && out[n-1].Topic == g.Topic && out[n-1].Partition == g.Partition {
			out[n-1].Records = append(out[n-1].Records, rec)
			continue
		}
		out = append(out, &partitionRecords{Topic: g.Topic, Partition: g.Partition, Records: []*kgo.Record{rec}})
	}
}

// decode turns an input record into its envelope, or into the dead letter
// that replaces it: a poison input, or bytes that are not an envelope.
func (r *Runner) decode(ctx context.Context, rec *kgo.Record) (*Envelope, *kgo.Record) {
	if cause, ok := r.poison[inputKey(rec)]; ok {
		delete(r.poison, inputKey(rec))
		return nil, r.deadLetter(rec, cause)
	}
	env, err := OpenEnvelope(ctx, rec, r.opts.Sealer)
	if errors.Is(err, ErrErased) && env != nil {
		return nil, r.erased(rec, env)
	}
	if err != nil {
		return nil, r.deadLetter(rec, err)
	}
	return env, nil
}

// erased answers an input whose person was erased: its data can no longer
// be read, so it ends suppressed with reason erasure (an outcome, with no
// personal data), or, read from an outcome topic, where it already has
// its outcome, it is only counted.
func (r *Runner) erased(rec *kgo.Record, env *Envelope) *kgo.Record {
	for _, t := range OutcomeTopics {
		if rec.Topic == r.opts.Namespace.Topic(t) {
			r.opts.Metrics.Records.WithLabelValues(r.stage.Name(), "erased").Inc()
			return nil
		}
	}
	o := &Envelope{TraceID: env.TraceID, Source: env.Source, FirstSeen: env.FirstSeen, LeadID: env.LeadID,
		Outcome: OutcomeSuppressed, Reasons: []string{ReasonErasure}, Stages: append(env.Stages, r.stage.Name())}
	out, err := o.Record(r.opts.Namespace.Topic(TopicRejected), string(rec.Key))
	if err != nil {
		return r.deadLetter(rec, err)
	}
	r.opts.Metrics.processed(r.stage.Name(), []*kgo.Record{out})
	return out
}

// processBatch runs one partition's records through a BatchProcessor.
func (r *Runner) processBatch(ctx context.Context, bp BatchProcessor, recs []*kgo.Record, from map[*kgo.Record]*kgo.Record) ([]*kgo.Record, error) {
	name := r.stage.Name()
	start := time.Now()
	var out []*kgo.Record
	var envs []*Envelope
	var ins []*kgo.Record
	for _, rec := range recs {
		env, dl := r.decode(ctx, rec)
		if env == nil {
			if dl != nil {
				out = append(out, dl)
			}
			continue
		}
		envs = append(envs, env)
		ins = append(ins, rec)
	}
	if len(envs) == 0 {
		return out, nil
	}
	ems := make([]*Emitter, len(envs))
	for i := range ems {
		ems[i] = &Emitter{stage: name, sealer: r.opts.Sealer}
	}
	errs, err := bp.ProcessBatch(ctx, envs, ems)
	if err != nil {
		return nil, err
	}
	per := time.Since(start).Seconds() / float64(len(envs))
	for i, rec := range ins {
		perr := ems[i].err
		if i < len(errs) && errs[i] != nil {
			perr = errs[i]
		}
		if perr != nil {
			out = append(out, r.deadLetter(rec, perr))
			continue
		}
		for _, o := range ems[i].records {
			o.Topic = r.opts.Namespace.Topic(o.Topic)
			from[o] = rec
		}
		out = append(out, ems[i].records...)
		r.opts.Metrics.processed(name, ems[i].records)
		r.opts.Metrics.Duration.WithLabelValues(name).Observe(per)
		r.processed++
	}
	return out, nil
}

// commitTable makes a partition's buffered state durable mid-batch: the
// changes go to the changelog, then into the store with their checkpoint.
func (r *Runner) commitTable(ctx context.Context, p int32, store *index.Store, changes []index.Change) error {
	changelog := r.opts.Namespace.Topic(ChangelogTopic(r.stage.Name()))
	recs := make([]*kgo.Record, len(changes))
	for i, ch := range changes {
		recs[i] = &kgo.Record{Topic: changelog, Partition: p, Key: ch.Key, Value: ch.Value}
	}
	results := r.producer.ProduceSync(ctx, recs...)
	if err := results.FirstErr(); err != nil {
		return fmt.Errorf("commit state of partition %d: %w", p, err)
	}
	var checkpoint int64 = -1
	for _, res := range results {
		checkpoint = max(checkpoint, res.Record.Offset)
	}
	if err := store.Apply(changes, checkpoint); err != nil {
		return fmt.Errorf("commit state of partition %d: %w", p, err)
	}
	return nil
}

// markPoison remembers the inputs whose outputs failed for good; the
// caller holds r.mu.
func (r *Runner) markPoison(results kgo.ProduceResults, from map[*kgo.Record]*kgo.Record) {
	for _, res := range results {
		if res.Err == nil || !unproducible(res.Err) {
			continue
		}
		if in, ok := from[res.Record]; ok {
			r.poison[inputKey(in)] = fmt.Errorf("its output to %s cannot be produced: %w", res.Record.Topic, res.Err)
		}
	}
}

// unproducible reports produce errors that no retry can fix.
func unproducible(err error) bool {
	return errors.Is(err, kerr.MessageTooLarge) || errors.Is(err, kerr.RecordListTooLarge) ||
		errors.Is(err, kerr.InvalidRecord) || errors.Is(err, kerr.CorruptMessage)
}

func inputKey(r *kgo.Record) string {
	return fmt.Sprintf("%s/%d/%d", r.Topic, r.Partition, r.Offset)
}

// deadLetter wraps a failed record for leads.dlq: its original bytes, the
// error, the stage and where it came from.
func (r *Runner) deadLetter(rec *kgo.Record, cause error) *kgo.Record {
	name := r.stage.Name()
	r.deadLettered++
	r.opts.Metrics.DLQ.WithLabelValues(name, "error").Inc()
	r.opts.Metrics.Records.WithLabelValues(name, "error").Inc()
	r.log.Warn("record dead-lettered", "partition", rec.Partition, "offset", rec.Offset, "trace", HeaderValue(rec, HeaderTrace), "err", cause)
	return DeadLetter(r.opts.Namespace, rec.Key, rec.Value, rec.Headers, name,
		fmt.Sprintf("%s[%d]@%d", rec.Topic, rec.Partition, rec.Offset), cause)
}

// DeadLetter builds a leads.dlq record carrying the original key, bytes
// and headers, the stage and origin, and the error.
func DeadLetter(ns Namespace, key, value []byte, headers []kgo.RecordHeader, stage, origin string, cause error) *kgo.Record {
	hs := make([]kgo.RecordHeader, 0, len(headers)+3)
	for _, h := range headers {
		if h.Key != HeaderError && h.Key != HeaderStage && h.Key != HeaderOrigin {
			hs = append(hs, h)
		}
	}
	hs = append(hs,
		kgo.RecordHeader{Key: HeaderError, Value: []byte(cause.Error())},
		kgo.RecordHeader{Key: HeaderStage, Value: []byte(stage)},
		kgo.RecordHeader{Key: HeaderOrigin, Value: []byte(origin)},
	)
	return &kgo.Record{Topic: ns.Topic(TopicDLQ), Key: key, Value: value, Headers: hs}
}

// abort gives up on a batch: its pending state is dropped and, in a
// transaction, the transaction is aborted.
func (r *Runner) abort(ctx context.Context, session *kgo.GroupTransactSession, touched []int32) {
	r.dropState(touched)
	if session != nil {
		if _, err := session.End(ctx, kgo.TryAbort); err != nil {
			r.log.Warn("abort transaction", "err", err)
		}
	}
}

func (r *Runner) dropState(touched []int32) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range touched {
		if ps := r.parts[p]; ps != nil && ps.table != nil {
			ps.table.drain()
		}
	}
}

// partition returns the state of partition p, opening it (and restoring it
// from the changelog) on first use after assignment. Callers hold r.mu.
func (r *Runner) partition(ctx context.Context, p int32) (*partitionState, error) {
	if ps, ok := r.parts[p]; ok {
		return ps, nil
	}
	ps := &partitionState{}
	if r.stage.Stateful() {
		opts := index.DefaultOptions(filepath.Join(r.opts.DataDir, "state", string(r.opts.Namespace), r.stage.Name(), fmt.Sprintf("p%03d", p)))
		opts.EncryptionKey = r.opts.StateKey
		opts.Logger = r.log
		if m := r.opts.StoreMemory; m > 0 {
			opts.MemTableSize = min(max(m/4, 1<<20), 8<<20)
			opts.BlockCacheSize = max(m-2*opts.MemTableSize, 1<<20)
		}
		store, err := index.Open(opts)
		if err != nil {
			return nil, err
		}
		if _, err := restore(ctx, r.opts.Brokers, r.opts.ClientOpts, r.opts.Namespace.Topic(ChangelogTopic(r.stage.Name())), p, store, r.log); err != nil {
			_ = store.Close()
			return nil, fmt.Errorf("restore partition %d: %w", p, err)
		}
		ps.store = store
		ps.table = newTable(store)
		ps.table.commit = func(ctx context.Context, changes []index.Change) error {
			return r.commitTable(ctx, p, store, changes)
		}
	}
	proc, err := r.stage.Open(ctx, p, ps.table)
	if err != nil {
		if ps.store != nil {
			_ = ps.store.Close()
		}
		return nil, fmt.Errorf("open partition %d: %w", p, err)
	}
	ps.proc = proc
	r.parts[p] = ps
	r.log.Debug("partition opened", "partition", p)
	return ps, nil
}

// closeParts flushes and closes the state of revoked or lost partitions.
func (r *Runner) closeParts(ps []int32) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range ps {
		r.closePart(p)
	}
}

func (r *Runner) closeAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for p := range r.parts {
		r.closePart(p)
	}
}

func (r *Runner) closePart(p int32) {
	ps, ok := r.parts[p]
	if !ok {
		return
	}
	delete(r.parts, p)
	if c, ok := ps.proc.(interface{ Close() error }); ok {
		if err := c.Close(); err != nil {
			r.log.Warn("close processor", "partition", p, "err", err)
		}
	}
	if ps.store != nil {
		if err := ps.store.Close(); err != nil {
			r.log.Warn("close state", "partition", p, "err", err)
		}
	}
	r.log.Debug("partition closed", "partition", p)
}

// changelogPartitioner sends a stage's changelog records to the partition
// set on the record (the input partition whose state they carry) and every
// other record to the partition of its key.
type changelogPartitioner struct {
	changelog string
	byKey     kgo.Partitioner
	manual    kgo.Partitioner
}

// ForTopic implements kgo.Partitioner.
func (p changelogPartitioner) ForTopic(topic string) kgo.TopicPartitioner {
	if topic == p.changelog {
		return p.manual.ForTopic(topic)
	}
	return p.byKey.ForTopic(topic)
}

// verdict is the verdict carried by what one processed record emitted
// (rejected, review, merged, suppressed) and the record carrying it; no
// record for none (the metrics outcome ok).
func verdict(emitted []*kgo.Record) (Outcome, *kgo.Record) {
	for _, rec := range emitted {
		switch o := Outcome(HeaderValue(rec, HeaderOutcome)); o {
		case OutcomeRejected, OutcomeReview, OutcomeMerged, OutcomeSuppressed:
			return o, rec
		}
	}
	return "", nil
}
