package enrich

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadstream/leadstream/connectors/enrich"
	"github.com/leadstream/leadstream/internal/lead"
)

// observe records an enriched value with its provenance.
func observe(l *lead.Lead, attr, value, provider string, confidence int, now time.Time, selected bool) {
	l.Observe(attr, lead.Observation{Value: value, Source: provider, ObservedAt: now.UTC(), Confidence: confidence, Selected: selected})
}

// apply fills the item's unmet attributes from a person answer. Only empty
// values are filled; an address the lead already has only gains a better
// verification status.
func (p *processor) apply(it *item, provider string, r enrich.Result, now time.Time) {
	if !r.Found {
		return
	}
	l := it.l
	m := p.s.opts.Metrics
	for _, a := range it.unmet() {
		ok := false
		switch a {
		case enrich.Email:
			if r.Verification {
				ok = applyVerification(l, provider, r, now)
			} else {
				ok = applyEmail(l, provider, r, now)
			}
		case enrich.Phone, enrich.Mobile:
			raw, kind := r.Phone, lead.PhoneDirect
			if a == enrich.Mobile {
				raw, kind = r.Mobile, lead.PhoneMobile
			}
			var answered bool
			ok, answered = applyPhone(l, provider, raw, kind, now)
			if !ok && answered {
				// The provider has a number, just not a valid one: kept in
				// provenance, and the waterfall stops here rather than pay
				// the next provider for what is likely the same number.
				it.exhaust[a] = true
				it.why[a] = reasonInvalidValue
			}
		case enrich.Company:
			if !r.Company.Empty() {
				ok = applyFacts(l, provider, r.Company, now)
			}
		}
		if ok {
			it.filled[a] = true
			m.Filled.WithLabelValues(string(a), provider).Inc()
		}
	}
	if l.LinkedInURL == "" && r.LinkedIn != "" {
		if u := lead.NormalizeLinkedIn(r.LinkedIn); u != "" {
			l.LinkedInURL = u
			observe(l, "linkedin_url", u, provider, 0, now, true)
		}
	}
}

func (p *processor) applyCompany(it *item, provider string, f enrich.CompanyFacts, now time.Time) {
	if !slices.Contains(it.unmet(), enrich.Company) {
		return
	}
	if applyFacts(it.l, provider, f, now) {
		it.filled[enrich.Company] = true
		p.s.opts.Metrics.Filled.WithLabelValues(string(enrich.Company), provider).Inc()
	}
}

func applyEmail(l *lead.Lead, provider string, r enrich.Result, now time.Time) bool {
	if r.Email == "" {
		return false
	}
	e := lead.NormalizeEmail(r.Email)
	if !e.Valid || e.Disposable {
		return false
	}
	e.Status = lead.EmailStatus(r.EmailStatus)
	e.Confidence = r.Confidence
	if e.Status == lead.EmailInvalid {
		return false
	}
	for i := range l.Emails {
		if l.Emails[i].Address != e.Address {
			continue
		}
		// The lead has this address: only its verification improves.
		improved := rank(e.Status) > rank(l.Emails[i].Status)
		if improved {
			l.Emails[i].Status, l.Emails[i].Confidence = e.Status, e.Confidence
		}
		if l.Email == "" && l.Emails[i].Usable() {
			setPrimary(l, i)
		}
		observe(l, "email", e.Address, provider, e.Confidence, now, l.Email == e.Address)
		return improved || l.Email == e.Address
	}
	l.Emails = append(l.Emails, e)
	if l.Email == "" {
		setPrimary(l, len(l.Emails)-1)
	}
	observe(l, "email", e.Address, provider, e.Confidence, now, l.Email == e.Address)
	return true
}

// applyVerification records a verifier's verdict on an address the lead
// has: the status observed with the provider, time and score, and the
// address's status and confidence set from it. It fills the e-mail only
// when the verdict is verified or accept_all; an invalid verdict is kept
// in provenance alone (the lead's address is not rewritten) and an
// unknown one leaves the address unverified, so the waterfall may go on
// to a finder.
func applyVerification(l *lead.Lead, provider string, r enrich.Result, now time.Time) bool {
	addr := lead.NormalizeEmail(r.Email).Address
	status := lead.EmailStatus(r.EmailStatus)
	for i := range l.Emails {
		if l.Emails[i].Address != addr || addr == "" {
			continue
		}
		observe(l, "email_status", status, provider, r.Confidence, now, status != lead.EmailInvalid)
		if status == lead.EmailInvalid {
			return false
		}
		if rank(status) >= rank(l.Emails[i].Status) {
			l.Emails[i].Status, l.Emails[i].Confidence = status, r.Confidence
		}
		filled := rank(status) >= rank(lead.EmailAcceptAll)
		if filled {
			observe(l, "email", addr, provider, r.Confidence, now, l.Email == addr)
		}
		return filled
	}
	return false
}

func setPrimary(l *lead.Lead, i int) {
	for j := range l.Emails {
		l.Emails[j].Primary = j == i
	}
	l.Email = l.Emails[i].Address
}

func rank(status string) int {
	switch status {
	case lead.EmailVerified:
		return 3
	case lead.EmailAcceptAll:
		return 2
	case lead.EmailUnverified:
		return 1
	}
	return 0
}

// applyPhone adds a phone; answered says the provider had a number at all.
func applyPhone(l *lead.Lead, provider, raw, kind string, now time.Time) (filled, answered bool) {
	if raw == "" {
		return false, false
	}
	ph := lead.NormalizePhone(raw, l.Country, kind)
	if !ph.Valid {
		observe(l, "phone", ph.Raw, provider, 0, now, false)
		return false, true
	}
	for _, have := range l.Phones {
		if have.E164 == ph.E164 && have.Extension == ph.Extension {
			return false, true
		}
	}
	l.Phones = append(l.Phones, ph)
	if l.Phone == "" {
		l.Phone = ph.E164
	}
	observe(l, "phone", ph.E164, provider, 0, now, l.Phone == ph.E164)
	return true, true
}

// applyFacts fills the company facts the lead lacks.
func applyFacts(l *lead.Lead, provider string, f enrich.CompanyFacts, now time.Time) bool {
	filled := false
	if l.Industry == "" && f.Industry != "" {
		l.Industry = titleCase(f.Industry)
		observe(l, "industry", l.Industry, provider, 0, now, true)
		filled = true
	}
	if l.EmployeeCount == nil && (f.EmployeesMin > 0 || f.EmployeesMax > 0) {
		l.EmployeeCount = &lead.Range{Min: f.EmployeesMin, Max: f.EmployeesMax}
		observe(l, "employee_count", rangeText(l.EmployeeCount), provider, 0, now, true)
		filled = true
	}
	if l.RevenueUSD == nil && (f.RevenueMin > 0 || f.RevenueMax > 0) {
		l.RevenueUSD = &lead.Range{Min: f.RevenueMin, Max: f.RevenueMax}
		observe(l, "revenue_usd", rangeText(l.RevenueUSD), provider, 0, now, true)
		filled = true
	}
	for _, t := range f.Technologies {
		if !slices.ContainsFunc(l.Technologies, func(h string) bool { return strings.EqualFold(h, t) }) {
			l.Technologies = append(l.Technologies, t)
			observe(l, "technologies", t, provider, 0, now, true)
			filled = true
		}
	}
	if l.FoundedYear == 0 && f.FoundedYear > 0 {
		l.FoundedYear = f.FoundedYear
		filled = true
	}
	return applySignals(l, provider, f, now) || filled
}

// applySignals adds the company signals of f (CF_103, CF_104, CF_111):
// funding rounds and postings the lead does not have, growth figures it
// lacks, and the provider's intent reading when it is newer than the one
// the lead has from that provider. Each value enters provenance.
func applySignals(l *lead.Lead, provider string, f enrich.CompanyFacts, now time.Time) bool {
	filled := false
	for _, e := range f.FundingEvents {
		n := len(l.FundingEvents)
		if l.AddFundingEvent(e); len(l.FundingEvents) > n {
			observe(l, "funding_events", strings.TrimSpace(e.Type+" "+itoa(e.AmountUSD)+" "+e.Date), provider, 0, now, true)
			filled = true
		}
	}
	if g := f.Growth; g != nil {
		if l.Growth == nil {
			l.Growth = &lead.Growth{}
		}
		if l.Growth.EmployeeGrowthPct == nil && g.EmployeeGrowthPct != nil {
			v := *g.EmployeeGrowthPct
			l.Growth.EmployeeGrowthPct = &v
			observe(l, "growth.employee_growth_pct", strconv.FormatFloat(v, 'f', -1, 64), provider, 0, now, true)
			filled = true
		}
		if l.Growth.RevenueGrowthPct == nil && g.RevenueGrowthPct != nil {
			v := *g.RevenueGrowthPct
			l.Growth.RevenueGrowthPct = &v
			observe(l, "growth.revenue_growth_pct", strconv.FormatFloat(v, 'f', -1, 64), provider, 0, now, true)
			filled = true
		}
		if *l.Growth == (lead.Growth{}) {
			l.Growth = nil
		}
	}
	add := func(attr string, dst *[]string, vs []string) {
		for _, v := range vs {
			v = strings.TrimSpace(v)
			if v != "" && !slices.ContainsFunc(*dst, func(h string) bool { return strings.EqualFold(h, v) }) {
				*dst = append(*dst, v)
				observe(l, attr, v, provider, 0, now, true)
				filled = true
			}
		}
	}
	add("upcoming_technologies", &l.UpcomingTechnologies, f.UpcomingTechnologies)
	add("job_postings", &l.JobPostings, f.JobPostings)
	if f.Intent != nil && len(f.Intent.Topics) > 0 {
		in := *f.Intent
		in.Source, in.Topics = provider, slices.Clone(in.Topics)
		before := slices.IndexFunc(l.Intent, func(x lead.Intent) bool { return x.Source == provider })
		var old lead.Intent
		if before >= 0 {
			old = l.Intent[before]
		}
		l.AddIntent(in)
		if before < 0 || in.LastActivity > old.LastActivity {
			observe(l, "intent", in.Strength+": "+strings.Join(in.Topics, ", ")+" ("+in.LastActivity+")", provider, 0, now, true)
			filled = true
		}
	}
	return filled
}

func rangeText(r *lead.Range) string {
	if r.Min == r.Max {
		return itoa(r.Min)
	}
	if r.Max == 0 {
		return itoa(r.Min) + "+"
	}
	return itoa(r.Min) + "-" + itoa(r.Max)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// titleCase capitalises each word of a provider's lower-case industry.
func titleCase(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		if w != strings.ToLower(w) {
			continue
		}
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}
