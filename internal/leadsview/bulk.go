package leadsview

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
)

// bulkBuild is a cold rebuild that indexes as it reads: while the view
// catches up on a topic with an empty store, each lead goes to the store
// and, the first time its id is seen, to the offline builder of a new
// index generation, so that reading the topic and building the index
// share the machine's cores. A lead seen again (a newer version, a
// tombstone, a Forget) is redone from the store once the generation is
// built.
type bulkBuild struct {
	b     *shardBuilder
	dir   string
	start time.Time
	// fed holds the hashes of the ids given to the builder (no strings: a
	// million of them would be pointers for the collector to mark). A lead
	// whose hash another's shares counts as fed and is redone, which is
	// only slower.
	seed maphash.Seed
	fed  map[uint64]struct{}
	redo map[string]bool // changed or erased after being fed
}

// storeEmpty reports whether the store holds no lead.
func (v *View) storeEmpty() (bool, error) {
	empty := true
	err := v.store.Scan([]byte(keyLead), func(_, _ []byte) (bool, error) {
		empty = false
		return false, nil
	})
	return empty, err
}

// startBulkLocked starts a bulk build. Caller holds mu.
func (v *View) startBulkLocked() error {
	dir, err := v.newGenerationDir()
	if err != nil {
		return err
	}
	b, err := newShardBuilder(dir)
	if err != nil {
		return err
	}
	v.bulk = &bulkBuild{b: b, dir: dir, start: time.Now(), seed: maphash.MakeSeed(), fed: map[uint64]struct{}{}, redo: map[string]bool{}}
	v.stale = true
	return nil
}

// bulkAddLocked gives a stored lead to the bulk build. Caller holds mu.
func (v *View) bulkAddLocked(d *Doc) {
	bb := v.bulk
	h := maphash.String(bb.seed, d.LeadID)
	if _, fed := bb.fed[h]; fed {
		bb.redo[d.LeadID] = true
		return
	}
	bb.fed[h] = struct{}{}
	x := d.indexDoc()
	bb.b.add(&x)
}

// bulkForgetLocked notes leads erased during a bulk build. Caller holds
// mu.
func (v *View) bulkForgetLocked(ids []string) {
	if v.bulk == nil {
		return
	}
	for _, id := range ids {
		if v.bulk.wasFed(id) {
			v.bulk.redo[id] = true
		}
	}
}

// wasFed reports whether lead id (or one whose hash it shares) was given
// to the builder.
func (bb *bulkBuild) wasFed(id string) bool {
	_, ok := bb.fed[maphash.String(bb.seed, id)]
	return ok
}

// abortBulkLocked drops an unfinished bulk build; the store keeps what it
// read, and the index stays stale (rebuilt from the store on the next
// Open or catch-up). Caller holds mu.
func (v *View) abortBulkLocked() {
	if v.bulk != nil {
		v.bulk.b.abort()
		v.bulk = nil
	}
}

// finishBulk merges and opens the bulk build's generation, swaps it in
// and redoes the leads that changed after they were fed: each is indexed
// again from the store, or deleted (then its shard is merged, so that no
// erased lead's words stay in a segment).
func (v *View) finishBulk(ctx context.Context) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	bb := v.bulk
	v.bulk = nil
	shards, err := bb.b.finish()
	if err != nil {
		return err
	}
	if err := v.swapInLocked(bb.dir, shards); err != nil {
		return err
	}
	batches := make([]*bleve.Batch, shardCount)
	deleted := make([]bool, shardCount)
	for id := range bb.redo {
		s := shardOf(id)
		if batches[s] == nil {
			batches[s] = shards[s].NewBatch()
		}
		d, err := v.Get(ctx, id)
		switch {
		case errors.Is(err, ErrNotFound):
			batches[s].Delete(id)
			deleted[s] = true
		case err != nil:
			return err
		default:
			x := d.indexDoc()
			doc, err := x.document()
			if err != nil {
				return err
			}
			if err := batches[s].IndexAdvanced(doc); err != nil {
				return fmt.Errorf("leadsview: index %s: %w", id, err)
			}
		}
	}
	for s, b := range batches {
		if b == nil {
			continue
		}
		if err := shards[s].Batch(b); err != nil {
			return fmt.Errorf("leadsview: index batch: %w", err)
		}
		if !deleted[s] {
			continue
		}
		adv, err := shards[s].Advanced()
		if err != nil {
			return fmt.Errorf("leadsview: %w", err)
		}
		if sc, ok := adv.(*scorch.Scorch); ok {
			if err := sc.ForceMerge(ctx, nil); err != nil {
				return fmt.Errorf("leadsview: merge the index: %w", err)
			}
		}
	}
	v.log.Info("leads view index built while reading the topic", "leads", len(bb.fed), "redone", len(bb.redo),
		"took", time.Since(bb.start).Round(time.Millisecond))
	return nil
}
