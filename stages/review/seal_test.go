package review

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/segmentio/encoding/json"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/internal/keyring"
	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
)

// discard is a keyring producer that keeps nothing (one process only).
type discard struct{}

func (discard) ProduceSync(_ context.Context, rs ...*kgo.Record) kgo.ProduceResults {
	out := make(kgo.ProduceResults, len(rs))
	for i, r := range rs {
		out[i] = kgo.ProduceResult{Record: r}
	}
	return out
}

// A held record is kept sealed under its source record's key: the queue
// holds no personal data in clear, a decision opens it, and once the key
// is deleted (an erasure) the item is dropped without an output.
func TestHeldRecordsAreSealed(t *testing.T) {
	ctx := context.Background()
	kr, err := keyring.New(pipeline.TopicKeyring, []byte("secret"), discard{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := &mapState{m: map[string][]byte{}}
	p, err := Stage{Sealer: kr}.open(st)
	if err != nil {
		t.Fatal(err)
	}
	src := pipeline.Source{Provider: "csv", RecordID: "r9"}
	hold := func(trace string) {
		t.Helper()
		in := &pipeline.Envelope{TraceID: trace, Source: src, FirstSeen: time.Now().UTC(), Outcome: pipeline.OutcomeReview,
			Reasons: []string{"possible_duplicate", "candidate:ld_1:0.85"},
			Lead:    &lead.Lead{FirstName: "Wilhelmina", LastName: "Zabrowski", Email: "wz@zabrowski.example"}}
		if err := p.Process(ctx, in, &pipeline.Emitter{}); err != nil {
			t.Fatal(err)
		}
		v := st.m[keyItem+trace]
		for _, s := range []string{"Wilhelmina", "Zabrowski", "zabrowski.example"} {
			if bytes.Contains(v, []byte(s)) {
				t.Fatalf("%q in the held item: %s", s, v)
			}
		}
		var it Item
		if err := json.Unmarshal(v, &it); err != nil || it.Reason() != ReasonPossibleDuplicate || len(it.Candidates()) != 1 {
			t.Fatalf("item metadata %+v %v", it, err)
		}
	}
	hold("imp:1")
	if err := p.Process(ctx, &pipeline.Envelope{TraceID: "imp:1", Decision: "review:create_new"}, &pipeline.Emitter{}); err != nil {
		t.Fatal(err)
	}
	var d Decided
	if err := json.Unmarshal(st.m[keyDecided+"imp:1"], &d); err != nil || d.Decision != CreateNew || d.LeadID == "" {
		t.Fatalf("the decision on a sealed item: %+v %v", d, err)
	}
	// Held again, then the person is erased before anyone decides.
	hold("imp:2")
	if _, err := kr.Forget(ctx, "ld_1", pipeline.SourceSubject(src)); err != nil {
		t.Fatal(err)
	}
	if err := p.Process(ctx, &pipeline.Envelope{TraceID: "imp:2", Decision: "review:create_new"}, &pipeline.Emitter{}); err != nil {
		t.Fatal(err)
	}
	if _, ok := st.m[keyItem+"imp:2"]; ok {
		t.Fatal("the erased person's item is still held")
	}
	if _, ok := st.m[keyDecided+"imp:2"]; ok {
		t.Fatal("an erased item was decided")
	}
}
