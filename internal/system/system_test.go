package system

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/internal/testkafka"
	"github.com/leadstream/leadstream/pipeline"
	"github.com/leadstream/leadstream/stages/sink"
)

var nsSeq atomic.Int64

func kafkaLog() []kgo.Opt {
	if os.Getenv("LEADSTREAM_TEST_KAFKA_LOG") == "" {
		return nil
	}
	return []kgo.Opt{kgo.WithLogger(kgo.BasicLogger(os.Stderr, kgo.LogLevelInfo, nil))}
}

// testOptions gives each test its own data directory and, on a shared real
// broker, its own namespace.
func testOptions(t *testing.T) Options {
	t.Helper()
	lvl := slog.LevelWarn
	if testing.Verbose() {
		lvl = slog.LevelInfo
	}
	return Options{
		Brokers:      testkafka.Brokers(),
		EmbeddedAddr: "127.0.0.1:0",
		DataDir:      t.TempDir(),
		Partitions:   3,
		Namespace:    pipeline.Namespace(fmt.Sprintf("t%d-%d-%s", os.Getpid(), nsSeq.Add(1), strings.NewReplacer("/", "-", "=", "-").Replace(strings.ToLower(t.Name())))),
		ClientOpts:   kafkaLog(),
		Logger:       slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl})),
	}
}

func examplesFile(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs("../../examples/leads.csv")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEndToEndExampleFile(t *testing.T) {
	for _, eos := range []bool{false, true} {
		t.Run(fmt.Sprintf("exactly_once=%v", eos), func(t *testing.T) { endToEnd(t, eos) })
	}
}

func endToEnd(t *testing.T, exactlyOnce bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	opts := testOptions(t)
	opts.ExactlyOnce = exactlyOnce
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Import(ctx, examplesFile(t))
	if err != nil {
		s.Close()
		t.Fatal(err)
	}
	sum, err := s.WaitForOutcomes(ctx, res, nil)
	s.Close()
	if err != nil {
		t.Fatalf("wait: %v (summary %+v)", err, sum)
	}
	if err := sum.Check(); err != nil {
		t.Fatal(err)
	}
	// 220 good rows of 175 people (45 share an e-mail with another row),
	// 6 rows without identity, 2 malformed lines.
	c := sum.Counts
	if c[pipeline.OutcomeRejected] != 6 || c[pipeline.OutcomeDeadLettered] != 2 ||
		c[pipeline.OutcomeSynced]+c[pipeline.OutcomeMerged]+c[pipeline.OutcomeReview] != 220 ||
		c[pipeline.OutcomeMerged] < 45 || c[pipeline.OutcomeReview] > 3 {
		t.Errorf("summary %+v, want 6 rejected, 2 dead-lettered, ≥ 45 of the other 220 merged, ≤ 3 in review", c)
	}
	writes, err := sink.DryRunWrites(opts.DataDir, string(opts.Namespace), nil)
	if err != nil {
		t.Fatal(err)
	}
	if users := sink.UserCreates(writes); len(users) != c[pipeline.OutcomeSynced] {
		t.Errorf("dry-run user creates = %d, want one per synced lead (%d)", len(users), c[pipeline.OutcomeSynced])
	}
}
