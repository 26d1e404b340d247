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
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/segmentio/encoding/json"
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

// indexConfig lets Bleve persist batches in the background instead of
// syncing each one: an index that loses its newest batches in a crash is
// not marked clean, and Open rebuilds it from the store.
var indexConfig = map[string]any{"unsafe_batch": true}

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
	idx   bleve.Index

	mu     sync.Mutex // serialises writes
	ready  chan struct{}
	once   sync.Once
	closed bool
	// followErr is the last error of the follower (nil when healthy).
	followErr error
	sealer    pipeline.Sealer
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
	v := &View{dir: opts.Dir, log: opts.Logger.With("component", "leadsview"), ready: make(chan struct{}), sealer: opts.Sealer}
	storeDir, idxDir := filepath.Join(opts.Dir, "badger"), filepath.Join(opts.Dir, "bleve")
	_, serr := os.Stat(storeDir)
	_, ierr := os.Stat(idxDir)
	if os.IsNotExist(serr) && ierr == nil {
		// An index without its store cannot be trusted: start both again.
		if err := os.RemoveAll(idxDir); err != nil {
			return nil, fmt.Errorf("leadsview: %w", err)
		}
	}
	so := index.DefaultOptions(storeDir)
	// Values stay in the LSM tree, so that Forget's DropPrefix leaves no
	// copy of an erased lead in a value log.
	so.ValueThreshold = 0
	// Uncompressed blocks: an erasure can be checked with grep.
	so.Compression = options.None
	so.EncryptionKey = opts.EncryptionKey
	so.Logger = opts.Logger
	st, err := index.Open(so)
	if err != nil {
		return nil, fmt.Errorf("leadsview: %w", err)
	}
	v.store = st
	idx, clean, err := openIndex(idxDir)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	v.idx = idx
	if !clean {
		if err := v.reindex(); err != nil {
			_ = v.Close()
			return nil, err
		}
	}
	return v, nil
}

// openIndex opens the Bleve index in dir, creating it when missing; clean
// reports whether it was closed cleanly. The mark is cleared until the next
// clean Close.
func openIndex(dir string) (bleve.Index, bool, error) {
	idx, err := bleve.OpenUsing(dir, indexConfig)
	if err == nil {
		mark, gerr := idx.GetInternal(cleanMark)
		clean := gerr == nil && string(mark) == "1"
		if clean {
			if err := idx.DeleteInternal(cleanMark); err != nil {
				_ = idx.Close()
				return nil, false, fmt.Errorf("leadsview: index %s: %w", dir, err)
			}
		}
		return idx, clean, nil
	}
	if rerr := os.RemoveAll(dir); rerr != nil {
		return nil, false, fmt.Errorf("leadsview: index %s: %w", dir, rerr)
	}
	idx, err = bleve.NewUsing(dir, indexMapping(), scorch.Name, scorch.Name, indexConfig)
	if err != nil {
		return nil, false, fmt.Errorf("leadsview: create index %s: %w", dir, err)
	}
	return idx, false, nil
}

// reindex rebuilds the Bleve index from the store.
func (v *View) reindex() error {
	start := time.Now()
	n := 0
	b := v.idx.NewBatch()
	flush := func() error {
		if b.Size() == 0 {
			return nil
		}
		if err := v.idx.Batch(b); err != nil {
			return fmt.Errorf("leadsview: reindex: %w", err)
		}
		b.Reset()
		return nil
	}
	err := v.store.Scan([]byte(keyLead), func(_, value []byte) (bool, error) {
		var d Doc
		if err := json.Unmarshal(value, &d); err != nil {
			return false, fmt.Errorf("leadsview: corrupt lead: %w", err)
		}
		if err := b.Index(d.LeadID, d.indexDoc()); err != nil {
			return false, err
		}
		n++
		if b.Size() >= batchSize {
			return true, flush()
		}
		return true, nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return err
	}
	v.log.Info("leads view index rebuilt from its store", "leads", n, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

const batchSize = 2000

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
		if err := v.apply(recs); err != nil {
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

// apply stores a poll's records, then indexes them.
func (v *View) apply(recs []*kgo.Record) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	changes := make([]index.Change, 0, len(recs)+4)
	b := v.idx.NewBatch()
	last := map[int32]int64{}
	var erased []string
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
		val, err := json.Marshal(d)
		if err != nil {
			return fmt.Errorf("leadsview: encode %s: %w", id, err)
		}
		changes = append(changes, index.Change{Key: leadKey(id), Value: val})
		if err := b.Index(id, d.indexDoc()); err != nil {
			return fmt.Errorf("leadsview: index %s: %w", id, err)
		}
	}
	for p, off := range last {
		var buf [8]byte
		binary.BigEndian.PutUint64(buf[:], uint64(off))
		changes = append(changes, index.Change{Key: []byte(keyOffset + strconv.Itoa(int(p))), Value: buf[:]})
	}
	if err := v.store.Apply(changes, -1); err != nil {
		return fmt.Errorf("leadsview: %w", err)
	}
	if err := v.idx.Batch(b); err != nil {
		return fmt.Errorf("leadsview: index batch: %w", err)
	}
	if len(erased) > 0 {
		return v.dropLocked(context.Background(), erased)
	}
	return nil
}

// ErrNotFound is returned by Get for a lead the view does not hold.
var ErrNotFound = errors.New("leadsview: no such lead")

// Get returns the lead with id.
func (v *View) Get(id string) (*Doc, error) {
	val, err := v.store.Get(leadKey(id))
	if errors.Is(err, index.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("leadsview: get %s: %w", id, err)
	}
	var d Doc
	if err := json.Unmarshal(val, &d); err != nil {
		return nil, fmt.Errorf("leadsview: corrupt lead %s: %w", id, err)
	}
	return &d, nil
}

// Forget removes a lead from this view at once (erasure); the topic's
// tombstone removes it from every other view the same way.
func (v *View) Forget(ctx context.Context, id string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.dropLocked(ctx, []string{id})
}

// dropLocked removes leads physically: each Badger key is dropped with
// every old version (the view keeps its values in the LSM tree, not the
// value log, and DropPrefix rewrites the tables and flushes the memtable
// that hold it), and the Bleve index, whose segments are immutable, is
// merged into one segment without them. The keys must not have been
// deleted first: DropPrefix skips a prefix no live key has. Caller holds
// mu.
func (v *View) dropLocked(ctx context.Context, ids []string) error {
	b := v.idx.NewBatch()
	for _, id := range ids {
		if err := v.store.DropPrefix(leadKey(id)); err != nil {
			return fmt.Errorf("leadsview: forget %s: %w", id, err)
		}
		b.Delete(id)
	}
	// Scorch merges only segments it has persisted, and never a lone one,
	// whose deleted documents (and their terms) would then stay on disk:
	// a placeholder document makes a segment of its own, written again
	// until the index has two persisted segments to merge.
	if err := b.Index(mergePlaceholder, map[string]any{}); err != nil {
		return fmt.Errorf("leadsview: forget: %w", err)
	}
	if err := v.idx.Batch(b); err != nil {
		return fmt.Errorf("leadsview: forget: %w", err)
	}
	adv, err := v.idx.Advanced()
	if err != nil {
		return fmt.Errorf("leadsview: forget: %w", err)
	}
	if sc, ok := adv.(*scorch.Scorch); ok {
		for try := 0; ; try++ {
			for n := 0; statUint(sc, "TotMemorySegmentsAtRoot") > 0 && n < 3000; n++ {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(10 * time.Millisecond):
				}
			}
			if statUint(sc, "TotFileSegmentsAtRoot") >= 2 || try == 3 {
				break
			}
			if err := v.idx.Index(mergePlaceholder, map[string]any{}); err != nil {
				return fmt.Errorf("leadsview: forget: %w", err)
			}
		}
		if err := sc.ForceMerge(ctx, nil); err != nil {
			return fmt.Errorf("leadsview: forget: merge the index: %w", err)
		}
	}
	if err := v.idx.Delete(mergePlaceholder); err != nil {
		return fmt.Errorf("leadsview: forget: %w", err)
	}
	return nil
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
	if v.idx != nil {
		errs = append(errs, v.idx.SetInternal(cleanMark, []byte("1")), v.idx.Close())
	}
	errs = append(errs, v.store.Close())
	return errors.Join(errs...)
}
