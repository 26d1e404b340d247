package lead

import (
	"slices"
	"testing"
	"time"

	"github.com/segmentio/encoding/json"
)

// rec is one source record for the merge tests.
type rec struct {
	source string
	at     int // hours after a fixed time
	raw    map[string]string
}

func (r rec) lead(t *testing.T) *Lead {
	t.Helper()
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.at) * time.Hour)
	l, _ := Normalizer{Now: fixedNow}.Normalize(r.raw, Source{Key: r.source, RecordID: r.source + "-" + time.Duration(r.at).String(), ObservedAt: at})
	return &l
}

// merged folds the records into the first one, in order.
func merged(t *testing.T, p Precedence, recs ...rec) *Lead {
	t.Helper()
	l := recs[0].lead(t)
	for _, r := range recs[1:] {
		l.Merge(r.lead(t), p)
	}
	return l
}

func selectedValues(l *Lead, attr string) []string {
	var out []string
	for _, o := range l.Provenance[attr] {
		if o.Selected {
			out = append(out, o.Value)
		}
	}
	return out
}

func TestMerge(t *testing.T) {
	base := func(extra map[string]string) map[string]string {
		m := map[string]string{"first_name": "Ann", "last_name": "Lee", "company": "Acme Ltd"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name  string
		p     Precedence
		recs  []rec
		check func(t *testing.T, l *Lead)
	}{
		{
			name: "provider precedence beats arrival order",
			recs: []rec{
				{"hunter", 5, base(map[string]string{"title": "Sales Manager", "city": "Leeds"})},
				{"apollo", 1, base(map[string]string{"title": "Chief Technology Officer", "city": "London"})},
			},
			check: func(t *testing.T, l *Lead) {
				if l.Title != "Chief Technology Officer" || l.City != "London" {
					t.Errorf("title %q city %q, want apollo's", l.Title, l.City)
				}
				// Seniority and department come with the winning title.
				if l.Seniority != SeniorityCSuite || l.Department != DeptIT {
					t.Errorf("seniority %q department %q", l.Seniority, l.Department)
				}
			},
		},
		{
			name: "higher precedence kept when it arrived first",
			recs: []rec{
				{"apollo", 1, base(map[string]string{"title": "Chief Technology Officer"})},
				{"hunter", 5, base(map[string]string{"title": "Sales Manager"})},
			},
			check: func(t *testing.T, l *Lead) {
				if l.Title != "Chief Technology Officer" || l.Seniority != SeniorityCSuite || l.Department != DeptIT {
					t.Errorf("title %q seniority %q department %q", l.Title, l.Seniority, l.Department)
				}
			},
		},
		{
			name: "tie on precedence goes to the newer observation",
			recs: []rec{
				{"apollo", 2, base(map[string]string{"city": "London", "industry": "Retail"})},
				{"apollo", 3, base(map[string]string{"city": "Leeds"})},
				{"apollo", 1, base(map[string]string{"industry": "Software"})},
			},
			check: func(t *testing.T, l *Lead) {
				if l.City != "Leeds" || l.Industry != "Retail" {
					t.Errorf("city %q industry %q, want Leeds (newer) and Retail (newer)", l.City, l.Industry)
				}
			},
		},
		{
			name: "tie on precedence and time goes to the smaller value",
			recs: []rec{
				{"apollo", 1, base(map[string]string{"city": "Manchester"})},
				{"apollo", 1, base(map[string]string{"city": "Bristol"})},
			},
			check: func(t *testing.T, l *Lead) {
				if l.City != "Bristol" {
					t.Errorf("city %q", l.City)
				}
			},
		},
		{
			name: "per-attribute precedence",
			p:    Precedence{Attributes: map[string][]string{"title": {"hunter", "apollo"}}},
			recs: []rec{
				{"apollo", 1, base(map[string]string{"title": "CEO", "city": "London"})},
				{"hunter", 1, base(map[string]string{"title": "CFO", "city": "Leeds"})},
			},
			check: func(t *testing.T, l *Lead) {
				if l.Title != "CFO" || l.City != "London" {
					t.Errorf("title %q city %q", l.Title, l.City)
				}
			},
		},
		{
			name: "invalid never beats valid",
			recs: []rec{
				{"hunter", 1, base(map[string]string{"email": "ann@acme.com", "email_status": "valid", "phone": "+44 20 7946 0123"})},
				{"apollo", 9, base(map[string]string{"email": "ann@@acme", "phone": "12345"})},
				{"apollo", 9, base(map[string]string{"email": "ann@mailinator.com", "email_status": "verified"})},
				// A higher-ranked provider calling the same address invalid
				// does not make it unusable.
				{"apollo", 9, base(map[string]string{"email": "ann@acme.com", "email_status": "invalid"})},
			},
			check: func(t *testing.T, l *Lead) {
				if l.Email != "ann@acme.com" || l.Phone != "+442079460123" {
					t.Errorf("email %q phone %q", l.Email, l.Phone)
				}
				if len(l.Emails) != 3 || len(l.Phones) != 2 {
					t.Errorf("kept %d emails %d phones, want 3 and 2", len(l.Emails), len(l.Phones))
				}
				if e, _ := l.PrimaryEmail(); e.Status != EmailVerified || !e.Usable() {
					t.Errorf("primary %+v", e)
				}
			},
		},
		{
			name: "primary e-mail by status, then precedence",
			recs: []rec{
				{"apollo", 1, base(map[string]string{"email": "a.lee@acme.com", "email_status": "unverified"})},
				{"hunter", 1, base(map[string]string{"email": "ann@acme.com", "email_status": "valid"})},
				{"zoominfo", 1, base(map[string]string{"email": "lee@acme.com", "email_status": "valid"})},
				{"lusha", 1, base(map[string]string{"email": "annl@acme.com", "email_status": "catch-all"})},
			},
			check: func(t *testing.T, l *Lead) {
				if l.Email != "lee@acme.com" {
					t.Errorf("primary %q, want zoominfo's verified address", l.Email)
				}
				n := 0
				for _, e := range l.Emails {
					if e.Primary {
						n++
					}
				}
				if n != 1 || len(l.Emails) != 4 {
					t.Errorf("%d primaries among %d emails", n, len(l.Emails))
				}
				if got := selectedValues(l, "email"); !slices.Equal(got, []string{"lee@acme.com"}) {
					t.Errorf("selected emails %v", got)
				}
			},
		},
		{
			name: "primary e-mail tie goes to confidence",
			recs: []rec{
				{"apollo", 1, base(map[string]string{"email": "a@acme.com", "email_status": "verified", "email_confidence": "60"})},
				{"apollo", 1, base(map[string]string{"email": "b@acme.com", "email_status": "verified", "email_confidence": "90"})},
			},
			check: func(t *testing.T, l *Lead) {
				if l.Email != "b@acme.com" {
					t.Errorf("primary %q", l.Email)
				}
			},
		},
		{
			name: "primary phone by kind",
			recs: []rec{
				{"apollo", 1, base(map[string]string{"country": "GB", "company_phone": "020 7946 0000"})},
				{"hunter", 1, base(map[string]string{"country": "GB", "mobile_phone": "07911 123456"})},
				{"leadsblue", 1, base(map[string]string{"country": "GB", "direct_phone": "020 7946 0123"})},
			},
			check: func(t *testing.T, l *Lead) {
				if l.Phone != "+442079460123" || len(l.Phones) != 3 {
					t.Errorf("phone %q of %+v", l.Phone, l.Phones)
				}
			},
		},
		{
			name: "manual value never overwritten by a provider",
			recs: []rec{
				{"halopsa", 1, base(map[string]string{"title": "Head of Widgets"})},
				{"apollo", 9, base(map[string]string{"title": "CEO", "city": "London"})},
			},
			check: func(t *testing.T, l *Lead) {
				if l.Title != "Head of Widgets" || l.City != "London" {
					t.Errorf("title %q city %q", l.Title, l.City)
				}
			},
		},
		{
			name: "manual value wins when it arrives later but is older",
			recs: []rec{
				{"apollo", 9, base(map[string]string{"title": "CEO"})},
				{"review", 1, base(map[string]string{"title": "Founder"})},
				{"zoominfo", 10, base(map[string]string{"title": "CTO"})},
			},
			check: func(t *testing.T, l *Lead) {
				if l.Title != "Founder" {
					t.Errorf("title %q", l.Title)
				}
			},
		},
		{
			name: "a provider value a person confirmed stays theirs",
			recs: []rec{
				{"apollo", 1, base(map[string]string{"title": "CEO"})},
				{"halopsa", 2, base(map[string]string{"title": "CEO"})},
				{"apollo", 3, base(map[string]string{"title": "CTO"})},
			},
			check: func(t *testing.T, l *Lead) {
				if l.Title != "CEO" {
					t.Errorf("title %q", l.Title)
				}
				if o := l.Provenance["title"][0]; o.Source != SourceHaloPSA || !o.ObservedAt.Equal(time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC)) {
					t.Errorf("CEO entry %+v", o)
				}
			},
		},
		{
			name: "do_not_contact is sticky",
			recs: []rec{
				{"hunter", 1, base(map[string]string{"do_not_contact": "yes"})},
				{"apollo", 9, base(map[string]string{"do_not_contact": "no"})},
				{"halopsa", 9, base(nil)},
			},
			check: func(t *testing.T, l *Lead) {
				if !l.DoNotContact || l.CustomFields == nil || !l.CustomFields.DoNotContact {
					t.Errorf("dnc %v cf %+v", l.DoNotContact, l.CustomFields)
				}
			},
		},
		{
			name: "first_source never changes",
			recs: []rec{
				{"hunter", 1, base(nil)},
				{"apollo", 0, base(nil)},
			},
			check: func(t *testing.T, l *Lead) {
				if l.FirstSource != "hunter" || l.CustomFields.LeadSource != "Hunter.io" {
					t.Errorf("first source %q cf %+v", l.FirstSource, l.CustomFields)
				}
			},
		},
		{
			name: "provenance keeps the losers",
			recs: []rec{
				{"hunter", 1, base(map[string]string{"title": "CFO", "employee_count": "30"})},
				{"apollo", 1, base(map[string]string{"title": "CEO", "employee_count": "51-200"})},
				{"lusha", 1, base(map[string]string{"title": "COO", "employee_count": "5000"})},
			},
			check: func(t *testing.T, l *Lead) {
				var vals []string
				for _, o := range l.Provenance["title"] {
					vals = append(vals, o.Value+"/"+o.Source)
				}
				if !slices.Equal(vals, []string{"CFO/hunter", "CEO/apollo", "COO/lusha"}) {
					t.Errorf("title history %v", vals)
				}
				if got := selectedValues(l, "title"); !slices.Equal(got, []string{"CEO"}) {
					t.Errorf("selected titles %v", got)
				}
				if got := selectedValues(l, "employee_count"); !slices.Equal(got, []string{"51-200"}) || l.CustomFields.EmployeeRange != "51-200" {
					t.Errorf("selected headcount %v range %q", got, l.CustomFields.EmployeeRange)
				}
			},
		},
		{
			name: "derived attributes follow the winners",
			recs: []rec{
				{"hunter", 1, map[string]string{"first_name": "Ann", "company": "Acme Widgets Ltd", "technologies": "Go, Rust"}},
				{"apollo", 1, map[string]string{"first_name": "Anne", "last_name": "Lee-Smith", "company": "Acme Holdings plc",
					"technologies": "go; Kafka", "hq_city": "Leeds", "hq_country": "GB"}},
			},
			check: func(t *testing.T, l *Lead) {
				if l.FullName != "Anne Lee-Smith" || l.Company != "Acme Holdings plc" || l.CompanyKey != CompanyKey("Acme Holdings plc") {
					t.Errorf("full name %q company %q key %q", l.FullName, l.Company, l.CompanyKey)
				}
				if !slices.Equal(l.Technologies, []string{"Go", "Rust", "Kafka"}) || l.CustomFields.TechnologyStack != "Go, Kafka, Rust" {
					t.Errorf("technologies %v cf %q", l.Technologies, l.CustomFields.TechnologyStack)
				}
				if l.HQ == nil || l.HQ.City != "Leeds" || l.CustomFields.LocationHQ == "" {
					t.Errorf("hq %+v cf %+v", l.HQ, l.CustomFields)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, merged(t, tc.p, tc.recs...))
		})
	}
}

// The same records in the same order always give the same lead, down to
// the encoded bytes; and the winners do not depend on arrival order.
func TestMergeDeterministic(t *testing.T) {
	recs := []rec{
		{"hunter", 3, map[string]string{"first_name": "ann", "last_name": "lee", "email": "ann@acme.com; ann.lee@gmail.com",
			"company": "Acme", "title": "CFO", "technologies": "Go", "country": "GB", "mobile_phone": "07911 123456", "colour": "blue"}},
		{"apollo", 1, map[string]string{"first_name": "anne", "email": "a.lee@acme.com", "email_status": "verified",
			"company": "Acme Ltd", "title": "CEO", "technologies": "rust, GO", "direct_phone": "+44 20 7946 0123", "size": "L"}},
		{"zoominfo", 2, map[string]string{"last_name": "Lee", "email": "ann@acme.com", "email_status": "valid",
			"city": "Leeds", "employee_count": "30", "do_not_contact": "true"}},
	}
	encode := func(l *Lead) string {
		b, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	first := encode(merged(t, Precedence{}, recs...))
	for range 20 {
		if got := encode(merged(t, Precedence{}, recs...)); got != first {
			t.Fatalf("merge not deterministic:\n%s\n%s", first, got)
		}
	}
	// Another arrival order keeps the same winners.
	l := merged(t, Precedence{}, recs[2], recs[0], recs[1])
	m := merged(t, Precedence{}, recs...)
	if l.FirstName != m.FirstName || l.Title != m.Title || l.Company != m.Company || l.Email != m.Email ||
		l.Phone != m.Phone || l.City != m.City || l.DoNotContact != m.DoNotContact {
		t.Errorf("arrival order changed winners:\n%+v\n%+v", l, m)
	}
	if m.FirstName != "Anne" || m.Title != "CEO" || m.Email != "a.lee@acme.com" || m.Phone != "+442079460123" || !m.DoNotContact {
		t.Errorf("winners %q %q %q %q %v", m.FirstName, m.Title, m.Email, m.Phone, m.DoNotContact)
	}
}

// A version-1 lead (flat fields, no provenance) merges without losing its
// address or number.
func TestMergeVersion1(t *testing.T) {
	l := Lead{FirstName: "Ann", Email: "ann@acme.com", Phone: "+12125550123"}
	other := rec{"apollo", 1, map[string]string{"first_name": "Anne", "last_name": "Lee", "email": "a.lee@acme.com",
		"email_status": "verified"}}.lead(t)
	l.Merge(other, Precedence{})
	if l.Email != "a.lee@acme.com" || len(l.Emails) != 2 || l.Phone != "+12125550123" {
		t.Errorf("email %q of %+v, phone %q", l.Email, l.Emails, l.Phone)
	}
	if l.FirstName != "Anne" || l.LastName != "Lee" || l.FullName != "Anne Lee" {
		t.Errorf("name %q %q %q", l.FirstName, l.LastName, l.FullName)
	}
}
