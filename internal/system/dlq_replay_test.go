package system

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/internal/testkafka"
	"github.com/leadstream/leadstream/pipeline"
	"github.com/leadstream/leadstream/stages/sink"
)

// readTopic returns every record of a topic up to its current end.
func readTopic(t *testing.T, ctx context.Context, brokers []string, topic string) []*kgo.Record {
	t.Helper()
	var out []*kgo.Record
	if err := pipeline.ReadTopic(ctx, brokers, topic, func(r *kgo.Record) { out = append(out, r) }); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBadInputIsDeadLetteredAndTheRestFlows covers both kinds of poison: a
// malformed CSV line (dead-lettered by the importer, naming file and line)
// and a record that no stage can decode (dead-lettered by normalize with
// its original bytes).
func TestBadInputIsDeadLetteredAndTheRestFlows(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	opts := testOptions(t)
	input := filepath.Join(t.TempDir(), "mixed.csv")
	content := "record_id,first_name,last_name,email,company\n" +
		"r1,Ada,Lovelace,ada@analytical.example.com,Analytical Engines Ltd\n" +
		"r2,this,line,has,too,many,fields\n" +
		"r3,Grace,Hopper,grace@navy.example.org,US Navy\n" +
		"r4,\"Unclosed,Quote,x@y.example.com,Acme\n" +
		"r5,,,,\n"
	if err := os.WriteFile(input, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// A poison record straight onto leads.raw: not an envelope at all.
	poison := &kgo.Record{Topic: opts.Namespace.Topic(pipeline.TopicRaw), Key: []byte("poison"), Value: []byte(`{"v":1,"trace_id":`),
		Headers: []kgo.RecordHeader{{Key: pipeline.HeaderTrace, Value: []byte("poison-test:1")}}}
	if err := s.client.ProduceSync(ctx, poison).FirstErr(); err != nil {
		t.Fatal(err)
	}
	res, err := s.Import(ctx, input)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := s.WaitForOutcomes(ctx, res, nil)
	if err != nil {
		t.Fatalf("%v (%+v)", err, sum)
	}
	want := map[pipeline.Outcome]int{pipeline.OutcomeSynced: 2, pipeline.OutcomeRejected: 1, pipeline.OutcomeDeadLettered: 2}
	for o, n := range want {
		if sum.Counts[o] != n {
			t.Errorf("%s = %d, want %d (%+v)", o, sum.Counts[o], n, sum.Counts)
		}
	}
	if err := sum.Check(); err != nil {
		t.Error(err)
	}

	dlq := readTopic(t, ctx, s.Brokers(), opts.Namespace.Topic(pipeline.TopicDLQ))
	found := map[string]bool{}
	for _, r := range dlq {
		msg := pipeline.HeaderValue(r, pipeline.HeaderError)
		stage := pipeline.HeaderValue(r, pipeline.HeaderStage)
		switch {
		case strings.HasPrefix(msg, "mixed.csv:3: has 7 fields"):
			found["line3"] = stage == "import" && strings.Contains(string(r.Value), "too,many,fields")
		case strings.HasPrefix(msg, "mixed.csv:5: a quoted field is never closed"):
			found["line5"] = stage == "import" && strings.HasPrefix(string(r.Value), `r4,"Unclosed`)
		case stage == "normalize":
			found["poison"] = string(r.Value) == `{"v":1,"trace_id":` && strings.Contains(msg, "decode envelope") &&
				strings.HasPrefix(pipeline.HeaderValue(r, pipeline.HeaderOrigin), opts.Namespace.Topic(pipeline.TopicRaw))
		}
	}
	for _, k := range []string{"line3", "line5", "poison"} {
		if !found[k] {
			t.Errorf("dead letter %s missing or incomplete; dlq has %d records", k, len(dlq))
			for _, r := range dlq {
				t.Logf("  %q stage=%s value=%q", pipeline.HeaderValue(r, pipeline.HeaderError), pipeline.HeaderValue(r, pipeline.HeaderStage), r.Value)
			}
		}
	}
}

// TestReplayDedupeCreatesNoDuplicate rewinds the dedupe group to the start
// of leads.valid and runs the pipeline again: every record is reprocessed,
// and the sink creates nothing new.
func TestReplayDedupeCreatesNoDuplicate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts := testOptions(t)
	if opts.Brokers == nil {
		opts.EmbeddedAddr = testkafka.FreeAddr(t) // the same address across restarts
	}
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Import(ctx, examplesFile(t))
	if err != nil {
		s.Close()
		t.Fatal(err)
	}
	if _, err := s.WaitForOutcomes(ctx, res, nil); err != nil {
		s.Close()
		t.Fatal(err)
	}
	s.Close()
	before := userCreates(t, opts)
	synced := countTopic(t, ctx, opts, pipeline.TopicSynced)

	// Stages stopped: rewind dedupe.
	idle := opts
	idle.Stages = []string{}
	s, err = Start(ctx, idle)
	if err != nil {
		t.Fatal(err)
	}
	offsets, err := pipeline.Replay(ctx, s.Admin(), opts.Namespace.Group("dedupe"), opts.Namespace.Topic(pipeline.TopicValid), pipeline.ReplayTarget{ToStart: true})
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	for p, o := range offsets {
		if o != 0 {
			t.Errorf("partition %d rewound to %d, want 0", p, o)
		}
	}

	s, err = Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WaitIdle(ctx); err != nil {
		s.Close()
		t.Fatal(err)
	}
	s.Close()
	if after := countTopic(t, ctx, opts, pipeline.TopicSynced); after != 2*synced {
		t.Errorf("leads.synced has %d records after the replay, want %d (every record reprocessed)", after, 2*synced)
	}
	after := userCreates(t, opts)
	if len(after) != len(before) {
		t.Errorf("users created: %d before the replay, %d after", len(before), len(after))
	}
	for id, n := range after {
		if n != 1 {
			t.Errorf("lead %s: user created %d times", id, n)
		}
	}
}

func userCreates(t *testing.T, opts Options) map[string]int {
	t.Helper()
	writes, err := sink.DryRunWrites(opts.DataDir, string(opts.Namespace), nil)
	if err != nil {
		t.Fatal(err)
	}
	return sink.UserCreates(writes)
}

// countTopic counts a topic's records through a broker-only system.
func countTopic(t *testing.T, ctx context.Context, opts Options, topic string) int {
	t.Helper()
	opts.Stages = []string{}
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	return len(readTopic(t, ctx, s.Brokers(), opts.Namespace.Topic(topic)))
}
