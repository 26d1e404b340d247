package dedupe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/segmentio/encoding/json"

	"github.com/leadstream/leadstream/pipeline"
	"github.com/leadstream/leadstream/stages/dedupe/match"
)

// Global is the candidate view that every dedupe partition of a process
// shares: the blocking keys and match records of the leads of all its
// partitions, updated the moment a partition decides (not when its batch
// commits), and the fuzzy indexes of all of them. With it a record is
// matched against every lead whatever partition it arrived on, so the
// answer does not depend on how many partitions there are (issue 12; see
// docs/dedupe-global-view.md for the design and the races it handles).
//
// A lead stays owned by the partition that made it: its state (lead/,
// mrec/, blk/) lives in that partition's table and changelog. A record
// whose best candidate belongs to another partition is routed there (see
// Processor.route) and merged by the owner; the view files the record
// under the lead at once, so later records see it.
//
// The view lives in a Badger store of the process's own (viewStore),
// under Dir or a temporary directory, made anew each time the process
// starts and removed by Close: a partition's leads are loaded into it when
// the partition opens (from the mrec/ records, like the fuzzy rebuild) and
// stay when it closes (a partition moved to another process keeps being
// matched against, at the state it had here). Memory holds the blocks and
// leads used most recently (CacheBlocks, CacheLeads), the changes not
// written yet, and per lead only its interned id and owner partition
// (about 75 bytes). Its fuzzy index, one for all
// partitions (scores of separate Bleve indexes do not compare), lives in
// a temporary directory until Close. It is safe for concurrent
// use: a partition holds its lock from candidate lookup to filing, so
// decisions are made one at a time in one order, as with one partition.
type Global struct {
	mu    sync.Mutex
	ids   *leadIDs
	parts []int32    // handle → owner partition (noLead: the view has no lead under it)
	store *viewStore // blocks and leads; opened on first use
	err   error      // the store's first failure (see fail)
	fz    *fuzzy     // one fuzzy index of every partition's leads (nil: off)
	// folded maps a lead folded into another (reconciliation) to it.
	folded map[uint32]uint32
	// following is Follow's goroutine (Close waits for it).
	following sync.WaitGroup
	// owned are the partitions this process has open: Follow skips them.
	owned  map[int32]bool
	routed int64
	// held are the records of this process's partitions held as
	// possible duplicates (held.go).
	held *heldSet
	// Sealer opens the sealed match records of the changelog (nil: they
	// are skipped) and seals the leads the view stores; set before Follow.
	Sealer pipeline.Sealer
	// Dir is where the view keeps its store; it is emptied when the view
	// opens ("": a temporary directory). Set before Follow.
	Dir string
	// CacheBlocks and CacheLeads are how many blocking keys and leads
	// each generation of the view's caches holds (0: 256k and 64k).
	CacheBlocks, CacheLeads int
	// BloomBytes is the size of the Bloom filter of blocking keys that
	// spares the store the lookups of keys in no block (0: 16 MiB).
	BloomBytes int
	// Logger receives the store's warnings (nil: discarded).
	Logger *slog.Logger
	// flushEvery is how many changes the store holds before it writes
	// them (0: viewFlushEntries); tests make it small.
	flushEvery int
}

// noLead marks a handle the view holds no lead under.
const noLead = -1

// globalLead is one lead as the view holds it (its owner partition is in
// Global.parts).
type globalLead struct {
	key  string // the lead's partition key: a record sent to it reaches the owner
	recs []*match.Prepared
	srcs []string // source records filed (a routed record is filed once)
}

// NewGlobal returns an empty view. Give the same one to every Stage of a
// process (system.Start does).
func NewGlobal() *Global {
	return &Global{ids: newLeadIDs(), owned: map[int32]bool{}, folded: map[uint32]uint32{}}
}

// ready opens the view's store, once.
func (g *Global) ready() error {
	if g.store != nil {
		return nil
	}
	if g.err != nil {
		return g.err
	}
	st, err := openViewStore(viewStoreOptions{dir: g.Dir, cacheBlocks: g.CacheBlocks, cacheLeads: g.CacheLeads, bloomBytes: g.BloomBytes,
		sealer: g.Sealer, names: g.ids.name, log: g.Logger, flushEvery: g.flushEvery})
	if err != nil {
		g.err = err
		return err
	}
	g.store = st
	return nil
}

// fail notes the store's first failure: the next lookup returns it (the
// partition's batch fails and is retried), so a write the view lost does
// not go unnoticed.
func (g *Global) fail(err error) {
	if err != nil && g.err == nil {
		g.err = err
	}
}

// has reports whether the view holds a lead under handle h.
func (g *Global) has(h uint32) bool { return int(h) < len(g.parts) && g.parts[h] != noLead }

// setPartition makes partition the owner of lead h.
func (g *Global) setPartition(h uint32, partition int32) {
	for int(h) >= len(g.parts) {
		g.parts = append(g.parts, noLead)
	}
	g.parts[h] = partition
}

// lead returns lead h (nil when the view has none), for the caller to
// change and put back.
func (g *Global) lead(h uint32) *globalLead {
	if !g.has(h) {
		return nil
	}
	l, err := g.store.lead(h)
	if err != nil {
		g.fail(err)
		return &globalLead{}
	}
	return l
}

// put stores lead h.
func (g *Global) put(h uint32, l *globalLead) { g.fail(g.store.putLead(h, l)) }

// drop takes lead h out of the view.
func (g *Global) drop(h uint32) {
	g.parts[h] = noLead
	g.fail(g.store.dropLead(h))
}

// fold files lead b's records under lead a and takes b out of the view:
// later records that would have matched b match a.
func (g *Global) fold(a, b string) {
	ha, hb := g.ids.intern(a), g.ids.intern(b)
	if ha == hb {
		return
	}
	g.folded[hb] = ha
	if !g.has(hb) || !g.has(ha) {
		return
	}
	lb, la := g.lead(hb), g.lead(ha)
	g.drop(hb)
	for _, r := range lb.recs {
		la.recs = keepRecords(la.recs, r)
		g.fileKeys(ha, r.Keys())
	}
	g.put(ha, la)
}

// openFuzzy starts the view's fuzzy index, once.
func (g *Global) openFuzzy() error {
	if g.fz != nil {
		return nil
	}
	f, _, err := newFuzzy("", 0)
	if err != nil {
		return err
	}
	f.ok.Store(true)
	g.fz = f
	return nil
}

// Close closes the view's fuzzy index and removes it. Cancel Follow's
// context first: Close waits for it to stop.
func (g *Global) Close() error {
	g.following.Wait()
	g.mu.Lock()
	defer g.mu.Unlock()
	var err error
	if g.fz != nil {
		err = g.fz.close()
		g.fz = nil
	}
	if g.store != nil {
		if serr := g.store.close(); err == nil {
			err = serr
		}
		g.store = nil
		g.err = errors.New("dedupe: view closed")
	}
	return err
}

// Routed returns how many records were routed to another partition's lead.
func (g *Global) Routed() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.routed
}

// block implements view.
func (g *Global) block(k string) ([]uint32, error) {
	if g.err != nil {
		return nil, g.err
	}
	return g.store.block(k)
}

// records implements view.
func (g *Global) records(h uint32, _ string) ([]*match.Prepared, error) {
	if l := g.lead(h); l != nil {
		return l.recs, g.err
	}
	return nil, g.err
}

// handles implements view.
func (g *Global) handles() *leadIDs { return g.ids }

// organisation returns the organisation of lead id, as its match
// records carry it ("" when unknown).
func (g *Global) organisation(id string) string {
	l := g.lead(g.ids.intern(id))
	if l == nil {
		return ""
	}
	for _, r := range l.recs {
		if org := r.Record().OrgID; org != "" {
			return org
		}
	}
	return ""
}

// owner returns the partition and partition key of lead id.
func (g *Global) owner(id string) (int32, string, bool) {
	h := g.ids.intern(id)
	l := g.lead(h)
	if l == nil {
		return 0, "", false
	}
	return g.parts[h], l.key, true
}

// file adds one source record (src, "" when unknown) of lead id, owned by
// partition at key, with its blocking keys. A source record already filed
// under the lead is not filed again.
func (g *Global) file(partition int32, key, id, src string, rec *match.Prepared, keys []string) {
	h := g.ids.intern(id)
	if to, ok := g.folded[h]; ok && g.has(to) {
		h = to // folded: its records are its target's
	}
	l := g.lead(h)
	if l == nil {
		l = &globalLead{key: key}
		g.setPartition(h, partition)
	}
	if src != "" {
		if slices.Contains(l.srcs, src) {
			return
		}
		l.srcs = append(l.srcs, src)
		if len(l.srcs) > 4*maxRecordsPerLead {
			l.srcs = l.srcs[len(l.srcs)-4*maxRecordsPerLead:]
		}
	}
	l.recs = keepRecords(l.recs, rec)
	g.fileKeys(h, keys)
	g.put(h, l)
}

// ownRecords returns the match records the view holds for lead id when
// partition owns it (nil otherwise: unknown, folded, or another's).
func (g *Global) ownRecords(partition int32, id string) []*match.Prepared {
	h := g.ids.intern(id)
	if !g.has(h) || g.parts[h] != partition {
		return nil
	}
	return g.lead(h).recs
}

// fileKeys files lead h under blocking keys.
func (g *Global) fileKeys(h uint32, keys []string) {
	for _, k := range keys {
		hs, err := g.store.block(k)
		if err != nil {
			g.fail(err)
			return
		}
		if slices.Contains(hs, h) {
			continue
		}
		if len(hs) >= maxLeadsPerKey {
			hs = hs[1:]
		}
		// A new slice: the cache and the unwritten changes share the old.
		g.fail(g.store.setBlock(k, append(append(make([]uint32, 0, len(hs)+1), hs...), h)))
	}
}

// load adds the leads of a partition's state to the view, then the folds
// its leads made.
func (g *Global) load(partition int32, t State) error {
	if err := g.ready(); err != nil {
		return err
	}
	if err := g.loadLeads(partition, t); err != nil {
		return err
	}
	if err := t.Scan(keyFold, func(key string, v []byte) (bool, error) {
		g.fold(string(v), key[len(keyFold):])
		return true, g.err
	}); err != nil {
		return err
	}
	return g.err
}

func (g *Global) loadLeads(partition int32, t State) error {
	return t.Scan(keyMatch, func(key string, v []byte) (bool, error) {
		id := key[len(keyMatch):]
		var recs []match.Record
		v, err := pipeline.OpenValue(context.Background(), g.Sealer, pipeline.LeadSubject(id), key, v)
		if errors.Is(err, pipeline.ErrErased) {
			return true, nil // an erased lead is no candidate
		}
		if err != nil {
			return false, fmt.Errorf("dedupe: %w", err)
		}
		if err := json.Unmarshal(v, &recs); err != nil {
			return false, fmt.Errorf("dedupe: corrupt state at %q: %w", key, err)
		}
		var st leadState
		rk, ok, err := t.Get(keyRoute + id)
		if err != nil {
			return false, err
		}
		routeKey := string(rk)
		if !ok {
			// State written before the route keys: the lead's own key.
			p := &Processor{table: t, sealer: g.Sealer}
			if ok, err := p.getLead(id, &st); err != nil || !ok {
				return true, err
			}
			routeKey = st.Key
		}
		preps := make([]*match.Prepared, len(recs))
		for i, r := range recs {
			preps[i] = match.Prepare(r)
		}
		g.setLead(partition, routeKey, id, preps)
		if g.fz != nil {
			g.fz.put(id, recs)
		}
		return true, g.err
	})
}

// fuzzySearch asks the view's fuzzy index for leads resembling rec.
func (g *Global) fuzzySearch(rec match.Record) ([]string, error) {
	if g.fz == nil {
		return nil, nil
	}
	return g.fz.search(rec)
}

// Follow keeps the view current with the partitions other processes own:
// it reads the stage's changelog topic (every partition, from the start)
// and files each lead's match records (mrec/) and route key (rt/) of a
// partition this process does not own, as Kafka Streams' GlobalKTable or
// goka's View would. A partition this process owns is skipped: its
// decisions reach the view directly, ahead of its changelog. Follow
// returns once the client is made; it follows until ctx ends.
func (g *Global) Follow(ctx context.Context, brokers []string, topic string, log *slog.Logger, extra ...kgo.Opt) error {
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, extra...),
		kgo.SeedBrokers(brokers...),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.FetchMaxWait(100*time.Millisecond),
	)...)
	if err != nil {
		return fmt.Errorf("dedupe: follow %s: %w", topic, err)
	}
	g.following.Add(1)
	go func() {
		defer g.following.Done()
		defer cl.Close()
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			fs.EachError(func(t string, p int32, err error) {
				if !errors.Is(err, context.Canceled) {
					log.Warn("dedupe view: changelog fetch error", "topic", t, "partition", p, "err", err)
				}
			})
			g.applyFetch(fs, log)
		}
	}()
	return nil
}

// viewEntry is one changelog entry the view files, decoded.
type viewEntry struct {
	partition int32
	key       string
	value     []byte
	recs      []match.Record // mrec/
	preps     []*match.Prepared
}

// applyFetch files one fetch of the changelog. The heavy work — decoding,
// preparing, the fuzzy index — is done without the view's lock, so the
// partitions' decisions do not wait for it; a lead's match records
// rewritten several times in the fetch are filed once, as they stand last.
func (g *Global) applyFetch(fs kgo.Fetches, log *slog.Logger) {
	g.mu.Lock()
	owned := maps.Clone(g.owned)
	g.mu.Unlock()
	var entries []viewEntry
	last := map[string]int{} // mrec key → its entry
	fs.EachRecord(func(r *kgo.Record) {
		if owned[r.Partition] {
			return
		}
		k := string(r.Key)
		if !strings.HasPrefix(k, keyMatch) && !strings.HasPrefix(k, keyRoute) && !strings.HasPrefix(k, keyFold) {
			return
		}
		e := viewEntry{partition: r.Partition, key: k, value: r.Value}
		if strings.HasPrefix(k, keyMatch) {
			if r.Value == nil {
				return
			}
			v, err := pipeline.OpenValue(context.Background(), g.Sealer, pipeline.LeadSubject(k[len(keyMatch):]), k, r.Value)
			if errors.Is(err, pipeline.ErrErased) {
				return // an erased lead is no candidate
			}
			if err == nil {
				err = json.Unmarshal(v, &e.recs)
			}
			if err != nil {
				log.Warn("dedupe view: changelog record skipped", "partition", r.Partition, "offset", r.Offset, "err", err)
				return
			}
			if i, ok := last[k]; ok {
				entries[i].key = "" // superseded
			}
			last[k] = len(entries)
		}
		entries = append(entries, e)
	})
	for i := range entries {
		if e := &entries[i]; e.key != "" && e.recs != nil {
			e.preps = make([]*match.Prepared, len(e.recs))
			for j, r := range e.recs {
				e.preps[j] = match.Prepare(r)
			}
		}
	}
	g.mu.Lock()
	if err := g.ready(); err != nil {
		g.mu.Unlock()
		log.Error("dedupe view: changelog not filed", "err", err)
		return
	}
	for i := range entries {
		if e := &entries[i]; e.key != "" && !g.owned[e.partition] {
			g.apply(e)
		}
	}
	if g.err != nil {
		log.Error("dedupe view: changelog not filed", "err", g.err)
	}
	fz := g.fz
	g.mu.Unlock()
	if fz != nil {
		for _, e := range entries {
			if e.key != "" && e.recs != nil {
				fz.put(e.key[len(keyMatch):], e.recs)
			}
		}
	}
}

// apply files one changelog entry of another process's partition.
func (g *Global) apply(e *viewEntry) {
	switch {
	case strings.HasPrefix(e.key, keyRoute):
		id := e.key[len(keyRoute):]
		h := g.ids.intern(id)
		l := g.lead(h)
		if l == nil {
			l = &globalLead{}
		}
		l.key = string(e.value)
		g.setPartition(h, e.partition)
		g.put(h, l)
	case strings.HasPrefix(e.key, keyFold) && e.value != nil:
		g.fold(string(e.value), e.key[len(keyFold):])
	case strings.HasPrefix(e.key, keyMatch):
		id := e.key[len(keyMatch):]
		key := ""
		if l := g.lead(g.ids.intern(id)); l != nil {
			key = l.key
		}
		g.setLead(e.partition, key, id, e.preps)
	}
}

// setLead sets lead id's match records as its owner has them: they
// replace the view's (which may hold a routed record the owner has not
// merged yet; it comes back with the owner's next change).
func (g *Global) setLead(partition int32, key, id string, preps []*match.Prepared) {
	h := g.ids.intern(id)
	if to, ok := g.folded[h]; ok {
		// Folded into another lead: its records are that lead's.
		if l := g.lead(to); l != nil {
			for _, prep := range preps {
				l.recs = keepRecords(l.recs, prep)
				g.fileKeys(to, prep.Keys())
			}
			g.put(to, l)
		}
		return
	}
	l := g.lead(h)
	if l == nil {
		l = &globalLead{}
	}
	g.setPartition(h, partition)
	if key != "" {
		l.key = key
	}
	l.recs = preps
	for _, prep := range preps {
		g.fileKeys(h, prep.Keys())
	}
	g.put(h, l)
}
