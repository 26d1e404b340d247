package dedupe

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"os"

	"github.com/dgraph-io/badger/v4/options"

	"github.com/leadstream/leadstream/index"
	"github.com/leadstream/leadstream/pipeline"
	"github.com/leadstream/leadstream/stages/dedupe/match"
)

// viewStore is where the global view keeps its blocks and leads: a Badger
// store of the process's own (index.Store), rebuilt every time the
// process starts (the view is loaded from the partitions' mrec/ and the
// changelog, as before), in front of it two generational caches of the
// blocks and leads used most recently, sized by the caller, and the
// entries changed since the last write, which are written in batches.
// Memory is then bounded by the cache sizes, not by the number of leads.
//
// What reaches the disk holds no personal data in clear: a block is
// stored under a keyed 128-bit hash of its blocking key (e-mails, phones,
// names), whose seed is made when the store opens and never written, and
// a lead's match records and partition key are sealed under the lead's
// data key (pipeline.SealValue), so erasing the lead shreds them here too.
// It is not safe for concurrent use (Global's lock guards it).
type viewStore struct {
	db     *index.Store
	dir    string
	sealer pipeline.Sealer
	names  func(h uint32) string // lead id of a handle
	seeds  [2]maphash.Seed
	blocks *genCache[string, []uint32]
	leads  *genCache[uint32, *globalLead]
	// keys is a Bloom filter of the blocking keys filed: most keys of a
	// new record are in no block, and it answers those without a read.
	keys *bloom
	// Changed entries not written yet (a nil lead: deleted). Reads look
	// here first, so a cache may drop an entry before it is written.
	dirtyBlocks map[string][]uint32
	dirtyLeads  map[uint32]*globalLead
	flushAt     int
	flushEvery  int
	kbuf        []byte
}

// viewFlushEntries is how many changed blocks and leads are written at
// once: a block of a common name or place changes with many records, and
// is written once per batch.
const viewFlushEntries = 64 << 10

// viewStoreOptions sizes a viewStore.
type viewStoreOptions struct {
	dir         string // "" a temporary directory; else removed and made anew
	cacheBlocks int    // blocking keys per cache generation
	cacheLeads  int    // leads per cache generation
	bloomBytes  int    // size of the Bloom filter of blocking keys (0: 16 MiB)
	sealer      pipeline.Sealer
	names       func(h uint32) string
	log         *slog.Logger
	flushEvery  int // changes held before they are written (0: viewFlushEntries)
}

// openViewStore opens an empty store.
func openViewStore(o viewStoreOptions) (*viewStore, error) {
	dir := o.dir
	if dir == "" {
		d, err := os.MkdirTemp("", "leadstream-dedupe-view-")
		if err != nil {
			return nil, fmt.Errorf("dedupe view: %w", err)
		}
		dir = d
	} else if err := os.RemoveAll(dir); err != nil {
		// The view is rebuilt on open: what an earlier process left is stale.
		return nil, fmt.Errorf("dedupe view: %w", err)
	}
	opts := index.DefaultOptions(dir)
	opts.Logger = o.log
	// Bounded: a million leads' tables would otherwise keep their indexes
	// and Bloom filters in memory.
	opts.IndexCacheSize = 16 << 20
	// Small values, rewritten often and thrown away with the process:
	// compressing them cost more CPU (compactions) than it saved.
	opts.Compression = options.None
	db, err := index.Open(opts)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("dedupe view: %w", err)
	}
	if o.cacheBlocks <= 0 {
		o.cacheBlocks = maxCachedBlocks
	}
	if o.cacheLeads <= 0 {
		o.cacheLeads = maxCachedRecords
	}
	if o.flushEvery <= 0 {
		o.flushEvery = viewFlushEntries
	}
	keys := newBloom(o.bloomBytes)
	keys.ready.Store(true) // the store starts empty
	return &viewStore{db: db, dir: dir, sealer: o.sealer, names: o.names, keys: keys,
		seeds:  [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
		blocks: newGenCache[string, []uint32](o.cacheBlocks), leads: newGenCache[uint32, *globalLead](o.cacheLeads),
		dirtyBlocks: map[string][]uint32{}, dirtyLeads: map[uint32]*globalLead{}, flushAt: o.flushEvery, flushEvery: o.flushEvery}, nil
}

// close closes the store and removes its files.
func (s *viewStore) close() error {
	err := s.db.Close()
	if rerr := os.RemoveAll(s.dir); err == nil && rerr != nil {
		err = fmt.Errorf("dedupe view: %w", rerr)
	}
	return err
}

// blockKey is the store key of blocking key k: "b" and a keyed 128-bit
// hash, not the key itself (it holds e-mails and phones).
func (s *viewStore) blockKey(k string) []byte {
	b := append(s.kbuf[:0], 'b')
	b = binary.BigEndian.AppendUint64(b, maphash.String(s.seeds[0], k))
	b = binary.BigEndian.AppendUint64(b, maphash.String(s.seeds[1], k))
	s.kbuf = b
	return b
}

// leadKey is the store key of lead handle h.
func leadKey(h uint32) []byte { return binary.BigEndian.AppendUint32([]byte{'l'}, h) }

// block returns the leads under blocking key k, oldest first (shared: do
// not modify).
func (s *viewStore) block(k string) ([]uint32, error) {
	if hs, ok := s.dirtyBlocks[k]; ok {
		return hs, nil
	}
	if hs, ok := s.blocks.get(k); ok {
		return hs, nil
	}
	if s.keys.absent(k) {
		return nil, nil
	}
	v, err := s.db.Get(s.blockKey(k))
	if errors.Is(err, index.ErrNotFound) {
		s.blocks.put(k, nil)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dedupe view: block: %w", err)
	}
	hs := make([]uint32, len(v)/4)
	for i := range hs {
		hs[i] = binary.LittleEndian.Uint32(v[4*i:])
	}
	s.blocks.put(k, hs)
	return hs, nil
}

// setBlock sets the leads under blocking key k.
func (s *viewStore) setBlock(k string, hs []uint32) error {
	if len(hs) == 1 { // a block is made with one lead
		s.keys.add(k)
	}
	s.blocks.put(k, hs)
	s.dirtyBlocks[k] = hs
	return s.maybeFlush()
}

// lead returns lead h as the view has it, which the caller may change
// and then put back (putLead). A lead the store does not have, or whose
// data key is erased, reads as empty.
func (s *viewStore) lead(h uint32) (*globalLead, error) {
	if l, ok := s.dirtyLeads[h]; ok && l != nil {
		return l, nil
	}
	if l, ok := s.leads.get(h); ok && l != nil {
		return l, nil
	}
	l := new(globalLead)
	v, err := s.db.Get(leadKey(h))
	switch {
	case errors.Is(err, index.ErrNotFound):
	case err != nil:
		return nil, fmt.Errorf("dedupe view: lead: %w", err)
	default:
		id := s.names(h)
		v, err = pipeline.OpenValue(context.Background(), s.sealer, pipeline.LeadSubject(id), viewLeadAAD(id), v)
		if errors.Is(err, pipeline.ErrErased) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("dedupe view: lead %s: %w", id, err)
		}
		var st storedLead
		if _, err := st.UnmarshalMsg(v); err != nil {
			return nil, fmt.Errorf("dedupe view: corrupt lead %s: %w", id, err)
		}
		l.key, l.srcs = st.Key, st.Srcs
		l.recs = make([]*match.Prepared, len(st.Recs))
		for i, r := range st.Recs {
			l.recs[i] = match.Prepare(r)
		}
	}
	s.leads.put(h, l)
	return l, nil
}

// viewLeadAAD is what a stored lead's seal authenticates.
func viewLeadAAD(id string) string { return "view/" + id }

// putLead stores lead h.
func (s *viewStore) putLead(h uint32, l *globalLead) error {
	s.leads.put(h, l)
	s.dirtyLeads[h] = l
	return s.maybeFlush()
}

// dropLead deletes lead h.
func (s *viewStore) dropLead(h uint32) error {
	s.leads.del(h)
	s.dirtyLeads[h] = nil
	return s.maybeFlush()
}

func (s *viewStore) maybeFlush() error {
	if len(s.dirtyBlocks)+len(s.dirtyLeads) < s.flushAt {
		return nil
	}
	return s.flush()
}

// flush writes the changed entries. A lead whose data key this process
// does not hold yet (another process's lead, its key not followed yet)
// stays in memory until a later flush: sealing it would make it a second
// key.
func (s *viewStore) flush() error {
	changes := make([]index.Change, 0, len(s.dirtyBlocks)+len(s.dirtyLeads))
	for k, hs := range s.dirtyBlocks {
		v := make([]byte, 4*len(hs))
		for i, h := range hs {
			binary.LittleEndian.PutUint32(v[4*i:], h)
		}
		changes = append(changes, index.Change{Key: append([]byte(nil), s.blockKey(k)...), Value: v})
	}
	held := map[uint32]*globalLead{}
	for h, l := range s.dirtyLeads {
		if l == nil {
			changes = append(changes, index.Change{Key: leadKey(h)})
			continue
		}
		v, ok, err := s.encodeLead(h, l)
		if err != nil {
			return err
		}
		if !ok {
			held[h] = l
			continue
		}
		changes = append(changes, index.Change{Key: leadKey(h), Value: v})
	}
	if err := s.db.Apply(changes, -1); err != nil {
		return fmt.Errorf("dedupe view: %w", err)
	}
	clear(s.dirtyBlocks)
	s.dirtyLeads = held
	s.flushAt = len(held) + s.flushEvery
	return nil
}

// encodeLead returns lead h's stored value, sealed under its data key:
// nil for a lead that was erased (it is deleted); ok false when the key
// is not here yet.
func (s *viewStore) encodeLead(h uint32, l *globalLead) (v []byte, ok bool, err error) {
	id := s.names(h)
	subject := pipeline.LeadSubject(id)
	if s.sealer != nil {
		if pipeline.SubjectErased(s.sealer, subject) {
			return nil, true, nil
		}
		if held, known := pipeline.SubjectKeyHeld(s.sealer, subject); known && !held {
			return nil, false, nil
		}
	}
	st := storedLead{Key: l.key, Srcs: l.srcs, Recs: make([]match.Record, len(l.recs))}
	for i, r := range l.recs {
		st.Recs[i] = r.Record()
	}
	b, err := st.MarshalMsg(nil)
	if err != nil {
		return nil, false, fmt.Errorf("dedupe view: encode lead %s: %w", id, err)
	}
	b, err = pipeline.SealValue(s.sealer, subject, viewLeadAAD(id), b)
	if errors.Is(err, pipeline.ErrErased) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("dedupe view: %w", err)
	}
	return b, true, nil
}
