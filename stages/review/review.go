// Package review is the review queue: records that validate or dedupe hold
// for a person (leads.review) are parked here, in the stage's table and so
// in its compacted changelog, until someone decides them (crm.md §4.5):
// approve (a low-quality record continues), create_new (a held possible
// duplicate becomes a lead of its own), merge (it merges into the
// candidate lead target_lead_id) — each re-enters the pipeline after
// validate, and dedupe acts on the decision — or reject (rejected, reason
// review_rejected). Decisions are records on leads.review too, keyed like
// the item they decide, so they reach the partition that holds it. A
// decided item leaves a marker (decision, lead, time; no personal data) so
// a second decision can be refused as a conflict.
//
// Dedupe decides an item itself when a later record makes the held
// record an unambiguous match of one lead: a merge decision with reason
// ReasonDedupeResolved, carried out as a person's merge, whose marker
// says By "dedupe".
//
// Dedupe writes each candidate of a possible duplicate as a reason
// "candidate:<lead>:<score>:<components>" (FormatCandidate); the queue's
// readers parse it back with the score components (ParseCandidate).
package review

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/segmentio/encoding/json"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/pipeline"
)

// Decisions a person can take on an item.
const (
	Approve   = "approve"
	Reject    = "reject"
	Merge     = "merge"
	CreateNew = "create_new"
)

// Decisions lists the decisions.
var Decisions = []string{Approve, Reject, Merge, CreateNew}

// Reasons an item is held for.
const (
	ReasonLowQuality        = pipeline.ReasonLowQuality
	ReasonPossibleDuplicate = "possible_duplicate"
)

// Envelope decisions dedupe acts on when a decided record comes back on
// leads.valid: DecisionApproved makes it a lead of its own (or lets a
// low-quality record through), DecisionMergePrefix+<lead id> merges it
// into that lead.
const (
	DecisionApproved    = "approved"
	DecisionMergePrefix = "merge_into:"
)

// ReasonReviewRejected is the rejection reason of a rejected item.
const ReasonReviewRejected = "review_rejected"

const (
	keyItem    = "item/"
	keyDecided = "decided/"
)

// Decided is the marker a decided item leaves.
type Decided struct {
	ID       string    `json:"id"`
	Decision string    `json:"decision"`
	LeadID   string    `json:"lead_id,omitempty"`
	At       time.Time `json:"at"`
	// By is ByDedupe when dedupe resolved the item itself, "" for a person.
	By string `json:"by,omitempty"`
}

// ReasonDedupeResolved marks a decision dedupe sends itself: a held
// possible duplicate that a later record made an unambiguous match of one
// lead (see stages/dedupe, "held records"). ByDedupe is its marker's By.
const (
	ReasonDedupeResolved = "dedupe_resolved"
	ByDedupe             = "dedupe"
)

// Stage is the review stage.
type Stage struct {
	// Metrics are the queue's gauges (nil: none).
	Metrics *Metrics
	// Sealer seals each held record's personal data under its source
	// record's data key, as on the topics, so that an erasure shreds the
	// queue's copy too (nil: kept in clear).
	Sealer pipeline.Sealer
}

// Name implements pipeline.Stage.
func (Stage) Name() string { return "review" }

// Input implements pipeline.Stage.
func (Stage) Input() string { return pipeline.TopicReview }

// Stateful implements pipeline.Stage.
func (Stage) Stateful() bool { return true }

// Open implements pipeline.Stage.
func (s Stage) Open(_ context.Context, _ int32, t *pipeline.Table) (pipeline.Processor, error) {
	return s.open(t)
}

func (s Stage) open(t state) (*processor, error) {
	p := &processor{t: t, m: s.Metrics, sealer: s.Sealer}
	if s.Metrics != nil {
		items, err := heldItems(t)
		if err != nil {
			return nil, err
		}
		p.q = s.Metrics.open(items)
	}
	return p, nil
}

// state is the partition state the processor uses: a *pipeline.Table in
// the pipeline. Scan sees committed state only.
type state interface {
	Get(key string) ([]byte, bool, error)
	Put(key string, value []byte)
	Delete(key string)
	Scan(prefix string, fn func(key string, value []byte) (bool, error)) error
}

// processor is the review processor of one partition.
type processor struct {
	t      state
	m      *Metrics
	q      *queue // the partition's items as the gauges see them; nil without metrics
	sealer pipeline.Sealer
	ctx    context.Context
}

// Process implements pipeline.Processor.
func (p *processor) Process(ctx context.Context, in *pipeline.Envelope, out *pipeline.Emitter) error {
	p.ctx = ctx
	return p.process(in, out)
}

// Close implements the runner's optional Close: the partition's items
// leave the gauges.
func (p *processor) Close() error {
	p.m.close(p.q)
	return nil
}

// heldItems reads the reasons and hold times of a partition's items.
func heldItems(t state) (map[string]held, error) {
	items := map[string]held{}
	err := t.Scan(keyItem, func(key string, value []byte) (bool, error) {
		var it struct {
			HeldAt   time.Time `json:"held_at"`
			Envelope struct {
				Reasons []string `json:"reasons"`
			} `json:"envelope"`
		}
		if err := json.Unmarshal(value, &it); err != nil {
			return false, fmt.Errorf("review: corrupt item %s: %w", key, err)
		}
		items[key] = held{reason: firstReason(it.Envelope.Reasons), at: it.HeldAt}
		return true, nil
	})
	return items, err
}

// Item is one held record.
type Item struct {
	ID     string    `json:"id"`
	HeldAt time.Time `json:"held_at"`
	// Envelope is the record; when Sealed is set, only its fields that
	// are no personal data (trace id, source, reasons, …) until opened.
	Envelope *pipeline.Envelope `json:"envelope"`
	// Sealed is the whole record in its sealed wire form (nil: Envelope
	// is the whole record, in clear).
	Sealed []byte `json:"sealed,omitempty"`
	// Erased is set by Open when the record's person was erased: its
	// personal data is gone for good.
	Erased bool `json:"-"`
}

// newItem holds in, sealed by s when s is set.
func newItem(in *pipeline.Envelope, at time.Time, s pipeline.Sealer) (Item, error) {
	it := Item{ID: in.TraceID, HeldAt: at, Envelope: in}
	if s == nil || (in.Lead == nil && in.Raw == nil) {
		return it, nil
	}
	rec, err := in.SealedRecord(s, pipeline.TopicReview, in.TraceID)
	if err != nil {
		return it, fmt.Errorf("review: seal item: %w", err)
	}
	meta := *in
	meta.Lead, meta.Raw = nil, nil
	it.Envelope, it.Sealed = &meta, rec.Value
	return it, nil
}

// Open restores a sealed item's record with s; a record whose person was
// erased keeps only its metadata and is marked Erased.
func (it *Item) Open(ctx context.Context, s pipeline.Sealer) error {
	if it.Sealed == nil {
		return nil
	}
	env, err := pipeline.OpenEnvelope(ctx, &kgo.Record{Key: []byte(it.ID), Value: it.Sealed}, s)
	if errors.Is(err, pipeline.ErrErased) {
		it.Erased = true
		return nil
	}
	if err != nil {
		return fmt.Errorf("review: item %s: %w", it.ID, err)
	}
	env.Stages = it.Envelope.Stages
	it.Envelope, it.Sealed = env, nil
	return nil
}

func (p *processor) process(in *pipeline.Envelope, out *pipeline.Emitter) error {
	t, key := p.t, keyItem+in.TraceID
	if !strings.HasPrefix(in.Decision, pipeline.ReviewDecisionPrefix) {
		// A record to hold. A newer record for the same item replaces it.
		it, err := newItem(in, time.Now().UTC(), p.sealer)
		if err != nil {
			return err
		}
		b, err := json.Marshal(it)
		if err != nil {
			return fmt.Errorf("review: encode item: %w", err)
		}
		t.Put(key, b)
		p.m.hold(p.q, key, firstReason(in.Reasons), it.HeldAt)
		return nil
	}
	b, ok, err := t.Get(key)
	if err != nil {
		return err
	}
	if !ok {
		return nil // decided before: a repeated decision changes nothing
	}
	var it Item
	if err := json.Unmarshal(b, &it); err != nil {
		return fmt.Errorf("review: corrupt item %s: %w", in.TraceID, err)
	}
	ctx := p.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	if err := it.Open(ctx, p.sealer); err != nil {
		return err
	}
	if it.Erased {
		// The person was erased while the record waited: nothing is left
		// to decide on.
		t.Delete(key)
		p.m.decided(p.q, key)
		return nil
	}
	env := it.Envelope
	decision, target := ParseDecision(in.Decision)
	// The sender checked that the decision fits the item (Fits); the
	// stage only refuses what it cannot carry out.
	if !slices.Contains(Decisions, decision) || (decision == Merge && target == "") {
		return fmt.Errorf("review: item %s: unusable decision %q", in.TraceID, in.Decision)
	}
	t.Delete(key)
	mark := Decided{ID: in.TraceID, Decision: decision, At: in.FirstSeen}
	if slices.Contains(in.Reasons, ReasonDedupeResolved) {
		mark.By = ByDedupe
	}
	switch decision {
	case Approve, CreateNew, Merge:
		if env.Lead == nil {
			return fmt.Errorf("review: item %s has no lead to pass on", in.TraceID)
		}
		env.Outcome, env.Reasons = "", nil
		env.Decision = DecisionApproved
		mark.LeadID = NewLeadID(env)
		if decision == Merge {
			env.Decision = DecisionMergePrefix + target
			mark.LeadID = target
		}
		out.Emit(pipeline.TopicValid, env.Lead.PartitionKey(), env)
	case Reject:
		env.Outcome = pipeline.OutcomeRejected
		env.Reasons = append([]string{ReasonReviewRejected}, env.Reasons...)
		out.Emit(pipeline.TopicRejected, env.TraceID, env)
	}
	mb, err := json.Marshal(mark)
	if err != nil {
		return fmt.Errorf("review: encode decision: %w", err)
	}
	t.Put(keyDecided+in.TraceID, mb)
	p.m.decided(p.q, key)
	return nil
}
