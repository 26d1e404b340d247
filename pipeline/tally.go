package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Tally follows the outcome topics and remembers the latest outcome of
// every trace id, so a run can tell when each imported record has reached
// exactly one outcome. Records seen twice (after a restart or a replay)
// count once.
type Tally struct {
	mu       sync.Mutex
	changed  chan struct{}
	outcomes map[string]tallied // trace id → latest outcome
	want     func(importID string) bool
	ns       Namespace
	err      error
}

type tallied struct {
	outcome Outcome
	at      time.Time
}

// NewTally returns a tally of the trace ids whose import id want accepts
// (nil accepts all).
func NewTally(ns Namespace, want func(importID string) bool) *Tally {
	return &Tally{changed: make(chan struct{}), outcomes: make(map[string]tallied), want: want, ns: ns}
}

// Follow consumes the outcome topics from their start until ctx is done.
func (t *Tally) Follow(ctx context.Context, brokers []string, extra ...kgo.Opt) error {
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, extra...),
		kgo.SeedBrokers(brokers...),
		kgo.ConsumeTopics(t.topics()...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
	)...)
	if err != nil {
		return fmt.Errorf("tally: client: %w", err)
	}
	defer cl.Close()
	for {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil
		}
		fs.EachError(func(topic string, p int32, e error) {
			if !errors.Is(e, context.Canceled) {
				err = fmt.Errorf("tally: fetch %s[%d]: %w", topic, p, e)
			}
		})
		if err != nil {
			t.fail(err)
			return err
		}
		t.mu.Lock()
		fs.EachRecord(t.observe)
		close(t.changed)
		t.changed = make(chan struct{})
		t.mu.Unlock()
	}
}

func (t *Tally) topics() []string {
	out := make([]string, len(OutcomeTopics))
	for i, o := range OutcomeTopics {
		out[i] = t.ns.Topic(o)
	}
	return out
}

func (t *Tally) fail(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.err = err
	close(t.changed)
	t.changed = make(chan struct{})
}

// observe records one outcome record; the caller holds t.mu.
func (t *Tally) observe(r *kgo.Record) {
	trace := HeaderValue(r, HeaderTrace)
	if trace == "" || (t.want != nil && !t.want(ImportOf(trace))) {
		return
	}
	topic := t.ns.Logical(r.Topic)
	if topic == TopicReview && HeaderValue(r, HeaderReviewDecision) != "" {
		return // a person's decision, not an outcome
	}
	o := Outcome(HeaderValue(r, HeaderOutcome))
	if topic == TopicDLQ {
		o = OutcomeDeadLettered
	}
	if o == "" {
		switch topic {
		case TopicReview:
			o = OutcomeReview
		case TopicRejected:
			o = OutcomeRejected
		default:
			o = OutcomeSynced
		}
	}
	if prev, ok := t.outcomes[trace]; ok && prev.at.After(r.Timestamp) {
		return
	}
	t.outcomes[trace] = tallied{outcome: o, at: r.Timestamp}
}

// Summary counts the outcomes of the given imports (all when none given).
func (t *Tally) Summary(read int, importIDs ...string) Summary {
	ids := make(map[string]bool, len(importIDs))
	for _, id := range importIDs {
		ids[id] = true
	}
	s := Summary{Read: read, Counts: make(map[Outcome]int)}
	t.mu.Lock()
	defer t.mu.Unlock()
	for trace, o := range t.outcomes {
		if len(ids) == 0 || ids[ImportOf(trace)] {
			s.Counts[o.outcome]++
		}
	}
	return s
}

// WaitFor blocks until the given imports have at least read outcomes, ctx
// ends, or the tally fails. progress, when set, is called on each change.
func (t *Tally) WaitFor(ctx context.Context, read int, importIDs []string, progress func(Summary)) (Summary, error) {
	for {
		s := t.Summary(read, importIDs...)
		if progress != nil {
			progress(s)
		}
		t.mu.Lock()
		ch, err := t.changed, t.err
		t.mu.Unlock()
		if err != nil {
			return s, err
		}
		if s.Total() >= read {
			return s, nil
		}
		select {
		case <-ctx.Done():
			return s, ctx.Err()
		case <-ch:
		}
	}
}

// Summary is the end-of-run table: records read and their outcomes.
type Summary struct {
	Read   int
	Counts map[Outcome]int
}

// Total is the number of records that reached an outcome.
func (s Summary) Total() int {
	n := 0
	for _, c := range s.Counts {
		n += c
	}
	return n
}

// Check fails when the outcomes do not add up to the records read.
func (s Summary) Check() error {
	if s.Total() != s.Read {
		return fmt.Errorf("summary does not add up: %d records read, %d outcomes", s.Read, s.Total())
	}
	return nil
}

// Print writes the summary table.
func (s Summary) Print(w io.Writer) {
	fmt.Fprintf(w, "  %-15s %9d\n", "records read", s.Read)
	for _, o := range Outcomes {
		fmt.Fprintf(w, "  %-15s %9d\n", strings.ReplaceAll(string(o), "_", "-"), s.Counts[o])
	}
	status := "adds up"
	if err := s.Check(); err != nil {
		status = "DOES NOT ADD UP"
	}
	fmt.Fprintf(w, "  %-15s %9d  (%s)\n", "outcomes", s.Total(), status)
}
