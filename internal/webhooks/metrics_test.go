package webhooks

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetricsRegister(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewMetrics(reg); err == nil {
		t.Error("registering twice: no error")
	}
	m.count(EventLeadCreated, ResultDelivered)
	m.count(EventLeadCreated, ResultDelivered)
	m.count(EventSyncCompleted, ResultFailed)
	if n := testutil.CollectAndCount(reg, "leadstream_webhook_outbound_total"); n != 2 {
		t.Errorf("%d series, want 2", n)
	}
	if got := testutil.ToFloat64(m.outbound.WithLabelValues(EventLeadCreated, ResultDelivered)); got != 2 {
		t.Errorf("delivered = %v, want 2", got)
	}
	var nilM *Metrics
	nilM.count(EventLeadCreated, ResultRetried) // counts nothing, no panic
}
