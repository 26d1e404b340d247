package normalize

import (
	"testing"

	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
)

func TestFromCanonical(t *testing.T) {
	tests := []struct {
		name  string
		raw   map[string]string
		check func(t *testing.T, l lead.Lead)
	}{
		{"febrl header", map[string]string{"record_id": "r1", "entity_id": "e1", "first_name": "jack", "last_name": "ryan",
			"street": "21 bayly place, pacific terraces", "city": "cleveland", "state": "vic", "postcode": "4171", "country": "au"},
			func(t *testing.T, l lead.Lead) {
				if l.FirstName != "Jack" || l.LastName != "Ryan" || l.State != "VIC" || l.Country != "AU" || len(l.Extra) != 0 {
					t.Errorf("%+v", l)
				}
			}},
		{"unknown columns kept", map[string]string{"email": "A@Acme.com", "shoe_size": "44"},
			func(t *testing.T, l lead.Lead) {
				if l.Email != "a@acme.com" || l.Extra["shoe_size"] != "44" || l.Domain != "acme.com" {
					t.Errorf("%+v", l)
				}
			}},
		{"garbage records issues", map[string]string{"email": "\x00\xff@", "phone": "0000", "country": "Mars", "domain": "???"},
			func(t *testing.T, l lead.Lead) {
				if len(l.Issues) < 4 || l.Email != "" || l.Phone != "" || l.Country != "" || l.Domain != "" {
					t.Errorf("%+v", l)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.check(t, FromCanonical(tt.raw)) })
	}
}

func TestProcessNoRaw(t *testing.T) {
	if err := process(lead.Normalizer{}, &pipeline.Envelope{TraceID: "x"}, nil); err == nil {
		t.Error("want an error for a record without raw fields")
	}
}
