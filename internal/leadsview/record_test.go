package leadsview

import (
	"reflect"
	"testing"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
)

// The store's Doc codec: MessagePack now, JSON from earlier releases.
func TestDecodeDoc(t *testing.T) {
	at := time.Date(2026, 11, 1, 15, 4, 5, 6, time.UTC)
	full := &Doc{LeadID: "ld_1", State: StateSynced, UpdatedAt: at, Halo: &pipeline.HaloRef{TicketID: 9, StatusID: 2},
		Sources: []SourceRecord{{Source: "apollo", SourceRecordID: "a1", FirstSeen: at, LastSeen: at.Add(time.Hour)}},
		Lead:    &lead.Lead{V: lead.Version, FirstName: "Zoë", LastName: "Müller", Email: "zoe@acme.de", FitScore: 70}}
	bare := &Doc{LeadID: "ld_2", State: StateSuppressed, UpdatedAt: at, Sources: []SourceRecord{}}
	msgp := func(d *Doc) []byte {
		b, err := encodeDoc(d)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	jsn := func(d *Doc) []byte {
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		in   []byte
		want *Doc
	}{
		{"messagepack", msgp(full), full},
		{"messagepack without halopsa or lead", msgp(bare), bare},
		{"json of an earlier release", jsn(full), full},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeDoc(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
	if _, err := decodeDoc([]byte{0x86, 0xa7}); err == nil {
		t.Fatal("a truncated value decoded")
	}
}
