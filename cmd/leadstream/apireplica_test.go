package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadstream/leadstream/internal/testkafka"
)

// TestAPIReplicaHasItsOwnView runs the pipeline with its API, and a second
// API process (`stage api`) with its own data directory and key file:
// both views fill from leads.current and answer the same search.
func TestAPIReplicaHasItsOwnView(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	dir := t.TempDir()
	ns := fmt.Sprintf("apirepl%d", time.Now().UnixNano())
	addr := testkafka.FreeAddr(t)
	dataA, dataB := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	apiA, apiB := testkafka.FreeAddr(t), testkafka.FreeAddr(t)
	examples, err := filepath.Abs("../../examples/leads.csv")
	if err != nil {
		t.Fatal(err)
	}
	// --api-addr after pipelineArgs, which turns the API off.
	main := startCLI(t, append(append([]string{"run", "--import", examples}, pipelineArgs(t, dataA, addr, ns)...), "--api-addr", apiA)...)
	defer func() { _ = main.cmd.Process.Kill(); _ = main.cmd.Wait() }()
	brokers := addr
	if b := testkafka.Brokers(); b != nil {
		brokers = strings.Join(b, ",")
	} else {
		waitListening(t, addr, main)
	}
	replica := startCLI(t, "stage", "api", "--brokers", brokers, "--namespace", nsIfReal(ns), "--data-dir", dataB,
		"--api-addr", apiB, "--metrics-addr", "", "--partitions", "3", "--log-level", "warn")
	defer func() { _ = replica.cmd.Process.Kill(); _ = replica.cmd.Wait() }()
	key := func(data string) string {
		var out bytes.Buffer
		if code := mainExit(context.Background(), []string{"apikey", "create", "--data-dir", data, "--role", "viewer", "--name", "test"}, &out, &out); code != 0 {
			t.Fatalf("apikey: %s", out.String())
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		return lines[len(lines)-1]
	}
	keyA, keyB := key(dataA), key(dataB)
	total := func(api, key, query string) int {
		req, _ := http.NewRequest("GET", "http://"+api+"/api/leads?"+query, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return -1
		}
		defer resp.Body.Close()
		var body struct {
			Total int `json:"total"`
		}
		if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&body) != nil {
			return -1
		}
		return body.Total
	}
	// The example file makes 174 synced leads, plus those merged into them.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		a, b := total(apiA, keyA, ""), total(apiB, keyB, "")
		if a >= 170 && a == b {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("views: %d and %d leads\nmain:\n%s\nreplica:\n%s", a, b, main.stderr.String(), replica.stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if a, b := total(apiA, keyA, "q=acme"), total(apiB, keyB, "q=acme"); a != b {
		t.Errorf("q=acme: %d and %d", a, b)
	}
	// A key of one replica's data directory is not one of the other's.
	if got := total(apiB, keyA, ""); got != -1 {
		t.Errorf("replica B accepted replica A's key")
	}
}
