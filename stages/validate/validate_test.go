package validate

import (
	"slices"
	"testing"

	"github.com/leadstream/leadstream/internal/lead"
	"github.com/leadstream/leadstream/pipeline"
)

func norm(raw map[string]string) *lead.Lead {
	l, _ := lead.Normalize(raw, lead.Source{Key: "apollo", RecordID: "t"})
	return &l
}

func TestQualitySpecExamples(t *testing.T) {
	tests := []struct {
		name string
		raw  map[string]string
		want int
	}{
		{"complete", map[string]string{"first_name": "Ann", "last_name": "Lee", "email": "ann@acme.com", "email_status": "verified",
			"phone": "020 7946 0123", "country": "GB", "company": "Acme Ltd", "domain": "acme.com", "title": "IT Director"}, 100},
		{"unverified on company domain, no phone", map[string]string{"first_name": "Ann", "last_name": "Lee", "email": "ann@acme.com",
			"company": "Acme Ltd", "domain": "acme.com", "title": "Sales Manager"}, 66},
		{"name and company only", map[string]string{"first_name": "Ann", "last_name": "Lee", "company": "Acme Ltd"}, 30},
		{"role address halves the email", map[string]string{"email": "info@acme.com", "email_status": "valid"}, 20}, // 15 + domain 5
		{"company phone scores 0.8", map[string]string{"company_phone": "+44 20 7946 0123"}, 20},
		{"possible-only phone scores 0.3", map[string]string{"phone": "(555) 123-4567", "country": "US"}, 8},
		{"initial counts as half a name", map[string]string{"first_name": "J.", "last_name": "Lee"}, 10},
		{"underivable title scores 0.6", map[string]string{"title": "Consultant"}, 6},
		{"free-mail email with another domain", map[string]string{"email": "ann@gmail.com", "domain": "acme.com"}, 24}, // 21 + 3
		{"disposable email scores 0", map[string]string{"email": "ann@mailinator.com"}, 0},
		{"invalid email scores 0", map[string]string{"email": "ann@acme", "email_status": "verified"}, 0},
		{"provider says invalid", map[string]string{"email": "ann@acme.com", "email_status": "invalid"}, 0}, // no domain from an invalid address
		{"febrl", map[string]string{"first_name": "jack", "last_name": "ryan", "street": "21 bayly place", "city": "cleveland", "postcode": "4171", "country": "AU"}, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := Quality(norm(tt.raw))
			if got != tt.want {
				t.Errorf("quality = %d (%v), want %d", got, why, tt.want)
			}
		})
	}
}

func TestGates(t *testing.T) {
	tests := []struct {
		name    string
		raw     map[string]string
		outcome pipeline.Outcome
		reasons []string // must all be present
	}{
		{"no identity", map[string]string{"title": "CEO", "city": "Leeds"}, pipeline.OutcomeRejected, []string{ReasonInvalidData, "no_email", "no_phone", "no_name"}},
		// Issue 12: a company and no person is an organisation record.
		{"organisation name alone is thin: held for quality", map[string]string{"company": "Acme"}, "", []string{ReasonLowQuality, ReasonOrganisationNameOnly}},
		{"organisation with a domain passes", map[string]string{"company": "Acme B.V.", "domain": "acme.nl"}, "", nil},
		{"organisation with an address passes", map[string]string{"company": "Acme", "street": "1 Main St", "city": "Leeds", "postcode": "LS1 1AA"}, "", nil},
		{"organisation with a phone passes", map[string]string{"company": "Acme", "phone": "+44 20 7946 0123"}, "", nil},
		{"invalid email only", map[string]string{"email": "nobody@", "last_name": "Lee"}, pipeline.OutcomeRejected, []string{ReasonInvalidData, "email_invalid", "no_company_or_address"}},
		{"disposable email only", map[string]string{"email": "a@mailinator.com"}, pipeline.OutcomeRejected, []string{ReasonInvalidData, "email_invalid", "no_name"}},
		{"unparsed phone only", map[string]string{"phone": "12345", "country": "US"}, pipeline.OutcomeRejected, []string{ReasonInvalidData, "phone_invalid"}},
		{"name and company is identity but low quality", map[string]string{"first_name": "Ann", "last_name": "Lee", "company": "Acme"}, "", []string{ReasonLowQuality, "no_email", "no_phone"}},
		{"possible phone is identity", map[string]string{"phone": "(555) 123-4567", "country": "US"}, "", []string{ReasonLowQuality, "phone_unverified_format"}},
		{"febrl full name and address passes", map[string]string{"first_name": "jack", "last_name": "ryan", "street": "21 bayly place", "city": "cleveland", "postcode": "4171", "state": "vic", "country": "AU"}, "", nil},
		{"febrl without first name goes to review", map[string]string{"last_name": "querzoli", "street": "75 sloane place", "city": "mount eliza", "postcode": "3083"}, "", []string{ReasonLowQuality, "partial_name"}},
		{"name and city alone is thin: held for quality", map[string]string{"first_name": "jack", "last_name": "ryan", "city": "cleveland"}, "", []string{ReasonLowQuality}},
		{"name alone is rejected", map[string]string{"first_name": "jack", "last_name": "ryan"}, pipeline.OutcomeRejected, []string{ReasonInvalidData}},
		{"good lead", map[string]string{"first_name": "Ann", "last_name": "Lee", "email": "ann@acme.com", "company": "Acme", "title": "CTO"}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := norm(tt.raw)
			v := Check(l, DefaultReviewBelow)
			if v.Outcome != tt.outcome {
				t.Fatalf("outcome %q (%v, quality %d), want %q", v.Outcome, v.Reasons, v.Quality, tt.outcome)
			}
			for _, r := range tt.reasons {
				if !slices.Contains(v.Reasons, r) {
					t.Errorf("reasons %v lack %q", v.Reasons, r)
				}
			}
			if l.QualityScore != v.Quality {
				t.Errorf("lead quality %d, verdict %d", l.QualityScore, v.Quality)
			}
		})
	}
	if v := Check(nil, DefaultReviewBelow); v.Outcome != pipeline.OutcomeRejected {
		t.Errorf("nil lead: %+v", v)
	}
}

func TestRouting(t *testing.T) {
	for _, tc := range []struct {
		raw   map[string]string
		topic string
	}{
		{map[string]string{"title": "CEO"}, pipeline.TopicRejected},
		{map[string]string{"company": "Acme", "domain": "acme.com"}, pipeline.TopicValid},
		// Low quality goes on, marked: dedupe holds it only if it would be new.
		{map[string]string{"first_name": "Ann", "last_name": "Lee", "company": "Acme"}, pipeline.TopicValid},
		{map[string]string{"first_name": "Ann", "last_name": "Lee", "email": "ann@acme.com", "company": "Acme", "title": "CTO"}, pipeline.TopicValid},
	} {
		in := &pipeline.Envelope{TraceID: "t:1", Lead: norm(tc.raw)}
		route(in, DefaultReviewBelow)
		if got := topicOf(in); got != tc.topic {
			t.Errorf("%v → %s (%v), want %s", tc.raw, got, in.Reasons, tc.topic)
		}
	}
}

func TestVersionOneLead(t *testing.T) {
	l := &lead.Lead{FirstName: "a", Email: "a@acme.com", Phone: "+1 212 555 0123"}
	if r := Identity(l); r != nil {
		t.Errorf("v1 lead identity: %v", r)
	}
	if !PlausibleEmail("a@acme.com") || PlausibleEmail("a@acme") || PlausibleEmail("") || PlausibleEmail("x@mailinator.com") {
		t.Error("PlausibleEmail")
	}
}
