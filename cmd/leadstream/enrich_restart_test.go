package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leadstream/leadstream/bench/leadgen"
	"github.com/leadstream/leadstream/connectors/pull/emulators/sandbox"
	"github.com/leadstream/leadstream/internal/testkafka"
)

// TestKillMidEnrichmentAndRestart SIGKILLs `leadstream run` while the
// enrich stage is paying providers and runs it again: every record reaches
// one outcome and the provider sandbox was never paid twice for one
// person (the ledger entry written before each call survives the kill).
func TestKillMidEnrichmentAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("long: a pipeline killed and restarted")
	}
	dir := t.TempDir()
	const records = 1500
	var full bytes.Buffer
	if err := leadgen.Write(&full, leadgen.Options{Records: records, Seed: 21}); err != nil {
		t.Fatal(err)
	}
	var blanked bytes.Buffer
	if err := leadgen.Blank(bytes.NewReader(full.Bytes()), &blanked, 0.4, 0.4, 21); err != nil {
		t.Fatal(err)
	}
	input := filepath.Join(dir, "leads.csv")
	if err := os.WriteFile(input, blanked.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	people, err := sandbox.LoadPeople(bytes.NewReader(full.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	sb := sandbox.New(sandbox.Options{People: people, MinLatency: 10 * time.Millisecond, MaxLatency: 40 * time.Millisecond})
	hs := httptest.NewServer(sb)
	defer hs.Close()
	wf := filepath.Join(dir, "waterfall.json")
	if err := os.WriteFile(wf, []byte(`{"attributes": {
	  "email": {"providers": ["hunter", "lusha"], "when": {"missing": true}},
	  "phone": {"providers": ["lusha"], "when": {"missing": true}}},
	 "providers": {"hunter": {"per_second": 25}, "lusha": {"per_second": 25}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	env := sandbox.Env(hs.URL, wf)
	dataDir := filepath.Join(dir, "data")
	args := append([]string{"run", "--import", input, "--until-idle", "--max-wait", "6m"}, pipelineArgs(t, dataDir, testkafka.FreeAddr(t), "enrichkill")...)

	first := startCLIWith(t, env, args...)
	deadline := time.Now().Add(3 * time.Minute)
	for sb.Credits()["hunter"] < 40 {
		if time.Now().After(deadline) {
			_ = first.cmd.Process.Kill()
			t.Fatalf("enrichment never got going:\n%s", first.stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.cmd.Wait()
	killedAt := sb.Credits()

	second := startCLIWith(t, env, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 7*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- second.cmd.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = second.cmd.Process.Kill()
		t.Fatalf("restarted run did not finish:\n%s", second.stderr.String())
	}
	if err != nil {
		t.Fatalf("restarted run failed: %v\nstdout:\n%s\nstderr:\n%s", err, second.stdout.String(), second.stderr.String())
	}
	sum := parseSummary(second.stdout.String())
	checkExactlyOnce(t, sum, records)
	if !strings.Contains(second.stdout.String(), "enrich: ") {
		t.Errorf("no enrich summary line in:\n%s", second.stdout.String())
	}
	twice := sb.PaidTwice()
	t.Logf("killed with credits %v spent; after restart %v; paid twice %v; %s", killedAt, sb.Credits(), twice, enrichLine(second.stdout.String()))
	for p, n := range twice {
		if n != 0 {
			t.Errorf("%s was paid twice for %d people", p, n)
		}
	}
}

func enrichLine(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "enrich: ") {
			return l
		}
	}
	return ""
}
