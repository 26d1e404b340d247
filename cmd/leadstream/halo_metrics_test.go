package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/connectors/halopsa/halosandbox"
)

// The client haloFromEnv makes registers its counters and its request
// duration histogram; a dry run registers none.
func TestHaloFromEnvMetrics(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	t.Setenv("HALOPSA_BASE_URL", "")
	reg := prometheus.NewRegistry()
	if c, err := haloFromEnv(log, reg, t.TempDir()); err != nil || c != nil {
		t.Fatalf("dry run: %v, %v", c, err)
	}
	if mfs, _ := reg.Gather(); len(mfs) != 0 {
		t.Errorf("dry run registered %d metrics", len(mfs))
	}

	hs := httptest.NewServer(halosandbox.New(halosandbox.Options{RateLimit: -1}))
	defer hs.Close()
	t.Setenv("HALOPSA_BASE_URL", hs.URL)
	t.Setenv("HALOPSA_CLIENT_ID", "sandbox-client")
	t.Setenv("HALOPSA_CLIENT_SECRET", "sandbox-secret")
	c, err := haloFromEnv(log, reg, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpsertClients(context.Background(), halopsa.Area{Name: "Acme Ltd"}); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, mf := range mfs {
		got[mf.GetName()] = true
	}
	// Series appear once observed; no 429 was answered here, so the
	// rate-limited counter (registered with the rest) has none yet.
	for _, name := range []string{"leadstream_halopsa_requests_total", "leadstream_halopsa_retries_total",
		"leadstream_halopsa_token_refreshes_total", "leadstream_halopsa_request_duration_seconds"} {
		if !got[name] {
			t.Errorf("%s not registered (got %v)", name, got)
		}
	}
	if _, err := halopsa.NewMetrics(reg); err == nil {
		t.Error("the client's metrics were not registered")
	}
}
