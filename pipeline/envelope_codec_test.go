package pipeline

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/segmentio/encoding/json"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/leadstream/leadstream/internal/lead"
)

// fill sets every exported field reachable from v to a non-zero value, so
// that a field the generated codec does not know is lost in a round trip.
func fill(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		v.SetString(path)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(len(path)))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(len(path)))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(len(path)) + 0.5)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(t, p.Elem(), path)
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(t, s.Index(0), path+"[0]")
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k := reflect.New(v.Type().Key()).Elem()
		fill(t, k, path+".key")
		e := reflect.New(v.Type().Elem()).Elem()
		fill(t, e, path+"[key]")
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Date(2026, 12, 7, 1, 2, 3, len(path), time.UTC)))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if !f.IsExported() || f.Tag.Get("json") == "-" {
				continue
			}
			fill(t, v.Field(i), path+"."+f.Name)
		}
	default:
		t.Fatalf("fill: %s has kind %s", path, v.Kind())
	}
}

// Every field of the envelope and of the lead survives the wire: a field
// added without `go generate ./pipeline ./internal/lead` fails here.
func TestEnvelopeCodecCoversEveryField(t *testing.T) {
	var env Envelope
	fill(t, reflect.ValueOf(&env).Elem(), "env")
	env.Prov = nil   // the wire form of Lead.Provenance, set by Encode
	env.Sealed = nil // the wire form of sealed personal data (seal_test.go)
	env.Inbound, env.Event = json.RawMessage(`{"a":1}`), json.RawMessage(`[2]`)
	env.Stages = []string{"normalize", "validate"}
	rec, err := env.Record(TopicValid, "the-key")
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeEnvelope(rec)
	if err != nil {
		t.Fatal(err)
	}
	want := env
	want.V, want.Key = EnvelopeVersion, "the-key"
	if !reflect.DeepEqual(*got, want) {
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(want)
		t.Fatalf("round trip lost fields:\n got %s\nwant %s", gb, wb)
	}
}

// Records written as JSON by earlier builds (versions 1 and 2) decode to
// the same envelope as the MessagePack of version 3.
func TestDecodeEnvelopeJSONVersions(t *testing.T) {
	at := time.Date(2026, 11, 2, 3, 4, 5, 0, time.UTC)
	env := Envelope{TraceID: "imp:9", Source: Source{Provider: "csv", RecordID: "r9", Line: 9}, FirstSeen: at,
		Lead: &lead.Lead{V: lead.Version, FirstName: "Ada", Emails: []lead.Email{{Address: "ada@example.com", Valid: true, Primary: true}},
			Provenance: map[string][]lead.Observation{"first_name": {{Value: "Ada", Source: "csv", SourceRecordID: "r9", ObservedAt: at, Selected: true}}}},
		Outcome: OutcomeSynced, Reasons: []string{"x"}, Halo: &HaloRef{TicketID: 4}}
	v2 := env
	v2.V = 2
	bare := *env.Lead
	bare.Provenance = nil
	v2.Lead = &bare
	v2.Prov = packProvenance(env.Lead.Provenance)
	b, err := json.Marshal(&v2)
	if err != nil {
		t.Fatal(err)
	}
	for _, value := range [][]byte{b, append([]byte(" \n"), b...)} {
		got, err := DecodeEnvelope(&kgo.Record{Key: []byte("k"), Value: value})
		if err != nil {
			t.Fatal(err)
		}
		want := env
		want.V, want.Key = 2, "k"
		if !reflect.DeepEqual(*got, want) {
			t.Fatalf("version 2 JSON:\n got %+v\nwant %+v", got, want)
		}
	}
	for _, bad := range []string{"", "\x81\xa1v", "\xc1"} {
		if _, err := DecodeEnvelope(&kgo.Record{Value: []byte(bad)}); err == nil {
			t.Errorf("DecodeEnvelope(%q): no error", bad)
		}
	}
}

// benchEnvelope is a normalised record as it travels leads.normalized.
func benchEnvelope() *Envelope {
	at := time.Date(2026, 12, 7, 1, 2, 3, 0, time.UTC)
	l, _ := lead.Normalize(map[string]string{"record_id": "ra01d6329783f", "first_name": "Ingrid", "last_name": "Dubois",
		"email": "ingrid.dubois51@cobaltit83.com", "phone": "+1 594 6354905", "title": "Procurement Manager",
		"company": "Cobalt IT Corp.", "domain": "cobaltit83.com", "street": "46 Tanaka Street", "city": "Boston",
		"postcode": "05770", "country": "US"}, lead.Source{Key: "csv", RecordID: "ra01d6329783f", ObservedAt: at})
	return &Envelope{TraceID: "imp_46d6e52cf6c5f4ae4611:2", Source: Source{Provider: "csv", RecordID: "ra01d6329783f",
		File: "leads.csv", Line: 2, ImportID: "imp_46d6e52cf6c5f4ae4611"}, FirstSeen: at, Lead: &l, Stages: []string{"normalize"}}
}

// BenchmarkEnvelopeCodec encodes and decodes one normalised record: wire
// version 3 (MessagePack, what Record writes) against version 2 (JSON,
// what earlier builds wrote).
func BenchmarkEnvelopeCodec(b *testing.B) {
	env := benchEnvelope()
	b.Run("v3-msgpack", func(b *testing.B) {
		b.ReportAllocs()
		var size int
		for b.Loop() {
			rec, err := env.Record(TopicNormalized, "k")
			if err != nil {
				b.Fatal(err)
			}
			if _, err := DecodeEnvelope(rec); err != nil {
				b.Fatal(err)
			}
			size = len(rec.Value)
		}
		b.ReportMetric(float64(size), "bytes/record")
	})
	b.Run("v2-json", func(b *testing.B) {
		b.ReportAllocs()
		var size int
		for b.Loop() {
			v2 := *env
			v2.V = 2
			bare := *env.Lead
			bare.Provenance = nil
			v2.Lead = &bare
			v2.Prov = packProvenance(env.Lead.Provenance)
			v, err := json.Marshal(&v2)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := DecodeEnvelope(&kgo.Record{Key: []byte("k"), Value: v}); err != nil {
				b.Fatal(err)
			}
			size = len(v)
		}
		b.ReportMetric(float64(size), "bytes/record")
	})
}

// A receipt keeps the ids, the outcome and the scores, and no personal
// data: its encoding holds none of the lead's or site's values.
func TestReceiptCarriesNoPersonalData(t *testing.T) {
	l := &lead.Lead{FirstName: "Zoltan", LastName: "Quixotic", Email: "zq@quixotic.example", Company: "Quixotic Ltd",
		QualityScore: 81, FitScore: 40, FitBucket: "warm", OrganisationID: "ld_org",
		Provenance: map[string][]lead.Observation{"email": {{Value: "zq@quixotic.example", Source: "csv"}}}}
	e := &Envelope{TraceID: "imp:1", Source: Source{Provider: "csv", RecordID: "r1"}, FirstSeen: time.Now().UTC(),
		Raw: map[string]string{"email": "zq@quixotic.example"}, Lead: l, LeadID: "ld_1", Decision: "merge",
		Site:    &lead.Site{LeadID: "ld_s", OrganisationID: "ld_org", Company: "Quixotic Ltd", Phone: "+442079460999"},
		Outcome: OutcomeMerged, Halo: &HaloRef{TicketID: 7}, Absorbed: []string{"ld_0"}}
	r := e.Receipt()
	rec, err := r.Record(TopicSynced, "k")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Zoltan", "Quixotic", "quixotic.example", "2079460999"} {
		if bytes.Contains(rec.Value, []byte(s)) {
			t.Errorf("receipt holds %q", s)
		}
	}
	back, err := DecodeEnvelope(rec)
	if err != nil {
		t.Fatal(err)
	}
	if back.LeadID != "ld_1" || back.Decision != "merge" || back.Outcome != OutcomeMerged || back.Halo == nil || back.Halo.TicketID != 7 ||
		back.Lead == nil || back.Lead.QualityScore != 81 || back.Lead.OrganisationID != "ld_org" ||
		back.Site == nil || back.Site.LeadID != "ld_s" || back.Site.OrganisationID != "ld_org" || len(back.Absorbed) != 1 {
		t.Fatalf("receipt lost what its readers need: %+v lead %+v site %+v", back, back.Lead, back.Site)
	}
	if e.Lead.Email == "" || e.Site.Company == "" {
		t.Fatal("the envelope itself was changed")
	}
}
