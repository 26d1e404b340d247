package lead

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Sources that are not providers (spec §1.1). Their values were set by a
// person and rank above every provider.
const (
	SourceHaloPSA = "halopsa" // entered or edited in HaloPSA
	SourceReview  = "review"  // fixed by a review decision
)

// defaultProviders is the default merge precedence of spec §1.1, highest
// first. It is an array, so no caller can change it.
var defaultProviders = [...]string{"apollo", "zoominfo", "lusha", "seamless", "uplead", "rocketreach", "lead411",
	"hunter", "bookyourdata", "leadsblue"}

// DefaultProviders returns the provider source keys in the default merge
// precedence of spec §1.1, highest first.
func DefaultProviders() []string {
	return slices.Clone(defaultProviders[:])
}

// Precedence orders the sources of attribute values for Merge (spec §4.4).
// The zero value is the default order of spec §1.1. The person-edited
// sources (SourceHaloPSA, SourceReview) always rank above every provider,
// whatever the lists say.
type Precedence struct {
	// Providers lists provider source keys, highest precedence first; nil
	// means DefaultProviders(). A source not listed ranks below every
	// listed one.
	Providers []string
	// Attributes overrides Providers for single attributes, keyed by the
	// provenance attribute name ("email", "phone", "title", "company", …).
	Attributes map[string][]string
}

// rank is the precedence of source for attribute attr: 0 for a
// person-edited value, then 1, 2, … in provider order. Lower wins.
func (p Precedence) rank(attr, source string) int {
	if source == SourceHaloPSA || source == SourceReview {
		return 0
	}
	order, ok := p.Attributes[attr]
	if !ok {
		order = p.Providers
	}
	if order == nil {
		order = defaultProviders[:]
	}
	if i := slices.Index(order, source); i >= 0 {
		return 1 + i
	}
	return 1 + len(order)
}

// origin is what the winner rule knows about one candidate value.
type origin struct {
	rank  int
	at    time.Time
	conf  int
	value string
}

// beats reports whether candidate a wins over b (spec §4.4): the higher
// precedence, then the newer observation, then the higher confidence, then
// the lexically smaller value.
func (a origin) beats(b origin) bool {
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	if !a.at.Equal(b.at) {
		return a.at.After(b.at)
	}
	if a.conf != b.conf {
		return a.conf > b.conf
	}
	return a.value < b.value
}

// originOf returns the origin of value of attribute attr in l: the
// provenance entry of that value, else l's first source with no time.
func (l *Lead) originOf(p Precedence, attr, value string) origin {
	for _, o := range l.Provenance[attr] {
		if o.Value == value {
			return origin{rank: p.rank(attr, o.Source), at: o.ObservedAt, conf: o.Confidence, value: value}
		}
	}
	return origin{rank: p.rank(attr, l.FirstSource), value: value}
}

// selectedOrigin is originOf for the attributes whose provenance keeps the
// raw source form rather than the lead's value (employee_count, say): the
// newest selected entry dates value. It also returns that entry's value.
func (l *Lead) selectedOrigin(p Precedence, attr, value string) (origin, string) {
	o := origin{rank: p.rank(attr, l.FirstSource), value: value}
	var entry string
	var at time.Time
	for _, h := range l.Provenance[attr] {
		if h.Selected && (entry == "" || h.ObservedAt.After(at)) {
			entry, at = h.Value, h.ObservedAt
			o = origin{rank: p.rank(attr, h.Source), at: h.ObservedAt, conf: h.Confidence, value: value}
		}
	}
	return o, entry
}

// Merge folds other, a lead built from further source records of the same
// person, into l field by field (spec §4.4):
//
//   - Only valid, non-empty values compete. The flat fields of a lead only
//     ever hold valid values (normalisation leaves invalid ones in
//     provenance), and an unusable e-mail or phone is never primary.
//   - A scalar attribute takes the value that wins under p: the higher
//     precedence of the source that observed it (halopsa and review above
//     every provider, so a person's value is never overwritten by a
//     provider), then the newer observed_at, the higher confidence and the
//     lexically smaller value. Each value's source, time and confidence come
//     from its lead's provenance.
//   - Every e-mail and phone is kept. The primary e-mail is the usable one
//     with the best status (verified > accept_all > unverified > none), then
//     the winner rule; the primary phone is the valid one with the best kind
//     (direct > mobile > company > other), then the winner rule.
//   - Technologies, upcoming technologies and job postings are
//     case-insensitive unions, funding rounds a union by type and month,
//     intent one reading per source (the newest); do_not_contact is a
//     sticky OR; first_source never changes.
//   - Provenance keeps every value of both leads; an entry seen by several
//     sources keeps the highest-ranked one and the newest observed_at, and
//     selected marks the values the lead now carries.
//   - Derived attributes follow the winners: full_name from the first and
//     last name, company_key from the company, seniority and department
//     from the lead whose title won, and the custom-field values.
//
// The result depends only on the two leads and p, never on map order.
// Scores are left alone: the caller recomputes them.
func (l *Lead) Merge(other *Lead, p Precedence) {
	selected := map[string]string{}
	pick := func(attr string, dst *string, src string) bool {
		switch {
		case src == "" || src == *dst:
			selected[attr] = *dst
			return false
		case *dst == "" || other.originOf(p, attr, src).beats(l.originOf(p, attr, *dst)):
			*dst = src
			selected[attr] = src
			return true
		}
		selected[attr] = *dst
		return false
	}

	// Person.
	pick("first_name", &l.FirstName, other.FirstName)
	pick("last_name", &l.LastName, other.LastName)
	if full := (PersonName{First: l.FirstName, Last: l.LastName}).Full(); full != "" {
		l.FullName = full
	} else if l.FullName == "" {
		l.FullName = other.FullName
	}
	selected["full_name"] = l.FullName
	l.mergeTitle(other, pick)
	pick("linkedin_url", &l.LinkedInURL, other.LinkedInURL)
	pick("street", &l.Street, other.Street)
	pick("city", &l.City, other.City)
	pick("state", &l.State, other.State)
	pick("postcode", &l.Postcode, other.Postcode)
	pick("country", &l.Country, other.Country)
	l.DoNotContact = l.DoNotContact || other.DoNotContact

	// Organisation.
	if pick("company", &l.Company, other.Company) {
		l.CompanyKey = CompanyKey(l.Company)
	} else if l.CompanyKey == "" && l.Company != "" {
		l.CompanyKey = CompanyKey(l.Company)
	}
	pick("domain", &l.Domain, other.Domain)
	pick("website", &l.Website, other.Website)
	pick("industry", &l.Industry, other.Industry)
	l.mergeStructured(other, p, selected)
	l.mergeSignals(other)
	for _, t := range other.Technologies {
		if !slices.ContainsFunc(l.Technologies, func(x string) bool { return strings.EqualFold(x, t) }) {
			l.Technologies = append(l.Technologies, t)
		}
	}

	// Contact points, then the history of every value.
	l.mergeEmails(other, p)
	selected["email"] = l.Email
	l.mergePhones(other, p)
	l.mergeProvenance(other, p, selected)

	// Meta.
	l.V = max(l.V, other.V)
	for _, is := range other.Issues {
		if !slices.Contains(l.Issues, is) {
			l.Issues = append(l.Issues, is)
		}
	}
	for k, v := range other.Extra {
		if _, ok := l.Extra[k]; !ok {
			if l.Extra == nil {
				l.Extra = make(map[string]string)
			}
			l.Extra[k] = v
		}
	}
	l.CustomFields = l.derive()
}

// mergeTitle picks the title. Seniority and department are derived from
// a record's title and its provider's own values (spec §2.7), so they come
// with the title: from the lead whose title won. Only when neither lead
// has a title are they filled field by field, l's first.
func (l *Lead) mergeTitle(other *Lead, pick func(string, *string, string) bool) {
	switch {
	case pick("title", &l.Title, other.Title):
		l.Seniority, l.Department = other.Seniority, other.Department
	case l.Title == "":
		l.Seniority, l.Department = fillEmpty(l.Seniority, other.Seniority), fillEmpty(l.Department, other.Department)
	}
}

func fillEmpty(v, fallback string) string {
	if v == "" {
		return fallback
	}
	return v
}

// mergeStructured merges the attributes whose provenance keeps the raw
// source form (employee_count, revenue_usd, founded_year) or a display
// line (hq_address): each lead's value is dated by its selected entry.
func (l *Lead) mergeStructured(other *Lead, p Precedence, selected map[string]string) {
	// win reports whether other's value replaces l's (both given in a
	// comparable form), and records the provenance value now selected.
	win := func(attr, mine, theirs string) bool {
		ours, ourEntry := l.selectedOrigin(p, attr, mine)
		them, theirEntry := other.selectedOrigin(p, attr, theirs)
		switch {
		case theirs != "" && theirs != mine && (mine == "" || them.beats(ours)):
			selected[attr] = theirEntry
			return true
		case theirs == mine:
			selected[attr] = fillEmpty(ourEntry, theirEntry)
		default:
			selected[attr] = ourEntry
		}
		return false
	}
	rng := func(r *Range) string {
		if r == nil {
			return ""
		}
		return strconv.FormatInt(r.Min, 10) + "-" + strconv.FormatInt(r.Max, 10)
	}
	if win("employee_count", rng(l.EmployeeCount), rng(other.EmployeeCount)) {
		r := *other.EmployeeCount
		l.EmployeeCount = &r
	}
	if win("revenue_usd", rng(l.RevenueUSD), rng(other.RevenueUSD)) {
		r := *other.RevenueUSD
		l.RevenueUSD = &r
	}
	year := func(y int) string {
		if y == 0 {
			return ""
		}
		return strconv.Itoa(y)
	}
	if win("founded_year", year(l.FoundedYear), year(other.FoundedYear)) {
		l.FoundedYear = other.FoundedYear
	}
	if win("hq_address", hqLine(l.HQ), hqLine(other.HQ)) {
		a := *other.HQ
		l.HQ = &a
	}
}

// emailStatusRank orders e-mail statuses for the primary (spec §4.4).
func emailStatusRank(status string) int {
	switch status {
	case EmailVerified:
		return 0
	case EmailAcceptAll:
		return 1
	case EmailUnverified:
		return 2
	}
	return 3
}

// mergeEmails keeps every address of both leads. An address both carry
// keeps the entry of the winning observation. The primary is then chosen
// among the usable addresses.
func (l *Lead) mergeEmails(other *Lead, p Precedence) {
	if len(l.Emails) == 0 && l.Email != "" {
		e, _ := l.PrimaryEmail() // a version-1 lead
		l.Emails = []Email{e}
	}
	origins := map[string]origin{}
	emailOrigin := func(ld *Lead, e Email) origin {
		o := ld.originOf(p, "email", e.Address)
		o.conf = max(o.conf, e.Confidence)
		return o
	}
	for _, e := range l.Emails {
		origins[e.Address] = emailOrigin(l, e)
	}
	theirs := other.Emails
	if len(theirs) == 0 && other.Email != "" {
		e, _ := other.PrimaryEmail()
		theirs = []Email{e}
	}
	for _, e := range theirs {
		o := emailOrigin(other, e)
		i := slices.IndexFunc(l.Emails, func(x Email) bool { return x.Address == e.Address })
		if i < 0 {
			l.Emails = append(l.Emails, e)
			origins[e.Address] = o
			continue
		}
		// A usable entry beats an unusable one (a provider's "invalid"
		// never outranks another's verification), then the winner rule.
		mine := origins[e.Address]
		if supersedes(e.Usable(), l.Emails[i].Usable(), o, mine) {
			l.Emails[i] = e
			origins[e.Address] = combine(o, mine)
		} else {
			origins[e.Address] = combine(mine, o)
		}
	}
	best := pickPrimary(len(l.Emails),
		func(i int) bool { return l.Emails[i].Usable() },
		func(i int) int { return emailStatusRank(l.Emails[i].Status) },
		func(i, j int) bool { return origins[l.Emails[i].Address].beats(origins[l.Emails[j].Address]) })
	if best < 0 {
		// No usable address: the old primary stays flagged (it is scored,
		// never a key), or the first address.
		l.Email = ""
		best = max(0, slices.IndexFunc(l.Emails, func(e Email) bool { return e.Primary }))
		for i := range l.Emails {
			l.Emails[i].Primary = i == best
		}
		return
	}
	for i := range l.Emails {
		l.Emails[i].Primary = i == best
	}
	l.Email = l.Emails[best].Address
}

// supersedes reports whether another lead's entry of an address or number
// (valid theirs, origin o) replaces the lead's own (valid mine, origin m):
// a valid entry beats an invalid one, then the winner rule.
func supersedes(theirs, mine bool, o, m origin) bool {
	if theirs != mine {
		return theirs
	}
	return o.beats(m)
}

// combine is the origin of a value both leads carry, as the merged
// provenance entry dates it: the higher precedence, the newer time and
// the higher confidence of the two.
func combine(a, b origin) origin {
	a.rank = min(a.rank, b.rank)
	if b.at.After(a.at) {
		a.at = b.at
	}
	a.conf = max(a.conf, b.conf)
	return a
}

// phoneKindRank orders phone kinds for the primary (spec §4.4).
func phoneKindRank(kind string) int {
	switch kind {
	case PhoneDirect:
		return 0
	case PhoneMobile:
		return 1
	case PhoneCompany:
		return 2
	}
	return 3
}

// phoneValue is a phone's provenance value.
func phoneValue(ph Phone) string {
	if ph.E164 != "" {
		return ph.E164
	}
	return ph.Raw
}

// mergePhones keeps every number of both leads. A number both carry keeps
// the entry of the winning observation. The primary is then the best valid
// number.
func (l *Lead) mergePhones(other *Lead, p Precedence) {
	origins := make([]origin, len(l.Phones), len(l.Phones)+len(other.Phones))
	for i, ph := range l.Phones {
		origins[i] = l.originOf(p, "phone", phoneValue(ph))
	}
	for _, ph := range other.Phones {
		o := other.originOf(p, "phone", phoneValue(ph))
		i := slices.IndexFunc(l.Phones, func(x Phone) bool { return samePhone(x, ph) })
		switch {
		case i < 0:
			l.Phones = append(l.Phones, ph)
			origins = append(origins, o)
		case supersedes(ph.Valid, l.Phones[i].Valid, o, origins[i]):
			l.Phones[i] = ph
			origins[i] = combine(o, origins[i])
		default:
			origins[i] = combine(origins[i], o)
		}
	}
	best := pickPrimary(len(l.Phones),
		func(i int) bool { return l.Phones[i].Valid },
		func(i int) int { return phoneKindRank(l.Phones[i].Kind) },
		func(i, j int) bool { return origins[i].beats(origins[j]) })
	if best >= 0 {
		l.Phone = l.Phones[best].E164
	}
}

// pickPrimary returns the index of the primary among n entries: of those
// that qualify, the lowest rank, then the one that beats the others by the
// winner rule; -1 when none qualifies.
func pickPrimary(n int, qualifies func(i int) bool, rank func(i int) int, beats func(i, j int) bool) int {
	best := -1
	for i := range n {
		if !qualifies(i) {
			continue
		}
		if best < 0 {
			best = i
			continue
		}
		if r, rb := rank(i), rank(best); r != rb {
			if r < rb {
				best = i
			}
		} else if beats(i, best) {
			best = i
		}
	}
	return best
}

// mergeProvenance adds other's history to l's. Nothing is dropped: a value
// l already has keeps one entry, with the newer observed_at and, when the
// new observation's source ranks higher, that source (so a value a person
// confirmed stays theirs). For the attributes in selected, exactly the
// entry of the value the lead now carries is marked selected.
func (l *Lead) mergeProvenance(other *Lead, p Precedence, selected map[string]string) {
	attrs := make([]string, 0, len(other.Provenance))
	for attr := range other.Provenance {
		attrs = append(attrs, attr)
	}
	slices.Sort(attrs)
	for _, attr := range attrs {
		for _, o := range other.Provenance[attr] {
			if o.Value == "" {
				continue
			}
			if l.Provenance == nil {
				l.Provenance = make(map[string][]Observation)
			}
			hist := l.Provenance[attr]
			i := slices.IndexFunc(hist, func(x Observation) bool { return x.Value == o.Value })
			if i < 0 {
				l.Provenance[attr] = append(hist, o)
				continue
			}
			h := &hist[i]
			if p.rank(attr, o.Source) < p.rank(attr, h.Source) {
				h.Source, h.SourceRecordID, h.Confidence = o.Source, o.SourceRecordID, o.Confidence
			}
			if o.ObservedAt.After(h.ObservedAt) {
				h.ObservedAt = o.ObservedAt
			}
			h.Selected = h.Selected || o.Selected
		}
	}
	for attr, v := range selected {
		hist := l.Provenance[attr]
		for i := range hist {
			hist[i].Selected = v != "" && hist[i].Value == v
		}
	}
}
