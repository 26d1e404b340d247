// Package lead defines the canonical lead that flows between the pipeline
// stages once a provider record has been normalised, and the keys derived
// from it (partition key, exact match keys, deterministic lead ids).
package lead

import (
	"strings"
)

// Lead is one person at one organisation, as the pipeline sees it after
// normalisation. Fields are plain strings so that empty means "unknown".
type Lead struct {
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	FullName  string `json:"full_name,omitempty"`
	Email     string `json:"email,omitempty"`
	Phone     string `json:"phone,omitempty"`
	Title     string `json:"title,omitempty"`
	Company   string `json:"company,omitempty"`
	Domain    string `json:"domain,omitempty"`
	Street    string `json:"street,omitempty"`
	City      string `json:"city,omitempty"`
	State     string `json:"state,omitempty"`
	Postcode  string `json:"postcode,omitempty"`
	Country   string `json:"country,omitempty"`
	// Extra keeps source columns the canonical model has no field for, so
	// nothing a provider sent is silently dropped.
	Extra map[string]string `json:"extra,omitempty"`
}

// HasPersonName reports whether any part of the person's name is known.
func (l *Lead) HasPersonName() bool {
	return l.FirstName != "" || l.LastName != "" || l.FullName != ""
}

// HasAddress reports whether the lead carries a usable postal address.
func (l *Lead) HasAddress() bool {
	return l.Street != "" && (l.Postcode != "" || l.City != "")
}

// FillFrom copies every field of other into l where l's field is empty.
// It never overwrites a value l already has.
func (l *Lead) FillFrom(other *Lead) {
	fill := func(dst *string, src string) {
		if *dst == "" {
			*dst = src
		}
	}
	fill(&l.FirstName, other.FirstName)
	fill(&l.LastName, other.LastName)
	fill(&l.FullName, other.FullName)
	fill(&l.Email, other.Email)
	fill(&l.Phone, other.Phone)
	fill(&l.Title, other.Title)
	fill(&l.Company, other.Company)
	fill(&l.Domain, other.Domain)
	fill(&l.Street, other.Street)
	fill(&l.City, other.City)
	fill(&l.State, other.State)
	fill(&l.Postcode, other.Postcode)
	fill(&l.Country, other.Country)
	for k, v := range other.Extra {
		if _, ok := l.Extra[k]; !ok {
			if l.Extra == nil {
				l.Extra = make(map[string]string)
			}
			l.Extra[k] = v
		}
	}
}

// CompanyKey is the company name reduced for matching: lower case, letters
// and digits only, single spaces.
func CompanyKey(name string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r > 127:
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		default:
			space = true
		}
	}
	return b.String()
}
