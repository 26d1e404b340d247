// Package waterfall is the enrich stage's configuration and its decisions
// that need no I/O: per attribute (e-mail, direct phone, mobile, company
// facts) the providers to ask in order and the conditions under which a
// lead needs the attribute at all (missing, unverified, confidence below a
// threshold, older than N days, fit bucket), and per provider its credit
// budget per day and per month and its pacing.
//
// The file is JSON (config/enrich.json is the default, documented there):
//
//	{"cache_ttl_days": 90,
//	 "attributes": {"email": {"providers": ["hunter", "uplead", "apollo"],
//	                          "when": {"missing": true, "confidence_below": 60}}, …},
//	 "providers": {"hunter": {"budget": {"day": 500, "month": 10000}, "per_second": 10}, …}}
//
// A budget that is absent is unlimited; a budget of 0 spends nothing, so
// the waterfall moves on to the next provider.
package waterfall

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/leadstream/leadstream/connectors/enrich"
	"github.com/leadstream/leadstream/internal/lead"
)

// Config is the waterfall file.
type Config struct {
	// CacheTTLDays is how long a provider's answer is reused (default 90).
	CacheTTLDays int `json:"cache_ttl_days,omitempty"`
	// Attributes maps an attribute to its rule.
	Attributes map[enrich.Attribute]Rule `json:"attributes"`
	// Providers holds budgets and pacing per provider key.
	Providers map[string]ProviderConfig `json:"providers,omitempty"`
}

// Rule is one attribute's waterfall.
type Rule struct {
	// Providers are asked in this order; the first that fills the
	// attribute ends the waterfall.
	Providers []string `json:"providers"`
	// When says which leads need the attribute.
	When Conditions `json:"when"`
}

// Conditions select the leads that need an attribute; any condition that
// holds is enough (FitBuckets restricts all of them).
type Conditions struct {
	// Missing: the lead has no value at all.
	Missing bool `json:"missing,omitempty"`
	// Invalid: the lead has values but none is usable (an e-mail that
	// failed syntax or was marked invalid, a phone that is not a valid
	// number).
	Invalid bool `json:"invalid,omitempty"`
	// Unverified: the e-mail's status is unverified or none (e-mail only).
	Unverified bool `json:"unverified,omitempty"`
	// ConfidenceBelow: the value's known confidence is under this (0: off).
	ConfidenceBelow int `json:"confidence_below,omitempty"`
	// OlderThanDays: the value was last observed longer ago (0: off).
	OlderThanDays int `json:"older_than_days,omitempty"`
	// FitBuckets, when set, limits the rule to leads in these fit buckets
	// (hot, warm, cold).
	FitBuckets []string `json:"fit_buckets,omitempty"`
}

// ProviderConfig is one provider's budget and pacing.
type ProviderConfig struct {
	Budget Budget `json:"budget"`
	// PerSecond overrides the client's default pacing.
	PerSecond float64 `json:"per_second,omitempty"`
}

// Budget caps the credits spent; nil is unlimited.
type Budget struct {
	Day   *float64 `json:"day,omitempty"`
	Month *float64 `json:"month,omitempty"`
}

// Load reads a waterfall file.
func Load(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("enrich config: %w", err)
	}
	c, err := Parse(b)
	if err != nil {
		return Config{}, fmt.Errorf("enrich config %s: %w", path, err)
	}
	return c, nil
}

// Parse reads a waterfall from JSON, refusing unknown keys and attributes.
func Parse(b []byte) (Config, error) {
	var c Config
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, err
	}
	for a, r := range c.Attributes {
		if !slices.Contains(enrich.Attributes, a) {
			return Config{}, fmt.Errorf("unknown attribute %q (attributes: email, phone, mobile, company)", a)
		}
		if len(r.Providers) == 0 {
			return Config{}, fmt.Errorf("attribute %q lists no providers", a)
		}
	}
	return c, nil
}

// TTL is the cache lifetime.
func (c Config) TTL() time.Duration {
	d := c.CacheTTLDays
	if d <= 0 {
		d = 90
	}
	return time.Duration(d) * 24 * time.Hour
}

// ProviderNames lists every provider the attributes name, in first use order.
func (c Config) ProviderNames() []string {
	var out []string
	for _, a := range enrich.Attributes {
		for _, p := range c.Attributes[a].Providers {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// Needs returns the attributes l needs under c at now, in waterfall order.
func (c Config) Needs(l *lead.Lead, now time.Time) []enrich.Attribute {
	var out []enrich.Attribute
	for _, a := range enrich.Attributes {
		r, ok := c.Attributes[a]
		if !ok {
			continue
		}
		if needs(r.When, a, l, now) {
			out = append(out, a)
		}
	}
	return out
}

// Has reports whether l already has a usable value for a.
func Has(l *lead.Lead, a enrich.Attribute) bool { return has(l, a, true) }

// HasAny reports whether l has any value for a, usable or not.
func HasAny(l *lead.Lead, a enrich.Attribute) bool { return has(l, a, false) }

func has(l *lead.Lead, a enrich.Attribute, usable bool) bool {
	switch a {
	case enrich.Email:
		if l.Email != "" {
			return true
		}
		return !usable && len(l.Emails) > 0
	case enrich.Phone, enrich.Mobile:
		for _, p := range l.Phones {
			mobile := p.Kind == lead.PhoneMobile
			if p.Kind == lead.PhoneCompany || mobile != (a == enrich.Mobile) {
				continue
			}
			if p.Valid || !usable {
				return true
			}
		}
		return false
	case enrich.Company:
		return l.Industry != "" && l.EmployeeCount != nil && l.RevenueUSD != nil
	}
	return false
}

// provenanceKey is the provenance attribute of a.
func provenanceKey(a enrich.Attribute) string {
	switch a {
	case enrich.Phone, enrich.Mobile:
		return "phone"
	case enrich.Company:
		return "industry"
	}
	return string(a)
}

func needs(w Conditions, a enrich.Attribute, l *lead.Lead, now time.Time) bool {
	if len(w.FitBuckets) > 0 && !slices.ContainsFunc(w.FitBuckets, func(b string) bool { return strings.EqualFold(b, l.FitBucket) }) {
		return false
	}
	if !HasAny(l, a) {
		return w.Missing
	}
	if !Has(l, a) {
		return w.Invalid
	}
	if a == enrich.Email {
		e, ok := l.PrimaryEmail()
		if ok && w.Unverified && (e.Status == lead.EmailUnverified || e.Status == lead.EmailNone) {
			return true
		}
		if ok && w.ConfidenceBelow > 0 && e.Confidence > 0 && e.Confidence < w.ConfidenceBelow {
			return true
		}
	}
	if w.OlderThanDays > 0 {
		newest := time.Time{}
		for _, o := range l.Provenance[provenanceKey(a)] {
			if o.ObservedAt.After(newest) {
				newest = o.ObservedAt
			}
		}
		if !newest.IsZero() && now.Sub(newest) > time.Duration(w.OlderThanDays)*24*time.Hour {
			return true
		}
	}
	return false
}
