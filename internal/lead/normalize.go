package lead

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/idna"
)

// Source identifies the source record a raw record came from.
type Source struct {
	// Key is the source key: a provider (apollo, zoominfo, …), halopsa,
	// review, or an import format such as csv.
	Key string
	// RecordID is the source's own id of the record.
	RecordID string
	// ObservedAt is when the source record was seen; zero means now.
	ObservedAt time.Time
}

// Normalizer turns raw source records into canonical leads (spec §2). The
// zero value is ready to use and applies the spec defaults.
type Normalizer struct {
	// FallbackRegion is the phone region used when a record has neither a
	// country nor an HQ country (spec §2.2 phone.fallback_region; empty by
	// default, so such national numbers stay unparsed).
	FallbackRegion string
	// Now gives the current time; nil means time.Now.
	Now func() time.Time
	// Phone parses a phone number as NormalizePhone does (nil:
	// NormalizePhone); the normalize stage gives it a cache.
	Phone func(raw, region, kind string) Phone
}

// Normalize is Normalizer{}.Normalize.
func Normalize(raw map[string]string, src Source) (Lead, []Issue) {
	return Normalizer{}.Normalize(raw, src)
}

// Column names the normaliser understands, with the aliases providers use.
// Columns not listed here are kept in Lead.Extra.
var columns = map[string]string{
	"first_name": "first_name", "firstname": "first_name", "first": "first_name", "given_name": "first_name",
	"last_name": "last_name", "lastname": "last_name", "surname": "last_name", "family_name": "last_name",
	"full_name": "full_name", "fullname": "full_name", "name": "full_name", "contact_name": "full_name",
	"email": "email", "email_address": "email", "work_email": "email", "business_email": "email",
	"emails": "email", "personal_email": "personal_email",
	"email_status": "email_status", "email_verification": "email_status", "email_confidence": "email_confidence",
	"phone": "phone", "phone_number": "phone", "telephone": "phone",
	"phone_type": "phone_type", "direct_phone": "direct_phone", "work_phone": "direct_phone",
	"direct_dial": "direct_phone", "mobile_phone": "mobile_phone", "mobile": "mobile_phone",
	"cell": "mobile_phone", "cell_phone": "mobile_phone", "company_phone": "company_phone",
	"hq_phone": "company_phone", "corporate_phone": "company_phone",
	"title": "title", "job_title": "title", "position": "title",
	"seniority": "seniority", "management_level": "seniority", "department": "department",
	"company": "company", "company_name": "company", "organization": "company", "organisation": "company",
	"account_name": "company", "domain": "domain", "company_domain": "domain",
	"website": "website", "company_website": "website", "url": "website", "website_url": "website",
	"street": "street", "address": "street", "street_address": "street",
	"city": "city", "town": "city", "state": "state", "region": "state", "province": "state",
	"county": "state", "postcode": "postcode", "zip": "postcode", "zip_code": "postcode",
	"postal_code": "postcode", "country": "country", "country_code": "country",
	"linkedin": "linkedin_url", "linkedin_url": "linkedin_url", "person_linkedin_url": "linkedin_url",
	"industry": "industry", "employee_count": "employee_count", "employees": "employee_count",
	"headcount": "employee_count", "company_size": "employee_count", "revenue": "revenue_usd",
	"annual_revenue": "revenue_usd", "revenue_usd": "revenue_usd",
	"technologies": "technologies", "tech_stack": "technologies", "technology": "technologies",
	"founded_year": "founded_year", "founded": "founded_year", "year_founded": "founded_year",
	"hq_street": "hq_street", "hq_city": "hq_city", "hq_state": "hq_state",
	"hq_postcode": "hq_postcode", "hq_country": "hq_country",
	"do_not_contact": "do_not_contact", "dnc": "do_not_contact", "opt_out": "do_not_contact",
}

// skippedColumns identify the source row, not the lead.
var skippedColumns = map[string]bool{"record_id": true, "entity_id": true}

// platformHosts never become a company domain (spec §2.5).
var platformHosts = map[string]bool{
	"linkedin.com": true, "facebook.com": true, "twitter.com": true, "x.com": true,
	"instagram.com": true, "youtube.com": true, "wixsite.com": true, "business.site": true,
	"sites.google.com": true, "google.com": true,
}

// Normalize builds the canonical lead from one raw record. Keys are column
// names (canonical ones or the aliases above, case-insensitive); values are
// cleaned per spec §2. It never fails: every value it cannot use is kept in
// provenance (or Extra) and reported as an Issue, which is also stored in
// Lead.Issues.
func (n Normalizer) Normalize(raw map[string]string, src Source) (Lead, []Issue) {
	now := time.Now().UTC()
	if n.Now != nil {
		now = n.Now().UTC()
	}
	at := src.ObservedAt
	if at.IsZero() {
		at = now
	}
	b := builder{src: src, at: at, phone: n.Phone}
	if b.phone == nil {
		b.phone = NormalizePhone
	}
	l := &b.l
	l.V = Version
	l.FirstSource = src.Key

	// Clean every value once, in a fixed order so issues are stable.
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	v := make(map[string]string, len(raw))
	for _, k := range keys {
		name := strings.ToLower(strings.TrimSpace(k))
		if skippedColumns[name] {
			continue
		}
		val, codes := cleanText(raw[k])
		for _, c := range codes {
			b.issue(name, c, val)
		}
		if val == "" {
			continue
		}
		field, known := columns[name]
		if !known {
			if l.Extra == nil {
				l.Extra = make(map[string]string)
			}
			l.Extra[name] = val
			continue
		}
		if prev, dup := v[field]; dup {
			// Two aliases of one field: keep both for the list fields,
			// otherwise the first wins and the other stays in Extra.
			if field == "email" || field == "technologies" {
				v[field] = prev + "," + val
				continue
			}
			if l.Extra == nil {
				l.Extra = make(map[string]string)
			}
			l.Extra[name] = val
			continue
		}
		v[field] = val
	}

	b.country(v)
	b.names(v)
	b.emails(v)
	b.phones(v, n.FallbackRegion)
	b.organisation(v, now)
	b.person(v)
	l.CustomFields = l.derive()
	l.Issues = b.issues
	return b.l, b.issues
}

// builder carries one Normalize call's state.
type builder struct {
	l      Lead
	src    Source
	at     time.Time
	issues []Issue
	phone  func(raw, region, kind string) Phone
}

func (b *builder) issue(field, code, value string) {
	b.issues = append(b.issues, Issue{Field: field, Code: code, Value: value})
}

// observe records a value in provenance; selected says it is the value
// the lead now carries.
func (b *builder) observe(attr, value string, selected bool) {
	b.l.Observe(attr, Observation{Value: value, Source: b.src.Key, SourceRecordID: b.src.RecordID,
		ObservedAt: b.at, Selected: selected})
}

// set stores value in *dst and its provenance.
func (b *builder) set(attr string, dst *string, value string) {
	if value == "" {
		return
	}
	*dst = value
	b.observe(attr, value, true)
}

func (b *builder) country(v map[string]string) {
	l := &b.l
	if raw := v["country"]; raw != "" {
		if c, ok := NormalizeCountry(raw); ok {
			b.set("country", &l.Country, c)
		} else {
			b.issue("country", IssueCountry, raw)
			b.observe("country", raw, false)
		}
	}
	hq := Address{Street: v["hq_street"], City: v["hq_city"], State: v["hq_state"], Postcode: strings.ToUpper(v["hq_postcode"])}
	if raw := v["hq_country"]; raw != "" {
		if c, ok := NormalizeCountry(raw); ok {
			hq.Country = c
		} else {
			b.issue("hq_country", IssueCountry, raw)
		}
	}
	if !hq.empty() {
		l.HQ = &hq
		b.observe("hq_address", hqLine(&hq), true)
	}
	b.set("street", &l.Street, strings.Trim(v["street"], " ,"))
	b.set("city", &l.City, strings.Trim(v["city"], " ,"))
	state := v["state"]
	if len(state) <= 3 {
		state = strings.ToUpper(state)
	}
	b.set("state", &l.State, state)
	b.set("postcode", &l.Postcode, strings.ToUpper(v["postcode"]))
}

func (b *builder) names(v map[string]string) {
	l := &b.l
	pn := NormalizeName(v["first_name"], v["last_name"], v["full_name"])
	b.set("first_name", &l.FirstName, pn.First)
	b.set("last_name", &l.LastName, pn.Last)
	b.set("full_name", &l.FullName, pn.Full())
	for _, r := range pn.Removed {
		b.observe("name_affix", r, false)
	}
}

func (b *builder) emails(v map[string]string) {
	l := &b.l
	status := EmailStatus(v["email_status"])
	if s := v["email_status"]; s != "" {
		b.observe("email_status", s, true)
	}
	parts := splitEmails(v["email"])
	nWork := len(parts)
	parts = append(parts, splitEmails(v["personal_email"])...)
	for i, p := range parts {
		e := NormalizeEmail(p)
		if e.Address == "" || slices.ContainsFunc(l.Emails, func(x Email) bool { return x.Address == e.Address }) {
			continue
		}
		if i == 0 && nWork > 0 {
			e.Status = status
			if c, err := strconv.Atoi(strings.TrimSuffix(v["email_confidence"], "%")); err == nil && c > 0 && c <= 100 {
				e.Confidence = c
			}
		}
		switch {
		case !e.Valid:
			e.Status = EmailInvalid
			b.issue("email", IssueEmailInvalid, e.Address)
		case e.Disposable:
			e.Status = EmailInvalid
			b.issue("email", IssueEmailDisposable, e.Address)
		}
		if l.Email == "" && e.Usable() {
			e.Primary = true
			l.Email = e.Address
		}
		l.Emails = append(l.Emails, e)
		b.observe("email", e.Address, e.Primary)
	}
	if l.Email == "" && len(l.Emails) > 0 {
		l.Emails[0].Primary = true // unusable, so never a key, but still scored
	}
}

func (b *builder) phones(v map[string]string, fallback string) {
	l := &b.l
	region := l.Country
	if region == "" && l.HQ != nil {
		region = l.HQ.Country
	}
	if region == "" {
		region = fallback
	}
	for _, c := range []struct{ col, label string }{
		{"phone", v["phone_type"]}, {"direct_phone", "direct"}, {"mobile_phone", "mobile"}, {"company_phone", "company"},
	} {
		raw := v[c.col]
		if raw == "" {
			continue
		}
		p := b.phone(raw, region, c.label)
		switch {
		case p.Valid:
		case p.Possible:
			b.issue(c.col, IssuePhoneUnverified, raw)
		default:
			b.issue(c.col, IssuePhoneUnparsed, raw)
		}
		if slices.ContainsFunc(l.Phones, func(x Phone) bool { return samePhone(x, p) }) {
			continue
		}
		l.Phones = append(l.Phones, p)
		val := p.E164
		if val == "" {
			val = raw
		}
		b.observe("phone", val, p.Valid)
	}
	// The flat phone is the best valid number: direct or mobile first.
	best := -1
	for i, p := range l.Phones {
		if !p.Valid {
			continue
		}
		if best < 0 || phoneRank(p) < phoneRank(l.Phones[best]) {
			best = i
		}
	}
	if best >= 0 {
		l.Phone = l.Phones[best].E164
	}
}

func phoneRank(p Phone) int {
	switch p.Kind {
	case PhoneDirect, PhoneMobile:
		return 0
	case PhoneCompany:
		return 1
	}
	return 2
}

func (b *builder) organisation(v map[string]string, now time.Time) {
	l := &b.l
	if raw := v["company"]; raw != "" {
		if c := NormalizeCompany(raw); c != "" {
			b.set("company", &l.Company, c)
			l.CompanyKey = CompanyKey(c)
		} else {
			b.issue("company", IssueCompanyHolder, raw)
			b.observe("company", raw, false)
		}
	}
	if raw := v["website"]; raw != "" {
		if w, host := NormalizeWebsite(raw); w == "" {
			b.issue("website", IssueWebsiteInvalid, raw)
			b.observe("website", raw, false)
		} else if d := RegistrableDomain(host); d == "" || !b.companyDomain("website", d) {
			b.observe("website", w, false)
		} else {
			b.set("website", &l.Website, w)
			b.set("domain", &l.Domain, d)
		}
	}
	if raw := v["domain"]; raw != "" {
		d := RegistrableDomain(toASCIIHost(raw))
		switch {
		case d == "":
			b.issue("domain", IssueDomainInvalid, raw)
			b.observe("domain", raw, false)
		case !b.companyDomain("domain", d):
			b.observe("domain", d, false)
		case l.Domain == "":
			b.set("domain", &l.Domain, d)
		default:
			b.observe("domain", d, d == l.Domain)
		}
	}
	if l.Domain == "" {
		if e, ok := l.PrimaryEmail(); ok && e.Usable() && !e.FreeMail {
			if d := EmailDomain(e.Address); d != "" && !platformHosts[d] {
				b.set("domain", &l.Domain, d)
			}
		}
	}
	b.set("industry", &l.Industry, v["industry"])
	if raw := v["employee_count"]; raw != "" {
		if r, ok := ParseRange(raw); ok && r != nil && (r.Min > 0 || r.Max > 0) {
			l.EmployeeCount = r
			b.observe("employee_count", raw, true)
		} else if !ok {
			b.issue("employee_count", IssueNumberInvalid, raw)
		}
	}
	if raw := v["revenue_usd"]; raw != "" {
		if r, ok := ParseRange(raw); ok && r != nil && (r.Min > 0 || r.Max > 0) {
			l.RevenueUSD = r
			b.observe("revenue_usd", raw, true)
		} else if !ok {
			b.issue("revenue_usd", IssueNumberInvalid, raw)
		}
	}
	if raw := v["founded_year"]; raw != "" {
		if y, ok := ParseFoundedYear(raw, now); ok {
			l.FoundedYear = y
			b.observe("founded_year", raw, true)
		} else {
			b.issue("founded_year", IssueYearInvalid, raw)
		}
	}
	for _, t := range strings.FieldsFunc(v["technologies"], func(r rune) bool { return r == ',' || r == ';' || r == '|' }) {
		t = strings.TrimSpace(t)
		if t != "" && !slices.ContainsFunc(l.Technologies, func(x string) bool { return strings.EqualFold(x, t) }) {
			l.Technologies = append(l.Technologies, t)
		}
	}
	if len(l.Technologies) > 0 {
		b.observe("technologies", strings.Join(l.Technologies, ", "), true)
	}
}

// companyDomain reports whether d may be a company domain, recording an
// issue when it is free mail or a platform host.
func (b *builder) companyDomain(field, d string) bool {
	switch {
	case IsFreeMail(d) || IsDisposableMail(d):
		b.issue(field, IssueDomainFreeMail, d)
		return false
	case platformHosts[d]:
		b.issue(field, IssueDomainPlatform, d)
		return false
	}
	return true
}

func (b *builder) person(v map[string]string) {
	l := &b.l
	b.set("title", &l.Title, NormalizeTitle(v["title"]))
	l.Seniority = Seniority(b.src.Key, v["seniority"], l.Title)
	l.Department = Department(v["department"], l.Title)
	if s := v["seniority"]; s != "" {
		b.observe("seniority_raw", s, false)
	}
	if d := v["department"]; d != "" {
		b.observe("department_raw", d, false)
	}
	if raw := v["linkedin_url"]; raw != "" {
		if u := NormalizeLinkedIn(raw); u != "" {
			b.set("linkedin_url", &l.LinkedInURL, u)
		} else {
			b.issue("linkedin_url", IssueLinkedInInvalid, raw)
			b.observe("linkedin_url", raw, false)
		}
	}
	if raw := v["do_not_contact"]; raw != "" {
		switch strings.ToLower(raw) {
		case "true", "yes", "y", "1", "t", "x":
			l.DoNotContact = true
			b.observe("do_not_contact", "true", true)
		case "false", "no", "n", "0", "f":
		default:
			b.issue("do_not_contact", IssueBoolInvalid, raw)
		}
	}
}

// toASCIIHost converts the host part of s to IDNA ASCII when it can.
func toASCIIHost(s string) string {
	if a, err := idna.Lookup.ToASCII(strings.ToLower(strings.TrimSpace(s))); err == nil {
		return a
	}
	return s
}

// NormalizeWebsite returns https://<host> for a website value (spec §2.5)
// and the host; both are "" when no host can be read.
func NormalizeWebsite(raw string) (website, host string) {
	s, _ := cleanText(raw)
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s, " @") {
		return "", ""
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" {
		return "", ""
	}
	h := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	a, err := idna.Lookup.ToASCII(h)
	if err != nil || !strings.Contains(a, ".") || !validDomain(a) {
		return "", ""
	}
	return "https://" + a, a
}

// NormalizeLinkedIn returns https://www.linkedin.com/in/<slug> (lower
// case, no query or trailing slash) for a LinkedIn profile URL, or "".
func NormalizeLinkedIn(raw string) string {
	s, _ := cleanText(raw)
	s = strings.ToLower(strings.TrimSpace(s))
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	h := strings.TrimPrefix(u.Hostname(), "www.")
	if h != "linkedin.com" && !strings.HasSuffix(h, ".linkedin.com") {
		return ""
	}
	slug, ok := strings.CutPrefix(strings.Trim(u.Path, "/"), "in/")
	slug, _, _ = strings.Cut(slug, "/")
	if !ok || slug == "" {
		return ""
	}
	if un, err := url.PathUnescape(slug); err == nil {
		slug = un
	}
	return "https://www.linkedin.com/in/" + slug
}
