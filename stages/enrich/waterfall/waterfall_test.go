package waterfall

import (
	"slices"
	"testing"
	"time"

	"github.com/leadstream/leadstream/connectors/enrich"
	"github.com/leadstream/leadstream/internal/lead"
)

func TestNeeds(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	cfg, err := Parse([]byte(`{"attributes": {
		"email": {"providers": ["hunter"], "when": {"missing": true, "unverified": true, "confidence_below": 60, "older_than_days": 30}},
		"phone": {"providers": ["lusha"], "when": {"missing": true}},
		"mobile": {"providers": ["lusha"], "when": {"missing": true, "fit_buckets": ["hot"]}},
		"company": {"providers": ["apollo"], "when": {"missing": true}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	verified := lead.Email{Address: "a@x.com", Status: lead.EmailVerified, Confidence: 95, Valid: true, Primary: true}
	facts := func(l lead.Lead) lead.Lead {
		l.Industry, l.EmployeeCount, l.RevenueUSD = "IT", &lead.Range{Min: 10, Max: 10}, &lead.Range{Min: 1, Max: 1}
		return l
	}
	direct := lead.Phone{E164: "+14155550100", Kind: lead.PhoneDirect, Valid: true}
	tests := []struct {
		name string
		l    lead.Lead
		want []enrich.Attribute
	}{
		{"nothing known", lead.Lead{FirstName: "A"}, []enrich.Attribute{enrich.Email, enrich.Phone, enrich.Company}},
		{"complete cold lead", facts(lead.Lead{Email: "a@x.com", Emails: []lead.Email{verified}, Phones: []lead.Phone{direct}, FitBucket: "cold"}), nil},
		{"hot lead without a mobile", facts(lead.Lead{Email: "a@x.com", Emails: []lead.Email{verified}, Phones: []lead.Phone{direct}, FitBucket: "hot"}), []enrich.Attribute{enrich.Mobile}},
		{"unverified e-mail", facts(lead.Lead{Email: "a@x.com", Emails: []lead.Email{{Address: "a@x.com", Status: lead.EmailUnverified, Valid: true, Primary: true}}, Phones: []lead.Phone{direct}}), []enrich.Attribute{enrich.Email}},
		{"low confidence", facts(lead.Lead{Email: "a@x.com", Emails: []lead.Email{{Address: "a@x.com", Status: lead.EmailVerified, Confidence: 40, Valid: true, Primary: true}}, Phones: []lead.Phone{direct}}), []enrich.Attribute{enrich.Email}},
		{"stale e-mail", facts(lead.Lead{Email: "a@x.com", Emails: []lead.Email{verified}, Phones: []lead.Phone{direct},
			Provenance: map[string][]lead.Observation{"email": {{Value: "a@x.com", ObservedAt: now.AddDate(0, -3, 0)}}}}), []enrich.Attribute{enrich.Email}},
		{"invalid phone is not missing", facts(lead.Lead{Email: "a@x.com", Emails: []lead.Email{verified}, Phones: []lead.Phone{{Raw: "123", Kind: lead.PhoneDirect}}}), nil},
		{"a company phone is no direct phone", facts(lead.Lead{Email: "a@x.com", Emails: []lead.Email{verified}, Phones: []lead.Phone{{E164: "+14155550100", Kind: lead.PhoneCompany, Valid: true}}}), []enrich.Attribute{enrich.Phone}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := cfg.Needs(&tc.l, now); !slices.Equal(got, tc.want) {
				t.Errorf("Needs = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	for _, bad := range []string{
		`{"attributes": {"fax": {"providers": ["x"]}}}`,
		`{"attributes": {"email": {"providers": []}}}`,
		`{"attributes": {}, "typo": 1}`,
	} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%s) accepted", bad)
		}
	}
}

func TestDefaultConfigParses(t *testing.T) {
	c, err := Load("../../../config/enrich.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.ProviderNames()) == 0 || c.TTL() <= 0 {
		t.Errorf("default config: %+v", c)
	}
}
