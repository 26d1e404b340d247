package dedupe

import (
	"slices"
	"time"

	"github.com/leadstream/leadstream/pipeline"
	"github.com/leadstream/leadstream/stages/dedupe/match"
	"github.com/leadstream/leadstream/stages/review"
)

// Held records: a person record held for review as a possible duplicate
// is often held only because the lead it belongs to did not exist yet
// when it came (its candidates were namesakes), so whether it is held
// depended on the order records arrived in. Dedupe remembers each such
// record, and when a later record is filed under a lead that shares one
// of its blocking keys, decides it again against the leads as they stand
// now. If it is now an unambiguous auto-merge, dedupe decides the review
// item itself: it sends the review stage a merge decision (reason
// review.ReasonDedupeResolved), which closes the item as a person's merge
// would and sends the record back to dedupe to be merged. A person who
// decided the item first wins (the review stage has nothing left to
// decide); a person who comes second is told it was decided.
//
// A record stays in the set until it comes back to dedupe decided, so a
// decision lost with a rolled-back batch is sent again; the review stage
// ignores a decision on an item already decided.
//
// The set lives in memory (with the global view, in it: every partition
// of the process sees every held record). A record held before a restart,
// or by another process, waits for a person as before.

// maxHeld bounds the held records remembered (each is a prepared match
// record, about a kilobyte): past it the oldest is forgotten and waits
// for a person only. Records a person rejected never come back to
// dedupe, so without a bound they would stay until a restart.
const maxHeld = 16_384

// heldRecord is a record waiting in the review queue as a possible
// duplicate.
type heldRecord struct {
	trace string
	prep  *match.Prepared
	keys  []string
	seq   uint64 // when it was held (heldSet.order)
}

// heldSet holds the records held for review, by source key and by
// blocking key.
type heldSet struct {
	recs  map[string]*heldRecord // source key → record
	byKey map[string][]string    // blocking key → source keys
	// order is the records in the order they were held; an entry whose
	// record was removed or held again since is skipped.
	order []heldEntry
	seq   uint64
	max   int
}

// heldEntry is a place in heldSet.order.
type heldEntry struct {
	src string
	seq uint64
}

func newHeldSet() *heldSet {
	return &heldSet{recs: map[string]*heldRecord{}, byKey: map[string][]string{}, max: maxHeld}
}

// add remembers a held record (again: the newer copy replaces it),
// forgetting the oldest when the set is full.
func (s *heldSet) add(src string, r *heldRecord) {
	s.remove(src)
	for len(s.recs) >= s.max && len(s.order) > 0 {
		e := s.order[0]
		s.order = s.order[1:]
		if old, ok := s.recs[e.src]; ok && old.seq == e.seq {
			s.remove(e.src)
		}
	}
	s.seq++
	r.seq = s.seq
	s.recs[src] = r
	s.order = append(s.order, heldEntry{src: src, seq: r.seq})
	if len(s.order) > 2*len(s.recs)+64 {
		live := s.order[:0]
		for _, e := range s.order {
			if x, ok := s.recs[e.src]; ok && x.seq == e.seq {
				live = append(live, e)
			}
		}
		s.order = live
	}
	for _, k := range r.keys {
		s.byKey[k] = append(s.byKey[k], src)
	}
}

// remove forgets a held record.
func (s *heldSet) remove(src string) {
	r, ok := s.recs[src]
	if !ok {
		return
	}
	delete(s.recs, src)
	for _, k := range r.keys {
		srcs := s.byKey[k]
		if i := slices.Index(srcs, src); i >= 0 {
			srcs = slices.Delete(srcs, i, i+1)
		}
		if len(srcs) == 0 {
			delete(s.byKey, k)
		} else {
			s.byKey[k] = srcs
		}
	}
}

// sharing returns the source keys of the held records with any of keys,
// each once, in the order they were held under the first key.
func (s *heldSet) sharing(keys []string) []string {
	if len(s.recs) == 0 {
		return nil
	}
	var out []string
	for _, k := range keys {
		for _, src := range s.byKey[k] {
			if !slices.Contains(out, src) {
				out = append(out, src)
			}
		}
	}
	return out
}

// heldRecords is the held set the processor uses: the view's, shared by
// the process's partitions, or its own.
func (p *Processor) heldRecords() *heldSet {
	if p.global != nil {
		if p.global.held == nil {
			p.global.held = newHeldSet()
		}
		return p.global.held
	}
	if p.held == nil {
		p.held = newHeldSet()
	}
	return p.held
}

// hold remembers a person record just held as a possible duplicate.
func (p *Processor) hold(in *pipeline.Envelope, prep *match.Prepared, keys []string) {
	p.heldRecords().add(in.Source.Key(), &heldRecord{trace: in.TraceID, prep: prep, keys: keys})
}

// release forgets a held record that was decided.
func (p *Processor) release(src string) { p.heldRecords().remove(src) }

// redecideHeld decides again the held records that share a blocking key
// with a record just filed (keys), and sends a merge decision for each
// that is now an auto-merge.
func (p *Processor) redecideHeld(keys []string, out *pipeline.Emitter) error {
	s := p.heldRecords()
	for _, src := range s.sharing(keys) {
		h := s.recs[src]
		cands, err := p.candidates(h.prep.Record(), h.keys)
		if err != nil {
			return err
		}
		v := match.DecidePrepared(h.prep, cands, p.cfg)
		clear(cands)
		if v.Outcome != match.AutoMerge {
			continue
		}
		// It stays in the set until it comes back (release): a batch
		// rolled back sends its decision again when the batch is done
		// again, and a second decision on a decided item changes nothing.
		out.Emit(pipeline.TopicReview, h.trace, &pipeline.Envelope{
			TraceID:   h.trace,
			Decision:  review.DecisionValue(review.Merge, v.Target),
			Reasons:   []string{review.ReasonDedupeResolved},
			FirstSeen: time.Now().UTC(),
		})
	}
	return nil
}
