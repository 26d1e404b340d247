package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// countingStage counts records per partition in its table and forwards
// them to leads.normalized; a record whose source provider is "poison"
// fails.
type countingStage struct{}

func (countingStage) Name() string   { return "counting" }
func (countingStage) Input() string  { return TopicRaw }
func (countingStage) Stateful() bool { return true }
func (countingStage) Open(_ context.Context, p int32, t *Table) (Processor, error) {
	return ProcessorFunc(func(_ context.Context, in *Envelope, out *Emitter) error {
		key := fmt.Sprintf("count/p%d", p)
		n := 0
		if v, ok, err := t.Get(key); err != nil {
			return err
		} else if ok {
			n, _ = strconv.Atoi(string(v))
		}
		t.Put(key, []byte(strconv.Itoa(n+1)))
		if in.Source.Provider == "poison" {
			return fmt.Errorf("poisoned record %s", in.TraceID)
		}
		out.Emit(TopicNormalized, in.TraceID, in)
		return nil
	}), nil
}

func produceEnvelopes(t *testing.T, ctx context.Context, cl *kgo.Client, n int, provider func(i int) string) {
	t.Helper()
	for i := 0; i < n; i++ {
		env := &Envelope{TraceID: fmt.Sprintf("imp_t:%d", i), Source: Source{Provider: provider(i), RecordID: strconv.Itoa(i)}, FirstSeen: time.Now()}
		rec, err := env.Record(TopicRaw, env.TraceID)
		if err != nil {
			t.Fatal(err)
		}
		if err := cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

// runUntil runs a runner until the predicate holds on the output topics.
func runUntil(t *testing.T, ctx context.Context, opts RunnerOptions, done func() bool) {
	t.Helper()
	r, err := NewRunner(countingStage{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- r.Run(rctx) }()
	for !done() {
		if ctx.Err() != nil {
			cancel()
			t.Fatal("timed out")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func endOffsets(t *testing.T, ctx context.Context, adm *kadm.Client, topic string) map[int32]int64 {
	t.Helper()
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) { out[o.Partition] = o.Offset })
	return out
}

// committed counts the committed records of a topic (transaction markers
// take offsets too, so end offsets overcount in exactly-once mode).
func committed(t *testing.T, ctx context.Context, brokers []string, topic string) int {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	n := 0
	for {
		pctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		got := cl.PollFetches(pctx).NumRecords()
		cancel()
		if got == 0 {
			return n
		}
		n += got
	}
}

func sum(m map[int32]int64) (n int64) {
	for _, v := range m {
		n += v
	}
	return n
}

// expectedCounts reads leads.raw and counts the non-poison records per
// partition: the state the counting stage must hold.
func expectedCounts(t *testing.T, ctx context.Context, brokers []string, adm *kadm.Client) map[int32]string {
	t.Helper()
	ends := endOffsets(t, ctx, adm, TopicRaw)
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(TopicRaw), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	counts := map[int32]int{}
	seen := int64(0)
	for seen < sum(ends) && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			seen++
			env, err := DecodeEnvelope(r)
			if err != nil {
				t.Fatal(err)
			}
			if env.Source.Provider != "poison" {
				counts[r.Partition]++
			}
		})
	}
	out := map[int32]string{}
	for p, n := range counts {
		out[p] = strconv.Itoa(n)
	}
	return out
}

// restoredCounts opens every partition's state as a new owner would and
// returns the counts it holds.
func restoredCounts(t *testing.T, ctx context.Context, opts RunnerOptions, parts int32) map[int32]string {
	t.Helper()
	r, err := NewRunner(countingStage{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.closeAll()
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[int32]string{}
	for p := int32(0); p < parts; p++ {
		ps, err := r.partition(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if v, ok, err := ps.table.Get(fmt.Sprintf("count/p%d", p)); err != nil {
			t.Fatal(err)
		} else if ok {
			out[p] = string(v)
		}
	}
	return out
}

// TestRunnerStateChangelogAndRestore checks that a poison record is
// dead-lettered with its state change rolled back, that the changelog
// carries each partition's state on that same partition, and that a
// process that lost its disk rebuilds the state from the changelog — in
// both delivery modes.
func TestRunnerStateChangelogAndRestore(t *testing.T) {
	for _, eos := range []bool{false, true} {
		t.Run(fmt.Sprintf("exactly_once=%v", eos), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.DefaultNumPartitions(3), kfake.AllowAutoTopicCreation())
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
			adm := kadm.NewClient(cl)
			if _, err := EnsureTopics(ctx, adm, Catalogue{Partitions: 3, Replication: -1, StatefulStages: []string{"counting"}}); err != nil {
				t.Fatal(err)
			}
			produceEnvelopes(t, ctx, cl, 60, func(i int) string {
				if i%20 == 7 {
					return "poison"
				}
				return "csv"
			})
			dataDir := t.TempDir()
			opts := RunnerOptions{Brokers: brokers, DataDir: dataDir, ExactlyOnce: eos, MaxBatch: 7,
				Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))}
			runUntil(t, ctx, opts, func() bool {
				return committed(t, ctx, brokers, TopicNormalized)+committed(t, ctx, brokers, TopicDLQ) >= 60
			})
			if got := committed(t, ctx, brokers, TopicDLQ); got != 3 {
				t.Errorf("dead letters = %d, want 3", got)
			}
			want := expectedCounts(t, ctx, brokers, adm)
			if got := restoredCounts(t, ctx, opts, 3); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("local state %v, want %v", got, want)
			}

			// Every changelog record sits on the partition whose state it holds.
			rd, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(ChangelogTopic("counting")),
				kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
			if err != nil {
				t.Fatal(err)
			}
			pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
			for pctx.Err() == nil {
				rd.PollFetches(pctx).EachRecord(func(r *kgo.Record) {
					if wantKey := fmt.Sprintf("count/p%d", r.Partition); string(r.Key) != wantKey {
						t.Errorf("changelog partition %d holds key %q", r.Partition, r.Key)
					}
				})
			}
			pcancel()
			rd.Close()

			// Lose the disk: the state comes back from the changelog alone.
			if err := os.RemoveAll(filepath.Join(dataDir, "state")); err != nil {
				t.Fatal(err)
			}
			if got := restoredCounts(t, ctx, opts, 3); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("rebuilt state %v, want %v", got, want)
			}
		})
	}
}

// bloatingStage forwards records, but one of provider "huge" becomes an
// output far over the producer's 1 MB batch limit.
type bloatingStage struct{}

func (bloatingStage) Name() string   { return "bloating" }
func (bloatingStage) Input() string  { return TopicRaw }
func (bloatingStage) Stateful() bool { return false }
func (bloatingStage) Open(context.Context, int32, *Table) (Processor, error) {
	return ProcessorFunc(func(_ context.Context, in *Envelope, out *Emitter) error {
		if in.Source.Provider == "huge" {
			in.Raw = map[string]string{"blob": string(make([]byte, 2<<20))}
		}
		out.Emit(TopicNormalized, in.TraceID, in)
		return nil
	}), nil
}

// TestUnproducibleOutputDeadLettersItsInput: an output the broker can never
// take sends its input to the dead-letter topic when the batch is retried,
// and the rest of the batch flows.
func TestUnproducibleOutputDeadLettersItsInput(t *testing.T) {
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
	produceEnvelopes(t, ctx, cl, 10, func(i int) string {
		if i == 4 {
			return "huge"
		}
		return "csv"
	})
	r, err := NewRunner(bloatingStage{}, RunnerOptions{Brokers: brokers, MaxBatch: 100,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))})
	if err != nil {
		t.Fatal(err)
	}
	// Run as the supervisor does: a failed batch ends Run; run again.
	for attempt := 0; committed(t, ctx, brokers, TopicDLQ) == 0; attempt++ {
		if attempt == 5 {
			t.Fatal("the input of the unproducible output never reached the dead-letter topic")
		}
		rctx, rcancel := context.WithTimeout(ctx, 3*time.Second)
		_ = r.Run(rctx)
		rcancel()
	}
	if got := committed(t, ctx, brokers, TopicDLQ); got != 1 {
		t.Errorf("dead letters = %d, want 1", got)
	}
	if got := committed(t, ctx, brokers, TopicNormalized); got < 9 {
		t.Errorf("forwarded = %d, want the other 9", got)
	}
}
