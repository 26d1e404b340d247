package halopsa_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/connectors/halopsa/halosandbox"
)

// Every HTTP attempt to /api is observed by method and resource; record
// ids stay out of the labels.
func TestRequestDurationMetric(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := halopsa.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := halopsa.NewMetrics(reg); err == nil {
		t.Error("registering twice: no error")
	}
	e := newEnv(t, halosandbox.Options{}, halopsa.Options{Metrics: m})
	ctx := context.Background()
	cl, err := e.c.UpsertClients(ctx, halopsa.Area{Name: "Acme Ltd"})
	if err != nil {
		t.Fatal(err)
	}
	var got halopsa.Area
	if err := e.c.Get(ctx, halopsa.ResClient, cl[0].ID, &got); err != nil {
		t.Fatal(err)
	}
	if err := e.c.Get(ctx, halopsa.ResClient, cl[0].ID, &got); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(reg, "leadstream_halopsa_request_duration_seconds"); n != 2 {
		t.Errorf("%d label sets, want 2 (GET Client, POST Client)", n)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counts, requests := map[string]uint64{}, map[string]float64{}
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			var method, resource, code string
			for _, l := range mt.GetLabel() {
				switch l.GetName() {
				case "method":
					method = l.GetValue()
				case "resource":
					resource = l.GetValue()
				case "code":
					code = l.GetValue()
				}
			}
			switch mf.GetName() {
			case "leadstream_halopsa_request_duration_seconds":
				counts[method+" "+resource] = mt.GetHistogram().GetSampleCount()
			case "leadstream_halopsa_requests_total":
				requests[method+" "+resource+" "+code] = mt.GetCounter().GetValue()
			}
		}
	}
	if counts["POST Client"] != 1 || counts["GET Client"] != 2 {
		t.Errorf("observations %v, want POST Client 1 and GET Client 2", counts)
	}
	if requests["POST Client 200"]+requests["POST Client 201"] != 1 || requests["GET Client 200"] != 2 {
		t.Errorf("requests %v, want POST Client 1 and GET Client 200 2", requests)
	}

	var nilM *halopsa.Metrics // a client without metrics works as before
	e2 := newEnv(t, halosandbox.Options{}, halopsa.Options{Metrics: nilM})
	if _, err := e2.c.UpsertClients(ctx, halopsa.Area{Name: "Acme Ltd"}); err != nil {
		t.Fatal(err)
	}
}

// Token fetches are counted by reason (expiry: none yet; 401: HaloPSA
// refused the token) and 429s by resource.
func TestTokenAndRateLimitMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := halopsa.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, halosandbox.Options{RateLimit: 3, RateWindow: 300 * time.Millisecond},
		halopsa.Options{Metrics: m, RateLimit: 100, RateWindow: time.Second, Max429Tries: 20,
			BackoffBase: 50 * time.Millisecond, BackoffMax: 300 * time.Millisecond})
	ctx := context.Background()
	cl, err := e.c.UpsertClients(ctx, halopsa.Area{Name: "Acme Ltd"})
	if err != nil {
		t.Fatal(err)
	}
	e.sb.ExpireTokens() // the next call gets a 401 and fetches again
	var got halopsa.Area
	for range 4 { // more than the sandbox's limit per window: a 429 on Client
		if err := e.c.Get(ctx, halopsa.ResClient, cl[0].ID, &got); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, label string
		atLeast     float64
	}{
		{"leadstream_halopsa_token_refreshes_total", "expiry", 1},
		{"leadstream_halopsa_token_refreshes_total", "401", 1},
		{"leadstream_halopsa_rate_limited_total", "Client", 1},
	} {
		if got := counterValue(t, reg, tc.name, tc.label); got < tc.atLeast {
			t.Errorf("%s{%s} = %v, want ≥ %v", tc.name, tc.label, got, tc.atLeast)
		}
	}
}

// counterValue sums the counter name's series whose only label has value.
func counterValue(t *testing.T, reg *prometheus.Registry, name, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, mt := range mf.GetMetric() {
			if l := mt.GetLabel(); len(l) == 1 && l[0].GetValue() == value {
				sum += mt.GetCounter().GetValue()
			}
		}
	}
	return sum
}
