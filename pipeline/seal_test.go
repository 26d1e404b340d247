package pipeline

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// xorSealer is a stand-in keyring: it "seals" by flipping bits (enough to
// hide plain text) and knows which subjects were erased.
type xorSealer struct {
	mu     sync.Mutex
	erased map[string]bool
	links  map[string]string
}

func (s *xorSealer) Seal(subject string, pt, _ []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.erased[subject] {
		return nil, ErrErased
	}
	out := make([]byte, len(pt))
	for i, b := range pt {
		out[i] = b ^ 0x5a
	}
	return out, nil
}

func (s *xorSealer) Open(_ context.Context, subject string, ct, _ []byte) ([]byte, error) {
	return s.Seal(subject, ct, nil) // the same flip undoes it
}

func (s *xorSealer) Link(src, lead string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.links[src] = lead
}

// A record whose person was erased while it waited on a topic ends
// suppressed with reason erasure (an outcome without personal data); the
// others are processed and written sealed.
func TestErasedInputEndsSuppressed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.DefaultNumPartitions(1), kfake.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	brokers := c.ListenAddrs()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := EnsureTopics(ctx, kadm.NewClient(cl), Catalogue{Partitions: 1, Replication: -1}); err != nil {
		t.Fatal(err)
	}
	s := &xorSealer{erased: map[string]bool{}, links: map[string]string{}}
	for i := range 10 {
		env := &Envelope{TraceID: "imp:" + string(rune('0'+i)), Source: Source{Provider: "csv", RecordID: string(rune('a' + i))},
			FirstSeen: time.Now().UTC(), Raw: map[string]string{"email": "person@private.example"}}
		rec, err := env.SealedRecord(s, TopicRaw, env.TraceID)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(rec.Value, []byte("private.example")) {
			t.Fatalf("sealed record in clear: %s", rec.Value)
		}
		if err := cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	s.mu.Lock()
	s.erased[SourceSubject(Source{Provider: "csv", RecordID: "d"})] = true
	s.mu.Unlock()
	r, err := NewRunner(bloatingStage{}, RunnerOptions{Brokers: brokers, MaxBatch: 100, Sealer: s,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))})
	if err != nil {
		t.Fatal(err)
	}
	for attempt := 0; committed(t, ctx, brokers, TopicNormalized) < 9; attempt++ {
		if attempt == 5 {
			t.Fatal("the records were never processed")
		}
		rctx, rcancel := context.WithTimeout(ctx, 3*time.Second)
		_ = r.Run(rctx)
		rcancel()
	}
	var rejected, normalized []*kgo.Record
	err = ReadTopic(ctx, brokers, TopicRejected, func(r *kgo.Record) { rejected = append(rejected, r) })
	if err == nil {
		err = ReadTopic(ctx, brokers, TopicNormalized, func(r *kgo.Record) { normalized = append(normalized, r) })
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(rejected) != 1 || len(normalized) != 9 || committed(t, ctx, brokers, TopicDLQ) != 0 {
		t.Fatalf("%d suppressed, %d processed, want 1 and 9", len(rejected), len(normalized))
	}
	env, err := OpenEnvelope(ctx, rejected[0], s)
	if err != nil || env.Outcome != OutcomeSuppressed || env.Reasons[0] != ReasonErasure || env.TraceID != "imp:3" || env.Raw != nil {
		t.Fatalf("the erased record's outcome: %+v %v", env, err)
	}
	for _, rec := range normalized {
		if bytes.Contains(rec.Value, []byte("private.example")) {
			t.Fatalf("an output in clear: %s", rec.Value)
		}
		env, err := OpenEnvelope(ctx, rec, s)
		if err != nil || env.Raw["email"] != "person@private.example" {
			t.Fatalf("an output: %+v %v", env, err)
		}
	}
}

// Records and state values sealed by older releases (S2 alone) still
// open; new ones are compressed with the dictionary.
func TestSealedS2FormatStillOpens(t *testing.T) {
	ctx := context.Background()
	s := &xorSealer{erased: map[string]bool{}, links: map[string]string{}}
	raw := map[string]string{"email": "person@private.example", "first_name": "Ann"}

	// An envelope as an older release sealed it: Codec 0, S2 plaintext.
	pt, err := (&PersonalData{Raw: raw}).MarshalMsg(nil)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := s.Seal("src/csv:1", s2.Encode(nil, pt), []byte("imp:1"))
	if err != nil {
		t.Fatal(err)
	}
	old := &Envelope{V: EnvelopeVersion, TraceID: "imp:1", Source: Source{Provider: "csv", RecordID: "1"},
		Sealed: &SealedData{Subject: "src/csv:1", Data: ct}}
	b, err := old.MarshalMsg(nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		rec  func() (*kgo.Record, error)
	}{
		{"older release", func() (*kgo.Record, error) { return &kgo.Record{Topic: TopicRaw, Value: b}, nil }},
		{"this release", func() (*kgo.Record, error) {
			return (&Envelope{TraceID: "imp:1", Source: Source{Provider: "csv", RecordID: "1"}, Raw: raw}).SealedRecord(s, TopicRaw, "imp:1")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := tc.rec()
			if err != nil {
				t.Fatal(err)
			}
			env, err := OpenEnvelope(ctx, rec, s)
			if err != nil || env.Raw["email"] != raw["email"] {
				t.Fatalf("opened %+v, %v", env, err)
			}
		})
	}

	// A state value: 0xfe and S2 before, the dictionary now.
	v := []byte(`{"lead_id":"ld_1","email":"person@private.example"}`)
	z, err := s.Seal("lead/ld_1", s2.Encode(nil, v), []byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := SealValue(s, "lead/ld_1", "k", v)
	if err != nil {
		t.Fatal(err)
	}
	for _, val := range [][]byte{append([]byte{sealedValueS2}, z...), sealed} {
		got, err := OpenValue(ctx, s, "lead/ld_1", "k", val)
		if err != nil || !bytes.Equal(got, v) {
			t.Fatalf("state value %x opened as %q, %v", val[0], got, err)
		}
	}
}
