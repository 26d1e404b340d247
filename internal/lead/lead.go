// Package lead defines the canonical lead that flows between the pipeline
// stages once a provider record has been normalised (spec §1), the
// normalisers that build it from raw provider fields (spec §2), the keys
// derived from it (partition key, exact match keys, deterministic lead ids)
// and the custom-field values derived from it (spec §5.2).
//
// Every lookup table in this package is read-only after package
// initialisation; nothing here keeps mutable global state.
package lead

import "time"

// Version is the wire version of the canonical lead written by this build.
// Version 1 (no version field) carried only the flat string fields; version
// 2 adds the structured e-mails, phones, organisation attributes, derived
// custom-field values and provenance. Readers accept both.
const Version = 2

// Lead is one person at one organisation, as the pipeline sees it after
// normalisation. String fields are empty when unknown.
//
// The flat fields Email and Phone hold the primary usable value (a
// syntactically valid, non-disposable e-mail; a valid E.164 number): they
// are what matching and the sink use. Every observed value, usable or not,
// is kept in Emails, Phones and Provenance.
type Lead struct {
	// V is the wire version of this lead (see Version); 0 means version 1.
	V int `json:"v,omitempty"`

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

	// Person attributes (spec §1.2).
	Seniority    string  `json:"seniority,omitempty"`  // CF_109 picklist value
	Department   string  `json:"department,omitempty"` // CF_110 picklist value
	Emails       []Email `json:"emails,omitempty"`
	Phones       []Phone `json:"phones,omitempty"`
	LinkedInURL  string  `json:"linkedin_url,omitempty"`
	DoNotContact bool    `json:"do_not_contact,omitempty"`

	// Organisation attributes (spec §1.2). Company is the display form.
	CompanyKey    string   `json:"company_key,omitempty"` // match form, legal suffix removed
	Website       string   `json:"website,omitempty"`     // https://<host>
	Industry      string   `json:"industry,omitempty"`
	EmployeeCount *Range   `json:"employee_count,omitempty"`
	RevenueUSD    *Range   `json:"revenue_usd,omitempty"`
	Technologies  []string `json:"technologies,omitempty"`
	FoundedYear   int      `json:"founded_year,omitempty"`
	HQ            *Address `json:"hq_address,omitempty"`
	// Company signals (spec §1.2), which feed CF_103, CF_104 and CF_111.
	UpcomingTechnologies []string       `json:"upcoming_technologies,omitempty"`
	JobPostings          []string       `json:"job_postings,omitempty"`
	FundingEvents        []FundingEvent `json:"funding_events,omitempty"`
	Growth               *Growth        `json:"growth,omitempty"`
	Intent               []Intent       `json:"intent,omitempty"` // one per source
	// OrganisationID is the organisation (HaloPSA Client) an organisation
	// lead belongs to, set by dedupe: the lead itself is one of its sites
	// (issue 12). Empty on person leads.
	OrganisationID string `json:"organisation_id,omitempty"`
	// Sites are the organisation sites (HaloPSA Sites) a person lead has
	// been seen at, oldest first, set by dedupe: one person at two sites
	// is one lead, and the sites stay two (issue 12). Empty on
	// organisation leads.
	Sites []Site `json:"sites,omitempty"`

	// Meta.
	FirstSource  string        `json:"first_source,omitempty"`  // source key that first fed the lead
	QualityScore int           `json:"quality_score,omitempty"` // spec §3.1, set by validate
	FitScore     int           `json:"fit_score,omitempty"`     // spec §3.3, set by enrich
	FitBucket    string        `json:"fit_bucket,omitempty"`    // hot, warm or cold
	CustomFields *CustomFields `json:"custom_fields,omitempty"`
	// Issues are what normalisation found wrong with the source values.
	Issues []Issue `json:"issues,omitempty"`
	// Provenance keeps, per attribute, every distinct value observed and
	// where it came from (spec §1.3).
	Provenance map[string][]Observation `json:"provenance,omitempty"`

	// Extra keeps source columns the canonical model has no field for, so
	// nothing a provider sent is silently dropped.
	Extra map[string]string `json:"extra,omitempty"`
}

// Site names an organisation site: an organisation lead (a HaloPSA Site)
// and its organisation (the HaloPSA Client, itself a site lead). On a
// record (pipeline.Envelope.Site) it also carries the site as that record
// gives it — company name, address and phone — so that a site first seen
// on a person record can be written without its lead; in Lead.Sites only
// the ids are kept.
type Site struct {
	LeadID         string   `json:"lead_id"`
	OrganisationID string   `json:"organisation_id,omitempty"`
	Company        string   `json:"company,omitempty"`
	Address        *Address `json:"address,omitempty"`
	Phone          string   `json:"phone,omitempty"`
}

// maxSites bounds Lead.Sites: a person seen at more sites keeps the most
// recent ones.
const maxSites = 64

// AddSite records that the person lead was seen at site s (its ids only)
// and reports whether s was new to it.
func (l *Lead) AddSite(s Site) bool {
	for i := range l.Sites {
		if l.Sites[i].LeadID == s.LeadID {
			return false
		}
	}
	if len(l.Sites) >= maxSites {
		l.Sites = l.Sites[1:]
	}
	l.Sites = append(l.Sites, Site{LeadID: s.LeadID, OrganisationID: s.OrganisationID})
	return true
}

// Email is one observed e-mail address (spec §2.1).
type Email struct {
	Address    string `json:"address"`
	Status     string `json:"status,omitempty"` // verified, accept_all, unverified, invalid, none
	Confidence int    `json:"confidence,omitempty"`
	Valid      bool   `json:"valid,omitempty"` // syntax passed
	Role       bool   `json:"role,omitempty"`
	Disposable bool   `json:"disposable,omitempty"`
	FreeMail   bool   `json:"free_mail,omitempty"`
	Primary    bool   `json:"primary,omitempty"`
}

// Usable reports whether the address may be a match key and be synced:
// valid syntax, not disposable and not marked invalid by the provider.
func (e Email) Usable() bool {
	return e.Valid && !e.Disposable && e.Status != EmailInvalid
}

// Email statuses (spec §2.1 step 5).
const (
	EmailVerified   = "verified"
	EmailAcceptAll  = "accept_all"
	EmailUnverified = "unverified"
	EmailInvalid    = "invalid"
	EmailNone       = "none"
)

// Phone is one observed phone number (spec §2.2).
type Phone struct {
	Raw       string `json:"raw,omitempty"`
	E164      string `json:"e164,omitempty"`
	E123      string `json:"e123,omitempty"` // international display form
	Kind      string `json:"kind,omitempty"` // direct, mobile, company, other
	Extension string `json:"extension,omitempty"`
	Region    string `json:"region,omitempty"`
	Valid     bool   `json:"valid,omitempty"`
	// Possible is set for a number that is possible but not valid.
	Possible bool `json:"possible,omitempty"`
}

// Phone kinds.
const (
	PhoneDirect  = "direct"
	PhoneMobile  = "mobile"
	PhoneCompany = "company"
	PhoneOther   = "other"
)

// Range is a number or a {min,max} range. An exact value has Min == Max;
// an open range ("10001+") has Max == 0.
type Range struct {
	Min int64 `json:"min,omitempty"`
	Max int64 `json:"max,omitempty"`
}

// Address is a postal address.
type Address struct {
	Street   string `json:"street,omitempty"`
	City     string `json:"city,omitempty"`
	State    string `json:"state,omitempty"`
	Postcode string `json:"postcode,omitempty"`
	Country  string `json:"country,omitempty"`
}

func (a *Address) empty() bool {
	return a == nil || *a == Address{}
}

// CustomFields are the derived HaloPSA lead custom-field values (spec
// §5.2). Empty means "not derived": nothing is ever written as filler.
type CustomFields struct {
	LeadSource       string `json:"cf_101_lead_source,omitempty"`
	GrowthSignals    string `json:"cf_103_growth_signals,omitempty"`
	ProjectPipelines string `json:"cf_104_project_pipelines,omitempty"`
	DoNotContact     bool   `json:"cf_105_do_not_contact,omitempty"`
	TechnologyStack  string `json:"cf_106_technology_stack,omitempty"`
	RevenueRange     string `json:"cf_107_revenue_range,omitempty"`
	EmployeeRange    string `json:"cf_108_employee_count_range,omitempty"`
	ManagementLevel  string `json:"cf_109_management_level,omitempty"`
	Department       string `json:"cf_110_department_function,omitempty"`
	IntentSignals    string `json:"cf_111_intent_signals,omitempty"`
	FoundedYear      int    `json:"cf_112_company_founded_year,omitempty"`
	LocationHQ       string `json:"cf_113_location_hq,omitempty"`
}

// Observation is one provenance entry: a value of an attribute and the
// source record that set it (spec §1.3).
type Observation struct {
	Value          string    `json:"value"`
	Source         string    `json:"source,omitempty"`
	SourceRecordID string    `json:"source_record_id,omitempty"`
	ObservedAt     time.Time `json:"observed_at"`
	Confidence     int       `json:"confidence,omitempty"`
	Selected       bool      `json:"selected,omitempty"`
}

// Observe records that attribute had value, as seen in o. A value already
// in the history only has its observed_at moved forward.
func (l *Lead) Observe(attribute string, o Observation) {
	if o.Value == "" {
		return
	}
	if l.Provenance == nil {
		l.Provenance = make(map[string][]Observation)
	}
	hist := l.Provenance[attribute]
	for i := range hist {
		if hist[i].Value == o.Value {
			if o.ObservedAt.After(hist[i].ObservedAt) {
				hist[i].ObservedAt = o.ObservedAt
			}
			hist[i].Selected = hist[i].Selected || o.Selected
			return
		}
	}
	l.Provenance[attribute] = append(hist, o)
}

// IsOrganisation reports whether the lead is an organisation record: a
// company and no person (issue 12).
func (l *Lead) IsOrganisation() bool {
	return !l.HasPersonName() && l.Company != ""
}

// HasPersonName reports whether any part of the person's name is known.
func (l *Lead) HasPersonName() bool {
	return l.FirstName != "" || l.LastName != "" || l.FullName != ""
}

// HasAddress reports whether the lead carries a usable postal address.
func (l *Lead) HasAddress() bool {
	return l.Street != "" && (l.Postcode != "" || l.City != "")
}

// PrimaryEmail returns the primary e-mail entry, if any.
func (l *Lead) PrimaryEmail() (Email, bool) {
	for _, e := range l.Emails {
		if e.Primary {
			return e, true
		}
	}
	if l.Email != "" {
		// A version-1 lead: only the flat address is known.
		return Email{Address: l.Email, Status: EmailNone, Valid: true, Primary: true}, true
	}
	return Email{}, false
}

// samePhone reports whether two observed phones are one number.
func samePhone(a, b Phone) bool {
	if a.E164 != "" || b.E164 != "" {
		return a.E164 == b.E164 && a.Extension == b.Extension
	}
	return a.Raw == b.Raw
}
