package lead

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/segmentio/encoding/json"
)

// FuzzNormalize feeds arbitrary values through every canonical column and
// checks that normalisation never panics, produces valid UTF-8, keeps its
// invariants and survives the wire format.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"", "jack", "MCDONALD", "o'neil", "van der berg", "Smith, John", "John.Smith@Acme.COM",
		"020 7946 0123", "+1 (212) 555-0123 ext. 42", "0044 20 7946 0123", "ACME GMBH & CO. KG",
		"S.A. de C.V.", "United Kingdom", "Nordic Countries", "MÃ¼ller", "\x00\xff\ufffd", "51-200",
		"$1M-$5M", "10001+", "https://uk.linkedin.com/in/x/", "user@[1.2.3.4]", "Ｊｏｈｎ", "\u202e",
	} {
		f.Add(s, s, "GB")
	}
	cols := []string{"first_name", "last_name", "full_name", "email", "phone", "title", "company", "domain",
		"website", "street", "city", "state", "postcode", "linkedin_url", "employee_count", "revenue",
		"founded_year", "technologies", "hq_country", "do_not_contact", "seniority", "department", "odd column"}
	f.Fuzz(func(t *testing.T, a, b, country string) {
		raw := map[string]string{"country": country}
		for i, c := range cols {
			if i%2 == 0 {
				raw[c] = a
			} else {
				raw[c] = b
			}
		}
		for _, src := range []string{"apollo", "uplead", "csv"} {
			l, issues := Normalize(raw, Source{Key: src})
			check(t, l, issues)
		}
	})
}

func check(t *testing.T, l Lead, issues []Issue) {
	t.Helper()
	for _, s := range []string{l.FirstName, l.LastName, l.FullName, l.Email, l.Phone, l.Title, l.Company,
		l.CompanyKey, l.Domain, l.Website, l.Street, l.City, l.State, l.Postcode, l.Country} {
		if !utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8 in %q", s)
		}
		if s != strings.TrimSpace(s) {
			t.Fatalf("untrimmed value %q", s)
		}
	}
	if l.Country != "" && len(l.Country) != 2 {
		t.Fatalf("country %q is not alpha-2", l.Country)
	}
	if l.Phone != "" && !strings.HasPrefix(l.Phone, "+") {
		t.Fatalf("phone %q is not E.164", l.Phone)
	}
	if l.Email != "" {
		e := NormalizeEmail(l.Email)
		if !e.Usable() || e.Address != l.Email {
			t.Fatalf("primary email %q is not usable: %+v", l.Email, e)
		}
	}
	if l.Domain != "" && (IsFreeMail(l.Domain) || IsDisposableMail(l.Domain)) {
		t.Fatalf("free-mail domain %q became the company domain", l.Domain)
	}
	if strings.Contains(l.CompanyKey, " ") {
		t.Fatalf("company key %q has spaces", l.CompanyKey)
	}
	_ = l.PartitionKey()
	for _, i := range issues {
		if i.Code == "" || i.Field == "" {
			t.Fatalf("issue without code or field: %+v", i)
		}
	}
	b, err := json.Marshal(l)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var back Lead
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
}
