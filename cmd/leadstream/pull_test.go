package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	emu "github.com/leadstream/leadstream/connectors/pull/emulators/apollo"
	"github.com/leadstream/leadstream/connectors/pull/emulators/emukit"
	"github.com/leadstream/leadstream/internal/system"
	"github.com/leadstream/leadstream/internal/testkafka"
	"github.com/leadstream/leadstream/pipeline"
)

// TestPullApolloIntoThePipeline pulls from the Apollo emulator into a
// running pipeline; every pulled record reaches an outcome, and pulling
// again resumes from the checkpoint without fetching anything.
func TestPullApolloIntoThePipeline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := emu.New(emukit.Config{Key: "test-key", Records: 12, Malformed: map[int]bool{6: true}})
	defer srv.Close()
	t.Setenv("APOLLO_API_KEY", "test-key")

	ns := "pull" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	dataDir := t.TempDir()
	sys, err := system.Start(ctx, system.Options{
		Brokers: testkafka.Brokers(), EmbeddedAddr: "127.0.0.1:0", DataDir: t.TempDir(),
		Partitions: 3, Namespace: pipeline.Namespace(ns), Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	args := []string{"pull", "--provider", "apollo", "--base-url", srv.BaseURL(), "--page-size", "5",
		"--brokers", strings.Join(sys.Brokers(), ","), "--namespace", ns, "--data-dir", dataDir,
		"--partitions", "3", "--log-level", "warn"}
	for _, want := range []string{"stopped: done; 3 pages, 11 records sent, 1 malformed", "stopped: done; 3 pages, 11 records sent, 1 malformed"} {
		var out bytes.Buffer
		if code := mainExit(ctx, args, &out, &out); code != 0 || !strings.Contains(out.String(), want) {
			t.Fatalf("pull: exit %d, output:\n%s\nwant %q", code, out.String(), want)
		}
	}
	sum, err := sys.WaitForOutcomes(ctx, []pipeline.ImportResult{{ImportID: "pull_apollo_apollo", Rows: 12}}, nil)
	if err != nil || sum.Check() != nil || sum.Counts[pipeline.OutcomeDeadLettered] != 1 {
		t.Fatalf("outcomes of the pulled records: %+v, %v; want 12, one dead-lettered", sum.Counts, err)
	}
}
