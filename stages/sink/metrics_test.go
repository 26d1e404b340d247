package sink

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/leadstream/leadstream/connectors/halopsa"
	"github.com/leadstream/leadstream/pipeline"
)

func TestFieldMismatchMetric(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewMetrics(reg); err == nil {
		t.Error("registering twice: no error")
	}
	halo, err := halopsa.New(halopsa.Options{BaseURL: "http://halo.invalid", ClientID: "id", ClientSecret: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	p := &processor{stage: New(Options{Halo: halo, Metrics: m}), fields: defaultFieldSet()}
	sent := []halopsa.CustomField{{ID: 101, Value: "Apollo.io"}, {ID: 109, Value: "Director"}, {ID: 113, Value: "Berlin"}, {ID: 999, Value: "x"}}
	for _, tc := range []struct {
		name   string
		echoed []halopsa.CustomField
	}{
		{"all stored", []halopsa.CustomField{{ID: 101, Value: "Apollo.io"}, {ID: 109, Value: 4, Display: "Director"}, {ID: 113, Value: "Berlin"}, {ID: 999, Value: "x"}}},
		{"two dropped, one changed", []halopsa.CustomField{{ID: 101, Value: "Apollo.io"}, {ID: 113, Value: "Hamburg"}}},
		{"one dropped", []halopsa.CustomField{{ID: 101, Value: "Apollo.io"}, {ID: 109, Value: "Director"}, {ID: 999, Value: "x"}}},
	} {
		p.verify("ld_"+tc.name, sent, tc.echoed)
	}
	for field, want := range map[string]float64{"CF_101": 0, "CF_109": 1, "CF_113": 2, "999": 1} {
		if got := testutil.ToFloat64(m.mismatches.WithLabelValues(field)); got != want {
			t.Errorf("field_mismatch{field=%q} = %v, want %v", field, got, want)
		}
	}
	// A dry run compares nothing; a nil *Metrics counts nothing.
	dry := &processor{stage: New(Options{Metrics: m}), fields: defaultFieldSet()}
	dry.verify("ld_dry", sent, nil)
	if got := testutil.ToFloat64(m.mismatches.WithLabelValues("CF_101")); got != 0 {
		t.Errorf("dry run counted %v mismatches", got)
	}
	(&processor{stage: New(Options{Halo: halo}), fields: defaultFieldSet()}).verify("ld_nil", sent, nil)
}

func TestEndToEndMetric(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	p := &processor{stage: New(Options{Metrics: m, Now: func() time.Time { return now }})}
	for _, in := range []*pipeline.Envelope{
		{Source: pipeline.Source{Provider: "apollo"}, FirstSeen: now.Add(-2 * time.Second)},
		{Source: pipeline.Source{Provider: "apollo"}, FirstSeen: now.Add(-10 * time.Minute)},
		{Source: pipeline.Source{Provider: "csv"}, FirstSeen: now.Add(time.Second)}, // clock skew: 0
		{Source: pipeline.Source{Provider: "csv"}},                                  // no ingest time: not observed
	} {
		p.written(in)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	type obs struct {
		n   uint64
		sum float64
	}
	got := map[string]obs{}
	for _, mf := range mfs {
		if mf.GetName() != "leadstream_end_to_end_seconds" {
			continue
		}
		for _, mt := range mf.GetMetric() {
			h := mt.GetHistogram()
			got[mt.GetLabel()[0].GetValue()] = obs{h.GetSampleCount(), h.GetSampleSum()}
			if n := len(h.GetBucket()); n != 8 {
				t.Errorf("%d buckets, want 8", n)
			}
		}
	}
	want := map[string]obs{"apollo": {2, 602}, "csv": {1, 0}}
	if len(got) != len(want) || got["apollo"] != want["apollo"] || got["csv"] != want["csv"] {
		t.Errorf("end_to_end %v, want %v", got, want)
	}
	(&processor{stage: New(Options{})}).written(&pipeline.Envelope{FirstSeen: now}) // nil metrics
}
