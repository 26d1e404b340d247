package review

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/encoding/json"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
)

// Queue is the review queue as the stage's changelog holds it.
type Queue struct {
	// Open are the items waiting for a person, oldest first.
	Open []Item
	// Decided are the markers of decided items, by item id.
	Decided map[string]Decided
}

// ReadQueue reads the queue from the review stage's changelog. Sealed
// items are listed with their metadata only: see ReadQueueSealed.
func ReadQueue(ctx context.Context, brokers []string, ns pipeline.Namespace, extra ...kgo.Opt) (*Queue, error) {
	return ReadQueueSealed(ctx, brokers, ns, nil, extra...)
}

// ReadQueueSealed is ReadQueue opening sealed items with s; an item whose
// person was erased is left out.
func ReadQueueSealed(ctx context.Context, brokers []string, ns pipeline.Namespace, s pipeline.Sealer, extra ...kgo.Opt) (*Queue, error) {
	topic := ns.Topic(pipeline.ChangelogTopic(Stage{}.Name()))
	kv := map[string][]byte{}
	if err := pipeline.ReadTopic(ctx, brokers, topic, func(r *kgo.Record) { kv[string(r.Key)] = r.Value }, extra...); err != nil {
		return nil, fmt.Errorf("review queue: %w", err)
	}
	q := &Queue{Decided: map[string]Decided{}}
	for k, v := range kv {
		switch {
		case v == nil:
		case strings.HasPrefix(k, keyItem):
			var it Item
			if err := json.Unmarshal(v, &it); err != nil {
				return nil, fmt.Errorf("review queue: corrupt item %s: %w", k, err)
			}
			if s != nil {
				if err := it.Open(ctx, s); err != nil {
					return nil, fmt.Errorf("review queue: %w", err)
				}
				if it.Erased {
					continue
				}
			}
			q.Open = append(q.Open, it)
		case strings.HasPrefix(k, keyDecided):
			var d Decided
			if err := json.Unmarshal(v, &d); err != nil {
				return nil, fmt.Errorf("review queue: corrupt marker %s: %w", k, err)
			}
			q.Decided[d.ID] = d
		}
	}
	sort.Slice(q.Open, func(i, j int) bool {
		if !q.Open[i].HeldAt.Equal(q.Open[j].HeldAt) {
			return q.Open[i].HeldAt.Before(q.Open[j].HeldAt)
		}
		return q.Open[i].ID < q.Open[j].ID
	})
	return q, nil
}

// Item returns the open item id, if any.
func (q *Queue) Item(id string) (*Item, bool) {
	for i := range q.Open {
		if q.Open[i].ID == id {
			return &q.Open[i], true
		}
	}
	return nil, false
}

// List reads the open items from the review stage's changelog, which holds
// the queue as the stage's partitions see it.
func List(ctx context.Context, brokers []string, ns pipeline.Namespace, extra ...kgo.Opt) ([]Item, error) {
	q, err := ReadQueue(ctx, brokers, ns, extra...)
	if err != nil {
		return nil, err
	}
	return q.Open, nil
}

// ErrNoItem is returned when a decision names no open item.
var ErrNoItem = errors.New("no open review item with that id")

// ErrDecided is returned when a decision names an item already decided.
var ErrDecided = errors.New("the review item was already decided")

// ErrUnfit is returned for a decision that does not fit the item.
var ErrUnfit = errors.New("decision does not fit the item")

// Reasons returns the reasons an item is held for, possible_duplicate first
// (it is decided first, crm.md §4.5), without the candidate entries.
func (it *Item) Reasons() []string {
	var out []string
	if it.Envelope == nil {
		return nil
	}
	for _, r := range it.Envelope.Reasons {
		if !strings.HasPrefix(r, "candidate:") && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i] == ReasonPossibleDuplicate && out[j] != ReasonPossibleDuplicate })
	return out
}

// Reason is the reason the item is decided on now.
func (it *Item) Reason() string {
	if r := it.Reasons(); len(r) > 0 {
		return r[0]
	}
	return ReasonLowQuality
}

// Candidates are the scored candidate leads of a possible duplicate.
func (it *Item) Candidates() []Candidate {
	var out []Candidate
	if it.Envelope == nil {
		return nil
	}
	for _, r := range it.Envelope.Reasons {
		if c, ok := ParseCandidate(r); ok {
			out = append(out, c)
		}
	}
	return out
}

// Fits checks that decision (with target for a merge) fits the item
// (crm.md §4.5): approve a low-quality record; merge into one of the
// candidates or create_new for a possible duplicate; reject anything.
func Fits(decision, target string, it *Item) error {
	reason := it.Reason()
	switch decision {
	case Reject:
		return nil
	case Approve:
		if reason != ReasonLowQuality {
			return fmt.Errorf("%w: approve is for low_quality items; this one is a %s (merge or create_new)", ErrUnfit, reason)
		}
	case CreateNew:
		if reason != ReasonPossibleDuplicate {
			return fmt.Errorf("%w: create_new is for possible_duplicate items; this one is %s (approve)", ErrUnfit, reason)
		}
	case Merge:
		if reason != ReasonPossibleDuplicate {
			return fmt.Errorf("%w: merge is for possible_duplicate items; this one is %s (approve)", ErrUnfit, reason)
		}
		if target == "" {
			return fmt.Errorf("%w: merge needs target_lead_id", ErrUnfit)
		}
		for _, c := range it.Candidates() {
			if c.LeadID == target {
				return nil
			}
		}
		return fmt.Errorf("%w: %s is not a candidate of this item", ErrUnfit, target)
	default:
		return fmt.Errorf("%w: unknown decision %q (approve, reject, merge or create_new)", ErrUnfit, decision)
	}
	return nil
}

// NewLeadID is the id of the lead a record held for review becomes when a
// person lets it through as a lead of its own (dedupe derives it the same
// way).
func NewLeadID(env *pipeline.Envelope) string {
	return lead.NewID("ld_", env.FirstSeen, env.Source.Key())
}

// ParseDecision splits a decision record's value ("review:merge:<lead>").
func ParseDecision(v string) (decision, target string) {
	v = strings.TrimPrefix(v, pipeline.ReviewDecisionPrefix)
	decision, target, _ = strings.Cut(v, ":")
	return decision, target
}

// Decide sends a decision for item id, checking first that the item is
// open and that the decision fits it. target is the lead of a merge.
// It returns the lead the record becomes or merges into ("" for reject).
func Decide(ctx context.Context, cl *kgo.Client, brokers []string, ns pipeline.Namespace, id, decision string, target ...string) (string, error) {
	if !slices.Contains(Decisions, decision) {
		return "", fmt.Errorf("%w: unknown decision %q (approve, reject, merge or create_new)", ErrUnfit, decision)
	}
	q, err := ReadQueue(ctx, brokers, ns)
	if err != nil {
		return "", err
	}
	tgt := ""
	if len(target) > 0 {
		tgt = target[0]
	}
	return Send(ctx, cl, ns, q, id, decision, tgt)
}

// Send sends a decision for item id of q after the same checks as Decide.
func Send(ctx context.Context, p interface {
	ProduceSync(context.Context, ...*kgo.Record) kgo.ProduceResults
}, ns pipeline.Namespace, q *Queue, id, decision, target string) (string, error) {
	it, ok := q.Item(id)
	if !ok {
		if d, decided := q.Decided[id]; decided {
			return "", fmt.Errorf("%w: %s (%s)", ErrDecided, id, d.Decision)
		}
		return "", fmt.Errorf("%w: %s (see leadstream review list)", ErrNoItem, id)
	}
	if err := Fits(decision, target, it); err != nil {
		return "", err
	}
	env := &pipeline.Envelope{TraceID: id, Decision: DecisionValue(decision, target), FirstSeen: time.Now().UTC()}
	rec, err := env.Record(ns.Topic(pipeline.TopicReview), id) // with HeaderReviewDecision
	if err != nil {
		return "", err
	}
	if err := p.ProduceSync(ctx, rec).FirstErr(); err != nil {
		return "", fmt.Errorf("review %s %s: %w", decision, id, err)
	}
	switch decision {
	case Reject:
		return "", nil
	case Merge:
		return target, nil
	}
	return NewLeadID(it.Envelope), nil
}

// DecisionValue is the Decision of a decision record: "review:<decision>",
// and ":<target>" for a merge.
func DecisionValue(decision, target string) string {
	v := pipeline.ReviewDecisionPrefix + decision
	if decision == Merge {
		v += ":" + target
	}
	return v
}

// Components are the spec's score components of a candidate (crm.md
// §4.2); nil where the two records could not be compared.
type Components struct {
	Email   *float64 `json:"email"`
	Name    *float64 `json:"name"`
	Phone   *float64 `json:"phone"`
	Company *float64 `json:"company"`
	Address *float64 `json:"address"`
}

// Candidate is one candidate lead of a possible duplicate.
type Candidate struct {
	LeadID     string     `json:"lead_id"`
	Score      float64    `json:"score"`
	Components Components `json:"components"`
}

// FormatCandidate writes a candidate as the reason dedupe attaches to a
// possible duplicate: "candidate:<lead>:<score>:e=…/n=…/p=…/c=…/a=…", a
// component "-" when it was not comparable.
func FormatCandidate(c Candidate) string {
	part := func(k string, v *float64) string {
		if v == nil {
			return k + "=-"
		}
		return k + "=" + strconv.FormatFloat(*v, 'f', 2, 64)
	}
	x := c.Components
	return fmt.Sprintf("candidate:%s:%.2f:%s/%s/%s/%s/%s", c.LeadID, c.Score,
		part("e", x.Email), part("n", x.Name), part("p", x.Phone), part("c", x.Company), part("a", x.Address))
}

// ParseCandidate reads a candidate reason (with or without components).
func ParseCandidate(reason string) (Candidate, bool) {
	rest, ok := strings.CutPrefix(reason, "candidate:")
	if !ok {
		return Candidate{}, false
	}
	parts := strings.SplitN(rest, ":", 3)
	if len(parts) < 2 {
		return Candidate{}, false
	}
	score, err := strconv.ParseFloat(parts[1], 64)
	if err != nil {
		return Candidate{}, false
	}
	c := Candidate{LeadID: parts[0], Score: score}
	if len(parts) == 3 {
		for _, kv := range strings.Split(parts[2], "/") {
			k, v, _ := strings.Cut(kv, "=")
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			switch k {
			case "e":
				c.Components.Email = &f
			case "n":
				c.Components.Name = &f
			case "p":
				c.Components.Phone = &f
			case "c":
				c.Components.Company = &f
			case "a":
				c.Components.Address = &f
			}
		}
	}
	return c, true
}
