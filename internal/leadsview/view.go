package leadsview

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/index"
	"github.com/leadstream/leadstream/pipeline"
)

// Store key prefixes. The offsets start with a zero byte, apart from leads.
const (
	keyLead   = "lead/"
	keyOffset = "\x00off/"
)

// leadKey is the store key of a lead; the terminator keeps one id from
// being the prefix of another (Forget drops by prefix).
func leadKey(id string) []byte { return []byte(keyLead + id + "\x00") }

// leadIDOf is the lead id of a leadKey.
func leadIDOf(key []byte) string {
	return strings.TrimSuffix(strings.TrimPrefix(string(key), keyLead), "\x00")
}

// indexConfig lets Bleve persist batches in the background instead of
// syncing each one: an index that loses its newest batches in a crash is
// not marked clean, and Open rebuilds it from the store. A new map each
// time: Bleve writes the index path into the map it is given.
func indexConfig() map[string]any { return map[string]any{"unsafe_batch": true} }

// cleanMark marks a Bleve index closed cleanly (Bleve internal storage).
var cleanMark = []byte("leadstream/leadsview-clean")

// Options configures a View.
type Options struct {
	// Dir holds the view's Badger store and Bleve index. Required.
	Dir string
	// Logger (default slog.Default()).
	Logger *slog.Logger
	// EncryptionKey encrypts the Badger store at rest (optional).
	EncryptionKey []byte
	// RelevanceCap bounds the matches a relevance-ordered search
	// considers (default DefaultRelevanceCap).
	RelevanceCap int
	// Sealer opens the sealed records of leads.current (internal/keyring;
	// nil: only unsealed records are read). A lead whose key is gone is
	// dropped like a tombstone.
	Sealer pipeline.Sealer
}

// View is one process's copy of the current leads. It is safe for
// concurrent use.
type View struct {
	dir   string
	log   *slog.Logger
	store *index.Store
	// idx searches the shards of the current index generation; shards
	// holds them for searches that merge the shards' hits themselves.
	idx    bleve.IndexAlias
	shards atomic.Pointer[[]bleve.Index]

	mu  sync.Mutex // serialises writes; guards gen, nextGen, stale, bulk
	gen *indexGeneration
	// nextGen numbers the next index generation.
	nextGen int
	// stale is set while the store holds leads the index lacks (a bulk
	// catch-up, see Follow): such an index is not marked clean on Close.
	stale bool
	// bulk is the cold rebuild under way, if any (bulk.go).
	bulk   *bulkBuild
	ready  chan struct{}
	once   sync.Once
	closed bool
	// followErr is the last error of the follower (nil when healthy).
	followErr error
	// relevanceCap is Options.RelevanceCap.
	relevanceCap int
	// sealer is Options.Sealer.
	sealer pipeline.Sealer
}

// Open opens (or creates) the view in opts.Dir. A directory whose store or
// index is missing starts empty and is filled from the topic by Follow;
// an index not closed cleanly is rebuilt from the store here.
func Open(opts Options) (*View, error) {
	if opts.Dir == "" {
		return nil, errors.New("leadsview: Options.Dir is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.RelevanceCap <= 0 {
		opts.RelevanceCap = DefaultRelevanceCap
	}
	v := &View{dir: opts.Dir, log: opts.Logger.With("component", "leadsview"), ready: make(chan struct{}),
		relevanceCap: opts.RelevanceCap, sealer: opts.Sealer}
	storeDir := filepath.Join(opts.Dir, "badger")
	if _, err := os.Stat(storeDir); os.IsNotExist(err) {
		// An index without its store cannot be trusted: start both again.
		gens, err := generations(opts.Dir)
		if err != nil {
			return nil, err
		}
		for _, g := range gens {
			if err := os.RemoveAll(g.dir); err != nil {
				return nil, fmt.Errorf("leadsview: %w", err)
			}
		}
	}
	so := index.DefaultOptions(storeDir)
	// With a Sealer, each lead is kept sealed under its lead's data key,
	// as on leads.current (sealDoc), so that erasing the lead shreds every
	// copy of it, wherever it lies: the values can then live in Badger's
	// value log, written once, instead of the LSM tree, where compaction
	// rewrote every lead several times and held large tables in memory
	// (most of a cold rebuild's Badger time and much of its heap;
	// bench/README.md, stop 20). Without a Sealer the values are plain and
	// stay in the tree, so that Forget's DropPrefix leaves no copy in a
	// value log.
	//
	// A cold rebuild writes every lead once, in bulk: a larger level 0 and
	// base level mean fewer compactions. Plain values, in the tree, also
	// need larger memtables and tables (with 16 MB memtables and 2 MB
	// tables a million plain leads took over ten minutes); sealed ones, in
	// the value log, leave the tree small, and the memtables are kept
	// small because under a memory limit they are heap the garbage
	// collector must make room for.
	so.ValueThreshold = 0
	so.MemTableSize, so.BaseTableSize, so.BaseLevelSize, so.LevelZeroTables = 32<<20, 16<<20, 256<<20, 4
	if opts.Sealer != nil {
		so.ValueThreshold = sealedValueThreshold
		so.MemTableSize, so.BaseTableSize = 16<<20, 0
	}
	// Uncompressed blocks: an erasure can be checked with grep.
	so.Compression = options.None
	so.EncryptionKey = opts.EncryptionKey
	so.Logger = opts.Logger
	st, err := index.Open(so)
	if err != nil {
		return nil, fmt.Errorf("leadsview: %w", err)
	}
	v.store = st
	g, next, err := openClean(opts.Dir)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	v.nextGen = next
	v.idx = bleve.NewIndexAlias()
	if g != nil {
		v.gen = g
		v.idx.Add(g.shards...)
		v.shards.Store(&g.shards)
		return v, nil
	}
	if err := v.reindex(); err != nil {
		_ = v.Close()
		return nil, err
	}
	return v, nil
}

// reindex builds a new generation of the index from the store and swaps
// it in for the current one.
func (v *View) reindex() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.reindexLocked()
}

func (v *View) reindexLocked() error {
	start := time.Now()
	dir, err := v.newGenerationDir()
	if err != nil {
		return err
	}
	n := 0
	shards, err := buildShards(dir, func(yield func(*indexDoc) error) error {
		return v.store.Scan([]byte(keyLead), func(key, value []byte) (bool, error) {
			id := leadIDOf(key)
			d, err := v.openDoc(context.Background(), id, value)
			if errors.Is(err, pipeline.ErrErased) {
				return true, nil // its tombstone is on the way
			}
			if err != nil {
				return false, fmt.Errorf("leadsview: corrupt lead %s: %w", id, err)
			}
			x := d.indexDoc()
			n++
			return true, yield(&x)
		})
	})
	if err != nil {
		_ = os.RemoveAll(dir)
		return err
	}
	if err := v.swapInLocked(dir, shards); err != nil {
		return err
	}
	v.log.Info("leads view index built from its store", "leads", n, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// newGenerationDir names (and clears) the directory of the next index
// generation.
func (v *View) newGenerationDir() (string, error) {
	dir := filepath.Join(v.dir, indexDirPrefix+strconv.Itoa(v.nextGen))
	v.nextGen++
	if err := os.RemoveAll(dir); err != nil {
		return "", fmt.Errorf("leadsview: %w", err)
	}
	return dir, nil
}

// swapInLocked makes a built generation the view's index and removes the
// previous one. Caller holds mu.
func (v *View) swapInLocked(dir string, shards []bleve.Index) error {
	old := v.gen
	v.gen = &indexGeneration{dir: dir, gen: v.nextGen - 1, shards: shards}
	var out []bleve.Index
	if old != nil {
		out = old.shards
	}
	v.idx.Swap(shards, out)
	v.shards.Store(&shards)
	v.stale = false
	if old == nil {
		return nil
	}
	var errs []error
	for _, s := range old.shards {
		errs = append(errs, s.Close())
	}
	errs = append(errs, os.RemoveAll(old.dir))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("leadsview: drop the previous index: %w", err)
	}
	return nil
}

// offsets returns the next offset to read per partition.
func (v *View) offsets() (map[int32]int64, error) {
	out := map[int32]int64{}
	err := v.store.Scan([]byte(keyOffset), func(key, value []byte) (bool, error) {
		p, err := strconv.Atoi(string(key[len(keyOffset):]))
		if err != nil || len(value) != 8 {
			return false, fmt.Errorf("leadsview: corrupt offset %q", key)
		}
		out[int32(p)] = int64(binary.BigEndian.Uint64(value))
		return true, nil
	})
	return out, err
}

// Follow reads topic from where the view stopped (its start for a new
// view) until ctx ends. Ready is closed once the view has caught up with
// the end offsets the topic had when Follow began.
func (v *View) Follow(ctx context.Context, brokers []string, topic string, extra ...kgo.Opt) error {
	done, err := v.offsets()
	if err != nil {
		return err
	}
	probe, err := kgo.NewClient(append(append([]kgo.Opt{}, extra...), kgo.SeedBrokers(brokers...))...)
	if err != nil {
		return fmt.Errorf("leadsview: client: %w", err)
	}
	ends, err := pipeline.EndOffsets(ctx, kadm.NewClient(probe), topic)
	probe.Close()
	if err != nil {
		return fmt.Errorf("leadsview: end offsets of %s: %w", topic, err)
	}
	start := map[int32]kgo.Offset{}
	remaining := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		next := done[o.Partition]
		start[o.Partition] = kgo.NewOffset().At(next)
		if o.Offset > next {
			remaining[o.Partition] = o.Offset
		}
	})
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, extra...),
		kgo.SeedBrokers(brokers...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: start}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.FetchMaxWait(250*time.Millisecond),
	)...)
	if err != nil {
		return fmt.Errorf("leadsview: client: %w", err)
	}
	defer cl.Close()
	if len(remaining) == 0 {
		v.markReady()
	}
	// An empty index with records to catch up on is filled in bulk: the
	// records go to the store alone, and the index is built from the store
	// once the view has caught up (far faster than indexing poll by poll).
	bulk := false
	if len(remaining) > 0 {
		n, err := v.idx.DocCount()
		if err != nil {
			return fmt.Errorf("leadsview: %w", err)
		}
		bulk = n == 0
	}
	if bulk {
		// With an empty store too, the index is built while reading.
		empty, err := v.storeEmpty()
		if err != nil {
			return fmt.Errorf("leadsview: %w", err)
		}
		if empty {
			v.mu.Lock()
			err = v.startBulkLocked()
			v.mu.Unlock()
			if err != nil {
				return err
			}
		}
	}
	defer func() {
		v.mu.Lock()
		v.abortBulkLocked()
		v.mu.Unlock()
	}()
	began := time.Now()
	for ctx.Err() == nil {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		fs := cl.PollFetches(pctx)
		cancel()
		var ferr error
		fs.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				ferr = fmt.Errorf("fetch %s[%d]: %w", t, p, err)
			}
		})
		v.setFollowErr(ferr)
		if ferr != nil {
			v.log.Warn("leads view fetch error", "err", ferr)
		}
		var recs []*kgo.Record
		fs.EachRecord(func(r *kgo.Record) { recs = append(recs, r) })
		if len(recs) == 0 {
			continue
		}
		if err := v.apply(recs, bulk); err != nil {
			v.setFollowErr(err)
			return err
		}
		if len(remaining) > 0 {
			for _, r := range recs {
				if end, ok := remaining[r.Partition]; ok && r.Offset+1 >= end {
					delete(remaining, r.Partition)
				}
			}
			if len(remaining) == 0 {
				if bulk {
					v.mu.Lock()
					direct := v.bulk != nil
					v.mu.Unlock()
					build := v.reindex
					if direct {
						build = func() error { return v.finishBulk(ctx) }
					}
					if err := build(); err != nil {
						v.setFollowErr(err)
						return err
					}
					bulk = false
				}
				v.log.Info("leads view caught up", "took", time.Since(began).Round(time.Millisecond))
				v.markReady()
			}
		}
	}
	return nil
}

func (v *View) markReady() { v.once.Do(func() { close(v.ready) }) }

// Ready is closed once the view has caught up with its topic.
func (v *View) Ready() <-chan struct{} { return v.ready }

func (v *View) setFollowErr(err error) {
	v.mu.Lock()
	v.followErr = err
	v.mu.Unlock()
}

// apply stores a poll's records, then indexes them; in a bulk catch-up
// (bulk) it only stores them, and the index is built from the store once
// the view has caught up.
func (v *View) apply(recs []*kgo.Record, bulk bool) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	changes := make([]index.Change, 0, len(recs)+4)
	batches := make([]*bleve.Batch, shardCount)
	last := map[int32]int64{}
	var erased []string
	flush := false // sealDoc made a key
	for _, r := range recs {
		last[r.Partition] = r.Offset + 1
		id := string(r.Key)
		if id == "" {
			continue
		}
		if r.Value == nil {
			// A tombstone is an erasure: dropped physically below.
			erased = append(erased, id)
			continue
		}
		env, err := pipeline.OpenEnvelope(context.Background(), r, v.sealer)
		if errors.Is(err, pipeline.ErrErased) {
			erased = append(erased, id)
			continue
		}
		if err != nil || env.Lead == nil {
			v.log.Warn("leads view: skipping an undecodable record", "partition", r.Partition, "offset", r.Offset, "err", err)
			continue
		}
		if env.LeadID == "" {
			env.LeadID = id
		}
		// A lead written again after a tombstone in this poll lives on.
		erased = slices.DeleteFunc(erased, func(e string) bool { return e == id })
		d := DocFromEnvelope(env, r.Timestamp)
		flush = flush || !v.hasKey(id)
		val, err := v.sealDoc(id, d)
		if errors.Is(err, pipeline.ErrErased) {
			erased = append(erased, id)
			continue
		}
		if err != nil {
			return fmt.Errorf("leadsview: encode %s: %w", id, err)
		}
		changes = append(changes, index.Change{Key: leadKey(id), Value: val})
		if bulk {
			if v.bulk != nil {
				v.bulkAddLocked(d)
			}
			continue
		}
		x := d.indexDoc()
		doc, err := x.document()
		if err != nil {
			return err
		}
		s := shardOf(id)
		if batches[s] == nil {
			batches[s] = v.gen.shards[s].NewBatch()
		}
		if err := batches[s].IndexAdvanced(doc); err != nil {
			return fmt.Errorf("leadsview: index %s: %w", id, err)
		}
	}
	for p, off := range last {
		var buf [8]byte
		binary.BigEndian.PutUint64(buf[:], uint64(off))
		changes = append(changes, index.Change{Key: []byte(keyOffset + strconv.Itoa(int(p))), Value: buf[:]})
	}
	// A key sealDoc made (a record that came unsealed) is durable before
	// the lead sealed with it.
	if f, ok := v.sealer.(interface{ Flush(context.Context) error }); ok && flush {
		if err := f.Flush(context.Background()); err != nil {
			return fmt.Errorf("leadsview: %w", err)
		}
	}
	if err := v.store.Apply(changes, -1); err != nil {
		return fmt.Errorf("leadsview: %w", err)
	}
	if bulk {
		v.stale = true
	}
	for s, b := range batches {
		if b == nil {
			continue
		}
		if err := v.gen.shards[s].Batch(b); err != nil {
			return fmt.Errorf("leadsview: index batch: %w", err)
		}
	}
	if len(erased) > 0 {
		return v.dropLocked(context.Background(), erased)
	}
	return nil
}

// ErrNotFound is returned by Get for a lead the view does not hold.
var ErrNotFound = errors.New("leadsview: no such lead")

// Get returns the lead with id. ctx bounds reading the keyring's topic
// when the lead's key is one this process has not read yet.
func (v *View) Get(ctx context.Context, id string) (*Doc, error) {
	val, err := v.store.Get(leadKey(id))
	if errors.Is(err, index.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("leadsview: get %s: %w", id, err)
	}
	d, err := v.openDoc(ctx, id, val)
	if errors.Is(err, pipeline.ErrErased) {
		return nil, ErrNotFound // its tombstone is on the way
	}
	if err != nil {
		return nil, fmt.Errorf("leadsview: corrupt lead %s: %w", id, err)
	}
	return d, nil
}

// Forget removes a lead from this view at once (erasure); the topic's
// tombstone removes it from every other view the same way.
func (v *View) Forget(ctx context.Context, id string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.dropLocked(ctx, []string{id})
}

// dropLocked removes leads physically: each Badger key is dropped with
// every old version (DropPrefix rewrites the tables and flushes the
// memtable that hold it; a view without a Sealer keeps its values there,
// and a view with one keeps them sealed, so the value log's copies are
// shredded with the lead's key), and the Bleve index, whose segments are
// immutable, is merged into one segment without them. The keys must not have been
// deleted first: DropPrefix skips a prefix no live key has. Caller holds
// mu.
func (v *View) dropLocked(ctx context.Context, ids []string) error {
	v.bulkForgetLocked(ids)
	batches := make([]*bleve.Batch, shardCount)
	for _, id := range ids {
		if err := v.store.DropPrefix(leadKey(id)); err != nil {
			return fmt.Errorf("leadsview: forget %s: %w", id, err)
		}
		s := shardOf(id)
		if batches[s] == nil {
			batches[s] = v.gen.shards[s].NewBatch()
		}
		batches[s].Delete(id)
	}
	for s, b := range batches {
		if b == nil {
			continue
		}
		if err := purgeShard(ctx, v.gen.shards[s], b); err != nil {
			return err
		}
	}
	return nil
}

// purgeShard applies b's deletions to shard and merges the shard's
// segments so that the deleted documents' terms leave the disk. Scorch
// merges only segments it has persisted, and never a lone one, whose
// deleted documents (and their terms) would then stay on disk: a
// placeholder document makes a segment of its own, written again until
// the shard has two persisted segments to merge. The merger and the
// persister run on their own, so purgeShard does not trust one round: it
// repeats until the root snapshot holds no deleted document and that
// snapshot is the one on disk.
func purgeShard(ctx context.Context, shard bleve.Index, b *bleve.Batch) error {
	if err := b.Index(mergePlaceholder, map[string]any{}); err != nil {
		return fmt.Errorf("leadsview: forget: %w", err)
	}
	if err := shard.Batch(b); err != nil {
		return fmt.Errorf("leadsview: forget: %w", err)
	}
	adv, err := shard.Advanced()
	if err != nil {
		return fmt.Errorf("leadsview: forget: %w", err)
	}
	sc, ok := adv.(*scorch.Scorch)
	if !ok {
		return shardDelete(shard)
	}
	ctx, cancel := context.WithTimeout(ctx, purgeTimeout)
	defer cancel()
	for {
		if err := waitPersisted(ctx, sc); err != nil {
			return err
		}
		clean, err := noDeletedDocs(sc)
		if err != nil {
			return err
		}
		if clean {
			break
		}
		if statUint(sc, "TotFileSegmentsAtRoot") < 2 {
			if err := shard.Index(mergePlaceholder, map[string]any{}); err != nil {
				return fmt.Errorf("leadsview: forget: %w", err)
			}
			continue
		}
		if err := sc.ForceMerge(ctx, nil); err != nil {
			return fmt.Errorf("leadsview: forget: merge the index: %w", err)
		}
	}
	if err := shardDelete(shard); err != nil {
		return err
	}
	return waitPersisted(ctx, sc)
}

// purgeTimeout bounds one shard's purge; a merge of a large shard on a
// busy machine takes seconds, not minutes.
const purgeTimeout = 5 * time.Minute

func shardDelete(shard bleve.Index) error {
	if err := shard.Delete(mergePlaceholder); err != nil {
		return fmt.Errorf("leadsview: forget: %w", err)
	}
	return nil
}

// waitPersisted waits until the shard's root snapshot has no segment in
// memory and is the snapshot its persister last wrote.
func waitPersisted(ctx context.Context, sc *scorch.Scorch) error {
	for {
		st := sc.StatsMap()
		mem, _ := st["TotMemorySegmentsAtRoot"].(uint64)
		root, _ := st["CurRootEpoch"].(uint64)
		persisted, _ := st["LastPersistedEpoch"].(uint64)
		if mem == 0 && persisted >= root {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("leadsview: forget: wait for the index to persist: %w", ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// noDeletedDocs reports whether no segment of the shard's root snapshot
// still holds a deleted document.
func noDeletedDocs(sc *scorch.Scorch) (bool, error) {
	r, err := sc.Reader()
	if err != nil {
		return false, fmt.Errorf("leadsview: forget: %w", err)
	}
	defer r.Close()
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return false, fmt.Errorf("leadsview: forget: unexpected index reader %T", r)
	}
	for _, seg := range snap.Segments() {
		if d := seg.Deleted(); d != nil && !d.IsEmpty() {
			return false, nil
		}
	}
	return true, nil
}

// mergePlaceholder is the document dropLocked indexes to get a merge.
const mergePlaceholder = "\x00merge"

func statUint(sc *scorch.Scorch, name string) uint64 {
	n, _ := sc.StatsMap()[name].(uint64)
	return n
}

// CheckStore reports whether the Badger store answers.
func (v *View) CheckStore() error {
	_, err := v.store.Checkpoint()
	return err
}

// CheckIndex reports whether the Bleve index answers, and the follower's
// last error.
func (v *View) CheckIndex() error {
	if _, err := v.idx.DocCount(); err != nil {
		return err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.followErr
}

// Count is the number of leads indexed.
func (v *View) Count() (uint64, error) { return v.idx.DocCount() }

// Close marks the index clean and closes the index and store. Stop Follow
// first.
func (v *View) Close() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return nil
	}
	v.closed = true
	var errs []error
	v.abortBulkLocked()
	if v.gen != nil {
		for _, shard := range v.gen.shards {
			if !v.stale {
				errs = append(errs, markClean(shard))
			}
			errs = append(errs, shard.Close())
		}
	}
	errs = append(errs, v.store.Close())
	return errors.Join(errs...)
}
