package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/leadstream/leadstream/internal/system"
	"github.com/leadstream/leadstream/internal/testkafka"
	"github.com/leadstream/leadstream/pipeline"
)

// TestTopicsAndReplayCommands runs `topics` twice (create, then verify) and
// `replay` both ways against a broker with no stage running.
func TestTopicsAndReplayCommands(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ns := "admincmd" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	sys, err := system.Start(ctx, system.Options{
		Brokers: testkafka.Brokers(), EmbeddedAddr: "127.0.0.1:0", DataDir: t.TempDir(),
		Stages: []string{}, Partitions: 3, Namespace: pipeline.Namespace("other" + ns), Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	brokers := strings.Join(sys.Brokers(), ",")
	common := []string{"--brokers", brokers, "--namespace", ns, "--partitions", "3"}
	tests := []struct {
		args []string
		want string
	}{
		{append([]string{"topics"}, common...), ns + ".leads.raw"},
		{append([]string{"topics"}, common...), "ok"},
		{append([]string{"replay", "--group", "dedupe", "--to-start"}, common...), "partition 2 → offset 0"},
		{append([]string{"replay", "--group", "leadstream-sink", "--to-time", "2026-01-01T00:00:00Z"}, common...), "rewound on " + ns + ".leads.enriched"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		if code := mainExit(ctx, tt.args, &out, &out); code != 0 || !strings.Contains(out.String(), tt.want) {
			t.Errorf("leadstream %s: exit %d, output:\n%s\nwant %q", strings.Join(tt.args, " "), code, out.String(), tt.want)
		}
	}
}
