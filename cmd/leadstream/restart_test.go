package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leadstream/leadstream/bench/leadgen"
	"github.com/leadstream/leadstream/internal/testkafka"
	"github.com/leadstream/leadstream/stages/sink"
)

// cliRun is one leadstream child process.
type cliRun struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	stderr bytes.Buffer
}

// startCLI starts the test binary as `leadstream args...`.
func startCLI(t *testing.T, args ...string) *cliRun {
	t.Helper()
	return startCLIWith(t, nil, args...)
}

// startCLIWith is startCLI with extra environment variables.
func startCLIWith(t *testing.T, env []string, args ...string) *cliRun {
	t.Helper()
	r := &cliRun{cmd: exec.Command(os.Args[0], args...)}
	r.cmd.Env = append(append(os.Environ(), "LEADSTREAM_TEST_AS_CLI=1"), env...)
	r.cmd.Stdout, r.cmd.Stderr = &r.stdout, &r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return r
}

// pipelineArgs are the flags that point a child process at the broker under
// test: the real one of LEADSTREAM_TEST_BROKERS (in its own namespace), or
// the embedded broker on addr.
func pipelineArgs(t *testing.T, dataDir, addr, ns string) []string {
	args := []string{"--data-dir", dataDir, "--metrics-addr", "", "--api-addr", "", "--progress", "never", "--partitions", "3", "--log-level", "warn"}
	if b := testkafka.Brokers(); b != nil {
		return append(args, "--brokers", strings.Join(b, ","), "--namespace", ns)
	}
	return append(args, "--embedded-addr", addr)
}

var summaryLine = regexp.MustCompile(`(?m)^\s+(records read|synced|merged|review|rejected|suppressed|dead-lettered|outcomes)\s+(\d+)`)

func parseSummary(out string) map[string]int {
	m := map[string]int{}
	for _, g := range summaryLine.FindAllStringSubmatch(out, -1) {
		m[g[1]], _ = strconv.Atoi(g[2])
	}
	return m
}

// importProgress reads the import checkpoint's rows_done (0 if none yet).
func importProgress(dataDir string) int {
	files, _ := filepath.Glob(filepath.Join(dataDir, "imports", "*", "*.json"))
	more, _ := filepath.Glob(filepath.Join(dataDir, "imports", "*.json"))
	best := 0
	for _, f := range append(files, more...) {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var cp struct {
			RowsDone int `json:"rows_done"`
		}
		if json.Unmarshal(b, &cp) == nil && cp.RowsDone > best {
			best = cp.RowsDone
		}
	}
	return best
}

// TestKillMidImportAndRestart SIGKILLs `leadstream run` in the middle of a
// 100k-record import and runs it again: every record must reach exactly one
// outcome, and the dry-run sink must have created exactly one HaloPSA user
// per lead.
func TestKillMidImportAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("long: 100k records through the pipeline twice")
	}
	records := 100000
	if v := os.Getenv("LEADSTREAM_TEST_RESTART_RECORDS"); v != "" {
		records, _ = strconv.Atoi(v)
	}
	interruptAndRestart(t, syscall.SIGKILL, records)
}

// TestStopMidImportAndRestart does the same with SIGTERM: the first run
// stops cleanly (in-flight batches finish, the import checkpoints) and says
// how to resume.
func TestStopMidImportAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	interruptAndRestart(t, syscall.SIGTERM, 30000)
}

// writeLeads writes a generated file of records leads into dir.
func writeLeads(t *testing.T, dir string, records int, seed uint64) string {
	t.Helper()
	input := filepath.Join(dir, "leads.csv")
	f, err := os.Create(input)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := leadgen.Write(f, leadgen.Options{Records: records, Seed: seed}); err != nil {
		t.Fatal(err)
	}
	return input
}

func interruptAndRestart(t *testing.T, sig syscall.Signal, records int) {
	dir := t.TempDir()
	input := writeLeads(t, dir, records, 42)
	dataDir := filepath.Join(dir, "data")
	ns := fmt.Sprintf("restart%d", time.Now().UnixNano())
	args := append([]string{"run", "--import", input, "--until-idle", "--max-wait", "8m"}, pipelineArgs(t, dataDir, testkafka.FreeAddr(t), ns)...)

	first := startCLI(t, args...)
	deadline := time.Now().Add(3 * time.Minute)
	for importProgress(dataDir) < records/5 {
		if time.Now().After(deadline) {
			_ = first.cmd.Process.Kill()
			t.Fatalf("import never got going:\n%s", first.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := first.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	werr := first.cmd.Wait()
	if sig == syscall.SIGTERM {
		if werr == nil || !strings.Contains(first.stderr.String(), "run it again to resume") {
			t.Errorf("stopped run: exit %v, want a failure that says how to resume; stderr:\n%s", werr, first.stderr.String())
		}
	}
	killedAt := importProgress(dataDir)
	if killedAt >= records {
		t.Logf("warning: the import had finished before the kill (%d rows)", killedAt)
	}

	second := startCLI(t, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 9*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- second.cmd.Wait() }()
	var err error
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
	t.Logf("killed at %d rows; summary after restart: %v", killedAt, sum)
	checkExactlyOnce(t, sum, records)
	writes, err := sink.DryRunWrites(dataDir, nsIfReal(ns), nil)
	if err != nil {
		t.Fatal(err)
	}
	checkOneUserPerLead(t, sink.UserCreates(writes), sum["synced"])
}

// checkExactlyOnce: every record read reached exactly one outcome.
func checkExactlyOnce(t *testing.T, sum map[string]int, records int) {
	t.Helper()
	if sum["records read"] != records || sum["outcomes"] != records ||
		sum["synced"]+sum["merged"]+sum["review"]+sum["rejected"]+sum["suppressed"]+sum["dead-lettered"] != records {
		t.Fatalf("summary %v, want %d records read and as many outcomes", sum, records)
	}
}

// checkOneUserPerLead: the dry-run sink created exactly one HaloPSA user
// for every new lead, none twice.
func checkOneUserPerLead(t *testing.T, users map[string]int, synced int) {
	t.Helper()
	if len(users) != synced {
		t.Errorf("dry-run created users for %d leads, want %d (one per synced lead)", len(users), synced)
	}
	for id, n := range users {
		if n != 1 {
			t.Errorf("lead %s: user created %d times", id, n)
		}
	}
}

// nsIfReal is the namespace the child used: only set on a real broker.
func nsIfReal(ns string) string {
	if testkafka.Brokers() != nil {
		return ns
	}
	return ""
}
