package pipeline

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/encoding/json"
	"github.com/tinylib/msgp/msgp"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/internal/lead"
)

func TestEnvelopeProvenanceRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 2, 3, 4, 5, 6, time.UTC)
	later := at.Add(time.Hour)
	prov := map[string][]lead.Observation{
		"first_name": {{Value: "Ada", Source: "csv", SourceRecordID: "r1", ObservedAt: at, Selected: true}},
		"title": {{Value: "CTO", Source: "csv", SourceRecordID: "r1", ObservedAt: at},
			{Value: "CIO", Source: "apollo", SourceRecordID: "a9", ObservedAt: later, Confidence: 80, Selected: true}},
	}
	// A merged lead with more origins than packProvenance scans.
	many := map[string][]lead.Observation{}
	for i := range 40 {
		o := lead.Observation{Value: fmt.Sprint("v", i), Source: fmt.Sprint("s", i%20), SourceRecordID: fmt.Sprint("r", i%20), ObservedAt: at.Add(time.Duration(i%20) * time.Minute)}
		many[fmt.Sprint("a", i%7)] = append(many[fmt.Sprint("a", i%7)], o)
	}
	for _, tc := range []struct {
		name string
		env  Envelope
	}{
		{"lead with many origins", Envelope{TraceID: "imp:4", FirstSeen: at, Lead: &lead.Lead{FirstName: "Cy", Provenance: many}}},
		{"lead with provenance", Envelope{TraceID: "imp:1", Source: Source{Provider: "csv", RecordID: "r1"}, FirstSeen: at,
			Lead: &lead.Lead{FirstName: "Ada", Title: "CIO", Provenance: prov}}},
		{"lead without provenance", Envelope{TraceID: "imp:2", FirstSeen: at, Lead: &lead.Lead{FirstName: "Bo"}}},
		{"no lead", Envelope{TraceID: "imp:3", FirstSeen: at, Raw: map[string]string{"email": "x@y.z"}}},
		{"person at a site", Envelope{TraceID: "imp:4", FirstSeen: at, LeadID: "ld_p",
			Lead: &lead.Lead{FirstName: "Ann", Company: "Acme", Sites: []lead.Site{{LeadID: "ld_s1", OrganisationID: "ld_o"}, {LeadID: "ld_s2", OrganisationID: "ld_o"}}},
			Site: &lead.Site{LeadID: "ld_s2", OrganisationID: "ld_o", Company: "Acme", Phone: "+442079460123",
				Address: &lead.Address{Street: "1 Quay Road", City: "Leeds", Postcode: "LS1 1AA", Country: "GB"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := tc.env.Record(TopicValid, "k")
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeEnvelope(rec)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.env
			want.V, want.Key = EnvelopeVersion, "k"
			if !reflect.DeepEqual(*got, want) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
			}
			if tc.env.Lead != nil && len(tc.env.Lead.Provenance) > 0 && tc.env.Lead.Provenance == nil {
				t.Fatal("encoding changed the caller's lead")
			}
		})
	}
}

// A version 1 record (provenance inside the lead) is still read.
func TestDecodeEnvelopeVersion1(t *testing.T) {
	v1 := `{"v":1,"trace_id":"imp:7","source":{"provider":"csv","record_id":"r7"},"first_seen":"2026-11-02T03:04:05Z",` +
		`"lead":{"first_name":"Ada","provenance":{"first_name":[{"value":"Ada","source":"csv","source_record_id":"r7","observed_at":"2026-11-02T03:04:05Z","selected":true}]}}}`
	env, err := DecodeEnvelope(&kgo.Record{Value: []byte(v1)})
	if err != nil {
		t.Fatal(err)
	}
	want := []lead.Observation{{Value: "Ada", Source: "csv", SourceRecordID: "r7", ObservedAt: time.Date(2026, 11, 2, 3, 4, 5, 0, time.UTC), Selected: true}}
	if !reflect.DeepEqual(env.Lead.Provenance["first_name"], want) {
		t.Fatalf("provenance = %+v", env.Lead.Provenance)
	}
}

// A record written before sites (issue 12) reads with none, and a record
// with a site keeps it through the wire.
func TestEnvelopeSiteOnTheWire(t *testing.T) {
	old := `{"v":2,"trace_id":"imp:8","source":{"provider":"csv","record_id":"r8"},"first_seen":"2026-11-02T03:04:05Z","lead_id":"ld_p","lead":{"first_name":"Ann"}}`
	env, err := DecodeEnvelope(&kgo.Record{Value: []byte(old)})
	if err != nil {
		t.Fatal(err)
	}
	if env.Site != nil || env.Lead.Sites != nil {
		t.Errorf("an old record has site %+v, sites %+v", env.Site, env.Lead.Sites)
	}
	env.Site = &lead.Site{LeadID: "ld_s", OrganisationID: "ld_o"}
	b, err := env.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeEnvelope(&kgo.Record{Value: b})
	if err != nil {
		t.Fatal(err)
	}
	if back.LeadID != "ld_p" || back.Site == nil || back.Site.LeadID != "ld_s" || back.Site.OrganisationID != "ld_o" {
		t.Errorf("decoded lead %q, site %+v", back.LeadID, back.Site)
	}
}

// After dedupe, records carry each field's current provenance only; and
// version 2 names each origin once.
func TestMergedLeadRecordsCarryCurrentProvenance(t *testing.T) {
	at := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	l := &lead.Lead{Title: "CIO", Provenance: map[string][]lead.Observation{"title": {
		{Value: "CTO", Source: "csv", SourceRecordID: "r1", ObservedAt: at},
		{Value: "CIO", Source: "apollo", SourceRecordID: "a9", ObservedAt: at, Selected: true}}}}
	for _, tc := range []struct {
		topic string
		want  int
	}{{TopicValid, 2}, {TopicUnique, 1}, {"ns." + TopicEnriched, 1}, {TopicSynced, 1}, {TopicReview, 2}} {
		rec, err := (&Envelope{TraceID: "t:1", Lead: l}).Record(tc.topic, "k")
		if err != nil {
			t.Fatal(err)
		}
		env, err := DecodeEnvelope(rec)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(env.Lead.Provenance["title"]); n != tc.want {
			t.Errorf("%s: %d title observations, want %d", tc.topic, n, tc.want)
		}
		if strings.Contains(string(rec.Value), "provenance") {
			t.Errorf("%s: record spells provenance inside the lead: %q", tc.topic, rec.Value)
		}
		var js bytes.Buffer
		if _, err := msgp.UnmarshalAsJSON(&js, rec.Value); err != nil {
			t.Fatalf("%s: not MessagePack: %v", tc.topic, err)
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(js.Bytes(), &raw); err != nil || raw["prov"] == nil {
			t.Errorf("%s: no prov beside the lead: %s", tc.topic, rec.Value)
		}
	}
	if len(l.Provenance["title"]) != 2 {
		t.Fatal("Record changed the caller's lead")
	}
}

// packProvenance returns p in version 2's JSON form (nil when empty), as
// the builds that wrote version 2 did.
func packProvenance(p map[string][]lead.Observation) *wireProvenance {
	if len(p) == 0 {
		return nil
	}
	w := &wireProvenance{Attrs: make(map[string][]wireObservation, len(p))}
	attrs := make([]string, 0, len(p))
	for a := range p {
		attrs = append(attrs, a)
	}
	slices.Sort(attrs)
	var index map[wireOrigin]int
	for _, a := range attrs {
		obs := make([]wireObservation, len(p[a]))
		for i, o := range p[a] {
			n := originNumber(&w.Origins, &index, wireOrigin{Source: o.Source, RecordID: o.SourceRecordID, At: o.ObservedAt})
			obs[i] = wireObservation{Value: o.Value, O: n, Confidence: o.Confidence, Selected: o.Selected}
		}
		w.Attrs[a] = obs
	}
	return w
}
