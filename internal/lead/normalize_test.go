package lead

import (
	"slices"
	"testing"
	"time"

	"github.com/segmentio/encoding/json"
)

var fixedNow = func() time.Time { return time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC) }

func hasIssue(issues []Issue, field, code string) bool {
	return slices.ContainsFunc(issues, func(i Issue) bool { return i.Field == field && i.Code == code })
}

func TestNormalizeFullRecord(t *testing.T) {
	raw := map[string]string{
		"record_id": "r1", "entity_id": "e1",
		"first_name": "  DR. JOHN ", "last_name": "MCDONALD  jr", "email": "John.McDonald@Shop.Acme.co.uk; j.mcd@gmail.com",
		"email_status": "verified", "phone": "020 7946 0123", "mobile_phone": "07911 123456",
		"title": "VP,  Information Technology", "company": "ACME WIDGETS LTD", "website": "HTTPS://WWW.Acme.co.uk/about?x=1",
		"street": "1 High Street", "city": "London", "state": "", "postcode": "sw1a 1aa", "country": "United Kingdom",
		"linkedin_url": "https://uk.linkedin.com/in/John-McDonald-123/?trk=x", "industry": "Manufacturing",
		"employee_count": "51-200", "revenue": "$10M", "technologies": "Salesforce, HubSpot;salesforce",
		"founded_year": "1998", "hq_street": "1 Main Street", "hq_city": "Springfield", "hq_state": "IL",
		"hq_postcode": "62701", "hq_country": "USA", "do_not_contact": "yes", "favourite_colour": "blue",
	}
	l, issues := Normalizer{Now: fixedNow}.Normalize(raw, Source{Key: "apollo", RecordID: "a-1"})
	if len(issues) != 0 {
		t.Errorf("issues = %v, want none", issues)
	}
	want := map[string]string{
		"first": l.FirstName, "last": l.LastName, "full": l.FullName, "email": l.Email, "phone": l.Phone,
		"company": l.Company, "company_key": l.CompanyKey, "domain": l.Domain, "website": l.Website,
		"country": l.Country, "postcode": l.Postcode, "seniority": l.Seniority, "department": l.Department,
		"linkedin": l.LinkedInURL,
	}
	for k, v := range map[string]string{
		"first": "John", "last": "McDonald", "full": "John McDonald", "email": "john.mcdonald@shop.acme.co.uk",
		"phone": "+442079460123", "company": "Acme Widgets Ltd", "company_key": "acmewidgets",
		"domain": "acme.co.uk", "website": "https://www.acme.co.uk", "country": "GB", "postcode": "SW1A 1AA",
		"seniority": SeniorityVP, "department": DeptIT, "linkedin": "https://www.linkedin.com/in/john-mcdonald-123",
	} {
		if want[k] != v {
			t.Errorf("%s = %q, want %q", k, want[k], v)
		}
	}
	if len(l.Emails) != 2 || !l.Emails[0].Primary || l.Emails[0].Status != EmailVerified || !l.Emails[1].FreeMail {
		t.Errorf("emails = %+v", l.Emails)
	}
	if len(l.Phones) != 2 || l.Phones[1].Kind != PhoneMobile || l.Phones[0].E123 != "+44 20 7946 0123" {
		t.Errorf("phones = %+v", l.Phones)
	}
	if !l.DoNotContact || l.FoundedYear != 1998 || len(l.Technologies) != 2 || l.V != Version {
		t.Errorf("dnc %v founded %d techs %v v %d", l.DoNotContact, l.FoundedYear, l.Technologies, l.V)
	}
	cf := l.CustomFields
	if cf == nil {
		t.Fatal("no custom fields")
	}
	wantCF := CustomFields{
		LeadSource: "Apollo.io", DoNotContact: true, TechnologyStack: "HubSpot, Salesforce",
		RevenueRange: "$5M-$25M", EmployeeRange: "51-200", ManagementLevel: "VP", Department: "IT",
		FoundedYear: 1998, LocationHQ: "1 Main Street, Springfield, IL 62701, United States",
	}
	if *cf != wantCF {
		t.Errorf("custom fields = %+v\nwant %+v", *cf, wantCF)
	}
	if l.Extra["favourite_colour"] != "blue" || l.Extra["record_id"] != "" {
		t.Errorf("extra = %v", l.Extra)
	}
	prov := l.Provenance["email"]
	if len(prov) != 2 || prov[0].Source != "apollo" || prov[0].SourceRecordID != "a-1" || !prov[0].Selected || prov[1].Selected {
		t.Errorf("email provenance = %+v", prov)
	}
	if got := l.Provenance["name_affix"]; len(got) != 2 {
		t.Errorf("removed honorifics not in provenance: %+v", got)
	}
	if l.PartitionKey() != "d:acme.co.uk" {
		t.Errorf("partition key %q", l.PartitionKey())
	}
}

func TestNormalizeRules(t *testing.T) {
	tests := []struct {
		name  string
		raw   map[string]string
		check func(t *testing.T, l Lead, issues []Issue)
	}{
		{"free mail never becomes the domain", map[string]string{"email": "bob@gmail.com"}, func(t *testing.T, l Lead, _ []Issue) {
			if l.Domain != "" || l.Email != "bob@gmail.com" || l.PartitionKey() != "e:bob@gmail.com" {
				t.Errorf("domain %q email %q key %q", l.Domain, l.Email, l.PartitionKey())
			}
		}},
		{"free-mail domain column is dropped", map[string]string{"domain": "yahoo.co.uk"}, func(t *testing.T, l Lead, issues []Issue) {
			if l.Domain != "" || !hasIssue(issues, "domain", IssueDomainFreeMail) {
				t.Errorf("domain %q issues %v", l.Domain, issues)
			}
		}},
		{"platform website is dropped", map[string]string{"website": "facebook.com/acme"}, func(t *testing.T, l Lead, issues []Issue) {
			if l.Domain != "" || l.Website != "" || !hasIssue(issues, "website", IssueDomainPlatform) {
				t.Errorf("domain %q website %q issues %v", l.Domain, l.Website, issues)
			}
		}},
		{"company domain from work email", map[string]string{"email": "ann@mail.acme.com"}, func(t *testing.T, l Lead, _ []Issue) {
			if l.Domain != "acme.com" {
				t.Errorf("domain %q", l.Domain)
			}
		}},
		{"disposable email is not primary", map[string]string{"email": "x@mailinator.com"}, func(t *testing.T, l Lead, issues []Issue) {
			if l.Email != "" || l.Domain != "" || !hasIssue(issues, "email", IssueEmailDisposable) || l.Emails[0].Status != EmailInvalid {
				t.Errorf("email %q domain %q issues %v", l.Email, l.Domain, issues)
			}
		}},
		{"invalid email kept but flagged", map[string]string{"email": "john@acme"}, func(t *testing.T, l Lead, issues []Issue) {
			if l.Email != "" || len(l.Emails) != 1 || !hasIssue(issues, "email", IssueEmailInvalid) {
				t.Errorf("email %q emails %+v issues %v", l.Email, l.Emails, issues)
			}
		}},
		{"phone without region is unparsed", map[string]string{"phone": "5551234567"}, func(t *testing.T, l Lead, issues []Issue) {
			if l.Phone != "" || !hasIssue(issues, "phone", IssuePhoneUnparsed) || l.Provenance["phone"][0].Value != "5551234567" {
				t.Errorf("phone %q issues %v", l.Phone, issues)
			}
		}},
		{"phone region from HQ country", map[string]string{"phone": "030 12345678", "hq_country": "Germany"}, func(t *testing.T, l Lead, _ []Issue) {
			if l.Phone != "+493012345678" {
				t.Errorf("phone %q", l.Phone)
			}
		}},
		{"possible-only phone is flagged and not the flat phone", map[string]string{"phone": "(555) 123-4567", "country": "US"}, func(t *testing.T, l Lead, issues []Issue) {
			if l.Phone != "" || !l.Phones[0].Possible || !hasIssue(issues, "phone", IssuePhoneUnverified) {
				t.Errorf("phone %q %+v issues %v", l.Phone, l.Phones, issues)
			}
		}},
		{"sales region is not a country", map[string]string{"country": "Nordic Countries", "phone": "22 12 34 56"}, func(t *testing.T, l Lead, issues []Issue) {
			if l.Country != "" || l.Phone != "" || !hasIssue(issues, "country", IssueCountry) {
				t.Errorf("country %q phone %q issues %v", l.Country, l.Phone, issues)
			}
		}},
		{"placeholder company", map[string]string{"company": "Self-Employed"}, func(t *testing.T, l Lead, issues []Issue) {
			if l.Company != "" || !hasIssue(issues, "company", IssueCompanyHolder) {
				t.Errorf("company %q issues %v", l.Company, issues)
			}
		}},
		{"full name split", map[string]string{"full_name": "GARCÍA, JOSÉ"}, func(t *testing.T, l Lead, _ []Issue) {
			if l.FirstName != "José" || l.LastName != "García" || l.FullName != "José García" {
				t.Errorf("%q %q %q", l.FirstName, l.LastName, l.FullName)
			}
		}},
		{"mojibake repaired and reported", map[string]string{"last_name": "MÃ¼ller", "city": "K\x00ln"}, func(t *testing.T, l Lead, issues []Issue) {
			if l.LastName != "Müller" || l.City != "Kln" || !hasIssue(issues, "last_name", IssueMojibakeFixed) || !hasIssue(issues, "city", IssueControlChars) {
				t.Errorf("%q %q %v", l.LastName, l.City, issues)
			}
		}},
		{"febrl row", map[string]string{"first_name": "jack", "last_name": "ryan", "street": "21 bayly place, pacific terraces", "city": "cleveland", "state": "vic", "postcode": "4171", "country": "AU"}, func(t *testing.T, l Lead, issues []Issue) {
			if l.FullName != "Jack Ryan" || l.State != "VIC" || l.Country != "AU" || !l.HasAddress() || len(issues) != 0 {
				t.Errorf("%+v %v", l, issues)
			}
		}},
		{"garbage everywhere", map[string]string{"email": "@@@", "phone": "☎☎☎", "country": "???", "employee_count": "lots", "founded_year": "soon", "linkedin_url": "http://example.com", "do_not_contact": "maybe", "website": "not a url"}, func(t *testing.T, l Lead, issues []Issue) {
			for _, want := range []string{IssueEmailInvalid, IssuePhoneUnparsed, IssueCountry, IssueNumberInvalid, IssueYearInvalid, IssueLinkedInInvalid, IssueBoolInvalid, IssueWebsiteInvalid} {
				if !slices.ContainsFunc(issues, func(i Issue) bool { return i.Code == want }) {
					t.Errorf("missing issue %s in %v", want, issues)
				}
			}
			if l.Email != "" || l.Phone != "" || l.Country != "" {
				t.Errorf("garbage leaked: %+v", l)
			}
		}},
		{"empty record", map[string]string{}, func(t *testing.T, l Lead, issues []Issue) {
			if l.HasPersonName() || len(issues) != 0 || l.CustomFields != nil {
				t.Errorf("%+v %v", l, issues)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, issues := Normalizer{Now: fixedNow}.Normalize(tt.raw, Source{Key: "csv"})
			tt.check(t, l, issues)
		})
	}
}

func TestLeadWireRoundTrip(t *testing.T) {
	l, _ := Normalizer{Now: fixedNow}.Normalize(map[string]string{
		"first_name": "ann", "last_name": "lee", "email": "ann@acme.com", "phone": "+1 212 555 0123",
		"employee_count": "120", "hq_city": "Austin", "hq_country": "US",
	}, Source{Key: "hunter", RecordID: "h1", ObservedAt: fixedNow()})
	b, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	var back Lead
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	b2, err := json.Marshal(back)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(b2) {
		t.Errorf("round trip differs:\n%s\n%s", b, b2)
	}
	// A version-1 lead (flat fields only) still decodes and keeps working.
	var v1 Lead
	if err := json.Unmarshal([]byte(`{"first_name":"a","email":"a@b.com","phone":"+12125550123"}`), &v1); err != nil {
		t.Fatal(err)
	}
	if e, ok := v1.PrimaryEmail(); !ok || e.Address != "a@b.com" || v1.V != 0 {
		t.Errorf("v1 primary email %+v %v", e, ok)
	}
}
