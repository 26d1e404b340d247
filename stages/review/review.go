// Package review is the review queue: records that validate or dedupe hold
// for a person (leads.review) are parked here, in the stage's table and so
// in its compacted changelog, until someone approves them (they re-enter
// the pipeline after validate) or rejects them (rejected, reason
// review_rejected). Decisions are records on leads.review too, keyed like
// the item they decide, so they reach the partition that holds it.
package review

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/segmentio/encoding/json"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/pipeline"
)

// Decisions a person can take on an item.
const (
	Approve = "approve"
	Reject  = "reject"
)

// ReasonReviewRejected is the rejection reason of a rejected item.
const ReasonReviewRejected = "review_rejected"

const keyItem = "item/"

// Stage is the review stage.
type Stage struct {
	// Metrics are the queue's gauges (nil: none).
	Metrics *Metrics
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
	p := &processor{t: t, m: s.Metrics}
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
	t state
	m *Metrics
	q *queue // the partition's items as the gauges see them; nil without metrics
}

// Process implements pipeline.Processor.
func (p *processor) Process(_ context.Context, in *pipeline.Envelope, out *pipeline.Emitter) error {
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
	ID       string             `json:"id"`
	HeldAt   time.Time          `json:"held_at"`
	Envelope *pipeline.Envelope `json:"envelope"`
}

func (p *processor) process(in *pipeline.Envelope, out *pipeline.Emitter) error {
	t, key := p.t, keyItem+in.TraceID
	if in.Decision == "" || in.Decision[:min(len(in.Decision), 7)] != "review:" {
		// A record to hold. A newer record for the same item replaces it.
		it := Item{ID: in.TraceID, HeldAt: time.Now().UTC(), Envelope: in}
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
	env := it.Envelope
	t.Delete(key)
	switch in.Decision {
	case "review:" + Approve:
		env.Outcome, env.Reasons = "", nil
		env.Decision = "approved" // dedupe makes an approved possible duplicate a lead of its own
		if env.Lead == nil {
			return fmt.Errorf("review: item %s has no lead to approve", in.TraceID)
		}
		out.Emit(pipeline.TopicValid, env.Lead.PartitionKey(), env)
	case "review:" + Reject:
		env.Outcome = pipeline.OutcomeRejected
		env.Reasons = append([]string{ReasonReviewRejected}, env.Reasons...)
		out.Emit(pipeline.TopicRejected, env.TraceID, env)
	default:
		return fmt.Errorf("review: unknown decision %q for %s", in.Decision, in.TraceID)
	}
	p.m.decided(p.q, key)
	return nil
}

// List reads the open items from the review stage's changelog, which holds
// the queue as the stage's partitions see it.
func List(ctx context.Context, brokers []string, ns pipeline.Namespace, extra ...kgo.Opt) ([]Item, error) {
	topic := ns.Topic(pipeline.ChangelogTopic(Stage{}.Name()))
	items := map[string][]byte{}
	if err := pipeline.ReadTopic(ctx, brokers, topic, func(r *kgo.Record) { items[string(r.Key)] = r.Value }, extra...); err != nil {
		return nil, fmt.Errorf("review list: %w", err)
	}
	var out []Item
	for k, v := range items {
		if v == nil || len(k) <= len(keyItem) || k[:len(keyItem)] != keyItem {
			continue
		}
		var it Item
		if err := json.Unmarshal(v, &it); err != nil {
			return nil, fmt.Errorf("review list: corrupt item %s: %w", k, err)
		}
		out = append(out, it)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].HeldAt.Before(out[j].HeldAt) })
	return out, nil
}

// ErrNoItem is returned when a decision names no open item.
var ErrNoItem = errors.New("no open review item with that id")

// Decide sends a decision for item id. It checks that the item is open.
func Decide(ctx context.Context, cl *kgo.Client, brokers []string, ns pipeline.Namespace, id, decision string) error {
	if decision != Approve && decision != Reject {
		return fmt.Errorf("review: unknown decision %q (approve or reject)", decision)
	}
	items, err := List(ctx, brokers, ns)
	if err != nil {
		return err
	}
	found := false
	for _, it := range items {
		found = found || it.ID == id
	}
	if !found {
		return fmt.Errorf("%w: %s (see leadstream review list)", ErrNoItem, id)
	}
	env := &pipeline.Envelope{TraceID: id, Decision: "review:" + decision, FirstSeen: time.Now().UTC()}
	rec, err := env.Record(ns.Topic(pipeline.TopicReview), id)
	if err != nil {
		return err
	}
	rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: pipeline.HeaderReviewDecision, Value: []byte(decision)})
	if err := cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
		return fmt.Errorf("review %s %s: %w", decision, id, err)
	}
	return nil
}
