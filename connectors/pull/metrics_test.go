package pull

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestProviderMetrics(t *testing.T) {
	codes := []int{200, 429, 200}
	i := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(codes[i%len(codes)])
		i++
	}))
	defer srv.Close()
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewMetrics(reg); err == nil {
		t.Error("registering twice: no error")
	}
	c := NewClient("apollo", m.Instrument("apollo", nil))
	for range codes {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL, nil)
		if _, err := c.Do(req); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		c    prometheus.Collector
		code string
		want float64
	}{
		{m.requests, "200", 2},
		{m.requests, "429", 1},
		{m.rateLimited, "429", 1},
	} {
		if got := testutil.ToFloat64(tc.c.(*prometheus.CounterVec).WithLabelValues("apollo", tc.code)); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.code, got, tc.want)
		}
	}
	var none *Metrics // no metrics: the client is used as given
	if hc := none.Instrument("apollo", http.DefaultClient); hc != http.DefaultClient {
		t.Error("nil metrics changed the client")
	}
}
