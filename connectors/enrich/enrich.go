// Package enrich defines what a provider enrichment client is to the
// enrich stage: a person (or a company domain) goes in, the contact data
// and company facts the provider revealed come out, with the credits the
// call cost. The clients of each provider live in the sub-packages; this
// package also holds the paced, retrying HTTP caller they share.
package enrich

import (
	"context"
	"errors"

	"github.com/leadstream/leadstream/internal/lead"
)

// Attribute is one thing the waterfall fills.
type Attribute string

// The attributes a waterfall fills.
const (
	Email   Attribute = "email"
	Phone   Attribute = "phone"   // a direct (work) phone
	Mobile  Attribute = "mobile"  // a mobile phone
	Company Attribute = "company" // company facts: industry, size, revenue, technologies, LinkedIn
)

// Attributes lists every attribute in waterfall order.
var Attributes = []Attribute{Email, Phone, Mobile, Company}

// Person identifies one person to a provider. Ref is the caller's
// reference and comes back on the Result.
type Person struct {
	Ref       string
	FirstName string
	LastName  string
	Company   string
	Domain    string
	Email     string
	LinkedIn  string
	// VerifyEmail, when set, is an address the lead already has but nobody
	// verified: a Verifier checks it instead of finding a new one (the
	// Result then has Verification set). Other providers ignore it.
	VerifyEmail string
}

// CompanyFacts are the organisation attributes a provider returned.
type CompanyFacts struct {
	Name         string   `json:"name,omitempty"`
	Industry     string   `json:"industry,omitempty"`
	EmployeesMin int64    `json:"employees_min,omitempty"`
	EmployeesMax int64    `json:"employees_max,omitempty"`
	RevenueMin   int64    `json:"revenue_min,omitempty"`
	RevenueMax   int64    `json:"revenue_max,omitempty"`
	Technologies []string `json:"technologies,omitempty"`
	LinkedIn     string   `json:"linkedin,omitempty"`
	FoundedYear  int      `json:"founded_year,omitempty"`
	// The company signals behind CF_103, CF_104 and CF_111, where the
	// provider has them: funding rounds, growth, technologies being
	// adopted, open job postings and its intent reading (Intent.Source is
	// set by the stage to the provider).
	FundingEvents        []lead.FundingEvent `json:"funding_events,omitempty"`
	Growth               *lead.Growth        `json:"growth,omitempty"`
	UpcomingTechnologies []string            `json:"upcoming_technologies,omitempty"`
	JobPostings          []string            `json:"job_postings,omitempty"`
	Intent               *lead.Intent        `json:"intent,omitempty"`
}

// Empty reports whether no fact is known.
func (c CompanyFacts) Empty() bool {
	return c.Industry == "" && c.EmployeesMin == 0 && c.EmployeesMax == 0 && c.RevenueMin == 0 &&
		c.RevenueMax == 0 && len(c.Technologies) == 0 && c.LinkedIn == "" && c.FoundedYear == 0 &&
		len(c.FundingEvents) == 0 && c.Growth == nil && len(c.UpcomingTechnologies) == 0 &&
		len(c.JobPostings) == 0 && c.Intent == nil
}

// Result is a provider's answer for one Person. It is cached as JSON.
type Result struct {
	Ref         string `json:"-"`
	Found       bool   `json:"found"`
	ProviderID  string `json:"provider_id,omitempty"` // the provider's id of the person
	Email       string `json:"email,omitempty"`
	EmailStatus string `json:"email_status,omitempty"` // the provider's own word; lead.EmailStatus maps it
	Confidence  int    `json:"confidence,omitempty"`   // 0–100
	Phone       string `json:"phone,omitempty"`
	Mobile      string `json:"mobile,omitempty"`
	LinkedIn    string `json:"linkedin,omitempty"`
	// Company holds the facts that came with the person, if any.
	Company CompanyFacts `json:"company,omitzero"`
	// Credits is what the provider charged for this person.
	Credits float64 `json:"credits,omitempty"`
	// RequestID is the provider's handle of an asynchronous part of the
	// answer (Apollo's request_id for a phone reveal); empty when none.
	RequestID string `json:"request_id,omitempty"`
	// Verification says the answer is a verification of
	// Person.VerifyEmail: Email is that address, EmailStatus the verdict
	// (which may be invalid) and Confidence its score.
	Verification bool `json:"verification,omitempty"`
}

// Has reports whether r fills attribute a.
func (r Result) Has(a Attribute) bool {
	switch a {
	case Email:
		return r.Email != ""
	case Phone:
		return r.Phone != ""
	case Mobile:
		return r.Mobile != ""
	case Company:
		return !r.Company.Empty()
	}
	return false
}

// Provider is one provider's person enrichment.
type Provider interface {
	// Name is the provider's source key (apollo, hunter, …).
	Name() string
	// Fills lists the attributes this provider can fill for a person.
	Fills() []Attribute
	// BatchSize is how many people one request takes (1: no batching).
	BatchSize() int
	// Cost is the most credits one person can cost when want is asked
	// for; the ledger reserves it before the call.
	Cost(want []Attribute) float64
	// Enrich looks up people (at most BatchSize) and returns one Result
	// per person, in order. want says which attributes are needed, so a
	// provider reveals (and charges for) only those.
	Enrich(ctx context.Context, people []Person, want []Attribute) ([]Result, error)
}

// Verifier is a Provider that can verify an address the lead already has
// (Hunter's email-verifier) when it is handed a Person with VerifyEmail.
type Verifier interface {
	VerifiesEmail() bool
}

// CompanyProvider enriches a company by its domain.
type CompanyProvider interface {
	Name() string
	EnrichCompany(ctx context.Context, domain string) (CompanyFacts, float64, bool, error)
}

// Reconciler is a Provider that can fetch, without paying again, the
// answer of a call whose outcome was lost (a crash between the call and
// storing its answer): Apollo's GET /webhook_result/{request_id}.
type Reconciler interface {
	Reconcile(ctx context.Context, requestID string) ([]Result, bool, error)
}

// FreeRepeater is a Provider that never charges twice for one record
// (UpLead; ZoomInfo within 12 months): a call whose answer a crash lost is
// simply made again.
type FreeRepeater interface {
	RepeatsFree() bool
}

// ErrUnavailable says the provider is down (5xx, timeouts, repeated
// throttling past the retry budget): the stage moves on without it.
var ErrUnavailable = errors.New("provider unavailable")

// ErrQuota says the provider's credits or quota are used up: a stop until
// they reset, never a retry.
var ErrQuota = errors.New("provider quota exhausted")
