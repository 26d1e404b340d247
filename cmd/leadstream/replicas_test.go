package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leadstream/leadstream/internal/testkafka"
	"github.com/leadstream/leadstream/stages/sink"
)

// TestDedupeReplicaKilledMidStream runs the pipeline with a second dedupe
// replica in its own process and data directory, SIGKILLs that replica
// while it owns partitions, and checks that the survivor rebuilds the
// moved partitions from the changelog: the final leads are exactly those of
// a single process — no duplicate, no lost merge.
func TestDedupeReplicaKilledMidStream(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	const records = 40000
	dir := t.TempDir()
	input := writeLeads(t, dir, records, 7)
	ns := fmt.Sprintf("replicas%d", time.Now().UnixNano())
	addr := testkafka.FreeAddr(t)
	dataA, dataB := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	session := []string{"--session-timeout", "6s", "--max-batch", "200"}

	main := startCLI(t, append(append([]string{"run", "--import", input, "--until-idle", "--max-wait", "5m"},
		pipelineArgs(t, dataA, addr, ns)...), append(session, "--log-level", "info")...)...)
	brokers := addr
	if b := testkafka.Brokers(); b != nil {
		brokers = strings.Join(b, ",")
	} else {
		waitListening(t, addr, main)
	}
	metrics := testkafka.FreeAddr(t)
	replica := startCLI(t, append([]string{"stage", "dedupe", "--brokers", brokers, "--namespace", nsIfReal(ns),
		"--data-dir", dataB, "--metrics-addr", metrics, "--partitions", "3", "--log-level", "warn"}, session...)...)

	// Kill the replica once it has processed records of its own.
	deadline := time.Now().Add(2 * time.Minute)
	for processedBy(metrics, "dedupe") < 500 {
		if time.Now().After(deadline) {
			_ = replica.cmd.Process.Kill()
			_ = main.cmd.Process.Kill()
			t.Fatalf("the replica never processed records:\n%s", replica.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := replica.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = replica.cmd.Wait()

	if err := waitCLI(main, 6*time.Minute); err != nil {
		t.Fatalf("run: %v\nstdout:\n%s\nstderr:\n%s", err, main.stdout.String(), main.stderr.String())
	}
	sum := parseSummary(main.stdout.String())
	t.Logf("summary with a killed replica: %v", sum)
	checkExactlyOnce(t, sum, records)
	if !strings.Contains(main.stderr.String(), `msg="state restored from changelog" stage=dedupe`) {
		t.Errorf("the surviving dedupe never restored a partition from the changelog")
	}
	writes, err := sink.DryRunWrites(dataA, nsIfReal(ns), nil)
	if err != nil {
		t.Fatal(err)
	}
	checkOneUserPerLead(t, sink.UserCreates(writes), sum["synced"])
}

// processedBy reads a process's /metrics and returns how many records the
// stage has processed (0 when unreachable).
func processedBy(addr, stage string) int {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	total := 0
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "leadstream_stage_records_total{") && strings.Contains(line, `stage="`+stage+`"`) {
			if f := strings.Fields(line); len(f) == 2 {
				n, _ := strconv.ParseFloat(f[1], 64)
				total += int(n)
			}
		}
	}
	return total
}

// waitListening waits until something accepts connections on addr.
func waitListening(t *testing.T, addr string, owner *cliRun) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = owner.cmd.Process.Kill()
	t.Fatalf("nothing listens on %s:\n%s", addr, owner.stderr.String())
}

// waitCLI waits for a child process to exit, killing it after timeout.
func waitCLI(r *cliRun, timeout time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		_ = r.cmd.Process.Kill()
		return fmt.Errorf("still running after %s", timeout)
	}
}
