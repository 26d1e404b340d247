package lead

import (
	"reflect"
	"testing"
	"time"
)

func TestWithCurrentProvenance(t *testing.T) {
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		prov map[string][]Observation
		want map[string][]Observation
	}{
		{"none", nil, nil},
		{"history dropped, selected kept",
			map[string][]Observation{
				"title": {{Value: "CTO", Source: "apollo", ObservedAt: at}, {Value: "CIO", Source: "zoominfo", ObservedAt: at, Selected: true}},
				"email": {{Value: "a@x.com", Source: "apollo", ObservedAt: at, Selected: true}},
			},
			map[string][]Observation{
				"title": {{Value: "CIO", Source: "zoominfo", ObservedAt: at, Selected: true}},
				"email": {{Value: "a@x.com", Source: "apollo", ObservedAt: at, Selected: true}},
			}},
		{"attribute with no current value dropped",
			map[string][]Observation{"phone": {{Value: "12", Source: "hunter", ObservedAt: at}}},
			map[string][]Observation{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &Lead{FirstName: "Ada", Provenance: tc.prov}
			before := len(tc.prov["title"])
			got := l.WithCurrentProvenance()
			if !reflect.DeepEqual(got.Provenance, tc.want) {
				t.Fatalf("provenance = %v, want %v", got.Provenance, tc.want)
			}
			if got.FirstName != "Ada" {
				t.Fatalf("fields not copied: %+v", got)
			}
			if len(l.Provenance["title"]) != before {
				t.Fatal("the original lead was changed")
			}
		})
	}
}
