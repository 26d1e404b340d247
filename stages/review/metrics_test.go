package review

import (
	"context"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/encoding/json"

	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
)

// mapState is an in-memory state.
type mapState struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *mapState) Get(k string) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[k]
	return v, ok, nil
}
func (s *mapState) Put(k string, v []byte) { s.mu.Lock(); s.m[k] = v; s.mu.Unlock() }
func (s *mapState) Delete(k string)        { s.mu.Lock(); delete(s.m, k); s.mu.Unlock() }
func (s *mapState) Scan(prefix string, fn func(string, []byte) (bool, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.m {
		if strings.HasPrefix(k, prefix) {
			if more, err := fn(k, v); err != nil || !more {
				return err
			}
		}
	}
	return nil
}

// gauges reads the two gauges by reason.
func gauges(t *testing.T, reg *prometheus.Registry) (size, age map[string]float64) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	size, age = map[string]float64{}, map[string]float64{}
	for _, mf := range mfs {
		into := map[string]map[string]float64{"leadstream_review_queue_size": size, "leadstream_review_oldest_age_seconds": age}[mf.GetName()]
		for _, m := range mf.GetMetric() {
			into[m.GetLabel()[0].GetValue()] = m.GetGauge().GetValue()
		}
	}
	return size, age
}

// The gauges follow the items a partition holds and decides, start from
// what its table holds when it opens, and drop it when it closes.
func TestQueueMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewMetrics(reg); err == nil {
		t.Error("registering twice: no error")
	}
	now := time.Now().UTC()
	m.now = func() time.Time { return now.Add(time.Hour) }

	// One item was held two hours ago, before the partition opened.
	st := &mapState{m: map[string][]byte{}}
	old, err := json.Marshal(Item{ID: "old", HeldAt: now.Add(-2 * time.Hour),
		Envelope: &pipeline.Envelope{TraceID: "old", Reasons: []string{"possible_duplicate", "candidate:ld_1:0.85"}}})
	if err != nil {
		t.Fatal(err)
	}
	st.Put(keyItem+"old", old)
	p, err := Stage{Metrics: m}.open(st)
	if err != nil {
		t.Fatal(err)
	}
	send := func(env *pipeline.Envelope) {
		t.Helper()
		if err := p.Process(context.Background(), env, &pipeline.Emitter{}); err != nil {
			t.Fatal(err)
		}
	}
	l := &lead.Lead{FirstName: "Ann", LastName: "Lee"}
	send(&pipeline.Envelope{TraceID: "a", Lead: l, Outcome: pipeline.OutcomeReview, Reasons: []string{"low_quality", "no_phone"}})
	send(&pipeline.Envelope{TraceID: "b", Lead: l, Outcome: pipeline.OutcomeReview, Reasons: []string{"low_quality"}})
	send(&pipeline.Envelope{TraceID: "b", Lead: l, Outcome: pipeline.OutcomeReview, Reasons: []string{"low_quality"}}) // held again: one item
	send(&pipeline.Envelope{TraceID: "c", Lead: l, Outcome: pipeline.OutcomeReview, Reasons: []string{"possible_duplicate"}})

	near := func(got, want float64) bool { return math.Abs(got-want) < 60 }
	size, age := gauges(t, reg)
	if size["low_quality"] != 2 || size["possible_duplicate"] != 2 {
		t.Errorf("sizes %v, want 2 low_quality and 2 possible_duplicate", size)
	}
	if !near(age["possible_duplicate"], 3*3600) || !near(age["low_quality"], 3600) {
		t.Errorf("oldest ages %v, want about 10800 s (possible_duplicate) and 3600 s (low_quality)", age)
	}

	send(&pipeline.Envelope{TraceID: "old", Decision: "review:" + Reject})
	send(&pipeline.Envelope{TraceID: "a", Decision: "review:" + Approve})
	send(&pipeline.Envelope{TraceID: "a", Decision: "review:" + Approve}) // repeated: no change
	size, age = gauges(t, reg)
	if size["low_quality"] != 1 || size["possible_duplicate"] != 1 || !near(age["possible_duplicate"], 3600) {
		t.Errorf("after two decisions: sizes %v, ages %v", size, age)
	}

	// A second partition adds up; a closed one leaves.
	st2 := &mapState{m: map[string][]byte{}}
	p2, err := Stage{Metrics: m}.open(st2)
	if err != nil {
		t.Fatal(err)
	}
	if err := p2.Process(context.Background(), &pipeline.Envelope{TraceID: "d", Lead: l, Reasons: []string{"low_quality"}}, &pipeline.Emitter{}); err != nil {
		t.Fatal(err)
	}
	if size, _ = gauges(t, reg); size["low_quality"] != 2 {
		t.Errorf("two partitions: sizes %v, want 2 low_quality", size)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	size, age = gauges(t, reg)
	if size["low_quality"] != 1 || size["possible_duplicate"] != 0 || age["possible_duplicate"] != 0 {
		t.Errorf("after a close: sizes %v, ages %v", size, age)
	}
	if err := p2.Close(); err != nil {
		t.Fatal(err)
	}

	// Without metrics the stage works as before.
	p3, err := Stage{}.open(&mapState{m: map[string][]byte{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p3.Process(context.Background(), &pipeline.Envelope{TraceID: "e", Lead: l, Reasons: []string{"low_quality"}}, &pipeline.Emitter{}); err != nil {
		t.Fatal(err)
	}
	if err := p3.Close(); err != nil {
		t.Fatal(err)
	}
}
